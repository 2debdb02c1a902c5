"""Library worker Lambda: the library's background work, from one queue.

- a deleted folder's, brand's or collection's assets updated, a chunk a message; a chunk that leaves more
  queues the rest as a new message;
- the trash's expiry: a sweep (`{"sweep": "trash"}`, sent by an EventBridge schedule on AWS and by the
  local stack's timer) queues a purge per expired asset, and a purge removes that asset for good.

Each message is idempotent (a cleanup names the owner, not a position; a purge re-checks the asset's
expiry and is conditional on its version), and failures are reported per message (partial batch
response), so a bad message is retried alone and lands in the dead-letter queue after its retries
instead of blocking the others.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from dam.adapters.sqs import read_message
from dam.domain.trash import TrashPurge, TrashSweep

if TYPE_CHECKING:
    from dam.adapters.sqs import SqsCleanupQueue
    from dam.services.library import CleanupService
    from dam.services.trash import TrashService
    from dam.settings import LibraryWorkerSettings

logger = Logger(service="dam-library-worker")
processor = BatchProcessor(event_type=EventType.SQS)


def _settings_and_queue() -> tuple[LibraryWorkerSettings, SqsCleanupQueue]:
    from dam.adapters.dynamodb.models import bind_tables
    from dam.adapters.sqs import SqsCleanupQueue, sqs_client
    from dam.settings import LibraryWorkerSettings

    settings = LibraryWorkerSettings.from_environment()
    bind_tables(
        {"Assets": settings.assets_table, "Library": settings.library_table},
        region=settings.region,
        endpoint_url=settings.endpoint_url,
    )
    return settings, SqsCleanupQueue(sqs_client(settings.region, settings.endpoint_url), settings.library_queue_url)


@cache
def cleanup_service() -> CleanupService:
    from dam.adapters.dynamodb.assets import AssetRepository
    from dam.adapters.dynamodb.library import LibraryRepository
    from dam.services.library import CleanupService

    _, queue = _settings_and_queue()
    return CleanupService(AssetRepository(), LibraryRepository(), queue)


@cache
def trash_service() -> TrashService:
    from dam.adapters.dynamodb.assets import AssetRepository
    from dam.adapters.dynamodb.library import LibraryRepository
    from dam.adapters.dynamodb.trash import TrashRepository
    from dam.adapters.s3.storage import ObjectStorage, s3_client
    from dam.services.assets import AssetService, UploadLimits
    from dam.services.trash import TrashService

    settings, queue = _settings_and_queue()
    if settings.media_bucket is None:
        raise RuntimeError("the trash's expiry deletes files: set DAM_MEDIA_BUCKET")
    assets, library = AssetRepository(), LibraryRepository()
    storage = ObjectStorage(s3_client(settings.region, settings.endpoint_url), settings.media_bucket)
    # A purge only deletes: the upload limits are never consulted here.
    erasing = AssetService(assets, storage, UploadLimits(max_upload_bytes=1), library=library)
    return TrashService(erasing, assets, TrashRepository(), library, queue=queue)


def record_handler(record: SQSRecord) -> None:
    message = read_message(record.body)
    if isinstance(message, TrashSweep):
        found = trash_service().sweep(message)
        logger.info("trash sweep", extra={"expired": found})
    elif isinstance(message, TrashPurge):
        removed = trash_service().purge(message)
        logger.info("trash purge", extra={"asset_id": message.purge, "removed": removed})
    else:
        more = cleanup_service().continue_cleanup(message)
        logger.info("cleanup step", extra={**message.model_dump(mode="json"), "more": more})


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
