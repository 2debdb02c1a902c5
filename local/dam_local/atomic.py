"""DynamoDB's per-request atomicity for moto.

DynamoDB applies each UpdateItem, conditional put and transaction atomically. moto's handlers read, change
and write Python objects without a lock, so two threads (the threaded moto server, or concurrent requests
in one process) can interleave: an `ADD counter 1` can be lost, or return the value another request wrote.
Code that relies on DynamoDB's guarantees (version numbers, counters) would then misbehave only here.
Serialising moto's DynamoDB actions restores the guarantee; requests are in-memory and fast, so one lock
costs nothing measurable.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_LOCK = threading.RLock()
_MARK = "_dam_serialised"


def serialise_dynamodb() -> None:
    """Make every moto DynamoDB request run alone (idempotent; call before the first request)."""
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action
    if getattr(original, _MARK, False):
        return

    @functools.wraps(original)
    def call_action(self: DynamoHandler) -> Any:
        with _LOCK:
            return original(self)

    setattr(call_action, _MARK, True)
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


def dynamodb_lock() -> threading.RLock:
    """Held while a moto DynamoDB request runs: reading moto's tables under it sees whole requests only."""
    return _LOCK


def roll_back_transactions_in_place() -> None:
    """moto backs up every table a TransactWriteItems names with a deep copy (the whole table, on every
    transaction: ~1 s at a few thousand assets) and, when the transaction is cancelled, puts the copies in the
    tables' place. The copies carry copies of the tables' streams, so every stream reader (the indexer, the
    audit log) kept reading the old stream and saw no write after the first cancelled transaction, while the
    old stream still held the records of the writes that were rolled back. DynamoDB's stream never shows a
    cancelled transaction. Here the tables stay the same objects: the touched items are backed up alone and
    put back, and the stream records the transaction wrote are taken out again. Idempotent."""
    import copy

    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    original = models.DynamoDBBackend.transact_write_items
    if getattr(original, _MARK, False):
        return

    class _TablesNotCopied:
        """`copy` as moto.dynamodb.models sees it: a table is its own backup (the wrapper below restores)."""

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    models.copy = _TablesNotCopied  # type: ignore[assignment]

    @functools.wraps(original)
    def transact_write_items(self: models.DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        items, streams = _backups(self, transact_items)
        try:
            original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, before in reversed(items):  # the first backup of a key wins
                _put_back(table, hash_key, range_key, before)
            for table, length in streams.items():
                del table.stream_shard.items[length:]
            raise

    setattr(transact_write_items, _MARK, True)
    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _backups(backend: Any, transact_items: list[dict[str, Any]]) -> tuple[list[tuple[Any, ...]], dict[Any, int]]:
    """Each named item as it is now (a deep copy, or None), and each table's stream length."""
    import copy

    from moto.dynamodb.models.dynamo_type import DynamoType

    items: list[tuple[Any, ...]] = []
    streams: dict[Any, int] = {}
    for entry in transact_items:
        try:
            ((kind, operation),) = entry.items()
            table = backend.tables[operation["TableName"]]
            key = operation["Item"] if kind == "Put" else operation["Key"]
            hash_key = DynamoType(key[table.hash_key_attr])
            range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        except (AttributeError, KeyError, TypeError, ValueError):
            continue  # moto refuses the entry before it writes anything
        current = table.get_item(hash_key, range_key)
        items.append((table, hash_key, range_key, copy.deepcopy(current) if current is not None else None))
        if table.stream_shard is not None:
            streams.setdefault(table, len(table.stream_shard.items))
    return items, streams


def _put_back(table: Any, hash_key: Any, range_key: Any, before: Any) -> None:
    if range_key is None:
        if before is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = before
    elif before is None:
        table.items[hash_key].pop(range_key, None)
    else:
        table.items[hash_key][range_key] = before
