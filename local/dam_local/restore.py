"""`dam copy-table`: copy every item of a table restored from a backup (or to a point in time) back into the
stack's own table, which CloudFormation owns and the functions are configured with.

A restore always makes a new table; this puts its items where the stack reads them. Items are written as
they are (a put per item, 25 a batch, unprocessed ones retried): an item with the same key is replaced by the
restored one, items the restored table does not hold are left alone. Writes into the stack's Assets table go
through its stream to the indexer, so search follows; `dam reindex --aws` rebuilds it in one go.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from dam_local.reindex import progress_bar


class CopyError(Exception):
    """A refusal to explain in one line."""


def copy_table(source: str, target: str, *, region: str | None = None, endpoint_url: str | None = None) -> int:
    import boto3

    client = boto3.client("dynamodb", region_name=region, endpoint_url=endpoint_url)
    if source == target:
        raise CopyError("the source and the target are the same table")
    keys = _key_names(client, source)
    if keys != _key_names(client, target):
        raise CopyError(f"{source} and {target} have different keys: is {target} the same kind of table?")
    total = int(client.describe_table(TableName=source)["Table"].get("ItemCount", 0))
    started = time.monotonic()
    show = progress_bar(total, started, noun="items")
    copied = 0
    for page in client.get_paginator("scan").paginate(TableName=source, ConsistentRead=True):
        items = page.get("Items", [])
        for start in range(0, len(items), 25):
            _write(client, target, items[start : start + 25])
        copied += len(items)
        show(copied)
    sys.stderr.write("\n")
    return copied


def _key_names(client: Any, table: str) -> list[tuple[str, str]]:
    schema = client.describe_table(TableName=table)["Table"]["KeySchema"]
    return sorted((key["AttributeName"], key["KeyType"]) for key in schema)


def _write(client: Any, table: str, items: list[dict[str, Any]]) -> None:
    requests: dict[str, Any] = {table: [{"PutRequest": {"Item": item}} for item in items]}
    for attempt in range(10):
        requests = client.batch_write_item(RequestItems=requests).get("UnprocessedItems") or {}
        if not requests:
            return
        time.sleep(min(2.0, 0.05 * 2**attempt))  # throttled: back off, then send what was left
    raise CopyError(f"{table} kept refusing writes (throttled); run the copy again: it only puts items")


def run(source: str, target: str, region: str | None) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        copied = copy_table(source, target, region=region)
    except ClientError as error:
        details = error.response.get("Error", {})
        print(f"dam copy-table: {details.get('Code', 'error')}: {details.get('Message', error)}", file=sys.stderr)
        return 1
    except (BotoCoreError, CopyError) as error:
        print(f"dam copy-table: {error}", file=sys.stderr)
        return 1
    print(f"copied {copied} items from {source} into {target}")
    return 0
