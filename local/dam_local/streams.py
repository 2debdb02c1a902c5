"""The DynamoDB stream event source mapping, locally: read the table's stream from moto and invoke the
indexer with the event Lambda would send, partial batch failures included.

Lambda hands a stream record over as JSON: binary attributes base64-encoded, the creation time in epoch
seconds. boto3's GetRecords gives bytes and datetimes, so the poller converts them back.
"""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from dam_local.polling import Poller

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient
    from mypy_boto3_dynamodbstreams.literals import ShardIteratorTypeType

logger = logging.getLogger("dam_local.streams")

BATCH_SIZE = 100
# Then the record is dead-lettered with its reason and the shard moves past it, as Lambda does with
# `retry_attempts` + `bisect_batch_on_error` + an on-failure destination: one bad record never stops the stream.
MAX_ATTEMPTS = 5

DeadLetter = Callable[[dict[str, Any]], None]


def as_event_json(value: Any) -> Any:
    """boto3's shapes → the Lambda event's JSON shapes (bytes → base64 text, datetime → epoch)."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, dict):
        return {key: as_event_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_event_json(item) for item in value]
    return value


def stream_record(record: Any, stream_arn: str, region: str) -> dict[str, Any]:
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": as_event_json(record["dynamodb"]),
        "eventSourceARN": stream_arn,
    }


def failed_sequence(result: Any, sequence_numbers: list[str]) -> str | None:
    """The first sequence number to retry from, from a partial batch response; None when all succeeded."""
    if result is None:
        return None
    failures = result.get("batchItemFailures") if isinstance(result, dict) else None
    if failures is None:
        return None
    failed = [item.get("itemIdentifier") for item in failures if isinstance(item, dict)]
    known = [number for number in sequence_numbers if number in failed]
    if failures and not known:  # an invalid response: Lambda retries the whole batch
        return sequence_numbers[0]
    return known[0] if known else None


def dead_letter_message(record: Any, stream_arn: str, attempts: int, reason: str) -> dict[str, Any]:
    """What Lambda sends a stream source's on-failure destination, with the reason the indexer gave."""
    sequence = record["dynamodb"]["SequenceNumber"]
    return {
        "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": attempts},
        "responseContext": {"functionError": reason},
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(),
        "DDBStreamBatchInfo": {
            "startSequenceNumber": sequence,
            "endSequenceNumber": sequence,
            "batchSize": 1,
            "streamArn": stream_arn,
        },
        "keys": as_event_json(record["dynamodb"].get("Keys", {})),
        "eventName": record["eventName"],
    }


class StreamPoller(Poller):
    def __init__(
        self,
        streams: DynamoDBStreamsClient,
        stream_arn: str,
        region: str,
        invoke: Callable[[dict[str, Any]], Any],
        *,
        name: str = "stream-poller",
        dead_letter: DeadLetter | None = None,
    ) -> None:
        super().__init__(name, stop_timeout=10)
        self._streams = streams
        self.stream_arn = stream_arn
        self.region = region
        self._invoke = invoke
        self._dead_letter = dead_letter
        self._iterators: dict[str, str] = {}  # shard → next iterator
        self._attempts: dict[str, int] = {}  # sequence number → failed deliveries
        self._isolating: set[str] = set()  # shards read one record at a time after a failed batch
        self.caught_up = threading.Event()  # set once a poll finds nothing new: the index has the whole table

    def status(self) -> str:
        backlog = f"shards={len(self._iterators)} isolating={len(self._isolating)} retrying={len(self._attempts)}"
        return f"{super().status()} {backlog}"

    def poll_once(self) -> int:
        self._discover_shards()
        delivered = 0
        for shard_id, iterator in list(self._iterators.items()):
            limit = 1 if shard_id in self._isolating else BATCH_SIZE
            page = self._streams.get_records(ShardIterator=iterator, Limit=limit)
            records = page.get("Records", [])
            next_iterator = page.get("NextShardIterator")
            if records:
                retry_from, moved_past = self._deliver(records)
                if retry_from is not None:
                    self._isolating.add(shard_id)  # the failing record is found alone (Lambda bisects)
                    next_iterator = self._iterator(shard_id, "AT_SEQUENCE_NUMBER", retry_from)
                elif moved_past is not None:
                    next_iterator = self._iterator(shard_id, "AFTER_SEQUENCE_NUMBER", moved_past)
                else:
                    self._isolating.discard(shard_id)
                delivered += len(records)
            if next_iterator:
                self._iterators[shard_id] = next_iterator
            else:
                del self._iterators[shard_id]  # a closed shard
        if not delivered:
            self.caught_up.set()
        return delivered

    def skip_to_latest(self) -> None:
        """Start the shards that exist now at their end: what they hold is not delivered (shards that appear
        later are read from their beginning)."""
        description = self._streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            self._iterators[shard["ShardId"]] = self._iterator(shard["ShardId"], "LATEST")

    def _discover_shards(self) -> None:
        description = self._streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                # From the beginning: what was written before the poller started is indexed too.
                self._iterators[shard_id] = self._iterator(shard_id, "TRIM_HORIZON")

    def _iterator(self, shard_id: str, kind: ShardIteratorTypeType, sequence_number: str | None = None) -> str:
        extra = {"SequenceNumber": sequence_number} if sequence_number else {}
        return self._streams.get_shard_iterator(
            StreamArn=self.stream_arn,
            ShardId=shard_id,
            ShardIteratorType=kind,
            **extra,
        )["ShardIterator"]

    def _deliver(self, records: list[Any]) -> tuple[str | None, str | None]:
        """(sequence to retry from, None), or (None, sequence of a dead-lettered record to move past)."""
        event = {"Records": [stream_record(record, self.stream_arn, self.region) for record in records]}
        numbers = [record["dynamodb"]["SequenceNumber"] for record in records]
        try:
            result = self._invoke(event)
            retry_from = failed_sequence(result, numbers)
            reason = "the indexer reported the record as failed (its log says why)"
        except Exception as error:
            logger.exception("the indexer failed on a batch of %d", len(records))
            retry_from, reason = numbers[0], f"{type(error).__name__}: {error}"
        if retry_from is None:
            for number in numbers:
                self._attempts.pop(number, None)
            return None, None
        attempts = self._attempts[retry_from] = self._attempts.get(retry_from, 0) + 1
        if attempts < MAX_ATTEMPTS:
            self._stop.wait(min(2**attempts * 0.1, 2))
            return retry_from, None
        del self._attempts[retry_from]
        record = records[numbers.index(retry_from)]
        logger.error("dead-lettering stream record %s after %d attempts: %s", retry_from, attempts, reason)
        if self._dead_letter is not None:
            self._dead_letter(dead_letter_message(record, self.stream_arn, attempts, reason))
        return None, retry_from
