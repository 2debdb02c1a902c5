"""The processing pipeline as synthesized: upload → queue → dispatcher → Step Functions → six task Lambdas.

The definition is read back from the template the way a reviewer reads the deployed machine: the
`DefinitionString` Fn::Join resolved, each `Fn::GetAtt [<function>, Arn]` mapped to its step through the
resource's `aws:cdk:path`, and rendered with the local stack's function ARNs — so the very same JSON must be
what `local/dam_local/pipeline.asl.json` holds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.infra.synth import INFRA_MARKS, LOGS_AND_TRACING, PROJECT_ROOT, Synth, actions, arn_of, resources

pytestmark = INFRA_MARKS

LOCAL_ASL = PROJECT_ROOT / "local" / "dam_local" / "pipeline.asl.json"
REGENERATE = (
    "regenerate it with `make asl`, i.e. python -c 'from pathlib import Path; from stacks.pipeline import "
    'export_local_definition as e; Path("local/dam_local/pipeline.asl.json").write_text(e())\''
)
# A pipeline function's construct path: <stack>/Pipeline/<Step>/Function/Resource.
FUNCTION_PATH = re.compile(r"[^/]+/Pipeline/(?P<step>[A-Za-z]+)/Function/Resource")
STEP_NAMES = ("register", "renditions", "analyze", "embed", "finalize", "record_failure")
MEDIA_STEPS = {"register", "renditions", "analyze"}  # they decode files; the other functions stay small
LAMBDA_SERVICE_ERRORS = {
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
}
TO_RECORD_FAILURE = [{"ErrorEquals": ["States.ALL"], "Next": "RecordFailure", "ResultPath": "$.error"}]
TO_ANALYSIS_FAILED = [{"ErrorEquals": ["States.ALL"], "Next": "AnalysisFailed", "ResultPath": "$.analysis_error"}]
# What CDK grants a state machine for logging to CloudWatch Logs and X-Ray tracing: none takes a resource.
LOG_DELIVERY_AND_TRACING = {
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
}


def flatten(value: Any, get_att: Callable[[str, str], str] | None = None) -> str:
    """A CloudFormation string expression as text: `<Id>` for a Ref, `<Id.Attr>` for a GetAtt (or `get_att`)."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::GetAtt" in value:
        logical_id, attribute = value["Fn::GetAtt"]
        return get_att(logical_id, attribute) if get_att else f"<{logical_id}.{attribute}>"
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(flatten(part, get_att) for part in parts)
    raise AssertionError(f"unexpected intrinsic {value}")


def _step_of(synth: Synth, logical_id: str) -> str:
    """`dam-dev/Pipeline/RecordFailure/Function/Resource` → `record_failure`."""
    match = FUNCTION_PATH.fullmatch(synth.path(logical_id))
    assert match, f"{logical_id} ({synth.path(logical_id)}) is no pipeline step function"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", match["step"]).lower()


def _state_machine(synth: Synth) -> dict[str, Any]:
    _, state_machine = synth.one("AWS::StepFunctions::StateMachine")
    return state_machine["Properties"]


def _local_definition(synth: Synth) -> dict[str, Any]:
    """The deployed definition, each step function's ARN replaced by the local stack's."""
    from stacks.pipeline import LOCAL_FUNCTION_ARN

    def local_arn(logical_id: str, attribute: str) -> str:
        assert attribute == "Arn", f"the definition only names functions by ARN, not {logical_id}.{attribute}"
        return LOCAL_FUNCTION_ARN.format(step=_step_of(synth, logical_id))

    return json.loads(flatten(_state_machine(synth)["DefinitionString"], local_arn))


@pytest.fixture(scope="module")
def definition(synth: Synth) -> dict[str, Any]:
    return _local_definition(synth)


