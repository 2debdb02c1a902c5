"""Before the first asset is indexed there is no index (the indexer creates it on first use): search, similar and
count answer "nothing yet" on every engine, never an error the API would turn into a 500."""

from __future__ import annotations

from typing import Any

import pytest
from opensearchpy.exceptions import NotFoundError, TransportError

from dam.search.embedded import EmbeddedIndex
from dam.search.model import SearchQuery
from tests.unit.search.test_opensearch_requests import Call, make

VECTOR = [0.5, 0.5, 0.5, 0.5]
QUERIES = [
    SearchQuery(workspace_id="ws-studio"),  # the gallery: newest first
    SearchQuery(workspace_id="ws-studio", text="red dragon", mode="keyword"),
    SearchQuery(workspace_id="ws-studio", text="red dragon", mode="keyword", sort="newest"),
    SearchQuery(workspace_id="ws-studio", text="red dragon", mode="semantic", query_vector=VECTOR),
    SearchQuery(workspace_id="ws-studio", text="red dragon", mode="hybrid", query_vector=VECTOR),
]


def no_such_index(call: Call) -> Any:
    """What OpenSearch answers for any request on an index that does not exist."""
    reason = {
        "type": "index_not_found_exception",
        "reason": "no such index [assets]",
        "index": "assets",
        "resource.type": "index_or_alias",
        "resource.id": "assets",
        "index_uuid": "_na_",
    }
    raise NotFoundError(404, "index_not_found_exception", {"error": {**reason, "root_cause": [reason]}, "status": 404})


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: f"{q.mode}-{q.sort}-{bool(q.text)}")
def test_opensearch_without_the_index_finds_nothing(query: SearchQuery) -> None:
    index, transport = make(no_such_index)
    page = index.search(query)
    assert (page.hits, page.next_cursor) == ([], None)
    assert transport.calls, "the adapter asked OpenSearch"
    assert {call.url for call in transport.calls} <= {"/assets/_search"}


def test_opensearch_without_the_index_has_no_similar_assets_and_counts_zero() -> None:
    index, _ = make(no_such_index)
    assert index.similar("ws-studio", "a1") == []
    assert index.count("ws-studio") == 0


def test_other_not_found_errors_still_surface() -> None:
    def no_pipeline(call: Call) -> Any:
        reason = {"type": "resource_not_found_exception", "reason": "pipeline not found"}
        body = {"error": {**reason, "root_cause": [reason]}, "status": 404}
        raise NotFoundError(404, "resource_not_found_exception", body)

    index, _ = make(no_pipeline)
    with pytest.raises(TransportError):
        index.search(QUERIES[1])


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: f"{q.mode}-{q.sort}-{bool(q.text)}")
def test_embedded_engine_before_anything_is_indexed_finds_nothing(tmp_path: Any, query: SearchQuery) -> None:
    index = EmbeddedIndex(tmp_path / "search.sqlite")  # never made ready: the state before the first asset
    try:
        assert index.search(query).hits == []
        assert index.similar("ws-studio", "a1") == []
        assert index.count("ws-studio") == 0
    finally:
        index.close()
