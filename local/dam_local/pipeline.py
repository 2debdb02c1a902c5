"""The processing pipeline, locally: the state machine CDK deploys, executed by moto's interpreter.

`pipeline.asl.json` is exported from the CDK chainables (`stacks.pipeline.export_local_definition`, kept
in sync by an infrastructure test). Its Lambda tasks name functions that exist in moto, and moto's
Lambda invoke is routed to the real handlers in this process — Step Functions retries, catches and
parallel branches all run as on AWS.
"""

from __future__ import annotations

import io
import json
import logging
import os
import threading
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dam_local.lambdas import LocalFunction, error_type
from dam_local.resources import Names

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_stepfunctions import SFNClient

logger = logging.getLogger("dam_local.pipeline")

ASL_PATH = Path(__file__).with_name("pipeline.asl.json")
STEPS = ("register", "renditions", "analyze", "embed", "finalize", "record_failure")
HANDLERS = {step: f"functions.pipeline.handlers:{step}" for step in STEPS}
# Sized like stacks/pipeline.py; locally only the timeout matters (it is logged, not enforced).
TIMEOUTS = {"register": 300, "renditions": 300, "analyze": 120, "embed": 60, "finalize": 30, "record_failure": 30}
# The steps that spend CPU (decoding, hashing, OCR) get worker processes, so several executions progress at
# once; the others take milliseconds an event and stay in this process only.
HEAVY_STEPS = ("register", "renditions", "analyze")
WORKERS_ENV = "DAM_LOCAL_WORKERS"


def worker_count() -> int:
    """Worker processes per heavy step at most: with the stack's own environment, one environment per core
    (more only made them compete: 20 photos at once on 2 busy cores were all ready after 34 s with one worker
    a step, 40 s with two), or $DAM_LOCAL_WORKERS (0: every step one event at a time, in this process)."""
    configured = os.environ.get(WORKERS_ENV, "").strip()
    return max(0, int(configured)) if configured else max(1, (os.cpu_count() or 1) - 1)


_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def pipeline_functions(names: Names, region: str, workers: int = 0) -> dict[str, LocalFunction]:
    return {
        names.function(step): LocalFunction(
            names.function(step),
            HANDLERS[step],
            timeout_seconds=TIMEOUTS[step],
            region=region,
            workers=workers if step in HEAVY_STEPS else 0,
        )
        for step in STEPS
    }


def _placeholder_code() -> bytes:
    """moto wants a zip to create a function; the code that runs is the handler routed to below."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handlers.py", "def handler(event, context):\n    raise RuntimeError('routed locally')\n")
    return buffer.getvalue()


def create_pipeline(iam: IAMClient, lambdas: LambdaClient, sfn: SFNClient, names: Names) -> str:
    """Create the step functions and the state machine in moto; returns the state machine ARN."""
    role = iam.create_role(RoleName=f"{names.prefix}-pipeline", AssumeRolePolicyDocument=json.dumps(_TRUST))
    code = _placeholder_code()
    for step in STEPS:
        lambdas.create_function(
            FunctionName=names.function(step),
            Runtime="python3.12",
            Role=role["Role"]["Arn"],
            Handler=f"handlers.{step}",
            Code={"ZipFile": code},
            Timeout=TIMEOUTS[step],
        )
    definition = ASL_PATH.read_text()
    created = sfn.create_state_machine(
        name=f"{names.prefix}-pipeline", definition=definition, roleArn=role["Role"]["Arn"], type="STANDARD"
    )
    return created["stateMachineArn"]


def route_lambda_invocations(functions: Mapping[str, LocalFunction]) -> None:
    """Make moto's Lambda invoke (what Step Functions' tasks call) run our handlers in this process.

    A handler's exception (in this process or a worker's) becomes a function error whose `errorType` is the
    exception's class name, exactly what Step Functions matches in Retry and Catch (`Throttled`, `ContentRejected`, …).
    """
    from moto.awslambda import models

    def invoke(self: Any, event: Any) -> tuple[str, bool, str]:
        function = functions.get(self.function_name)
        if function is None:
            error = {"errorType": "ResourceNotFoundException", "errorMessage": f"{self.function_name} is not local"}
            return json.dumps(error), True, ""
        payload = json.loads(event) if isinstance(event, (str, bytes)) else (event or {})
        try:
            return json.dumps(function.invoke(payload)), False, ""
        except Exception as error:
            logger.info("%s failed: %s: %s", self.function_name, error_type(error), error)
            return json.dumps({"errorType": error_type(error), "errorMessage": str(error)}), True, ""

    models.LambdaFunction._invoke_lambda = invoke  # type: ignore[method-assign,assignment]
    reuse_task_clients()
    parse_each_definition_once()


def reuse_task_clients() -> None:
    """moto's interpreter builds a new boto3 Lambda client for every task it runs (~12% of the stack's CPU with
    20 uploads in flight: a client copies botocore's event handlers); one client per region and endpoint serves
    them all (clients are thread-safe). Idempotent."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    build = lambda_eval_utils.boto_client_for
    if getattr(build, "reused", False):
        return
    from moto.core.models import botocore_stubber
    from moto.settings import moto_server_port

    clients: dict[tuple[Any, ...], Any] = {}

    def reused(region: str, service: str, state_credentials: Any = None) -> Any:
        # moto's builder ignores the state's credentials too (every client signs with the same dummy keys).
        key = (region, service, botocore_stubber.enabled, moto_server_port())
        if key not in clients:
            clients[key] = build(region, service)
        return clients[key]

    reused.reused = True  # type: ignore[attr-defined]
    lambda_eval_utils.boto_client_for = reused


# States whose evaluation keeps runtime objects on the parsed program (worker pools, map-run records).
_STATEFUL_STATES = ('"Map"', '"Parallel"')


def parse_each_definition_once() -> None:
    """moto's interpreter parses the state machine's ASL again for every execution (~35 ms of ANTLR each, ~5%
    of the stack's CPU with 20 uploads in flight). A parsed program keeps each run's state in the run's own
    environment (its heap: retry counters, variables), so runs of one definition share it; definitions with
    Map or Parallel states, whose evaluation keeps worker pools on the program, are still parsed per run.
    A component's heap key is made once under a lock, so two runs starting together agree on it. Idempotent."""
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
    from moto.stepfunctions.parser.utils import long_uid

    parse = ExecutionWorker._get_evaluation_entrypoint
    if getattr(parse, "cached", False):
        return
    programs: dict[str, Any] = {}
    lock = threading.Lock()

    def parsed_once(self: ExecutionWorker) -> Any:
        definition = self._evaluation_details.state_machine_details.definition
        if any(kind in definition for kind in _STATEFUL_STATES):
            return parse(self)
        with lock:
            if definition not in programs:
                programs[definition] = parse(self)
            return programs[definition]

    parsed_once.cached = True  # type: ignore[attr-defined]
    ExecutionWorker._get_evaluation_entrypoint = parsed_once  # type: ignore[method-assign]

    slot = "_EvalComponent__heap_key"

    def heap_key(self: EvalComponent) -> str:
        key = self.__dict__.get(slot)
        if key is None:
            with lock:
                key = self.__dict__.setdefault(slot, long_uid())
        return str(key)

    EvalComponent.heap_key = property(heap_key)  # type: ignore[assignment,method-assign]
