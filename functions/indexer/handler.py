"""Indexer Lambda: the assets table's stream → the search index. Failures are reported per record, so
one bad record is retried (bisected, then parked in the dead-letter queue) without blocking the rest."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

if TYPE_CHECKING:
    from dam.services.indexing import IndexingService

logger = Logger(service="dam-indexer")
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@cache
def indexing_service() -> IndexingService:
    from dam.search_wiring import build_search_index
    from dam.services.indexing import IndexingService
    from dam.settings import IndexerSettings

    index = build_search_index(IndexerSettings.from_environment())
    index.ensure_ready()
    return IndexingService(index)


def record_handler(record: DynamoDBRecord) -> None:
    change: dict[str, Any] = record.raw_event["dynamodb"]
    # The asset and the request that last started work on it, on this record's lines (the stream's images
    # are attribute values: {"S": "…"}).
    image = change.get("NewImage") or change.get("OldImage") or {}
    logger.append_keys(asset_id=_string(image, "asset_id") or _string(change.get("Keys") or {}, "asset_id"))
    logger.set_correlation_id(_string(image, "correlation_id"))
    try:
        outcome = indexing_service().apply(
            record.raw_event["eventName"], change.get("NewImage"), change.get("OldImage")
        )
    except Exception:
        # The reason a record ends in the dead-letter queue (whose message holds only its sequence numbers).
        logger.exception(
            "stream record failed", extra={"keys": change.get("Keys"), "sequence": change.get("SequenceNumber")}
        )
        raise
    logger.info("stream record", extra={"event": record.raw_event.get("eventName"), "outcome": outcome.value})


def _string(image: dict[str, Any], name: str) -> str | None:
    value = image.get(name)
    return value.get("S") if isinstance(value, dict) else None


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
