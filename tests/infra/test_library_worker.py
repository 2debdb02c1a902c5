"""Big library deletes and the trash's expiry: the cleanup queue (+ DLQ) → the library worker, and the
schedule that sends the sweep, as the template deploys them."""

from __future__ import annotations

import json
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
    index = lambda table, name: {"Fn::Join": ["", [table, f"/index/{name}"]]}  # noqa: E731
    assert dynamodb == {
        "dynamodb:GetItem": [assets],
        "dynamodb:PutItem": [assets],
        "dynamodb:UpdateItem": [assets, library],  # library: the deleter's stamp before a batch delete
        "dynamodb:DeleteItem": [assets, library],
        "dynamodb:Query": [
            index(assets, "by_folder"),
            index(assets, "by_run"),
            library,
            index(library, "gsi1"),
            index(library, "gsi2"),
        ],
        "dynamodb:BatchWriteItem": [library],
    }
    # A purge deletes the expired asset's objects (every version) under the assets prefix, and nothing else.
    s3 = {a: r for a, r in granted.items() if a.startswith("s3:")}
    bucket = arn_of(synth.logical_id(storage.media_bucket))
    objects = {"Fn::Join": ["", [bucket, "/assets/*"]]}
    assert s3 == {
        "s3:DeleteObjectVersion": [objects],
        "s3:AbortMultipartUpload": [objects],
        "s3:ListBucketVersions": [bucket],
    }
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


def test_an_hourly_schedule_sends_the_trash_sweep_to_the_worker_with_a_dead_letter_queue(synth: Synth) -> None:
    worker = synth.stack.library_worker
    rule = synth.properties(worker.sweep_schedule)
    assert rule["ScheduleExpression"] == "rate(1 hour)" and rule["State"] == "ENABLED"
    (target,) = rule["Targets"]
    assert target["Arn"] == arn_of(synth.logical_id(worker.queue))
    assert json.loads(target["Input"]) == {"sweep": "trash"}  # what dam.adapters.sqs.read_message takes as a sweep
    assert target["DeadLetterConfig"]["Arn"] == arn_of(synth.logical_id(worker.dead_letters))
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 5
    # EventBridge may send to the queue (and its dead letters), only from this rule.
    own = [[ref(synth.logical_id(q))] for q in (worker.queue, worker.dead_letters)]
    policies = [
        p["Properties"] for p in synth.of_type("AWS::SQS::QueuePolicy").values() if p["Properties"]["Queues"] in own
    ]
    senders = [
        (statement["Condition"], policy["Queues"])
        for policy in policies
        for statement in policy["PolicyDocument"]["Statement"]
        if statement.get("Principal") == {"Service": "events.amazonaws.com"}
    ]
    rule_arn = {"ArnEquals": {"aws:SourceArn": arn_of(synth.logical_id(worker.sweep_schedule))}}
    assert sorted(str(q) for _, q in senders) == sorted(
        str([ref(synth.logical_id(q))]) for q in (worker.queue, worker.dead_letters)
    )
    assert all(condition == rule_arn for condition, _ in senders)


def test_the_worker_knows_the_media_bucket_and_the_api_the_trash_period(synth: Synth) -> None:
    worker, api = synth.stack.library_worker, synth.stack.api
    env = synth.properties(worker.handler.function)["Environment"]["Variables"]
    assert env["DAM_MEDIA_BUCKET"] == ref(synth.logical_id(synth.stack.storage.media_bucket))
    assert synth.properties(api.handler.function)["Environment"]["Variables"]["DAM_TRASH_DAYS"] == "30"
