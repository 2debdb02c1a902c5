"""The media bucket and the tables, as synthesized."""

from __future__ import annotations

from typing import Any

import pytest

from dam.adapters.dynamodb.schema import IndexSpec, KeySpec, table_specs
from tests.infra.synth import INFRA_MARKS, Synth

pytestmark = INFRA_MARKS


def _bucket(synth: Synth) -> tuple[str, dict[str, Any]]:
    logical_id = synth.logical_id(synth.stack.storage.media_bucket)
    return logical_id, synth.resources[logical_id]


def _bucket_policy_statements(synth: Synth, bucket_id: str) -> list[dict[str, Any]]:
    (policy,) = [
        p for p in synth.of_type("AWS::S3::BucketPolicy").values() if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    return policy["Properties"]["PolicyDocument"]["Statement"]


def test_media_bucket_blocks_public_access_and_encrypts(synth: Synth) -> None:
    _, bucket = _bucket(synth)
    props = bucket["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    logs_id = synth.logical_id(synth.stack.storage.access_logs_bucket)
    assert props["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": logs_id}


def test_both_buckets_deny_requests_without_tls(synth: Synth) -> None:
    for bucket in (synth.stack.storage.media_bucket, synth.stack.storage.access_logs_bucket):
        statements = _bucket_policy_statements(synth, synth.logical_id(bucket))
        denies = [s for s in statements if s["Effect"] == "Deny" and s["Action"] == "s3:*"]
        assert {"Bool": {"aws:SecureTransport": "false"}} in [s["Condition"] for s in denies]


def test_media_bucket_cors_allows_browser_uploads_from_configured_origins_only(synth: Synth) -> None:
    _, bucket = _bucket(synth)
    # The web app's CloudFront origin has its own rule (tests/infra/test_web.py).
    (rule,) = [r for r in bucket["Properties"]["CorsConfiguration"]["CorsRules"] if r["Id"] == "browser-uploads"]
    assert sorted(rule["AllowedMethods"]) == ["GET", "HEAD", "POST", "PUT"]
    assert rule["AllowedOrigins"] == ["http://localhost:5173"]
    assert "ETag" in rule["ExposedHeaders"]


def test_incomplete_multipart_uploads_are_aborted_after_a_day(synth: Synth) -> None:
    _, bucket = _bucket(synth)
    rules = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    assert {"DaysAfterInitiation": 1} in [r.get("AbortIncompleteMultipartUpload") for r in rules]


def test_media_bucket_keeps_versions_so_a_checked_original_is_never_replaced(synth: Synth) -> None:
    """A second POST with a reused form makes a new version; the checked one stays where links point."""
    _, bucket = _bucket(synth)
    props = bucket["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = props["LifecycleConfiguration"]["Rules"]
    (noncurrent,) = [r for r in rules if "NoncurrentVersionExpiration" in r]
    assert noncurrent["Status"] == "Enabled"
    assert noncurrent["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert "ExpirationInDays" not in noncurrent, "current versions (the checked originals) never expire"
    assert noncurrent["ExpiredObjectDeleteMarker"] is True, "a delete marker over no versions is cleaned up"


def _key_schema(partition: KeySpec, sort: KeySpec | None) -> list[dict[str, str]]:
    keys = [{"AttributeName": partition.name, "KeyType": "HASH"}]
    return keys + ([{"AttributeName": sort.name, "KeyType": "RANGE"}] if sort else [])


def _index(index: IndexSpec) -> dict[str, Any]:
    return {
        "IndexName": index.name,
        "KeySchema": _key_schema(index.partition_key, index.sort_key),
        "Projection": {"ProjectionType": "ALL"},
    }


@pytest.mark.parametrize("spec", table_specs(), ids=lambda spec: spec.logical_name)
def test_table_matches_its_record_model_exactly(synth: Synth, spec: Any) -> None:
    """Keys, indexes, stream and TTL come from the models: any drift between the two fails here."""
    table = synth.stack.storage.table(spec.logical_name)
    props = synth.resources[synth.logical_id(table)]["Properties"]
    assert props["KeySchema"] == _key_schema(spec.partition_key, spec.sort_key)
    assert sorted(props.get("GlobalSecondaryIndexes", []), key=lambda i: i["IndexName"]) == [
        _index(index) for index in spec.indexes
    ]
    expected_attributes = spec.create_table_kwargs("any")["AttributeDefinitions"]
    assert sorted(props["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == sorted(
        expected_attributes, key=lambda a: a["AttributeName"]
    )
    if spec.stream_view_type:
        assert props["StreamSpecification"] == {"StreamViewType": spec.stream_view_type}
    else:
        assert "StreamSpecification" not in props
    if spec.ttl_attribute:
        assert props["TimeToLiveSpecification"] == {"AttributeName": spec.ttl_attribute, "Enabled": True}
    else:
        assert "TimeToLiveSpecification" not in props


def test_every_record_model_has_a_table(synth: Synth) -> None:
    assert len(synth.of_type("AWS::DynamoDB::Table")) == len(table_specs())
    assert set(synth.stack.storage.tables) == {spec.logical_name for spec in table_specs()}


def test_tables_are_on_demand_encrypted_and_recoverable(synth: Synth) -> None:
    for table in synth.of_type("AWS::DynamoDB::Table").values():
        props = table["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["SSESpecification"] == {"SSEEnabled": True}
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_dev_data_is_disposable(synth: Synth) -> None:
    storage = synth.stack.storage
    for construct in (storage.media_bucket, storage.access_logs_bucket, *storage.tables.values()):
        assert synth.resources[synth.logical_id(construct)]["DeletionPolicy"] == "Delete"
    assert synth.of_type("Custom::S3AutoDeleteObjects")


def test_prod_data_is_retained_and_configured_from_context(prod_synth: Synth) -> None:
    storage = prod_synth.stack.storage
    for construct in (storage.media_bucket, storage.access_logs_bucket, *storage.tables.values()):
        assert prod_synth.resources[prod_synth.logical_id(construct)]["DeletionPolicy"] == "Retain"
    # Only the web bucket (a build, tests/infra/test_web.py) is emptied when a prod stack goes.
    emptied = [r["Properties"]["BucketName"] for r in prod_synth.of_type("Custom::S3AutoDeleteObjects").values()]
    assert emptied == [{"Ref": prod_synth.logical_id(prod_synth.stack.web.bucket)}]
    for table in prod_synth.of_type("AWS::DynamoDB::Table").values():
        assert table["Properties"]["DeletionProtectionEnabled"] is True
    rules = prod_synth.resources[prod_synth.logical_id(storage.media_bucket)]["Properties"]["CorsConfiguration"]
    (rule,) = [r for r in rules["CorsRules"] if r["Id"] == "browser-uploads"]
    assert rule["AllowedOrigins"] == ["https://dam.example.com"]
    assert prod_synth.validation_error is None


def test_prod_tables_are_recoverable_to_any_second_of_the_last_35_days(prod_synth: Synth) -> None:
    """Point-in-time recovery in prod as in dev (the README's restore path starts from it)."""
    tables = prod_synth.of_type("AWS::DynamoDB::Table").values()
    assert len(tables) == len(table_specs())
    for table in tables:
        assert table["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_the_user_pool_is_kept_and_protected_in_prod_and_disposable_in_dev(synth: Synth, prod_synth: Synth) -> None:
    """Losing the pool loses every user's sign-in, workspace and groups: prod retains and protects it."""
    for built, policy, protection in ((synth, "Delete", "INACTIVE"), (prod_synth, "Retain", "ACTIVE")):
        (pool,) = built.of_type("AWS::Cognito::UserPool").values()
        assert pool["DeletionPolicy"] == policy
        assert pool["Properties"].get("DeletionProtection", "INACTIVE") == protection
