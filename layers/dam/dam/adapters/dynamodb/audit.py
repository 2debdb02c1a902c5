"""The audit table: events appended by the audit function, read a page at a time by the API.

Append-only in code as in IAM: every put is conditional on the event not existing yet, so a record the
stream hands over again (a retried batch) is written once and never replaces what is there; the function's
role has PutItem on this table and nothing else, the API's role Query only (stacks/audit.py).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import PutError, QueryError

from dam.adapters.dynamodb.assets import _error_code
from dam.adapters.dynamodb.budget import FILTERED_PAGE_SIZE, read_within_budget
from dam.adapters.dynamodb.models import AuditRecord
from dam.domain.audit import AuditAction, AuditEvent, Change, UnreadableChange
from dam.domain.errors import InvalidCursor
from dam.domain.queries import Page, decode_cursor, encode_cursor

_MIN, _MAX = "0", "~"  # sort before and after every sort key (`{at}#…`, a year first)


def sort_time(at: datetime) -> str:
    """`2026-12-04T23:00:00.000000Z`: fixed width (the year zero-padded), so text order is time order."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


class AuditRepository:
    def append(self, event: AuditEvent, *, sequence: str, retention_days: int) -> bool:
        """Write the event once; False when it is already there (the stream delivered its record again)."""
        record = AuditRecord(
            event.workspace_id,
            f"{sort_time(event.at)}#{sequence.zfill(40)}#{event.event_id}",
            event_id=event.event_id,
            at=event.at,
            actor=event.actor,
            request_id=event.request_id,
            action=event.action.value,
            item_type=event.item_type,
            item_id=event.item_id,
            asset_id=event.asset_id,
            before=json.dumps(event.before, sort_keys=True, separators=(",", ":")),
            after=json.dumps(event.after, sort_keys=True, separators=(",", ":")),
            asset_key=f"{event.workspace_id}#{event.asset_id}" if event.asset_id else None,
            actor_key=f"{event.workspace_id}#{event.actor}",
            expires_at=event.expires_at(retention_days),
        )
        try:
            record.save(condition=AuditRecord.pk.does_not_exist())
        except PutError as error:
            if _error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def events(
        self,
        workspace_id: str,
        *,
        asset_id: str | None,
        user_id: str | None,
        start: datetime | None,
        end: datetime | None,
        limit: int,
        cursor: str | None,
    ) -> Page[AuditEvent]:
        """Newest first: an asset's events (of that user, if given), a user's, or the workspace's."""
        low = sort_time(start) if start else _MIN
        high = (sort_time(end) if end else "") + _MAX
        if asset_id:
            index: Any = AuditRecord.by_asset
            partition, attribute = f"{workspace_id}#{asset_id}", "asset_key"
        elif user_id:
            index, partition, attribute = AuditRecord.by_actor, f"{workspace_id}#{user_id}", "actor_key"
        else:
            index, partition, attribute = AuditRecord, workspace_id, "pk"
        if low > high:  # a range that ends before it starts holds nothing (DynamoDB would refuse the query)
            return Page(items=[])
        narrowed = AuditRecord.actor == user_id if asset_id and user_id else None
        start_key = None
        if cursor:
            sort_key = decode_cursor(cursor, "s")["s"]
            if not low <= sort_key <= high:
                raise InvalidCursor("cursor does not belong to this query", field="query.cursor")
            start_key = {"pk": {"S": workspace_id}, "sk": {"S": sort_key}, attribute: {"S": partition}}
        try:
            results = index.query(
                partition,
                range_key_condition=AuditRecord.sk.between(low, high),
                filter_condition=narrowed,
                scan_index_forward=False,
                page_size=limit + 1 if narrowed is None else max(limit + 1, FILTERED_PAGE_SIZE),
                last_evaluated_key=start_key,
            )
            read = read_within_budget(results, limit + 1)
        except QueryError as error:
            if start_key is not None and _error_code(error) == "ValidationException":
                raise InvalidCursor("cursor does not belong to this query", field="query.cursor") from error
            raise
        records = read.records
        items = [_event(record) for record in records[:limit]]
        if len(records) > limit:
            return Page(items=items, next_cursor=encode_cursor({"s": records[limit - 1].sk}))
        if read.last_evaluated_key is None:
            return Page(items=items)
        stopped = read.last_evaluated_key["sk"]["S"]
        return Page(items=items, next_cursor=encode_cursor({"s": stopped}), partial=len(items) < limit)


def _event(record: AuditRecord) -> AuditEvent:
    return AuditEvent(
        event_id=record.event_id,
        workspace_id=record.pk,
        at=record.at,
        actor=record.actor,
        request_id=record.request_id,
        action=AuditAction(record.action),
        item_type=record.item_type,
        item_id=record.item_id,
        asset_id=record.asset_id,
        before=json.loads(record.before),
        after=json.loads(record.after),
    )


def change_from_stream_record(record: dict[str, Any], tables: dict[str, str]) -> Change | None:
    """A DynamoDB stream record as Lambda hands it over → a Change; None for a table the log does not read
    (the audit table has no stream; never audit an audit event). `tables`: table name → logical name.
    Raises UnreadableChange (or KeyError/ValueError) for a record without its parts: the batch reports it."""
    table_name = record["eventSourceARN"].split(":table/", 1)[1].split("/", 1)[0]
    logical = tables.get(table_name)
    if logical is None or logical == AuditRecord.logical_name:
        return None
    change = record["dynamodb"]
    created = change.get("ApproximateCreationDateTime")
    return Change(
        event_id=str(record["eventID"]),
        event_name=str(record["eventName"]),
        at=datetime.fromtimestamp(float(created), UTC) if created is not None else datetime.now(UTC),
        table=logical,
        old=_image(change.get("OldImage")),
        new=_image(change.get("NewImage")),
        # TTL deletes are the service's own: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/time-to-live-ttl-streams.html
        expired=(record.get("userIdentity") or {}).get("principalId") == "dynamodb.amazonaws.com",
    )


def _image(image: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if image is None else {name: _value(value) for name, value in image.items()}


def _value(attribute: dict[str, Any]) -> Any:
    """One attribute value of a stream image (Lambda's JSON: binary as base64 text)."""
    (kind, value), *_ = attribute.items()
    if kind in {"S", "BOOL"}:
        return value
    if kind == "N":
        return Decimal(value)
    if kind == "NULL":
        return None
    if kind == "B":
        return base64.b64decode(value)
    if kind == "M":
        return {name: _value(item) for name, item in value.items()}
    if kind == "L":
        return [_value(item) for item in value]
    if kind == "SS":
        return set(value)
    if kind == "NS":
        return {Decimal(item) for item in value}
    if kind == "BS":
        return {base64.b64decode(item) for item in value}
    raise UnreadableChange(f"an attribute of unknown type {kind!r}")
