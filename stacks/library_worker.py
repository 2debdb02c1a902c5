"""Big library deletes: the API deletes a folder, brand or collection at once and queues the per-asset
work → SQS (+ DLQ) → the library worker, which updates the assets a chunk a message and queues the rest.

The trash's expiry rides the same queue: an EventBridge schedule sends `{"sweep": "trash"}` every hour; the
worker queues a purge per expired asset (a sweep that finds more goes on as another message) and each purge
removes its asset for good, files included, through the permanent delete's cascade.

Each message names the owner, not a position, so a redelivery (or a crash halfway) re-applies safely;
failures are reported per message, so a poison message is retried alone and parked in the dead-letter
queue after 5 tries instead of blocking the others.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_event_sources as sources
from constructs import Construct

from stacks.config import StageConfig
from stacks.function import DamFunction
from stacks.layers import SharedLayers
from stacks.queues import consumed_queue
from stacks.sizing import FUNCTION_MEMORY_MB
from stacks.storage import ASSETS_PREFIX, Storage

# A chunk (dam.domain.library.CLEANUP_CHUNK assets) takes seconds; a batch of them well under this.
FUNCTION_TIMEOUT = Duration.seconds(120)
MAX_RECEIVE_COUNT = 5
BATCH_SIZE = 5
# What the worker reads and writes: a folder's assets through `by_folder`, a brand's or a collection's
# links in the library table; each asset updated (unassigned, or an id taken out of its list); an expired
# asset of the trash deleted (its record, its links, an emptied run's collection).
ASSET_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
# UpdateItem: each item a purge or a batch deletes is stamped with who deleted it first (the audit log; see
# dam/adapters/dynamodb/stamping.py).
LIBRARY_ACTIONS = ("dynamodb:Query", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem")
# The indexes a purge reads: a run's remaining assets; an asset's links (gsi1) and what is due (gsi2).
ASSET_INDEXES = ("by_folder", "by_run")
LIBRARY_INDEXES = ("gsi1", "gsi2")
# How often the trash's expiry runs: an asset goes at most this long after its time in the trash ends.
SWEEP_EVERY = Duration.hours(1)
SWEEP_MESSAGE = {"sweep": "trash"}


class LibraryWorker(Construct):
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
            "Cleanups",
            consumer_timeout=FUNCTION_TIMEOUT,
            retention=Duration.days(14),
            max_receive_count=MAX_RECEIVE_COUNT,
        )
        assets, library = storage.table("Assets"), storage.table("Library")
        self.handler = DamFunction(
            self,
            "Handler",
            config=config,
            layers=layers,
            folder="library_worker",
            memory_mb=FUNCTION_MEMORY_MB["LibraryWorker/Handler"],
            timeout=FUNCTION_TIMEOUT,
            description="Updates the assets of deleted folders, brands and collections",
            environment={
                "DAM_ASSETS_TABLE": assets.table_name,
                "DAM_LIBRARY_TABLE": library.table_name,
                "DAM_LIBRARY_QUEUE_URL": self.queue.queue_url,
                "POWERTOOLS_SERVICE_NAME": "dam-library-worker",
                "POWERTOOLS_LOG_LEVEL": "INFO",
            },
        )
        role = self.handler.role
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="AssetUpdates",
                actions=list(ASSET_ACTIONS),
                resources=[assets.table_arn],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="FolderAndRunAssets",
                actions=["dynamodb:Query"],
                resources=[f"{assets.table_arn}/index/{name}" for name in ASSET_INDEXES],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="OwnerLinks",
                actions=list(LIBRARY_ACTIONS),
                resources=[library.table_arn],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="AssetLinksAndDueTrash",
                actions=["dynamodb:Query"],
                resources=[f"{library.table_arn}/index/{name}" for name in LIBRARY_INDEXES],
            )
        )
        self._allow_purges(storage)
        self.sweep_schedule = events.Rule(
            self,
            "TrashSweep",
            description="The trash's expiry: removes for good the assets whose time in the trash is over",
            schedule=events.Schedule.rate(SWEEP_EVERY),
            targets=[
                targets.SqsQueue(
                    self.queue,
                    message=events.RuleTargetInput.from_object(SWEEP_MESSAGE),
                    dead_letter_queue=self.dead_letters,  # a sweep EventBridge could not deliver waits there
                    retry_attempts=5,
                )
            ],
        )
        # A chunk that leaves more queues the rest (the event source mapping grants receive and delete).
        role.add_to_principal_policy(self._send_statement("QueueTheRest"))
        self.handler.function.add_event_source(
            sources.SqsEventSource(
                self.queue,
                batch_size=BATCH_SIZE,
                max_batching_window=Duration.seconds(1),
                report_batch_item_failures=True,
            )
        )

    def _allow_purges(self, storage: Storage) -> None:
        """A purge deletes every stored version of every object under the asset's prefix."""
        bucket = storage.media_bucket
        self.handler.function.add_environment("DAM_MEDIA_BUCKET", bucket.bucket_name)
        role = self.handler.role
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="PurgeAssetObjects",
                # Every object version by its id (the bucket is versioned), and a multipart upload the asset's
                # record still names (its cascade aborts it; completed ones answer NoSuchUpload).
                actions=["s3:DeleteObjectVersion", "s3:AbortMultipartUpload"],
                resources=[f"{bucket.bucket_arn}/{ASSETS_PREFIX}*"],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ListPurgedObjects",
                actions=["s3:ListBucketVersions"],
                resources=[bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{ASSETS_PREFIX}*"]}},
            )
        )

    def allow_enqueue(self, function: DamFunction) -> None:
        """The API queues big deletes here."""
        function.function.add_environment("DAM_LIBRARY_QUEUE_URL", self.queue.queue_url)
        function.role.add_to_principal_policy(self._send_statement("QueueBigDeletes"))

    def _send_statement(self, sid: str) -> iam.PolicyStatement:
        # SendMessage alone (grant_send_messages adds GetQueueAttributes and GetQueueUrl, which nothing calls).
        return iam.PolicyStatement(sid=sid, actions=["sqs:SendMessage"], resources=[self.queue.queue_arn])
