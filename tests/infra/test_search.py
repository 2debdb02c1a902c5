"""Search: the OpenSearch domain per stage, its access policy, the stream → indexer path, exact IAM, alarms."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.synth import ALARM_TOPIC, INFRA_MARKS, LOGS_AND_TRACING, Synth, actions, arn_of, resources

pytestmark = INFRA_MARKS

# The index template, the index and the search pipeline at the cold start, then `_bulk` (no GET, no DELETE).
INDEXER_GRANTS = [
    (["es:ESHttpPut"], ["_index_template/assets-template", "assets", "_search/pipeline/assets-hybrid"]),
    (["es:ESHttpHead"], ["assets"]),
    (["es:ESHttpPost"], ["_bulk"]),
]
INDEXER_HTTP = ["es:ESHttpPut", "es:ESHttpHead", "es:ESHttpPost"]
# The API only searches: POST on the index's _search and _msearch, GET on its documents. Never _bulk,
# _delete_by_query, _update_by_query, index or pipeline changes.
QUERY_GRANTS = [(["es:ESHttpPost"], ["assets/_search", "assets/_msearch"]), (["es:ESHttpGet"], ["assets/_doc/*"])]
INDEXER_ACTIONS = (
    LOGS_AND_TRACING
    | set(INDEXER_HTTP)
    | {"dynamodb:ListStreams", "dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}
    | {"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}
)
STREAM_READS = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}
SEARCH_ENV = {"DAM_SEARCH_ENGINE": "opensearch", "DAM_SEARCH_INDEX": "assets", "DAM_EMBEDDING_DIMENSIONS": "512"}


def _domain(synth: Synth) -> dict[str, Any]:
    return synth.properties(synth.stack.search.domain)


def _domain_paths(synth: Synth, path: str = "*") -> dict[str, Any]:
    """An identity policy's resource: paths of this one domain (`*`: every path)."""
    return {"Fn::Join": ["", [arn_of(synth.logical_id(synth.stack.search.domain)), f"/{path}"]]}


def _one(values: list[Any]) -> Any:
    """CDK renders a one-element action or resource list as the element."""
    return values[0] if len(values) == 1 else values


def _arn(service: str, rest: str, *, account: bool = True) -> dict[str, Any]:
    """An ARN in this stack's partition and region (and account), as CDK's format_arn renders it."""
    in_account = [":", {"Ref": "AWS::AccountId"}] if account else []
    return {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":{service}:", {"Ref": "AWS::Region"}, *in_account, rest]]
    }


def _env(synth: Synth, handler: Any) -> dict[str, Any]:
    return dict(synth.properties(handler.function)["Environment"]["Variables"])


def _endpoint(synth: Synth) -> dict[str, Any]:
    return {
        "Fn::Join": ["", ["https://", {"Fn::GetAtt": [synth.logical_id(synth.stack.search.domain), "DomainEndpoint"]}]]
    }


@pytest.mark.parametrize(
    ("stage", "expected", "volume_gb"),
    [
        (
            "dev",
            {
                "InstanceCount": 1,
                "InstanceType": "m5.large.search",
                "DedicatedMasterEnabled": False,
                "ZoneAwarenessEnabled": False,
                "MultiAZWithStandbyEnabled": False,
            },
            10,
        ),
        (
            "prod",
            {
                "InstanceCount": 3,
                "InstanceType": "r7g.large.search",
                "DedicatedMasterEnabled": True,
                "DedicatedMasterCount": 3,
                "DedicatedMasterType": "m7g.medium.search",
                "ZoneAwarenessEnabled": True,
                "ZoneAwarenessConfig": {"AvailabilityZoneCount": 3},
                "MultiAZWithStandbyEnabled": False,
            },
            100,
        ),
    ],
)
def test_domain_is_sized_per_stage(
    synth: Synth, prod_synth: Synth, stage: str, expected: dict[str, Any], volume_gb: int
) -> None:
    chosen = {"dev": synth, "prod": prod_synth}[stage]
    domain = _domain(chosen)
    assert domain["ClusterConfig"] == expected
    assert domain["EBSOptions"] == {"EBSEnabled": True, "VolumeSize": volume_gb, "VolumeType": "gp3"}
    # No fixed name: CloudFormation names the domain, so a retained prod domain never blocks its replacement.
    assert "DomainName" not in domain
    resource = chosen.resources[chosen.logical_id(chosen.stack.search.domain)]
    assert resource["DeletionPolicy"] == {"dev": "Delete", "prod": "Retain"}[stage]
    assert resource["UpdatePolicy"] == {"EnableVersionUpgrade": True}


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_domain_encrypts_at_rest_and_in_transit(synth: Synth, prod_synth: Synth, stage: str) -> None:
    domain = _domain({"dev": synth, "prod": prod_synth}[stage])
    assert domain["EncryptionAtRestOptions"] == {"Enabled": True}
    assert domain["NodeToNodeEncryptionOptions"] == {"Enabled": True}
    assert domain["DomainEndpointOptions"] == {
        "EnforceHTTPS": True,
        "TLSSecurityPolicy": "Policy-Min-TLS-1-2-PFS-2023-10",
    }
    engine, version = domain["EngineVersion"].split("_")
    assert engine == "OpenSearch"
    # The adapter's hybrid and radial k-NN queries need 2.16+.
    assert tuple(int(part) for part in version.split(".")) >= (2, 16)


