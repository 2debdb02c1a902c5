"""The media bucket (originals and renditions), its access-log bucket, and the DynamoDB tables.

Tables are built from `dam.adapters.dynamodb.schema.table_specs()`, the same description the local stack
and the tests create tables from, so keys and indexes cannot drift from the record models.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from constructs import Construct

from dam.adapters.dynamodb.schema import KeySpec, TableSpec, table_specs
from stacks.config import StageConfig

# Everything the app stores lives under this prefix: assets/{id}/original, assets/{id}/renditions/...
ASSETS_PREFIX = "assets/"
ORIGINAL_SUFFIX = "/original"
# Bulk import archives: imports/{workspace}/{import}/archive.zip, deleted once extracted.
IMPORTS_PREFIX = "imports/"
ARCHIVE_SUFFIX = "/archive.zip"
NONCURRENT_VERSION_DAYS = 30


class Storage(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        removal = config.removal_policy
        # Emptied on stack deletion only where the data is disposable.
        auto_delete = not config.is_production

        self.access_logs_bucket = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,  # S3 server access logging supports SSE-S3 only
            enforce_ssl=True,
            minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(id="expire-access-logs", expiration=Duration.days(365))],
            removal_policy=removal,
            auto_delete_objects=auto_delete,
        )
        self.media_bucket = s3.Bucket(
            self,
            "Media",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs_bucket,
            server_access_logs_prefix="media/",
            cors=[s3.CorsRule(**browser_cors("browser-uploads", list(config.allowed_origins)))],
            # Versions keep the checked original: a later upload at its key (a presigned POST can be used
            # again until it expires) makes a new version, which the pipeline removes; links pin a version.
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="abort-incomplete-multipart-uploads",
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                ),
                # Renditions rewritten by a re-run leave their old versions behind; nothing links to them.
                # A delete marker left with no versions under it once they expire is removed too.
                s3.LifecycleRule(
                    id="expire-noncurrent-versions",
                    noncurrent_version_expiration=Duration.days(NONCURRENT_VERSION_DAYS),
                    expired_object_delete_marker=True,
                ),
            ],
            removal_policy=removal,
            auto_delete_objects=auto_delete,
        )

        self.specs = {spec.logical_name: spec for spec in table_specs()}
        self.tables = {name: self._table(spec, config, removal) for name, spec in self.specs.items()}

    def allow_browser_origin(self, rule_id: str, origin: str) -> None:
        """Presigned uploads and downloads from one more origin (the web app's, known once CloudFront made it)."""
        self.media_bucket.add_cors_rule(**browser_cors(rule_id, [origin]))

    def table(self, logical_name: str) -> dynamodb.Table:
        return self.tables[logical_name]

    def table_and_index_arns(self, logical_name: str) -> list[str]:
        """Each index by name, so a grant never needs `index/*`."""
        arn = self.tables[logical_name].table_arn
        return [arn, *(f"{arn}/index/{index.name}" for index in self.specs[logical_name].indexes)]

    def _table(self, spec: TableSpec, config: StageConfig, removal: RemovalPolicy) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            spec.logical_name,
            partition_key=_attribute(spec.partition_key),
            sort_key=_attribute(spec.sort_key) if spec.sort_key else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            stream=dynamodb.StreamViewType[spec.stream_view_type] if spec.stream_view_type else None,
            time_to_live_attribute=spec.ttl_attribute,
            deletion_protection=config.is_production,
            removal_policy=removal,
        )
        for index in spec.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_attribute(index.partition_key),
                sort_key=_attribute(index.sort_key) if index.sort_key else None,
                projection_type=dynamodb.ProjectionType.ALL,
            )
        return table


def browser_cors(rule_id: str, origins: list[str]) -> dict[str, Any]:
    """A CORS rule for presigned browser uploads (POST, multipart PUTs) and downloads from `origins`."""
    return {
        "id": rule_id,
        "allowed_methods": [s3.HttpMethods.POST, s3.HttpMethods.PUT, s3.HttpMethods.GET, s3.HttpMethods.HEAD],
        "allowed_origins": origins,
        "allowed_headers": ["*"],
        # Multipart uploads in a browser need each part's ETag to complete the upload.
        "exposed_headers": ["ETag"],
        "max_age": 3600,
    }


def _attribute(key: KeySpec) -> dynamodb.Attribute:
    types = {
        "S": dynamodb.AttributeType.STRING,
        "N": dynamodb.AttributeType.NUMBER,
        "B": dynamodb.AttributeType.BINARY,
    }
    return dynamodb.Attribute(name=key.name, type=types[key.type])
