"""Big library deletes: the cleanup queue (+ DLQ) → the library worker, as the template deploys them."""

from __future__ import annotations

from typing import Any

from tests.infra.synth import INFRA_MARKS, Synth, actions, arn_of, ref, resources

pytestmark = INFRA_MARKS


def test_the_worker_consumes_the_queue_reporting_partial_batch_failures(synth: Synth) -> None:
    worker = synth.stack.library_worker
    props = synth.event_source_mapping(arn_of(synth.logical_id(worker.queue)))
    assert props["FunctionName"] == ref(synth.logical_id(worker.handler.function))
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    function = synth.properties(worker.handler.function)
    assert function["Handler"] == "handler.handler" and function["Runtime"] == "python3.12"
    env = function["Environment"]["Variables"]
    assert env["DAM_LIBRARY_QUEUE_URL"] == ref(synth.logical_id(worker.queue))
    assert {"DAM_ASSETS_TABLE", "DAM_LIBRARY_TABLE"} <= set(env)


def test_the_worker_may_touch_the_tables_and_its_own_queue_only(synth: Synth) -> None:
    worker = synth.stack.library_worker
    storage = synth.stack.storage
    assets = arn_of(synth.logical_id(storage.table("Assets")))
    library = arn_of(synth.logical_id(storage.table("Library")))
    queue = arn_of(synth.logical_id(worker.queue))
    granted: dict[str, list[Any]] = {}
    for statement in synth.role_statements(worker.handler.role):
        assert statement["Effect"] == "Allow"
        for action in actions(statement):
            granted.setdefault(action, []).extend(resources(statement))
    dynamodb = {a: r for a, r in granted.items() if a.startswith("dynamodb:")}
    assert dynamodb == {
        "dynamodb:GetItem": [assets],
        "dynamodb:PutItem": [assets],
        "dynamodb:UpdateItem": [assets, library],  # library: the deleter's stamp before a batch delete
        "dynamodb:Query": [{"Fn::Join": ["", [assets, "/index/by_folder"]]}, library],
        "dynamodb:BatchWriteItem": [library],
    }
    assert not any(a.startswith("s3:") for a in granted)
    assert all(r and all(x == queue for x in r) for a, r in granted.items() if a.startswith("sqs:"))
    assert "sqs:SendMessage" in granted  # the rest of a big job, as a new message
    assert not any(a == "*" or a.endswith(":*") for a in granted)


def test_the_api_queues_big_deletes_on_the_cleanup_queue(synth: Synth) -> None:
    worker, api = synth.stack.library_worker, synth.stack.api
    env = synth.properties(api.handler.function)["Environment"]["Variables"]
    assert env["DAM_LIBRARY_QUEUE_URL"] == ref(synth.logical_id(worker.queue))
    sends = [s for s in synth.role_statements(api.handler.role) if "sqs:SendMessage" in actions(s)]
    assert [resources(s) for s in sends] == [[arn_of(synth.logical_id(worker.queue))]]


def test_a_dead_lettered_cleanup_raises_an_alarm(synth: Synth) -> None:
    dlq = synth.stack.library_worker.dead_letters
    watching = [
        a["Properties"]
        for a in synth.of_type("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("Dimensions")
        == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [synth.logical_id(dlq), "QueueName"]}}]
    ]
    assert len(watching) == 1
    (alarm,) = watching
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
