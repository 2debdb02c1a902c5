"""Trash use cases: move an asset to the trash, list the trash, restore, and the expiry that removes for good.

Moving to the trash changes only the asset record (its shelf becomes `trash`, so it is in no list's
partition and no search document) and writes a marker beside it; files, versions and links stay, so a
restore is the same two writes undone. Expiry runs on a schedule (a sweep message on the library worker's
queue, on AWS from EventBridge, locally from the stack's timer): the sweep queues one purge per expired
asset, and each purge removes it through the permanent delete's cascade. Every write is conditional on the
asset's version, so a restore, an expiry and a second delete racing on one asset cannot both win.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from dam.domain.assets import Asset, AssetStatus, in_callers_scope, utcnow
from dam.domain.errors import Conflict, NotFound
from dam.domain.identity import Caller
from dam.domain.permissions import require_own
from dam.domain.queries import Page
from dam.domain.trash import (
    DEFAULT_TRASH_DAYS,
    SWEEP_CHUNK,
    TrashEntry,
    TrashPurge,
    TrashSweep,
    entry_of,
    is_expired,
    restored,
    trashed,
)
from dam.services.assets import AssetService
from dam.services.ports import AssetStore, LibraryStore

_ATTEMPTS = 3


class TrashStore(Protocol):
    def move_to_trash(self, asset: Asset) -> Asset: ...
    def restore(self, asset: Asset, entry: TrashEntry) -> Asset: ...
    def list(self, workspace_id: str, limit: int, cursor: str | None) -> Page[TrashEntry]: ...
    def due(
        self, now: datetime, limit: int, after: tuple[datetime, str] | None = None
    ) -> builtins.list[TrashEntry]: ...


class TrashQueue(Protocol):
    """The library worker's queue: sweeps and purges wait there (dam.adapters.sqs)."""

    def send(self, message: TrashSweep | TrashPurge) -> None: ...


@dataclass(frozen=True)
class TrashedAsset:
    entry: TrashEntry
    asset: Asset


class TrashService:
    def __init__(
        self,
        assets: AssetService,
        store: AssetStore,
        trash: TrashStore,
        library: LibraryStore | None = None,
        *,
        days: int = DEFAULT_TRASH_DAYS,
        queue: TrashQueue | None = None,
    ) -> None:
        self._assets = assets
        self._store = store
        self._trash = trash
        self._library = library
        self._days = days
        self._queue = queue  # None: a sweep removes what is due itself

    # --- the API ---------------------------------------------------------------------------------------

    def move_to_trash(self, caller: Caller, asset_id: str) -> Asset | None:
        """Move the asset to the trash (None: it was an upload that never landed, which has nothing to keep
        and is deleted for good). In the trash already, gone, or not the caller's: NotFound."""
        for _attempt in range(_ATTEMPTS):
            asset = self._assets.get_to_change(caller, asset_id)
            if asset.status is AssetStatus.PENDING_UPLOAD:
                self._assets.erase(asset)
                return None
            try:
                return self._trash.move_to_trash(trashed(asset, caller.user_id, utcnow(), self._days))
            except Conflict:
                continue  # changed meanwhile (an edit, the pipeline, another delete): read it again
        raise Conflict(f"asset {asset_id} kept changing while moving to the trash; try again")

    def restore(self, caller: Caller, asset_id: str) -> Asset:
        """Bring the asset back with everything it had (favorites, collections, brands, folder, project and
        shot, versions, search). Idempotent: an asset that is not in the trash is answered as it is. One whose
        time in the trash is over, or that is being deleted for good, is NotFound."""
        for _attempt in range(_ATTEMPTS):
            asset = self._in_scope(caller, asset_id)
            require_own(caller, asset.client_id, "this asset")
            if not asset.in_trash:
                return asset
            now = utcnow()
            if is_expired(asset, now):
                raise NotFound(f"asset {asset_id} not found: its time in the trash is over")
            try:
                return self._trash.restore(
                    restored(asset, now, folder_exists=self._folder_exists(asset)), entry_of(asset)
                )
            except Conflict:
                continue
        raise Conflict(f"asset {asset_id} kept changing while being restored; try again")

    def list(self, caller: Caller, limit: int, cursor: str | None) -> Page[TrashedAsset]:
        """The trash, most recently deleted first: what the caller may see of it (their clients' and shared
        assets for an external user; a page may come out shorter, `partial`, and its cursor goes on)."""
        page = self._trash.list(caller.workspace_id, limit, cursor)
        visible = [e for e in page.items if caller.sees_client(e.client_id)]
        found = self._store.get_many([e.asset_id for e in visible])
        # A marker whose asset was restored or deleted for good a moment ago is skipped.
        items = [TrashedAsset(e, found[e.asset_id]) for e in visible if _still_in_trash(found.get(e.asset_id))]
        partial = len(items) < len(page.items) and page.next_cursor is not None
        return Page(items=items, next_cursor=page.next_cursor, partial=partial)

    # --- expiry --------------------------------------------------------------------------------------

    def sweep(self, message: TrashSweep, now: datetime | None = None) -> int:
        """Queue (or, without a queue, do) the removal of up to SWEEP_CHUNK expired assets, and another sweep
        from where this one stopped if more are due. Returns how many it found. A repeat is harmless: a purge
        of what is already gone or restored does nothing."""
        now = now or utcnow()
        after = (message.after_expiry, message.after_asset) if message.after_expiry and message.after_asset else None
        due = self._trash.due(now, SWEEP_CHUNK + 1, after)
        for entry in due[:SWEEP_CHUNK]:
            purge = TrashPurge(purge=entry.asset_id, workspace_id=entry.workspace_id)
            if self._queue is None:
                self.purge(purge, now)
            else:
                self._queue.send(purge)
        if len(due) > SWEEP_CHUNK:
            last = due[SWEEP_CHUNK - 1]
            rest = TrashSweep(after_expiry=last.expires_at, after_asset=last.asset_id)
            if self._queue is None:
                return SWEEP_CHUNK + self.sweep(rest, now)
            self._queue.send(rest)
        return min(len(due), SWEEP_CHUNK)

    def purge(self, message: TrashPurge, now: datetime | None = None) -> bool:
        """Remove one asset for good if its time in the trash is over (True), through the permanent delete's
        cascade. Restored meanwhile, or already gone: nothing (False). A delete interrupted half-way is finished."""
        asset = self._store.get(message.purge)
        if asset is None or asset.workspace_id != message.workspace_id:
            return False
        if asset.status is not AssetStatus.DELETING and not is_expired(asset, now or utcnow()):
            return False  # restored, or in the trash again with a later expiry
        try:
            self._assets.erase(asset)
        except Conflict:
            return False  # restored (or changed) between the read and the mark: the next sweep looks again
        return True

    # --- helpers -------------------------------------------------------------------------------------

    def _in_scope(self, caller: Caller, asset_id: str) -> Asset:
        asset = self._store.get(asset_id)
        if asset is None or asset.status is AssetStatus.DELETING or not in_callers_scope(caller, asset):
            raise NotFound(f"asset {asset_id} not found")
        return asset

    def _folder_exists(self, asset: Asset) -> bool:
        if asset.folder_id is None or self._library is None:
            return True
        return self._library.get_folder(asset.workspace_id, asset.folder_id) is not None


def _still_in_trash(asset: Asset | None) -> bool:
    return asset is not None and asset.in_trash and asset.status is not AssetStatus.DELETING
