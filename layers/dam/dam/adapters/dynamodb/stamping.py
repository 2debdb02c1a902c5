"""Every write to an audited table says who made it and in which request: `updated_by` and `request_id`.

The audit log is built from the tables' streams (functions/audit), so who and which request must be on the
item itself. One place adds them, under every repository: PynamoDB's `Connection.dispatch`, which all our
DynamoDB calls go through. PutItem gets the two attributes; UpdateItem sets them in its SET clause (or
REMOVEs a stale `request_id` when the work has none); TransactWriteItems and BatchWriteItem do the same per
entry.

A delete's stream record carries the item as it was, and so the previous writer. The deleter is written on
the item first: an UpdateItem that sets only the two attributes (conditional on the item existing, so
nothing is ever created by it), then the delete. The stamp's own stream record changes no audited field,
and the audit consumer drops it; the REMOVE that follows names the deleter. Chosen over a tombstone item
because it needs no second item type, no ordering across partitions (a stream orders records per item only,
and the stamp and its delete are the same item), and no cleanup; the price is one more write per delete.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.connection.base import Connection

from dam.observability import actor, correlation_id

UPDATED_BY = "updated_by"
REQUEST_ID = "request_id"
STAMP_ATTRIBUTES = frozenset({UPDATED_BY, REQUEST_ID})

_NAMES = {"#stampBy": UPDATED_BY, "#stampRequest": REQUEST_ID}
_CLAUSE = re.compile(r"\b(SET|REMOVE|ADD|DELETE)\b", re.IGNORECASE)

# Table names whose writes are stamped (those with a stream): set by bind_tables().
_stamped: set[str] = set()
_original_dispatch: Callable[..., Any] | None = None

Send = Callable[[str, dict[str, Any]], Any]


def stamp_tables(table_names: Iterable[str]) -> None:
    """Stamp writes to these tables from now on (idempotent: the hook is installed once per process)."""
    global _original_dispatch  # noqa: PLW0603 - one hook per process
    _stamped.clear()
    _stamped.update(table_names)
    if _original_dispatch is None:
        original = Connection.dispatch
        _original_dispatch = original

        def dispatch(self: Connection, operation_name: str, operation_kwargs: dict[str, Any]) -> Any:
            stamp(operation_name, operation_kwargs, lambda name, kwargs: original(self, name, kwargs))
            return original(self, operation_name, operation_kwargs)

        Connection.dispatch = dispatch  # type: ignore[method-assign]


def stamp(operation: str, kwargs: dict[str, Any], send: Send) -> None:
    """Add who and which request to a write's arguments in place; stamp the items a delete will remove."""
    if operation == "PutItem":
        _stamp_put(kwargs)
    elif operation == "UpdateItem":
        _stamp_update(kwargs)
    elif operation == "DeleteItem":
        _stamp_before_delete(kwargs.get("TableName"), kwargs.get("Key"), send)
    elif operation == "TransactWriteItems":
        for entry in kwargs.get("TransactItems", []):
            if "Put" in entry:
                _stamp_put(entry["Put"])
            elif "Update" in entry:
                _stamp_update(entry["Update"])
            elif "Delete" in entry:
                _stamp_before_delete(entry["Delete"].get("TableName"), entry["Delete"].get("Key"), send)
    elif operation == "BatchWriteItem":
        for table, requests in kwargs.get("RequestItems", {}).items():
            for request in requests:
                if "PutRequest" in request:
                    _stamp_put({"TableName": table, **request["PutRequest"]})
                elif "DeleteRequest" in request:
                    _stamp_before_delete(table, request["DeleteRequest"].get("Key"), send)


def _values() -> dict[str, dict[str, str]]:
    request = correlation_id()
    return {UPDATED_BY: {"S": actor()}, **({REQUEST_ID: {"S": request}} if request else {})}


def _stamp_put(put: dict[str, Any]) -> None:
    if put.get("TableName") not in _stamped:
        return
    item = put["Item"]  # the dict BatchWriteItem's PutRequest holds, so the request itself changes
    item.pop(REQUEST_ID, None)
    item.update(_values())


def _stamp_update(update: dict[str, Any]) -> None:
    if update.get("TableName") not in _stamped or "UpdateExpression" not in update:
        return
    values = _values()
    sets = ["#stampBy = :stampBy"] + (["#stampRequest = :stampRequest"] if REQUEST_ID in values else [])
    expression = _with_clause(update["UpdateExpression"], "SET", sets)
    if REQUEST_ID not in values:
        expression = _with_clause(expression, "REMOVE", ["#stampRequest"])
    update["UpdateExpression"] = expression
    update["ExpressionAttributeNames"] = {**update.get("ExpressionAttributeNames", {}), **_NAMES}
    update["ExpressionAttributeValues"] = {
        **update.get("ExpressionAttributeValues", {}),
        ":stampBy": values[UPDATED_BY],
        **({":stampRequest": values[REQUEST_ID]} if REQUEST_ID in values else {}),
    }


def _with_clause(expression: str, keyword: str, actions: list[str]) -> str:
    """`expression` with `actions` added to its `keyword` clause (an update expression has each clause once)."""
    joined = ", ".join(actions)
    for match in _CLAUSE.finditer(expression):
        if match.group(1).upper() == keyword:
            return f"{expression[: match.end()]} {joined},{expression[match.end() :]}"
    return f"{expression} {keyword} {joined}".strip()


def _stamp_before_delete(table: str | None, key: dict[str, Any] | None, send: Send) -> None:
    """Record the deleter on the item (if it still exists), so the delete's old image names them."""
    if table not in _stamped or not key:
        return
    first_key = next(iter(key))
    update: dict[str, Any] = {
        "TableName": table,
        "Key": key,
        "UpdateExpression": "",
        "ConditionExpression": "attribute_exists(#stampKey)",
        "ExpressionAttributeNames": {"#stampKey": first_key},
    }
    _stamp_update(update)
    try:
        send("UpdateItem", update)
    except ClientError as error:  # PynamoDB's VerboseClientError is one
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