def test_dev_pairs_an_engine_and_instance_type_the_documentation_confirms(synth: Synth) -> None:
    # OpenSearch Service's upgrade guide names 2.19 (every 2.x domain's step to 3.x); its "Supported instance
    # types" page says M5 instances run "any version of OpenSearch".
    domain = _domain(synth)
    assert domain["EngineVersion"] == "OpenSearch_2.19"
    assert domain["ClusterConfig"]["InstanceType"].startswith("m5.")


def test_only_the_indexer_and_the_api_roles_may_call_the_domain(synth: Synth) -> None:
    domain = _domain(synth)
    # IAM-only access: no fine-grained access control, no internal users, no unsigned or anonymous access.
    assert "AdvancedSecurityOptions" not in domain
    statements = domain["AccessPolicies"]["Statement"]
    # A domain's policy applies to that domain only, and cannot reference the domain's generated name or ARN.
    indexer_role = arn_of(synth.logical_id(synth.stack.search.indexer.role))
    api_role = arn_of(synth.logical_id(synth.stack.api.handler.role))
    assert [(s["Effect"], s["Principal"], s["Action"], s["Resource"]) for s in statements] == [
        *[
            (
                "Allow",
                {"AWS": role},
                _one(methods),
                _one([_arn("es", f":domain/*/{path}") for path in paths]),
            )
            for role, grants in ((indexer_role, INDEXER_GRANTS), (api_role, QUERY_GRANTS))
            for methods, paths in grants
        ],
    ]
    assert all("Condition" not in statement for statement in statements)


def test_domain_publishes_slow_and_error_logs_through_a_scoped_resource_policy(synth: Synth) -> None:
    search = synth.stack.search
    groups = {name: arn_of(synth.logical_id(group)) for name, group in search.log_groups.items()}
    published = _domain(synth)["LogPublishingOptions"]
    assert published == {
        "SEARCH_SLOW_LOGS": {"CloudWatchLogsLogGroupArn": groups["SearchSlowLogs"], "Enabled": True},
        "INDEX_SLOW_LOGS": {"CloudWatchLogsLogGroupArn": groups["IndexSlowLogs"], "Enabled": True},
        "ES_APPLICATION_LOGS": {"CloudWatchLogsLogGroupArn": groups["AppLogs"], "Enabled": True},
    }
    policy_id, _ = synth.one("AWS::Logs::ResourcePolicy")  # no custom resource puts one at deploy time
    document = synth.stack.resolve(search.node.find_child("LogDelivery").document.to_json())
    (statement,) = document["Statement"]
    assert statement["Principal"] == {"Service": "es.amazonaws.com"}
    assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statement["Resource"] == list(groups.values())
    # This account's domains only (the domain's name is generated, and the domain needs the policy first).
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
        "ArnLike": {"aws:SourceArn": _arn("es", ":domain/*")},
    }
    # Creating a domain that publishes logs fails unless the policy exists first.
    assert policy_id in synth.resources[synth.logical_id(search.domain)]["DependsOn"]
    assert not synth.of_type("Custom::CloudwatchLogResourcePolicy")
    assert not synth.of_type("Custom::OpenSearchAccessPolicy")


def test_the_assets_stream_feeds_the_indexer_in_batches_with_partial_failures(synth: Synth) -> None:
    search = synth.stack.search
    stream = {"Fn::GetAtt": [synth.logical_id(synth.stack.storage.table("Assets")), "StreamArn"]}
    mapping = synth.event_source_mapping(stream, search.indexer.function)
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert (mapping["BatchSize"], mapping["MaximumBatchingWindowInSeconds"]) == (100, 2)
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["MaximumRetryAttempts"] == 5
    assert mapping["MaximumRecordAgeInSeconds"] == 86400
    dead_letters = arn_of(synth.logical_id(search.dead_letters))
    assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": dead_letters}}


