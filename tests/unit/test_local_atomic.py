"""moto applies each DynamoDB request alone once serialised, as DynamoDB does (counters never lose an ADD)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.conftest import Aws


def test_concurrent_counter_updates_each_get_their_own_value(aws: Aws) -> None:
    import boto3

    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(
        TableName="counters",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    seen: list[int] = []

    def bump() -> None:
        for _ in range(40):
            answer = client.update_item(
                TableName="counters",
                Key={"pk": {"S": "one"}},
                UpdateExpression="ADD n :one",
                ExpressionAttributeValues={":one": {"N": "1"}},
                ReturnValues="UPDATED_NEW",
            )
            seen.append(int(answer["Attributes"]["n"]["N"]))

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(seen) == list(range(1, 321))


def _streamed_table(client: Any, name: str) -> str:
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    return str(client.describe_table(TableName=name)["Table"]["LatestStreamArn"])


def _key(name: str) -> dict[str, Any]:
    return {"pk": {"S": "ws"}, "sk": {"S": name}}


def test_a_cancelled_transaction_leaves_the_items_and_the_stream_as_if_it_never_ran(aws: Aws) -> None:
    """moto swapped every table of a cancelled transaction for a deep copy: stream readers then read the old
    table's stream (no later write ever reached the indexer) and saw the rolled-back writes."""
    import boto3

    client = boto3.client("dynamodb", region_name="us-east-1")
    # moto routes stream calls by the streams host (the default endpoint reaches its DynamoDB handler).
    streams = boto3.client(
        "dynamodbstreams", region_name="us-east-1", endpoint_url="https://streams.dynamodb.us-east-1.amazonaws.com"
    )
    arn = _streamed_table(client, "assets-streamed")
    (shard,) = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")

    client.put_item(TableName="assets-streamed", Item={**_key("a"), "name": {"S": "before"}})
    refused = [
        {
            "Update": {
                "TableName": "assets-streamed",
                "Key": _key("a"),
                "UpdateExpression": "SET #n = :n",
                "ExpressionAttributeNames": {"#n": "name"},
                "ExpressionAttributeValues": {":n": {"S": "rolled back"}},
            }
        },
        {"Put": {"TableName": "assets-streamed", "Item": {**_key("b"), "name": {"S": "never"}}}},
        {
            "ConditionCheck": {
                "TableName": "assets-streamed",
                "Key": _key("missing"),
                "ConditionExpression": "attribute_exists(pk)",
            }
        },
    ]
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(TransactItems=refused)
    client.put_item(TableName="assets-streamed", Item={**_key("c"), "name": {"S": "after"}})

    assert client.get_item(TableName="assets-streamed", Key=_key("a"))["Item"]["name"] == {"S": "before"}
    assert "Item" not in client.get_item(TableName="assets-streamed", Key=_key("b"))
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    seen = [(r["eventName"], r["dynamodb"]["NewImage"]["name"]["S"]) for r in records]
    assert seen == [("INSERT", "before"), ("INSERT", "after")]


def test_a_transaction_does_not_copy_the_tables_it_names(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    import copy

    import boto3
    from moto.dynamodb.models.table import Table

    client = boto3.client("dynamodb", region_name="us-east-1")
    _streamed_table(client, "assets-copied")
    copied: list[str] = []
    real = copy.deepcopy
    monkeypatch.setattr(copy, "deepcopy", lambda v, m=None: copied.append(type(v).__name__) or real(v, m))
    put = {"Put": {"TableName": "assets-copied", "Item": {**_key("a"), "name": {"S": "x"}}}}
    client.transact_write_items(TransactItems=[put])
    assert Table.__name__ not in copied
    assert client.get_item(TableName="assets-copied", Key=_key("a"))["Item"]["name"] == {"S": "x"}
