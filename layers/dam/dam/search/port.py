"""The search port. Two adapters implement it with the same semantics: `dam.search.embedded.EmbeddedIndex`
(SQLite FTS5 + exact vectors, one file) and `dam.search.opensearch.OpenSearchIndex` (OpenSearch on AWS)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from dam.search.model import SearchDocument, SearchHit, SearchPage, SearchQuery, WriteResult


class SearchIndexError(Exception):
    """Some documents could not be written (not stale ones: those are ignored on purpose). `failed` maps
    asset id → reason, so a stream consumer can report exactly those records as failed."""

    def __init__(self, message: str, failed: dict[str, str]) -> None:
        super().__init__(message)
        self.failed = failed


@runtime_checkable
class SearchIndex(Protocol):
    def ensure_ready(self) -> None:
        """Create what the index needs (tables / index template, index and search pipeline). Idempotent."""
        ...

    def upsert(self, documents: Iterable[SearchDocument]) -> WriteResult:
        """Write documents with external versioning: a document whose `version` is lower than or equal to the
        stored one (document or tombstone) is ignored and reported `stale`. Raises `SearchIndexError` when
        any document failed for another reason (after writing the rest)."""
        ...

    def delete(self, asset_id: str, version: int) -> WriteResult:
        """Remove an asset from search. `version` is the version of the record that was deleted (the stream's
        OldImage). The delete wins over any document with version ≤ `version` and leaves a tombstone at that
        version, so an older upsert arriving late stays ignored; a document newer than the delete (a higher
        version, which a real table cannot produce after a delete) is kept and the delete reported stale."""
        ...

    def search(self, query: SearchQuery) -> SearchPage: ...

    def similar(
        self, workspace_id: str, asset_id: str, *, limit: int = 10, visible_clients: tuple[str, ...] | None = None
    ) -> list[SearchHit]:
        """Exact duplicates (same SHA-256), then near duplicates (perceptual hash within a few bits), then
        nearest neighbours by embedding; never the asset itself, archived assets or other tenants' assets.
        An asset the index does not know (or in another workspace) has no neighbours."""
        ...

    def count(self, workspace_id: str) -> int:
        """Documents in the workspace (archived included, deleted excluded)."""
        ...

    def clear(self) -> None:
        """Drop every document and tombstone (tests; a full reindex)."""
        ...
