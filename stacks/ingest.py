"""Upload notifications: S3 ObjectCreated on `assets/*/original` → SQS (+ DLQ) → the ingest function.

S3 delivers at least once; the function is idempotent and reports per-record failures, so one bad
upload is retried (and parked in the DLQ after 5 tries) without redelivering the whole batch.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from constructs import Construct

from stacks.config import StageConfig
from stacks.function import DamFunction
from stacks.layers import SharedLayers
from stacks.queues import consumed_queue
from stacks.sizing import FUNCTION_MEMORY_MB
from stacks.storage import ARCHIVE_SUFFIX, ASSETS_PREFIX, IMPORTS_PREFIX, ORIGINAL_SUFFIX, Storage

# A bulk import's archive is extracted here too (up to 50 images read, converted and stored).
FUNCTION_TIMEOUT = Duration.seconds(300)
MAX_RECEIVE_COUNT = 5


class Ingest(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        storage: Storage,
        layers: SharedLayers,
    ) -> None:
        super().__init__(scope, construct_id)
        self.queue, self.dead_letters = consumed_queue(
            self,
            "Uploads",
            consumer_timeout=FUNCTION_TIMEOUT,
            retention=Duration.days(4),
            max_receive_count=MAX_RECEIVE_COUNT,
        )
        storage.media_bucket.add_event_notification(
            s3.EventType.OBJECT_CREATED,
            s3n.SqsDestination(self.queue),
            s3.NotificationKeyFilter(prefix=ASSETS_PREFIX, suffix=ORIGINAL_SUFFIX),
        )
        # The same queue, a prefix that can't overlap the first (S3 refuses overlapping filters for one event).
        storage.media_bucket.add_event_notification(
            s3.EventType.OBJECT_CREATED,
            s3n.SqsDestination(self.queue),
            s3.NotificationKeyFilter(prefix=IMPORTS_PREFIX, suffix=ARCHIVE_SUFFIX),
        )

        table = storage.table("Assets")
        library = storage.table("Library")  # later versions' records (dam.adapters.dynamodb.versions)
        self.handler = DamFunction(
            self,
            "Handler",
            config=config,
            layers=layers,
            folder="ingest",
            memory_mb=FUNCTION_MEMORY_MB["Ingest/Handler"],
            timeout=FUNCTION_TIMEOUT,
            description="Registers uploaded originals",
            environment={
                "DAM_ASSETS_TABLE": table.table_name,
                "DAM_LIBRARY_TABLE": library.table_name,
                "DAM_MEDIA_BUCKET": storage.media_bucket.bucket_name,
                "POWERTOOLS_SERVICE_NAME": "dam-ingest",
                "POWERTOOLS_LOG_LEVEL": "INFO",
            },
        )
        role = self.handler.role
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="AssetRecords",
                actions=["dynamodb:GetItem", "dynamodb:PutItem"],
                resources=[table.table_arn, library.table_arn],  # items only: no index, no query
            )
        )
        # Updates go to the library table only (an import's record moving from state to state). The originals
        # themselves are never read here: the pipeline checks them.
        role.add_to_principal_policy(
            iam.PolicyStatement(sid="ImportUpdates", actions=["dynamodb:UpdateItem"], resources=[library.table_arn])
        )
        # Bulk imports: the images' records (and the duplicate check by checksum), their originals, and the
        # archive read by ranged GETs, then removed with every stored version (ListObjectVersions needs
        # s3:ListBucketVersions; DeleteObjects naming versions needs s3:DeleteObjectVersion).
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ImportDuplicateCheck",
                actions=["dynamodb:Query"],
                resources=[f"{table.table_arn}/index/by_checksum"],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ImportedOriginals",
                actions=["s3:PutObject"],
                resources=[storage.media_bucket.arn_for_objects(f"{ASSETS_PREFIX}*")],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ImportArchives",
                actions=["s3:GetObject", "s3:DeleteObjectVersion"],
                resources=[storage.media_bucket.arn_for_objects(f"{IMPORTS_PREFIX}*")],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ListImportArchives",
                actions=["s3:ListBucketVersions"],
                resources=[storage.media_bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{IMPORTS_PREFIX}*"]}},
            )
        )
        self.handler.function.add_event_source(
            sources.SqsEventSource(
                self.queue,
                batch_size=10,
                max_batching_window=Duration.seconds(5),
                report_batch_item_failures=True,
            )
        )
