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

    index = build_search_index(IndexerSettings())
    index.ensure_ready()
    return IndexingService(index)


def record_handler(record: DynamoDBRecord) -> None:
    change: dict[str, Any] = record.raw_event["dynamodb"]
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
    logger.debug("stream record", extra={"keys": change.get("Keys"), "outcome": outcome.value})


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