@pytest.fixture(scope="module")
def states(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every state by name, the parallel branches' too (CDK keeps names unique across the machine)."""

    def walk(machine: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
        for name, state in machine["States"].items():
            yield name, state
            for branch in state.get("Branches", []):
                yield from walk(branch)

    found = list(walk(definition))
    assert len({name for name, _ in found}) == len(found)
    return dict(found)


def _task_step(state: dict[str, Any]) -> str:
    """The step a Lambda task invokes, from its (local) function ARN."""
    return str(state["Resource"]).rsplit(":function:dam-local-", 1)[1]


def _step_function(synth: Synth, step: str) -> dict[str, Any]:
    return synth.properties(synth.stack.pipeline.steps[step].function)


def _grants(synth: Synth) -> dict[str, dict[str, list[str]]]:
    """Each step's grants beyond its log group and X-Ray, as Pipeline._grant intends them: action → resources."""
    from stacks.pipeline import ANALYSIS_MODEL_ID, EMBEDDING_MODEL_ID

    table = f"<{synth.logical_id(synth.stack.storage.table('Assets'))}.Arn>"
    versions = f"<{synth.logical_id(synth.stack.storage.table('Library'))}.Arn>"  # version records
    objects = f"<{synth.logical_id(synth.stack.storage.media_bucket)}.Arn>/assets/*"
    record = {"dynamodb:GetItem": [table, versions], "dynamodb:PutItem": [table, versions]}
    analysis_models = [
        f"arn:aws:bedrock:<AWS::Region>:<AWS::AccountId>:inference-profile/{ANALYSIS_MODEL_ID}",
        f"arn:aws:bedrock:*::foundation-model/{ANALYSIS_MODEL_ID.split('.', 1)[1]}",
    ]
    return {
        "register": {  # headers only: the checksum is Renditions' (it reads the whole file anyway)
            **record,
            "s3:GetObject": [objects],
            "s3:GetObjectVersion": [objects],  # reads pinned to the checked version
            "s3:DeleteObjectVersion": [objects],  # a version uploaded after the checks is removed
        },
        "renditions": {  # the checked version only; records its checksum and what it duplicates
            **record,
            "dynamodb:Query": [f"{table}/index/by_checksum"],
            "s3:GetObjectVersion": [objects],
            "s3:PutObject": [objects],
        },
        "analyze": {
            "dynamodb:GetItem": [table, versions],
            "s3:GetObjectVersion": [objects],
            "bedrock:InvokeModel": analysis_models,
        },
        "embed": {  # no object access at all
            "dynamodb:GetItem": [table, versions],
            "bedrock:InvokeModel": [f"arn:aws:bedrock:<AWS::Region>::foundation-model/{EMBEDDING_MODEL_ID}"],
        },
        "finalize": record,
        # Events it kept failing on (invoked by EventBridge, asynchronously) go to the run-end dead letters.
        "record_failure": {
            **record,
            "sqs:SendMessage": [f"<{synth.logical_id(synth.stack.pipeline.node.find_child('RunEndDeadLetters'))}.Arn>"],
        },
    }


def test_the_pipeline_has_the_six_steps(synth: Synth, states: dict[str, dict[str, Any]]) -> None:
    assert set(synth.stack.pipeline.steps) == set(STEP_NAMES) == set(_grants(synth))
    tasks = [state for state in states.values() if state["Type"] == "Task"]
    assert sorted(_task_step(task) for task in tasks) == sorted(STEP_NAMES), "each step is one task"


def test_uploads_reach_the_dispatcher_through_the_queue(synth: Synth) -> None:
    queue = arn_of(synth.logical_id(synth.stack.ingest.queue))
    _, notifications = synth.one("Custom::S3BucketNotifications")
    assert notifications["Properties"]["BucketName"] == {"Ref": synth.logical_id(synth.stack.storage.media_bucket)}
    targets = notifications["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    assert [target["QueueArn"] for target in targets] == [queue, queue]  # originals, then import archives
    dispatcher = synth.event_source_mapping(queue)["FunctionName"]["Ref"]
    assert synth.path(dispatcher) == f"{synth.stack.stack_name}/Ingest/Handler/Function/Resource"


@pytest.mark.parametrize("name", ["ingest", "api"])
def test_the_dispatcher_and_the_api_may_start_this_state_machine_only(synth: Synth, name: str) -> None:
    handler = {"ingest": synth.stack.ingest.handler, "api": synth.stack.api.handler}[name]
    state_machine = {"Ref": synth.logical_id(synth.stack.pipeline.state_machine)}
    statements = synth.role_statements(handler.role)
    starts = [s for s in statements if any(action.startswith("states:") for action in actions(s))]
    assert [(actions(s), resources(s), s.get("Condition")) for s in starts] == [
        (["states:StartExecution"], [state_machine], None)
    ]
    assert synth.properties(handler.function)["Environment"]["Variables"]["DAM_STATE_MACHINE_ARN"] == state_machine


def test_state_machine_is_standard_logged_without_payloads_and_traced(synth: Synth) -> None:
    props = _state_machine(synth)
    assert props["StateMachineType"] == "STANDARD"  # idempotent execution names, full history
    logging = props["LoggingConfiguration"]
    assert logging["Level"] == "ALL"
    assert logging["IncludeExecutionData"] is False  # asset names and prompts stay out of the logs
    log_group = arn_of(synth.logical_id(synth.stack.pipeline.log_group))
    assert logging["Destinations"] == [{"CloudWatchLogsLogGroup": {"LogGroupArn": log_group}}]
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert synth.properties(synth.stack.pipeline.log_group)["RetentionInDays"] > 0


def test_state_machine_logs_to_a_vended_logs_group_unique_to_the_stack(synth: Synth) -> None:
    # Step Functions adds every log group outside /aws/vendedlogs/ to the account's one CloudWatch Logs resource
    # policy (5,120 characters): "Avoiding CloudWatch Logs resource policy size restrictions", Step Functions guide.
    name = synth.properties(synth.stack.pipeline.log_group)["LogGroupName"]
    (separator, parts) = name["Fn::Join"]
    assert separator == ""
    assert parts[0] == "/aws/vendedlogs/states/dam-dev-pipeline-"
    # The stack id's UUID: a retained group of a deleted stack never collides with the next stack's.
    assert parts[1] == {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}


def test_state_machine_role_invokes_the_six_step_functions_only(synth: Synth) -> None:
    statements = synth.role_statements(synth.stack.pipeline.state_machine.role)
    assert all(statement["Effect"] == "Allow" and "Condition" not in statement for statement in statements)
    invoked = sorted(
        flatten(resource)
        for statement in statements
        if actions(statement) == ["lambda:InvokeFunction"]
        for resource in resources(statement)
    )
    functions = [f"<{synth.logical_id(step.function)}.Arn>" for step in synth.stack.pipeline.steps.values()]
    assert invoked == sorted([*functions, *(f"{arn}:*" for arn in functions)])  # a function and its versions
    # All else is what logging and tracing need, on "*" (the acknowledged IAM5 finding): nothing more.
    rest = [statement for statement in statements if actions(statement) != ["lambda:InvokeFunction"]]
    assert all(resources(statement) == ["*"] for statement in rest)
    assert sorted(action for statement in rest for action in actions(statement)) == sorted(LOG_DELIVERY_AND_TRACING)


def test_runs_start_by_choosing_full_processing_or_analysis_only(definition: dict[str, Any]) -> None:
    assert definition["StartAt"] == "Mode?"
    mode = definition["States"]["Mode?"]
    assert mode["Type"] == "Choice"
    # Re-analysis keeps the renditions it has: it starts at Analyze, which reads the asset's own preview.
    assert mode["Choices"] == [{"Variable": "$.mode", "StringEquals": "analyze", "Next": "Analyze"}]
    assert mode["Default"] == "Register"
    assert definition["TimeoutSeconds"] > 0


def test_a_full_run_is_register_renditions_analyze_embed_finalize_in_sequence(
    states: dict[str, dict[str, Any]],
) -> None:
    # In sequence, each result under its own path: Analyze reads the preview Renditions wrote ($.made), so
    # the original is downloaded once, and Finalize gets both Renditions' and Embed's results.
    chain = [("Register", "$.register"), ("Renditions", "$.made"), ("Analyze", "$.analyzed"), ("Embed", "$.analyzed")]
    for (name, result_path), (after, _) in zip(chain, [*chain[1:], ("Finalize", "")], strict=True):
        assert (states[name]["Type"], states[name]["Next"], states[name]["ResultPath"]) == ("Task", after, result_path)
    assert not [state for state in states.values() if state["Type"] == "Parallel"]
    assert states["Finalize"]["End"] is True


def test_failures_are_recorded_and_a_failed_analysis_keeps_the_renditions(states: dict[str, dict[str, Any]]) -> None:
    for name in ("Register", "Renditions", "Finalize"):
        assert states[name]["Catch"] == TO_RECORD_FAILURE, name
    for name in ("Analyze", "Embed"):
        assert states[name]["Catch"] == TO_ANALYSIS_FAILED, name
    # The failed analysis takes Embed's place, so Finalize still gets the renditions.
    failed = states["AnalysisFailed"]
    assert (failed["Type"], failed["Next"], failed["ResultPath"]) == ("Pass", "Finalize", "$.analyzed")
    assert states["RecordFailure"]["Next"] == "FailedOrRejected?"


@pytest.mark.parametrize("name", ["Analyze", "Embed"])
def test_analysis_retries_throttling_with_capped_exponential_backoff(
    states: dict[str, dict[str, Any]], name: str
) -> None:
    (throttled,) = [retry for retry in states[name]["Retry"] if "Throttled" in retry["ErrorEquals"]]
    assert throttled["ErrorEquals"] == ["Throttled"]
    assert throttled["BackoffRate"] == 2
    assert throttled["MaxAttempts"] >= 3
    assert 0 < throttled["IntervalSeconds"] < throttled["MaxDelaySeconds"]


def test_every_lambda_task_retries_lambda_service_errors(states: dict[str, dict[str, Any]]) -> None:
    tasks = {name: state for name, state in states.items() if state["Type"] == "Task"}
    for name, task in tasks.items():
        assert any(set(retry["ErrorEquals"]) >= LAMBDA_SERVICE_ERRORS for retry in task["Retry"]), name
        # Only named errors: a bug must not be retried as if it were transient.
        assert not [retry for retry in task["Retry"] if "States.ALL" in retry["ErrorEquals"]], name


@pytest.mark.parametrize("step", STEP_NAMES)
def test_each_step_role_allows_exactly_its_actions(synth: Synth, step: str) -> None:
    function = synth.stack.pipeline.steps[step]
    statements = synth.role_statements(function.role)
    assert all(statement["Effect"] == "Allow" and "Condition" not in statement for statement in statements)
    granted: dict[str, list[str]] = {}
    for statement in statements:
        for action in actions(statement):
            granted.setdefault(action, []).extend(flatten(resource) for resource in resources(statement))
    log_group = f"<{synth.logical_id(function.log_group)}.Arn>"
    own = {action: [log_group] if action.startswith("logs:") else ["*"] for action in LOGS_AND_TRACING}
    expected = {**own, **_grants(synth)[step]}
    assert {action: sorted(found) for action, found in granted.items()} == {
        action: sorted(found) for action, found in expected.items()
    }, "no duplicates, nothing missing, nothing extra"


@pytest.mark.parametrize("step", STEP_NAMES)
def test_each_step_function_is_sized_for_its_work(synth: Synth, step: str) -> None:
    from stacks.pipeline import STEPS

    props = _step_function(synth, step)
    sizing = STEPS[step]
    assert (props["Runtime"], props["Architectures"], props["Handler"]) == ("python3.12", ["arm64"], f"handlers.{step}")
    assert props["MemorySize"] == sizing.memory_mb
    assert props["Timeout"] == sizing.timeout.to_seconds()
    assert props["EphemeralStorage"] == {"Size": sizing.ephemeral_storage_mb}
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == "dam-pipeline"


def test_renditions_get_the_memory_and_disk_of_large_originals(synth: Synth) -> None:
    props = _step_function(synth, "renditions")
    assert props["MemorySize"] >= 3008  # CPU scales with memory: decoding a 6000×4000 original is CPU-bound
    assert props["EphemeralStorage"] == {"Size": 10240}  # the original (up to 5 GB) is read from /tmp
    # Register reads the headers with ranged GETs: nothing of the original lands on its disk.
    assert _step_function(synth, "register")["EphemeralStorage"] == {"Size": 512}


@pytest.mark.parametrize("step", STEP_NAMES)
def test_only_the_decoding_steps_get_the_media_layer(synth: Synth, step: str) -> None:
    layers = synth.stack.layers
    expected = [layers.dependencies, layers.media, layers.library] if step in MEDIA_STEPS else layers.all
    assert _step_function(synth, step)["Layers"] == [{"Ref": synth.logical_id(layer)} for layer in expected]


def test_failed_runs_raise_an_alarm(synth: Synth) -> None:
    state_machine = {"Ref": synth.logical_id(synth.stack.pipeline.state_machine)}
    alarms = [
        alarm["Properties"]
        for alarm in synth.of_type("AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("Namespace") == "AWS/States"
    ]
    assert [(a["MetricName"], a["Dimensions"], a["Threshold"]) for a in alarms] == [
        ("ExecutionsFailed", [{"Name": "StateMachineArn", "Value": state_machine}], 1)
    ]


def test_runs_that_end_outside_their_catch_reach_record_failure_through_eventbridge(synth: Synth) -> None:
    """Step Functions sends "Execution Status Change" events to the default bus (with the run's input); a run
    that timed out or was stopped never reached RecordFailure, so the rule hands it over."""
    from dam_local.executions import ENDED
    from stacks.pipeline import RUN_ENDS

    pipeline = synth.stack.pipeline
    rule = synth.properties(pipeline.run_end_rule)
    state_machine = {"Ref": synth.logical_id(pipeline.state_machine)}
    assert rule["State"] == "ENABLED" and "EventBusName" not in rule  # the default bus, where AWS services publish
    assert rule["EventPattern"] == {
        "source": ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        "detail": {"status": ["FAILED", "TIMED_OUT", "ABORTED"], "stateMachineArn": [state_machine]},
    }
    assert set(ENDED) == set(RUN_ENDS)  # the local stack's watcher delivers the same ends
    (target,) = rule["Targets"]
    record_failure = synth.logical_id(pipeline.steps["record_failure"].function)
    dead_letters_id = synth.logical_id(pipeline.node.find_child("RunEndDeadLetters"))
    assert target["Arn"] == arn_of(record_failure)
    assert target["DeadLetterConfig"] == {"Arn": arn_of(dead_letters_id)}  # undeliverable events
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 8, "MaximumEventAgeInSeconds": 6 * 3600}
    # EventBridge may invoke the function, from this rule only.
    permissions = [
        p["Properties"]
        for p in synth.of_type("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "events.amazonaws.com"
    ]
    assert permissions == [
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": arn_of(record_failure),
            "Principal": "events.amazonaws.com",
            "SourceArn": arn_of(synth.logical_id(pipeline.run_end_rule)),
        }
    ]
    # An event the function kept failing on (Lambda's asynchronous retries) lands in the same dead letters.
    (invoke_config,) = synth.of_type("AWS::Lambda::EventInvokeConfig").values()
    assert invoke_config["Properties"]["FunctionName"] == {"Ref": record_failure}
    assert invoke_config["Properties"]["DestinationConfig"] == {"OnFailure": {"Destination": arn_of(dead_letters_id)}}
    assert invoke_config["Properties"]["MaximumRetryAttempts"] == 2
    queue = synth.resources[dead_letters_id]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True and queue["MessageRetentionPeriod"] == 14 * 86400
    # EventBridge may send to the queue for this rule only (TLS only for everyone).
    (queue_policy,) = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in synth.of_type("AWS::SQS::QueuePolicy").values()
        if {"Ref": dead_letters_id} in p["Properties"]["Queues"]
    ]
    (from_events,) = [s for s in queue_policy if s.get("Principal") == {"Service": "events.amazonaws.com"}]
    assert from_events["Action"] == "sqs:SendMessage"
    assert from_events["Condition"] == {"ArnEquals": {"aws:SourceArn": arn_of(synth.logical_id(pipeline.run_end_rule))}}
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in queue_policy
    )


def test_committed_local_definition_is_the_exported_one() -> None:
    from stacks.pipeline import export_local_definition

    assert LOCAL_ASL.read_text() == export_local_definition(), f"{LOCAL_ASL.relative_to(PROJECT_ROOT)}: {REGENERATE}"


def test_the_local_stack_runs_the_machine_cdk_deploys(definition: dict[str, Any]) -> None:
    """Field for field, with only the function ARNs swapped: no state, retry, catch or timeout differs."""
    assert definition == json.loads(LOCAL_ASL.read_text()), (
        f"the synthesized definition differs from {LOCAL_ASL.relative_to(PROJECT_ROOT)}: if the test above "
        f"fails too, {REGENERATE}; else export_local_definition() renders something the stack does not deploy"
    )
