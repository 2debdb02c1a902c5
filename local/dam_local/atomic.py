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
