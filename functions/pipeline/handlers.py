"""Pipeline task Lambdas. Each state machine task is its own Lambda (sized for its work) whose handler
is one of these functions; the steps themselves live in dam.services.processing."""

import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from dam import tasks
from dam.observability import elapsed_ms, use_correlation_id

logger = Logger(service="dam-pipeline")

Step = Callable[[dict[str, Any]], dict[str, Any]]


def _task(step: Step) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    @logger.inject_lambda_context(clear_state=True)
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        # Every line of the step carries the asset and the request its run belongs to. The keys are the
        # thread's: the local stack runs a Parallel state's branches as threads of one process.
        use_correlation_id(event.get("correlation_id"))
        logger.thread_safe_clear_keys()
        logger.thread_safe_append_keys(
            asset_id=event.get("asset_id"),
            correlation_id=event.get("correlation_id"),
            step=step.__name__,
            mode=event.get("mode"),
        )
        started = time.perf_counter()
        try:
            result = step(event)
        except Exception as error:
            # Step Functions catches it (RecordFailure ends the run); the error's name is enough here.
            logger.warning("step failed", extra={"error": type(error).__name__, "duration_ms": elapsed_ms(started)})
            raise
        logger.info("step done", extra={"status": result.get("status"), "duration_ms": elapsed_ms(started)})
        return result

    return handler


register = _task(tasks.register)
renditions = _task(tasks.renditions)
analyze = _task(tasks.analyze)
embed = _task(tasks.embed)
finalize = _task(tasks.finalize)
record_failure = _task(tasks.record_failure)
