"""Search: an OpenSearch domain kept in sync with the Assets table by its stream, and queried by the API.

    Assets table stream ──> Indexer (batches of 100, per-record failures, bisect, 5 retries) ──> OpenSearch
                              └─ a batch that still fails ──> dead-letter queue (which records; `dam reindex`)
    API ──(SigV4: POST _search)──> OpenSearch;  API ──> Bedrock Titan (query embeddings)

Access control is IAM only, without fine-grained access control (FGAC). FGAC maps exactly one IAM ARN (its
master user) to a role by itself; the API's role would need a role mapping made through the security plugin's
REST API, which takes a custom resource (or a first-run call) and a second source of truth for permissions.
Instead the domain's resource policy names the indexer's and the API's roles with their exact HTTP methods,
each role's own policy grants the same, and every request must be SigV4-signed: no anonymous or
username/password access exists. Tenancy is enforced by the API's query filter, not by document-level
security. The policy is set on the domain resource itself (CDK's `access_policies` would apply it after creation
through a Lambda-backed custom resource). A domain's policy applies to that domain only and cannot reference the
domain's own ARN, so it names "any domain of this account" plus the exact paths; the roles' policies name this
domain's ARN. The API's role may search the one index and read its documents, nothing else (no _bulk, no
_delete_by_query).

The domain has no fixed name: CloudFormation names it, so a retained prod domain never blocks its replacement.

Not in a VPC: the Lambdas run outside one, and a VPC would need NAT gateways (~$32/month each, one per AZ)
or interface endpoints for S3, DynamoDB streams, Bedrock and X-Ray for them to keep working.
"""

from __future__ import annotations

from typing import cast

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_opensearchservice as opensearch
from constructs import Construct

from stacks.config import StageConfig
from stacks.function import DamFunction
from stacks.layers import SharedLayers
from stacks.pipeline import EMBEDDING_DIMENSIONS, EMBEDDING_MODEL_ID
from stacks.queues import dead_letter_queue
from stacks.sizing import FUNCTION_MEMORY_MB
from stacks.storage import Storage

# OpenSearch Service's newest 2.x (the step every 2.x domain takes before 3.x, per its upgrade guide). The adapter
# needs 2.16+: radial k-NN (2.14), wildcard fields (2.15), k-NN method parameters (2.16); hybrid search's
# normalization processor came in 2.10. Check another version against an instance type before choosing it:
# `aws opensearch list-instance-type-details --engine-version OpenSearch_X.Y`.
ENGINE_VERSION = "2.19"
MINIMUM_ENGINE_VERSION = (2, 16)
INDEX = "assets"
Grants = tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]  # (HTTP methods, domain paths) pairs
# What the indexer sends (dam/search/opensearch.py; tests/infra/test_search_grants.py replays it): at its cold
# start the index template, the index (HEAD, then PUT if missing) and the search pipeline; then `_bulk` upserts
# and tombstones. Never a GET or a DELETE (`dam reindex` drops the index with the operator's credentials).
INDEXER_GRANTS: Grants = (
    (("es:ESHttpPut",), (f"_index_template/{INDEX}-template", INDEX, f"_search/pipeline/{INDEX}-hybrid")),
    (("es:ESHttpHead",), (INDEX,)),
    (("es:ESHttpPost",), ("_bulk",)),
)
# What the API sends: POST <index>/_search (with `search_pipeline` for hybrid), POST <index>/_msearch (similar
# assets), GET <index>/_doc/<id> (the asset similar starts from).
QUERY_GRANTS: Grants = (
    (("es:ESHttpPost",), (f"{INDEX}/_search", f"{INDEX}/_msearch")),
    (("es:ESHttpGet",), (f"{INDEX}/_doc/*",)),
)


