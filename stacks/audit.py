"""The audit log: every change to the Assets and Library tables, from their streams, into a table of its own.

    Assets table stream ──┐
                          ├─> Audit function (batches of 100, per-record failures, bisect, 5 retries) ──> Audit table
    Library table stream ─┘     └─ a batch that still fails ──> dead-letter queue (which records)
    API ──(Query)──> Audit table  (GET /audit, GET /audit/export: admins)

Written from the streams, not by the routes: whatever writes a table (the API, the pipeline, the workers, a
hand edit), its change reaches the log. Who and which request come from the item (`updated_by`,
`request_id`: dam/adapters/dynamodb/stamping.py stamps every write; a delete stamps the deleter first).

Append-only: the audit function's role may PutItem on the audit table and nothing else (no UpdateItem,
DeleteItem, BatchWriteItem), and each put is conditional on the event not existing; the API's role may only
Query it; no other role names it. Events expire by TTL after `audit_retention_days` (365 by default). The
audit table has no stream, so an event is never itself audited. No filter criteria on the mappings: which
records are events is decided in one place (dam.domain.audit), and a filter cannot compare old and new images.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks.config import StageConfig
from stacks.function import DamFunction
from stacks.layers import SharedLayers
from stacks.sizing import FUNCTION_MEMORY_MB
from stacks.storage import Storage

AUDITED_TABLES = ("Assets", "Library")
WRITER_ACTIONS = ("dynamodb:PutItem",)
READER_ACTIONS = ("dynamodb:Query",)


class Audit(Construct):
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
        self._storage = storage
        self.table = storage.table("Audit")
        # Which stream records failed (shard and sequence numbers): the streams keep records 24 hours.
        self.dead_letters = sqs.Queue(
            self,
            "DeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        self.handler = DamFunction(
            self,
            "Handler",
            config=config,
            layers=layers,
            folder="audit",
            memory_mb=FUNCTION_MEMORY_MB["Audit/Handler"],
            timeout=Duration.minutes(1),
            description="Turns the tables' stream records into audit events",
            environment={
                "DAM_ASSETS_TABLE": storage.table("Assets").table_name,
                "DAM_LIBRARY_TABLE": storage.table("Library").table_name,
                "DAM_AUDIT_TABLE": self.table.table_name,
                "DAM_AUDIT_RETENTION_DAYS": str(config.audit_retention_days),
                "POWERTOOLS_SERVICE_NAME": "dam-audit",
                "POWERTOOLS_LOG_LEVEL": "INFO",
            },
        )
        self.handler.role.add_to_principal_policy(
            iam.PolicyStatement(sid="AppendAuditEvents", actions=list(WRITER_ACTIONS), resources=[self.table.table_arn])
        )
        for name in AUDITED_TABLES:
            self.handler.function.add_event_source(
                sources.DynamoEventSource(
                    storage.table(name),
                    starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                    batch_size=100,
                    max_batching_window=Duration.seconds(2),
                    report_batch_item_failures=True,
                    bisect_batch_on_error=True,
                    retry_attempts=5,
                    max_record_age=Duration.days(1),
                    on_failure=sources.SqsDlq(self.dead_letters),
                )
            )

    def allow_reads(self, function: DamFunction) -> None:
        """The API reads the log (Query on the table and its two indexes), and never writes it."""
        function.function.add_environment("DAM_AUDIT_TABLE", self.table.table_name)
        function.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadAuditEvents",
                actions=list(READER_ACTIONS),
                resources=self._storage.table_and_index_arns("Audit"),
            )
        )
