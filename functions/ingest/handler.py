"""Ingest Lambda (the dispatcher): S3 upload notifications from SQS → the asset moves to `uploaded` and its
processing run starts, named after the object so a replayed notification never starts a second run.
A bulk import's archive (`imports/…/archive.zip`) is routed by its prefix to its extraction instead.

Failures are reported per message (partial batch response), so one bad message is retried alone and
lands in the dead-letter queue after its retries instead of blocking the batch.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from dam.domain.imports import IMPORTS_PREFIX
from dam.domain.versions import parse_version_key
from dam.ingest import objects_created
from dam.observability import correlation_id, use_correlation_id
from dam.services.ingest import IngestService

if TYPE_CHECKING:
    from dam.services.imports import ImportService

logger = Logger(service="dam-ingest")
processor = BatchProcessor(event_type=EventType.SQS)


@cache
def ingest_service() -> IngestService:
    from dam.adapters.dynamodb.assets import AssetRepository
    from dam.adapters.dynamodb.models import bind_tables
    from dam.settings import IngestSettings

    settings = IngestSettings.from_environment()
    tables = {"Assets": settings.assets_table} | ({"Library": settings.library_table} if settings.library_table else {})
    bind_tables(tables, region=settings.region, endpoint_url=settings.endpoint_url)
    workflow = None
    if settings.state_machine_arn:
        from dam.adapters.stepfunctions import StepFunctionsStarter, sfn_client

        workflow = StepFunctionsStarter(sfn_client(settings.region, settings.endpoint_url), settings.state_machine_arn)
    versions = None
    if settings.library_table:
        from dam.adapters.dynamodb.versions import VersionRepository

        versions = VersionRepository()
    return IngestService(AssetRepository(), workflow, versions=versions)


@cache
def import_service() -> ImportService:
    from dam.adapters.dynamodb.assets import AssetRepository
    from dam.adapters.dynamodb.imports import ImportRepository
    from dam.adapters.dynamodb.library import LibraryRepository
    from dam.adapters.s3.ranged import open_ranged
    from dam.adapters.s3.storage import ObjectStorage, s3_client
    from dam.services.imports import ImportLimits, ImportService
    from dam.settings import IngestSettings

    ingest_service()  # binds the tables
    settings = IngestSettings.from_environment()
    client = s3_client(settings.region, settings.endpoint_url)
    storage = ObjectStorage(client, settings.media_bucket)
    return ImportService(
        ImportRepository(),
        AssetRepository(),
        storage,
        ImportLimits(max_images=settings.max_import_images),
        LibraryRepository(),
        open_archive=lambda key, size: open_ranged(client, settings.media_bucket, key, size),
    )


def record_handler(record: SQSRecord) -> None:
    for created in objects_created(record.body):
        if created.key.startswith(IMPORTS_PREFIX):
            extracted = import_service().archive_landed(created)
            logger.info("import archive landed", extra={"key": created.key, "extracted": extracted})
            continue
        located = parse_version_key(created.key)
        use_correlation_id(None)  # the service finds the upload's request on the asset record
        outcome = ingest_service().object_created(created)
        # The line of an asset's life between its upload and its processing run (asset_id, correlation_id).
        logger.info(
            "object created",
            extra={
                "key": created.key,
                "outcome": outcome.value,
                "asset_id": located.asset_id if located else None,
                "correlation_id": correlation_id(),
            },
        )


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