class Search(Construct):
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
        self.sizing = config.search
        stack = Stack.of(self)
        # Any domain of this account: the domain's own policies cannot reference its generated name or ARN.
        domain_arn = stack.format_arn(
            service="es", resource="domain", resource_name="*", arn_format=ArnFormat.SLASH_RESOURCE_NAME
        )

        self.log_groups = {
            name: logs.LogGroup(self, name, retention=config.log_retention, removal_policy=config.removal_policy)
            for name in ("SearchSlowLogs", "IndexSlowLogs", "AppLogs")
        }
        # What CDK's logging custom resource would put, as a plain resource: OpenSearch may write to these groups
        # on behalf of this domain only. The domain waits for it (creation fails without it).
        log_delivery = logs.ResourcePolicy(
            self,
            "LogDelivery",
            policy_statements=[
                iam.PolicyStatement(
                    principals=[iam.ServicePrincipal("es.amazonaws.com")],
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[group.log_group_arn for group in self.log_groups.values()],
                    conditions={
                        "StringEquals": {"aws:SourceAccount": stack.account},
                        "ArnLike": {"aws:SourceArn": domain_arn},
                    },
                )
            ],
        )

        sizing = self.sizing
        self.domain = opensearch.Domain(
            self,
            "Domain",
            version=opensearch.EngineVersion.open_search(_engine_version(self)),
            capacity=opensearch.CapacityConfig(
                data_nodes=sizing.data_nodes,
                data_node_instance_type=sizing.data_instance_type,
                master_nodes=sizing.master_nodes or None,
                master_node_instance_type=sizing.master_instance_type if sizing.master_nodes else None,
                # Standby would keep one AZ's nodes idle: with 3 data nodes, 2 would serve.
                multi_az_with_standby_enabled=False,
            ),
            zone_awareness=opensearch.ZoneAwarenessConfig(
                enabled=sizing.zones > 1, availability_zone_count=sizing.zones if sizing.zones > 1 else None
            ),
            ebs=opensearch.EbsOptions(volume_size=sizing.volume_gb, volume_type=ec2.EbsDeviceVolumeType.GP3),
            encryption_at_rest=opensearch.EncryptionAtRestOptions(enabled=True),
            node_to_node_encryption=True,
            enforce_https=True,
            tls_security_policy=opensearch.TLSSecurityPolicy.TLS_1_2_PFS,
            logging=opensearch.LoggingOptions(
                slow_search_log_enabled=True,
                slow_search_log_group=self.log_groups["SearchSlowLogs"],
                slow_index_log_enabled=True,
                slow_index_log_group=self.log_groups["IndexSlowLogs"],
                app_log_enabled=True,
                app_log_group=self.log_groups["AppLogs"],
            ),
            suppress_logs_resource_policy=True,  # the LogDelivery policy above instead
            enable_version_upgrade=True,  # engine upgrades in place, not by replacement
            off_peak_window_enabled=True,
            enable_auto_software_update=True,  # service software patches in the off-peak window
            removal_policy=config.removal_policy,
        )
        self.domain.node.add_dependency(log_delivery)
        self._access_policy = iam.PolicyDocument()
        self._any_domain = domain_arn
        cast(opensearch.CfnDomain, self.domain.node.default_child).access_policies = self._access_policy
        self.endpoint = f"https://{self.domain.domain_endpoint}"
        self.environment = {
            "DAM_SEARCH_ENGINE": "opensearch",
            "DAM_SEARCH_ENDPOINT": self.endpoint,
            "DAM_SEARCH_INDEX": INDEX,
            "DAM_EMBEDDING_DIMENSIONS": str(EMBEDDING_DIMENSIONS),
            # One replica needs a second data node; a one-node dev domain would stay yellow forever.
            "DAM_SEARCH_REPLICAS": str(min(1, sizing.data_nodes - 1)),
        }

        # Holds which stream records failed (shard and sequence numbers, not the data): the stream keeps records
        # 24 hours, so the fix is `dam reindex`, and the messages say what to check.
        self.dead_letters = dead_letter_queue(self, "IndexerDeadLetters")
        self.indexer = DamFunction(
            self,
            "Indexer",
            config=config,
            layers=layers,
            folder="indexer",
            memory_mb=FUNCTION_MEMORY_MB["Search/Indexer"],
            timeout=Duration.minutes(1),
            description="Keeps the search index in sync with the assets table's stream",
            environment={
                **self.environment,
                "POWERTOOLS_SERVICE_NAME": "dam-indexer",
                "POWERTOOLS_LOG_LEVEL": "INFO",
            },
        )
        self._allow(self.indexer, "Indexer", INDEXER_GRANTS)
        self.indexer.function.add_event_source(
            sources.DynamoEventSource(
                storage.table("Assets"),
                # Everything the stream still holds, so a first deploy indexes the last day's changes too.
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

    def allow_queries(self, handler: DamFunction) -> None:
        """Lets a function search: the endpoint, the index's search and read paths, and query embeddings from
        the model that embedded the documents."""
        for name, value in {
            **self.environment,
            "DAM_EMBEDDER": "bedrock",
            "DAM_EMBEDDING_MODEL_ID": EMBEDDING_MODEL_ID,
        }.items():
            handler.function.add_environment(name, value)
        self._allow(handler, "Queries", QUERY_GRANTS)
        embedding_model = Stack.of(self).format_arn(
            service="bedrock",
            account="",
            resource="foundation-model",
            resource_name=EMBEDDING_MODEL_ID,
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        handler.role.add_to_principal_policy(
            iam.PolicyStatement(sid="QueryEmbeddings", actions=["bedrock:InvokeModel"], resources=[embedding_model])
        )

    def _allow(self, handler: DamFunction, sid: str, grants: Grants) -> None:
        """The same grants on both sides, the role's policy and the domain's resource policy: each names HTTP
        methods and the domain paths (`*`: every path) they may be used on."""
        for number, (actions, paths) in enumerate(grants):
            suffix = str(number) if number else ""
            handler.role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid=f"SearchDomain{suffix}",
                    actions=list(actions),
                    resources=[f"{self.domain.domain_arn}/{path}" for path in paths],
                )
            )
            self._access_policy.add_statements(
                iam.PolicyStatement(
                    sid=f"{sid}{suffix}",
                    principals=[iam.ArnPrincipal(handler.role.role_arn)],
                    actions=list(actions),
                    resources=[f"{self._any_domain}/{path}" for path in paths],
                )
            )


def _engine_version(scope: Construct) -> str:
    """`-c search_engine_version=3.3` picks another engine (check it with `list-instance-type-details` first)."""
    version = str(scope.node.try_get_context("search_engine_version") or ENGINE_VERSION)
    major, minor = (int(part) for part in version.split(".")[:2])
    if (major, minor) < MINIMUM_ENGINE_VERSION:
        raise ValueError(f"search_engine_version {version} is too old for the search adapter (needs 2.16+)")
    return version
