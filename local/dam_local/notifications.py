"""The SQS event source mapping, locally: long-poll the upload queue, invoke the ingest function.

It behaves like Lambda's poller with `ReportBatchItemFailures` on: messages go to the function as a
real-shaped SQS event (up to 10 a batch); the ones the function does not list in
`batchItemFailures` are deleted; the listed ones stay and come back after the visibility timeout,
until the queue's redrive policy moves them to the DLQ (moto does that part). A function error, or a
response naming a message that was not in the batch, fails the whole batch, as on AWS.

Bodies are passed through untouched: S3 URL-encodes object keys in its notifications (moto too), and
it sends an `s3:TestEvent` when notifications are configured; both are the function's to handle.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dam_local.polling import Poller

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

logger = logging.getLogger("dam_local.notifications")

BATCH_SIZE = 10


def _message_attribute(attribute: Any) -> dict[str, Any]:
    """SQS API's `StringValue`/`DataType` → the event's camel-case `stringValue`/`dataType`."""
    return {
        "stringValue": attribute.get("StringValue"),
        "binaryValue": attribute.get("BinaryValue"),
        "stringListValues": attribute.get("StringListValues", []),
        "binaryListValues": attribute.get("BinaryListValues", []),
        "dataType": attribute.get("DataType", "String"),
    }


def sqs_record(message: MessageTypeDef, queue_arn: str, region: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: _message_attribute(value) for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def failed_message_ids(result: Any, batch_ids: set[str]) -> set[str]:
    """The messages to keep, from a partial batch response; every one if the response is invalid."""
    if result is None:
        return set()
    if not isinstance(result, dict):
        return set(batch_ids)
    failures = result.get("batchItemFailures") or []
    failed = {item.get("itemIdentifier") if isinstance(item, dict) else None for item in failures}
    if not failed <= batch_ids:  # null, empty or unknown ids: Lambda retries the whole batch
        logger.error("invalid batchItemFailures %r: the whole batch is retried", failures)
        return set(batch_ids)
    return {str(message_id) for message_id in failed}


class SqsPoller(Poller):
    idle_seconds = 0  # receive_message long-polls already

    def __init__(
        self,
        sqs: SQSClient,
        queue_url: str,
        queue_arn: str,
        region: str,
        invoke: Callable[[dict[str, Any]], Any],
        *,
        name: str = "sqs-poller",
        wait_seconds: int = 1,  # short long-polls so stop() returns quickly; moto answers on arrival
    ) -> None:
        super().__init__(name, stop_timeout=wait_seconds + 10)
        self._sqs = sqs
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.region = region
        self._invoke = invoke
        self._wait_seconds = wait_seconds

    def poll_once(self) -> int:
        """Receive one batch and hand it to the function. Returns how many messages it received."""
        received = self._sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=BATCH_SIZE,
            WaitTimeSeconds=self._wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = received.get("Messages", [])
        if messages:
            self.deliver(messages)
        return len(messages)

    def deliver(self, messages: list[MessageTypeDef]) -> None:
        event = {"Records": [sqs_record(message, self.queue_arn, self.region) for message in messages]}
        batch_ids = {message["MessageId"] for message in messages}
        try:
            failed = failed_message_ids(self._invoke(event), batch_ids)
        except Exception:
            logger.exception("the function failed on a batch of %d: it comes back later", len(messages))
            return
        done = [m for m in messages if m["MessageId"] not in failed]
        if failed:
            logger.warning("%d of %d messages failed: they come back later", len(failed), len(messages))
        if done:
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)]
            self._sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)  # type: ignore[arg-type]
