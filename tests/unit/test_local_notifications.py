"""The local SQS event source: real-shaped events, and Lambda's partial-batch deletion rules."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dam_local.notifications import SqsPoller, failed_message_ids, sqs_record

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:dam-local-uploads"
S3_BODY = json.dumps(
    {"Records": [{"eventName": "ObjectCreated:Post", "s3": {"object": {"key": "assets%2Fws%2Fa%2Foriginal"}}}]}
)


def _message(message_id: str, body: str = S3_BODY) -> dict[str, Any]:
    return {
        "MessageId": message_id,
        "ReceiptHandle": f"handle-{message_id}",
        "MD5OfBody": "0" * 32,
        "Body": body,
        "Attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1763806531600"},
        "MessageAttributes": {"trace": {"StringValue": "abc", "DataType": "String"}},
    }


class FakeSqs:
    def __init__(self) -> None:
        self.deleted: list[str] = []

    def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> None:  # noqa: N803
        self.deleted += [entry["ReceiptHandle"] for entry in Entries]


def _poller(sqs: FakeSqs, invoke: Any) -> SqsPoller:
    return SqsPoller(sqs, "http://moto/queue", QUEUE_ARN, "us-east-1", invoke)  # type: ignore[arg-type]


def test_a_record_has_the_lambda_sqs_event_shape() -> None:
    record = sqs_record(_message("m1"), QUEUE_ARN, "us-east-1")  # type: ignore[arg-type]
    assert record == {
        "messageId": "m1",
        "receiptHandle": "handle-m1",
        "body": S3_BODY,  # untouched: the key stays URL-encoded, as S3 sends it
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1763806531600"},
        "messageAttributes": {
            "trace": {
                "stringValue": "abc",
                "binaryValue": None,
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "String",
            }
        },
        "md5OfBody": "0" * 32,
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": "us-east-1",
    }


@pytest.mark.parametrize(
    ("result", "failed"),
    [
        ({"batchItemFailures": []}, set()),
        (None, set()),
        ({"batchItemFailures": [{"itemIdentifier": "b"}]}, {"b"}),
        ({"batchItemFailures": [{"itemIdentifier": "unknown"}]}, {"a", "b"}),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, {"a", "b"}),
        ({"batchItemFailures": [{}]}, {"a", "b"}),
        ("not a response", {"a", "b"}),
    ],
)
def test_which_messages_stay_in_the_queue(result: Any, failed: set[str]) -> None:
    assert failed_message_ids(result, {"a", "b"}) == failed


def test_reported_failures_stay_and_the_rest_are_deleted() -> None:
    sqs = FakeSqs()
    events: list[dict[str, Any]] = []

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        events.append(event)
        return {"batchItemFailures": [{"itemIdentifier": "m2"}]}

    _poller(sqs, invoke).deliver([_message("m1"), _message("m2"), _message("m3")])  # type: ignore[list-item]
    assert [record["messageId"] for record in events[0]["Records"]] == ["m1", "m2", "m3"]
    assert sqs.deleted == ["handle-m1", "handle-m3"]


def test_a_function_error_keeps_the_whole_batch() -> None:
    sqs = FakeSqs()

    def invoke(event: dict[str, Any]) -> None:
        raise RuntimeError("boom")

    _poller(sqs, invoke).deliver([_message("m1"), _message("m2")])  # type: ignore[list-item]
    assert sqs.deleted == []


def test_the_s3_test_event_reaches_the_function_without_crashing_the_poller() -> None:
    sqs = FakeSqs()
    body = json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "dam-local-media"})
    _poller(sqs, lambda event: {"batchItemFailures": []}).deliver([_message("t", body)])  # type: ignore[list-item]
    assert sqs.deleted == ["handle-t"]
