"""Keeping the search index in step with the assets table, from its stream: the one path by which every
edit (rename, tags, notes, archive, analysis, delete) reaches search."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any

from dam.domain.assets import Asset, AssetStatus
from dam.search.model import document_from_asset, document_from_stream_image
from dam.search.port import SearchIndex

# An asset is findable from the moment its bytes land until it is deleted (or moved to the trash: its record
# then carries `trashed_at`, and a restore, a newer version of the record, indexes it again).
_NOT_SEARCHABLE = {AssetStatus.PENDING_UPLOAD.value, AssetStatus.DELETING.value}
_TRASHED = "trashed_at"


def _searchable(asset: Asset) -> bool:
    return asset.status.value not in _NOT_SEARCHABLE and not asset.in_trash


class IndexOutcome(StrEnum):
    INDEXED = "indexed"
    REMOVED = "removed"


class IndexingService:
    def __init__(self, index: SearchIndex) -> None:
        self._index = index

    def apply(
        self, event_name: str, new_image: dict[str, Any] | None, old_image: dict[str, Any] | None
    ) -> IndexOutcome:
        """One stream record. The record's version orders the writes, so a replayed or late record never
        overwrites newer data (the index ignores versions it has already seen)."""
        if event_name == "REMOVE" or new_image is None:
            if old_image is None:
                raise ValueError("a REMOVE record needs its old image (stream view NEW_AND_OLD_IMAGES)")
            gone = document_from_stream_image(old_image)
            self._index.delete(gone.asset_id, gone.version)
            return IndexOutcome.REMOVED
        document = document_from_stream_image(new_image)
        if document.status in _NOT_SEARCHABLE or _TRASHED in new_image:
            self._index.delete(document.asset_id, document.version)
            return IndexOutcome.REMOVED
        self._index.upsert([document])
        return IndexOutcome.INDEXED


def rebuild_index(
    index: SearchIndex, assets: Iterable[Asset], *, progress: Callable[[int], None] | None = None, batch: int = 500
) -> int:
    """Index every searchable asset again from the table (the source of truth). Versions make it safe to
    run while the stream indexer is live: whichever write is newer wins. `progress` gets the number of
    assets read so far (indexed or skipped), so a bar sized by the table's item count ends full; the return
    value is the number indexed."""
    index.ensure_ready()
    pending = []
    done = seen = 0
    for asset in assets:
        seen += 1
        if _searchable(asset):
            pending.append(document_from_asset(asset))
        if len(pending) >= batch:
            index.upsert(pending)
            done += len(pending)
            pending = []
            if progress:
                progress(seen)
    if pending:
        index.upsert(pending)
        done += len(pending)
    if progress:
        progress(seen)
    return done