def test_the_indexer_dead_letter_queue_is_encrypted_and_tls_only(synth: Synth) -> None:
    queue_id = synth.logical_id(synth.stack.search.dead_letters)
    assert synth.resources[queue_id]["Properties"]["SqsManagedSseEnabled"] is True
    (policy,) = [
        p for p in synth.of_type("AWS::SQS::QueuePolicy").values() if p["Properties"]["Queues"] == [{"Ref": queue_id}]
    ]
    (deny,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert (deny["Effect"], deny["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})


def test_indexer_function_and_environment(synth: Synth) -> None:
    search = synth.stack.search
    props = synth.properties(search.indexer.function)
    assert (props["Runtime"], props["Architectures"], props["Handler"]) == ("python3.12", ["arm64"], "handler.handler")
    assert (props["MemorySize"], props["Timeout"]) == (512, 60)
    layers = synth.stack.layers
    assert props["Layers"] == [{"Ref": synth.logical_id(layer)} for layer in (layers.dependencies, layers.library)]
    assert _env(synth, search.indexer) == {
        **SEARCH_ENV,
        "DAM_SEARCH_ENDPOINT": _endpoint(synth),
        "DAM_SEARCH_REPLICAS": "0",  # dev's one data node has no room for a replica
        "POWERTOOLS_SERVICE_NAME": "dam-indexer",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }


def test_indexer_may_do_exactly_its_work(synth: Synth) -> None:
    search = synth.stack.search
    statements = synth.role_statements(search.indexer.role)
    allowed = [action for statement in statements for action in actions(statement)]
    assert sorted(allowed) == sorted(INDEXER_ACTIONS), "no duplicates, nothing missing, nothing extra"
    stream = {"Fn::GetAtt": [synth.logical_id(synth.stack.storage.table("Assets")), "StreamArn"]}
    http = [s for s in statements if any(action.startswith("es:") for action in actions(s))]
    assert [(actions(s), resources(s)) for s in http] == [
        (methods, [_domain_paths(synth, path) for path in paths]) for methods, paths in INDEXER_GRANTS
    ]
    for statement in statements:
        granted = set(actions(statement))
        if granted & STREAM_READS:
            assert (granted, resources(statement)) == (STREAM_READS, [stream])
        if any(action.startswith("sqs:") for action in granted):
            assert resources(statement) == [arn_of(synth.logical_id(search.dead_letters))]


def test_api_searches_the_domain_and_embeds_queries_with_the_documents_model(synth: Synth) -> None:
    statements = synth.role_statements(synth.stack.api.handler.role)
    search = [s for s in statements if any(action.startswith("es:") for action in actions(s))]
    assert [(actions(s), resources(s)) for s in search] == [
        (methods, [_domain_paths(synth, path) for path in paths]) for methods, paths in QUERY_GRANTS
    ]
    (bedrock,) = [s for s in statements if s.get("Sid") == "QueryEmbeddings"]
    assert actions(bedrock) == ["bedrock:InvokeModel"]
    assert resources(bedrock) == [_arn("bedrock", "::foundation-model/amazon.titan-embed-text-v2:0", account=False)]
    env = _env(synth, synth.stack.api.handler)
    assert {key: env[key] for key in SEARCH_ENV} == SEARCH_ENV
    assert env["DAM_SEARCH_ENDPOINT"] == _endpoint(synth)
    # The embed step's model and size: query vectors must match the documents'.
    embed_env = _env(synth, synth.stack.pipeline.steps["embed"])
    for key in ("DAM_EMBEDDER", "DAM_EMBEDDING_MODEL_ID", "DAM_EMBEDDING_DIMENSIONS"):
        assert env[key] == embed_env[key]
    assert env["DAM_EMBEDDER"] == "bedrock"


def test_no_policy_grants_search_with_wildcards(synth: Synth) -> None:
    statements = [
        statement
        for policy in synth.of_type("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ] + _domain(synth)["AccessPolicies"]["Statement"]
    search = [s for s in statements if any(action.startswith("es:") for action in actions(s))]
    assert len(search) == 10  # the indexer's three grants and the API's two, each on both sides
    for statement in search:
        assert all(action.startswith("es:ESHttp") and "*" not in action for action in actions(statement))
        assert "*" not in resources(statement)


@pytest.mark.parametrize(("stage", "free_storage_mib"), [("dev", 2560), ("prod", 25600)])
def test_alarms_watch_the_indexer_and_the_domain(
    synth: Synth, prod_synth: Synth, stage: str, free_storage_mib: int
) -> None:
    chosen = {"dev": synth, "prod": prod_synth}[stage]
    search = chosen.stack.search
    alarms = {
        chosen.path(logical_id).split("/")[-2]: alarm["Properties"]
        for logical_id, alarm in chosen.of_type("AWS::CloudWatch::Alarm").items()
    }
    domain = {"Ref": chosen.logical_id(search.domain)}
    expected = {
        "SearchIndexerDeadLettersNotEmpty": ("ApproximateNumberOfMessagesVisible", "GreaterThanOrEqualToThreshold", 1),
        "SearchIndexerErrors": ("Errors", "GreaterThanOrEqualToThreshold", 1),
        "SearchClusterRed": ("ClusterStatus.red", "GreaterThanOrEqualToThreshold", 1),
        "SearchStorageLow": ("FreeStorageSpace", "LessThanOrEqualToThreshold", free_storage_mib),
    }
    for name, (metric, comparison, threshold) in expected.items():
        alarm = alarms[name]
        assert (alarm["MetricName"], alarm["ComparisonOperator"], alarm["Threshold"]) == (metric, comparison, threshold)
        assert alarm.get("AlarmActions") == ([ALARM_TOPIC] if stage == "prod" else None)
    dimensions = {name: {d["Name"]: d["Value"] for d in alarms[name]["Dimensions"]} for name in expected}
    assert dimensions["SearchIndexerDeadLettersNotEmpty"] == {
        "QueueName": {"Fn::GetAtt": [chosen.logical_id(search.dead_letters), "QueueName"]}
    }
    assert dimensions["SearchIndexerErrors"] == {"FunctionName": {"Ref": chosen.logical_id(search.indexer.function)}}
    for name in ("SearchClusterRed", "SearchStorageLow"):
        assert dimensions[name]["DomainName"] == domain
    assert alarms["SearchStorageLow"]["Statistic"] == "Minimum"  # the fullest node


def test_outputs_give_the_search_endpoint(synth: Synth) -> None:
    assert synth.template["Outputs"]["SearchEndpoint"]["Value"] == _endpoint(synth)


def test_prod_needs_no_small_domain_acknowledgments(prod_synth: Synth) -> None:
    assert prod_synth.validation_error is None
    (report,) = [r for r in prod_synth.validation_report()["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    assert report["violations"] == []
    acknowledged = {s["acknowledgedId"].rsplit("-", 1)[-1] for s in report["suppressedViolations"]}
    assert {"OS1", "OS3"} <= acknowledged
    assert not {"OS4", "OS7"} & acknowledged  # dedicated masters and zone awareness are really there


def _sizing(context: dict[str, Any]) -> Any:
    from aws_cdk import App

    from stacks.config import StageConfig

    return StageConfig.from_context(App(context=context).node).search


def test_sizing_defaults_per_stage_and_overrides_from_context() -> None:
    assert (_sizing({}).data_nodes, _sizing({}).zones, _sizing({}).master_nodes) == (1, 1, 0)
    assert (_sizing({"stage": "prod"}).data_nodes, _sizing({"stage": "prod"}).master_nodes) == (3, 3)
    custom = _sizing({"stage": "prod", "search_data_nodes": "6", "search_data_instance_type": "r7g.xlarge.search"})
    assert (custom.data_nodes, custom.data_instance_type, custom.zones, custom.volume_gb) == (
        6,
        "r7g.xlarge.search",
        3,
        100,
    )


@pytest.mark.parametrize(
    "context",
    [
        {"search_data_nodes": "2", "search_zones": "3"},  # not spread evenly over the AZs
        {"search_zones": "4"},
        {"search_master_nodes": "2"},  # no quorum
        {"search_volume_gb": "5"},
    ],
)
def test_bad_sizing_fails_the_synth_early(context: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        _sizing(context)


def test_engines_without_the_normalization_processor_are_refused() -> None:
    from aws_cdk import App

    from stacks.search import _engine_version

    assert _engine_version(App(context={"search_engine_version": "2.19"})) == "2.19"
    with pytest.raises(ValueError):
        _engine_version(App(context={"search_engine_version": "2.9"}))
