"""Audit Lambda: the Assets and Library tables' streams → the audit log. Every change to those tables passes
through here, whichever function made it, so nothing changes without an event. Failures are reported per
record: one record that cannot be read is retried (bisected, then parked in the dead-letter queue) while
the rest of the batch is written."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

if TYPE_CHECKING:
    from dam.services.audit import AuditService

logger = Logger(service="dam-audit")
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@cache
def audit() -> tuple[AuditService, dict[str, str]]:
    """The service, and the logical name of each table whose stream may arrive here."""
    from dam.adapters.dynamodb.audit import AuditRepository
    from dam.adapters.dynamodb.models import bind_tables
    from dam.services.audit import AuditService
    from dam.settings import AuditSettings

    settings = AuditSettings.from_environment()
    tables = {"Assets": settings.assets_table, "Library": settings.library_table, "Audit": settings.audit_table}
    bind_tables(tables, region=settings.region, endpoint_url=settings.endpoint_url)
    return AuditService(AuditRepository(), settings.audit_retention_days), {name: lo for lo, name in tables.items()}


def record_handler(record: DynamoDBRecord) -> None:
    from dam.adapters.dynamodb.audit import change_from_stream_record

    service, tables = audit()
    raw = record.raw_event
    try:
        change = change_from_stream_record(raw, tables)
        event = service.record(change, str(raw["dynamodb"]["SequenceNumber"])) if change else None
    except Exception:
        # The reason a record ends in the dead-letter queue (whose message holds only its sequence numbers).
        logger.exception(
            "stream record failed",
            extra={"keys": raw.get("dynamodb", {}).get("Keys"), "source": raw.get("eventSourceARN")},
        )
        raise
    logger.debug("stream record", extra={"event": raw.get("eventName"), "audited": event is not None})


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
