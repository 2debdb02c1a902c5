"""Every write to an audited table carries who and which request; a delete stamps the deleter first."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dam.adapters.dynamodb import stamping
from dam.observability import use_actor, use_correlation_id


@pytest.fixture(autouse=True)
def audited_table() -> Iterator[None]:
    stamping.stamp_tables(["audited"])
    use_actor("user-maya")
    use_correlation_id("req-1")
    yield
    use_actor(None)
    use_correlation_id(None)


def _no_send(_name: str, _kwargs: dict[str, Any]) -> None:
    raise AssertionError("nothing is sent for this write")


def test_a_put_carries_the_writer_and_the_request_and_an_unaudited_table_is_left_alone() -> None:
    put = {"TableName": "audited", "Item": {"pk": {"S": "a"}, "request_id": {"S": "old"}}}
    stamping.stamp("PutItem", put, _no_send)
    assert put["Item"] == {"pk": {"S": "a"}, "updated_by": {"S": "user-maya"}, "request_id": {"S": "req-1"}}
    other = {"TableName": "audit", "Item": {"pk": {"S": "a"}}}
    stamping.stamp("PutItem", other, _no_send)
    assert other["Item"] == {"pk": {"S": "a"}}


@pytest.mark.parametrize(
    ("expression", "stamped"),
    [
        ("SET #0 = :0", "SET #stampBy = :stampBy, #stampRequest = :stampRequest, #0 = :0"),
        ("REMOVE #1 ADD #2 :2", "REMOVE #1 ADD #2 :2 SET #stampBy = :stampBy, #stampRequest = :stampRequest"),
        ("ADD #0 :0 SET #1 = :1", "ADD #0 :0 SET #stampBy = :stampBy, #stampRequest = :stampRequest, #1 = :1"),
    ],
)
def test_an_update_sets_the_stamps_in_its_one_set_clause(expression: str, stamped: str) -> None:
    update = {
        "TableName": "audited",
        "Key": {},
        "UpdateExpression": expression,
        "ExpressionAttributeNames": {"#0": "n"},
    }
    stamping.stamp("UpdateItem", update, _no_send)
    assert update["UpdateExpression"] == stamped
    assert update["ExpressionAttributeNames"]["#stampBy"] == "updated_by"
    assert update["ExpressionAttributeValues"][":stampBy"] == {"S": "user-maya"}


def test_work_without_a_request_removes_the_previous_request_id_and_is_by_system() -> None:
    use_actor(None)
    use_correlation_id(None)
    update = {"TableName": "audited", "Key": {}, "UpdateExpression": "SET #0 = :0"}
    stamping.stamp("UpdateItem", update, _no_send)
    assert update["UpdateExpression"] == "SET #stampBy = :stampBy, #0 = :0 REMOVE #stampRequest"
    assert update["ExpressionAttributeValues"] == {":stampBy": {"S": "system"}}


def test_deletes_stamp_the_deleter_on_the_item_first_in_every_kind_of_write() -> None:
    sent: list[tuple[str, dict[str, Any]]] = []
    key = {"pk": {"S": "a"}, "sk": {"S": "b"}}
    stamping.stamp("DeleteItem", {"TableName": "audited", "Key": key}, lambda n, k: sent.append((n, k)))
    stamping.stamp(
        "TransactWriteItems",
        {"TransactItems": [{"Delete": {"TableName": "audited", "Key": key}}, {"ConditionCheck": {}}]},
        lambda n, k: sent.append((n, k)),
    )
    stamping.stamp(
        "BatchWriteItem",
        {"RequestItems": {"audited": [{"DeleteRequest": {"Key": key}}], "audit": [{"DeleteRequest": {"Key": key}}]}},
        lambda n, k: sent.append((n, k)),
    )
    assert [name for name, _ in sent] == ["UpdateItem"] * 3
    update = sent[0][1]
    assert update["Key"] == key and update["ConditionExpression"] == "attribute_exists(#stampKey)"
    assert update["UpdateExpression"] == "SET #stampBy = :stampBy, #stampRequest = :stampRequest"
