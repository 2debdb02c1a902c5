"""moto applies each DynamoDB request alone once serialised, as DynamoDB does (counters never lose an ADD)."""

from __future__ import annotations

import threading

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
