"""Ingest Lambda (the dispatcher): S3 upload notifications from SQS → the asset moves to `uploaded` and its
processing run starts, named after the object so a replayed notification never starts a second run.

Failures are reported per message (partial batch response), so one bad message is retried alone and
lands in the dead-letter queue after its retries instead of blocking the batch.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from dam.ingest import objects_created
from dam.services.ingest import IngestService

logger = Logger(service="dam-ingest")
processor = BatchProcessor(event_type=EventType.SQS)


@cache
def ingest_service() -> IngestService:
    from dam.adapters.dynamodb.assets import AssetRepository
    from dam.adapters.dynamodb.models import bind_tables
    from dam.settings import IngestSettings

    settings = IngestSettings()  # values come from the environment
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


def record_handler(record: SQSRecord) -> None:
    for created in objects_created(record.body):
        outcome = ingest_service().object_created(created)
        logger.info("object created", extra={"key": created.key, "outcome": outcome.value})


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
