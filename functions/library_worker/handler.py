"""Library worker Lambda: the cleanup queue → a deleted folder's, brand's or collection's assets updated,
a chunk a message; a chunk that leaves more queues the rest as a new message.

Each message is idempotent (it names the owner, not a position: a redelivery finds what is left), and
failures are reported per message (partial batch response), so a bad message is retried alone and lands
in the dead-letter queue after its retries instead of blocking the others.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from dam.adapters.sqs import read_cleanup

if TYPE_CHECKING:
    from dam.services.library import CleanupService

logger = Logger(service="dam-library-worker")
processor = BatchProcessor(event_type=EventType.SQS)


@cache
def cleanup_service() -> CleanupService:
    from dam.adapters.dynamodb.assets import AssetRepository
    from dam.adapters.dynamodb.library import LibraryRepository
    from dam.adapters.dynamodb.models import bind_tables
    from dam.adapters.sqs import SqsCleanupQueue, sqs_client
    from dam.services.library import CleanupService
    from dam.settings import LibraryWorkerSettings

    settings = LibraryWorkerSettings()  # values come from the environment
    bind_tables(
        {"Assets": settings.assets_table, "Library": settings.library_table},
        region=settings.region,
        endpoint_url=settings.endpoint_url,
    )
    queue = SqsCleanupQueue(sqs_client(settings.region, settings.endpoint_url), settings.library_queue_url)
    return CleanupService(AssetRepository(), LibraryRepository(), queue)


def record_handler(record: SQSRecord) -> None:
    cleanup = read_cleanup(record.body)
    more = cleanup_service().continue_cleanup(cleanup)
    logger.info("cleanup step", extra={**cleanup.model_dump(mode="json"), "more": more})


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
