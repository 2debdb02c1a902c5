"""What the local stack creates in moto, described as plain data first and created second.

The data half (names, notification filter, queue redrive, CORS, routes) mirrors what the CDK stacks
deploy, so a test can compare the two; tables come from the same `table_specs()` CDK uses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

ACCOUNT_ID = "123456789012"  # moto's default account: ARNs it builds use it
DEFAULT_REGION = "us-east-1"
PREFIX = "dam-local"

# S3 → SQS: only an asset's original starts the pipeline; renditions written next to it must not.
UPLOAD_EVENTS = ("s3:ObjectCreated:*",)
UPLOAD_KEY_PREFIX = "assets/"
UPLOAD_KEY_SUFFIX = "/original"
UPLOAD_NOTIFICATION_ID = "dam-upload-notifications"
# Bulk import archives go to the same queue; the ingest function routes them by prefix (as stacks/ingest.py).
IMPORT_KEY_PREFIX = "imports/"
IMPORT_KEY_SUFFIX = "/archive.zip"
IMPORT_NOTIFICATION_ID = "dam-import-notifications"

# Lambda's SQS guidance is visibility >= 6x the function timeout; locally a failed message should
# come back while the developer is still looking, so it is shorter.
UPLOAD_QUEUE_VISIBILITY_SECONDS = 30
UPLOAD_QUEUE_MAX_RECEIVE_COUNT = 5
UPLOAD_DLQ_RETENTION_SECONDS = 14 * 24 * 3600
# The cleanup queue of big library deletes (as stacks/library_worker.py, shorter visibility as above).
LIBRARY_QUEUE_VISIBILITY_SECONDS = 30
LIBRARY_QUEUE_MAX_RECEIVE_COUNT = 5

# Browsers upload straight to the bucket (presigned POST, multipart PUT) and read renditions from it.
MEDIA_CORS_RULES: list[dict[str, Any]] = [
    {
        "AllowedMethods": ["GET", "HEAD", "PUT", "POST"],
        "AllowedOrigins": ["*"],
        "AllowedHeaders": ["*"],
        "ExposeHeaders": ["ETag"],  # multipart uploads read each part's ETag
        "MaxAgeSeconds": 3000,
    }
]


@dataclass(frozen=True)
class Route:
    """An API Gateway route: `route_key` is "METHOD /path" or "$default"; `authorized` = JWT required."""

    route_key: str
    authorized: bool

    def matches(self, method: str, path: str) -> bool:
        """`{name}` in the route's path matches one non-empty path segment, as in API Gateway."""
        if self.route_key == "$default":
            return True
        route_method, route_path = self.route_key.split(" ", 1)
        if route_method not in ("ANY", method):
            return False
        wanted, given = route_path.split("/"), path.split("/")
        return len(wanted) == len(given) and all(
            w == g or (w.startswith("{") and w.endswith("}") and g != "") for w, g in zip(wanted, given, strict=True)
        )


# Explicit public routes first (the share link routes as stacks/api.py SHARE_ROUTES: the link's token is the
# outside reviewer's credential), then the authorized catch-all (API Gateway picks the most specific).
ROUTES: tuple[Route, ...] = (
    Route("GET /health", authorized=False),
    Route("GET /openapi.json", authorized=False),
    Route("GET /share/{token}", authorized=False),
    Route("GET /share/{token}/items/{position}/rendition", authorized=False),
    Route("POST /share/{token}/items/{position}/decision", authorized=False),
    Route("POST /share/{token}/items/{position}/comments", authorized=False),
    Route("GET /share/{token}/items/{position}/comments", authorized=False),
    Route("$default", authorized=True),
)


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def table_env_var(logical_name: str) -> str:
    """`Assets` → `DAM_ASSETS_TABLE`, `AssetVersions` → `DAM_ASSET_VERSIONS_TABLE`."""
    return f"DAM_{_kebab(logical_name).replace('-', '_').upper()}_TABLE"


@dataclass(frozen=True)
class Names:
    prefix: str = PREFIX

    def table(self, logical_name: str) -> str:
        return f"{self.prefix}-{_kebab(logical_name)}"

    @property
    def media_bucket(self) -> str:
        return f"{self.prefix}-media"

    @property
    def upload_queue(self) -> str:
        return f"{self.prefix}-uploads"

    @property
    def upload_dlq(self) -> str:
        return f"{self.prefix}-uploads-dlq"

    @property
    def library_queue(self) -> str:
        return f"{self.prefix}-library-cleanup"

    @property
    def library_dlq(self) -> str:
        return f"{self.prefix}-library-cleanup-dlq"

    @property
    def indexer_dlq(self) -> str:
        return f"{self.prefix}-indexer-dlq"

    @property
    def audit_dlq(self) -> str:
        return f"{self.prefix}-audit-dlq"

    def function(self, short_name: str) -> str:
        return f"{self.prefix}-{short_name}"


@dataclass(frozen=True)
class Queue:
    name: str
    url: str
    arn: str


