"""The audit log on AWS: both tables' streams feed the audit function (partial batch failures, bisect,
retries, a dead-letter queue); the audit table expires events by TTL, has no stream, and is append-only
by IAM: the audit function may only PutItem, the API may only Query, and no other role names it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.synth import INFRA_MARKS, Synth, actions, arn_of, resources

pytestmark = INFRA_MARKS

STREAM_READS = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}


def _table(synth: Synth, name: str) -> str:
    return synth.logical_id(synth.stack.storage.table(name))


@pytest.mark.parametrize("table", ["Assets", "Library"])
def test_each_audited_stream_feeds_the_audit_function_with_partial_failures(synth: Synth, table: str) -> None:
    audit = synth.stack.audit
    mapping = synth.event_source_mapping({"Fn::GetAtt": [_table(synth, table), "StreamArn"]}, audit.handler.function)
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert (mapping["BatchSize"], mapping["MaximumBatchingWindowInSeconds"]) == (100, 2)
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["MaximumRetryAttempts"] == 5
    assert mapping["MaximumRecordAgeInSeconds"] == 86400
    assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": arn_of(synth.logical_id(audit.dead_letters))}}
    # Every record reaches the function: which ones are events is decided in one place (dam.domain.audit).
    assert "FilterCriteria" not in mapping


def test_the_audited_tables_stream_both_images_and_the_audit_table_expires_events_and_streams_nothing(
    synth: Synth,
) -> None:
    for name in ("Assets", "Library"):
        props = synth.resources[_table(synth, name)]["Properties"]
        assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    audit = synth.resources[_table(synth, "Audit")]["Properties"]
    assert audit["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert "StreamSpecification" not in audit
    assert audit["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_the_audit_function_is_sized_configured_and_keeps_events_for_the_retention_setting(synth: Synth) -> None:
    audit = synth.stack.audit
    props = synth.properties(audit.handler.function)
    assert (props["MemorySize"], props["Timeout"]) == (256, 60)
    env = props["Environment"]["Variables"]
    assert env["DAM_AUDIT_TABLE"] == {"Ref": _table(synth, "Audit")}
    assert env["DAM_AUDIT_RETENTION_DAYS"] == "365"
    assert env["POWERTOOLS_SERVICE_NAME"] == "dam-audit"


def _statements_naming(synth: Synth, logical_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every IAM statement that names the table (or its indexes), by the roles its policy is attached to."""
    found: dict[str, list[dict[str, Any]]] = {}
    for policy in synth.of_type("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if f'"{logical_id}"' in json.dumps(resources(statement)):
                for role in policy["Properties"]["Roles"]:
                    found.setdefault(role["Ref"], []).append(statement)
    return found


def test_the_audit_table_is_append_only_by_iam(synth: Synth) -> None:
    stack, table = synth.stack, _table(synth, "Audit")
    by_role = _statements_naming(synth, table)
    writer, reader = synth.logical_id(stack.audit.handler.role), synth.logical_id(stack.api.handler.role)
    assert set(by_role) == {writer, reader}, "no other role may touch the audit log"
    # The writer: PutItem on the table itself, nothing else (no UpdateItem, DeleteItem, BatchWriteItem)
    (write,) = by_role[writer]
    assert (actions(write), resources(write)) == (["dynamodb:PutItem"], [arn_of(table)])
    # The API: Query on the table and its two indexes, nothing else
    (read,) = by_role[reader]
    assert actions(read) == ["dynamodb:Query"]
    index_arns = [json.dumps(r) for r in resources(read)[1:]]
    assert resources(read)[0] == arn_of(table) and len(index_arns) == 2
    assert all("/index/by_a" in arn for arn in index_arns)
    # and none of the API's other statements reach it through a wildcard
    for statement in synth.role_statements(stack.api.handler.role):
        if statement is not read and any(a.startswith("dynamodb:") for a in actions(statement)):
            assert f'"{table}"' not in json.dumps(resources(statement))
            assert "*" not in json.dumps(resources(statement)).replace("/assets/*", "")


def test_the_audit_function_reads_exactly_the_two_streams(synth: Synth) -> None:
    statements = synth.role_statements(synth.stack.audit.handler.role)
    streams = [s for s in statements if set(actions(s)) & STREAM_READS]
    assert sorted(json.dumps(resources(s)) for s in streams) == sorted(
        json.dumps([{"Fn::GetAtt": [_table(synth, name), "StreamArn"]}]) for name in ("Assets", "Library")
    )
    dynamodb = {a for s in statements for a in actions(s) if a.startswith("dynamodb:")}
    assert dynamodb == STREAM_READS | {"dynamodb:ListStreams", "dynamodb:PutItem"}


def test_alarms_watch_the_audit_function_and_its_dead_letters(synth: Synth) -> None:
    alarms = {a["Properties"]["AlarmDescription"] for a in synth.of_type("AWS::CloudWatch::Alarm").values()}
    for name in ("AuditDeadLettersNotEmpty", "AuditHandlerErrors", "AuditHandlerThrottles"):
        assert f"DAM dev: {name}" in alarms
