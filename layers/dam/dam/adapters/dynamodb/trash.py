"""The trash in the library table: one marker an asset (keys on `LibraryRecord`), written in the same
transaction as the asset's own record, so the two never disagree.

Every change is conditional: moving to the trash and restoring on the asset's version (and the marker's
absence or presence), so of a restore, an expiry and a second delete racing on one asset exactly one wins.
"""

from __future__ import annotations

import builtins
from datetime import datetime

from pynamodb.exceptions import QueryError, TransactWriteError

from dam.adapters.dynamodb.assets import _error_code, _time_key, to_record
from dam.adapters.dynamodb.library import _transaction
from dam.adapters.dynamodb.models import LibraryRecord, TrashRecord
from dam.adapters.dynamodb.projects import count_in_shot
from dam.domain.assets import Asset
from dam.domain.errors import Conflict, InvalidCursor
from dam.domain.queries import Page, decode_cursor, encode_cursor
from dam.domain.trash import TrashEntry, entry_of

DUE_PARTITION = "trash-due"
_HIGHEST = "~"  # sorts after every character of an asset id


def _trash_pk(workspace_id: str) -> str:
    return f"{workspace_id}#trash"


def _trash_sk(entry: TrashEntry) -> str:
    return f"{_time_key(entry.trashed_at)}#{entry.asset_id}"


def _marker(entry: TrashEntry) -> TrashRecord:
    return TrashRecord(
        _trash_pk(entry.workspace_id),
        _trash_sk(entry),
        workspace_id=entry.workspace_id,
        asset_id=entry.asset_id,
        client_id=entry.client_id,
        name=entry.name,
        trashed_at=entry.trashed_at,
        trashed_by=entry.trashed_by,
        purge_at=entry.expires_at,
        gsi1pk=f"{entry.workspace_id}#asset#{entry.asset_id}",
        gsi1sk="trash",
        gsi2pk=DUE_PARTITION,
        gsi2sk=f"{_time_key(entry.expires_at)}#{entry.asset_id}",
    )


def _entry(record: TrashRecord) -> TrashEntry:
    return TrashEntry(
        asset_id=record.asset_id,
        workspace_id=record.workspace_id,
        client_id=record.client_id,
        name=record.name,
        trashed_at=record.trashed_at,
        trashed_by=record.trashed_by,
        expires_at=record.purge_at,
    )


class TrashRepository:
    def move_to_trash(self, asset: Asset) -> Asset:
        """Write the trashed asset (at the version it was read) and its marker together, or neither (Conflict).
        A shot it is in counts one asset fewer (its attachment stays, for a restore)."""
        record = to_record(asset)
        try:
            with _transaction() as transaction:
                transaction.save(record)  # conditional on the version read
                transaction.save(_marker(entry_of(asset)), condition=LibraryRecord.pk.does_not_exist())
                count_in_shot(transaction, asset, -1)
        except TransactWriteError as error:
            raise Conflict(f"asset {asset.asset_id} changed meanwhile; try again") from error
        return asset.model_copy(update={"version": record.version})

    def restore(self, asset: Asset, entry: TrashEntry) -> Asset:
        """Write the restored asset (at the version read) and drop its marker together, or neither (Conflict)."""
        record = to_record(asset)
        try:
            with _transaction() as transaction:
                transaction.delete(
                    TrashRecord(_trash_pk(entry.workspace_id), _trash_sk(entry)), condition=LibraryRecord.pk.exists()
                )
                transaction.save(record)
                count_in_shot(transaction, asset, +1)
        except TransactWriteError as error:
            raise Conflict(f"asset {asset.asset_id} changed meanwhile; try again") from error
        return asset.model_copy(update={"version": record.version})

    def list(self, workspace_id: str, limit: int, cursor: str | None) -> Page[TrashEntry]:
        """The workspace's trash, most recently deleted first (one Query a page)."""
        pk = _trash_pk(workspace_id)
        start = None
        if cursor:
            sort_key = decode_cursor(cursor, "s")["s"]
            start = {"pk": {"S": pk}, "sk": {"S": sort_key}}
        try:
            records = list(
                TrashRecord.query(
                    pk,
                    scan_index_forward=False,
                    consistent_read=True,
                    limit=limit + 1,
                    page_size=limit + 1,
                    last_evaluated_key=start,
                )
            )
        except QueryError as error:
            if start is not None and _error_code(error) == "ValidationException":
                raise InvalidCursor("cursor does not belong to this query", field="query.cursor") from error
            raise
        items = [_entry(r) for r in records[:limit]]
        more = len(records) > limit
        return Page(items=items, next_cursor=encode_cursor({"s": records[limit - 1].sk}) if more else None)

    def due(self, now: datetime, limit: int, after: tuple[datetime, str] | None = None) -> builtins.list[TrashEntry]:
        """Up to `limit` entries (of every workspace) whose time in the trash is over, longest overdue first,
        after the (expiry, asset id) given."""
        high = f"{_time_key(now)}#{_HIGHEST}"
        sort_key = LibraryRecord.gsi2sk
        condition = sort_key.between(f"{_time_key(after[0])}#{after[1]}{_HIGHEST}", high) if after else sort_key <= high
        records = TrashRecord.gsi2.query(
            DUE_PARTITION,
            range_key_condition=condition,
            limit=limit,
            page_size=limit,
        )
        return [_entry(r) for r in records]