@dataclass(frozen=True)
class LocalResources:
    tables: dict[str, str]  # logical name → table name
    media_bucket: str
    upload_queue: Queue
    upload_dlq: Queue
    indexer_dlq: Queue | None = None  # stream records the indexer failed on, with the reason
    library_queue: Queue | None = None  # big deletes' per-asset work, for the library worker
    library_dlq: Queue | None = None
    audit_dlq: Queue | None = None  # stream records the audit function failed on, with the reason

    def environment(self) -> dict[str, str]:
        """The handler settings the CDK stacks pass to the functions as environment variables."""
        env = {table_env_var(logical): name for logical, name in self.tables.items()}
        env["DAM_MEDIA_BUCKET"] = self.media_bucket
        if self.library_queue is not None:
            env["DAM_LIBRARY_QUEUE_URL"] = self.library_queue.url
        return env


def upload_notification_configuration(queue_arn: str) -> dict[str, Any]:
    routes = [
        (UPLOAD_NOTIFICATION_ID, UPLOAD_KEY_PREFIX, UPLOAD_KEY_SUFFIX),
        (IMPORT_NOTIFICATION_ID, IMPORT_KEY_PREFIX, IMPORT_KEY_SUFFIX),
    ]
    return {
        "QueueConfigurations": [
            {
                "Id": notification_id,
                "QueueArn": queue_arn,
                "Events": list(UPLOAD_EVENTS),
                "Filter": {
                    "Key": {"FilterRules": [{"Name": "prefix", "Value": prefix}, {"Name": "suffix", "Value": suffix}]}
                },
            }
            for notification_id, prefix, suffix in routes
        ]
    }


def _create_queue(sqs: SQSClient, name: str, attributes: dict[str, str]) -> Queue:
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]  # type: ignore[arg-type]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return Queue(name=name, url=url, arn=arn)


def create_library_queues(
    sqs: SQSClient, names: Names, visibility_seconds: int = LIBRARY_QUEUE_VISIBILITY_SECONDS
) -> tuple[Queue, Queue]:
    """The cleanup queue and its dead-letter queue: a message received 5 times without success waits there."""
    dlq = _create_queue(sqs, names.library_dlq, {"MessageRetentionPeriod": str(UPLOAD_DLQ_RETENTION_SECONDS)})
    redrive = {"deadLetterTargetArn": dlq.arn, "maxReceiveCount": LIBRARY_QUEUE_MAX_RECEIVE_COUNT}
    attributes = {"VisibilityTimeout": str(visibility_seconds), "RedrivePolicy": json.dumps(redrive)}
    return _create_queue(sqs, names.library_queue, attributes), dlq


def create_tables(dynamodb: DynamoDBClient, names: Names) -> dict[str, str]:
    from dam.adapters.dynamodb.schema import table_specs

    tables: dict[str, str] = {}
    for spec in table_specs():
        table_name = names.table(spec.logical_name)
        dynamodb.create_table(**spec.create_table_kwargs(table_name))
        if spec.ttl_attribute:
            dynamodb.update_time_to_live(
                TableName=table_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
            )
        tables[spec.logical_name] = table_name
    return tables


def create_resources(
    s3: S3Client,
    sqs: SQSClient,
    dynamodb: DynamoDBClient,
    names: Names | None = None,
    fill_bucket: Callable[[str], object] | None = None,
) -> LocalResources:
    """`fill_bucket(bucket)` runs before the upload notification exists: objects it puts start nothing."""
    names = names or Names()
    tables = create_tables(dynamodb, names)

    s3.create_bucket(Bucket=names.media_bucket)  # us-east-1 wants no LocationConstraint
    # As deployed: a later upload at an original's key never replaces the checked bytes.
    s3.put_bucket_versioning(Bucket=names.media_bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_cors(Bucket=names.media_bucket, CORSConfiguration={"CORSRules": MEDIA_CORS_RULES})  # type: ignore[typeddict-item]
    if fill_bucket is not None:
        fill_bucket(names.media_bucket)

    dlq = _create_queue(sqs, names.upload_dlq, {"MessageRetentionPeriod": str(UPLOAD_DLQ_RETENTION_SECONDS)})
    redrive = {"deadLetterTargetArn": dlq.arn, "maxReceiveCount": UPLOAD_QUEUE_MAX_RECEIVE_COUNT}
    queue = _create_queue(
        sqs,
        names.upload_queue,
        {
            "VisibilityTimeout": str(UPLOAD_QUEUE_VISIBILITY_SECONDS),
            "RedrivePolicy": json.dumps(redrive),
        },
    )
    s3.put_bucket_notification_configuration(
        Bucket=names.media_bucket,
        NotificationConfiguration=upload_notification_configuration(queue.arn),  # type: ignore[arg-type]
    )
    indexer_dlq = _create_queue(sqs, names.indexer_dlq, {"MessageRetentionPeriod": str(UPLOAD_DLQ_RETENTION_SECONDS)})
    library_queue, library_dlq = create_library_queues(sqs, names)
    audit_dlq = _create_queue(sqs, names.audit_dlq, {"MessageRetentionPeriod": str(UPLOAD_DLQ_RETENTION_SECONDS)})
    return LocalResources(
        tables=tables,
        media_bucket=names.media_bucket,
        upload_queue=queue,
        upload_dlq=dlq,
        indexer_dlq=indexer_dlq,
        library_queue=library_queue,
        library_dlq=library_dlq,
        audit_dlq=audit_dlq,
    )
