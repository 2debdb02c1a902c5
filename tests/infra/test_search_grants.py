"""The OpenSearch paths each role is granted (stacks/search.py) are exactly the ones the adapter sends.

OpenSearch is not in the local stack, so `make aws-calls` cannot record these calls: the adapter runs here
against the request-recording transport of tests/unit/search (every request checked against OpenSearch's
specification), doing what the indexer and the API do, and each (HTTP method, path) it sends must be granted,
and each grant sent."""

from __future__ import annotations

from typing import Any

import pytest

from dam.search.model import SearchQuery
from stacks.search import INDEXER_GRANTS, QUERY_GRANTS, Grants
from tests.infra.least_privilege import matches
from tests.infra.synth import INFRA_MARKS
from tests.unit.search import opensearch_spec as spec
from tests.unit.search.conftest import doc
from tests.unit.search.fake_cluster import FakeCluster
from tests.unit.search.test_opensearch_requests import Call, Transport, hybrid_responses, make, search_response

pytestmark = [
    *INFRA_MARKS,
    pytest.mark.skipif(not spec.available(), reason="OpenSearch's API specification is not on this machine"),
]


def sent(*transports: Transport) -> set[tuple[str, str]]:
    """(IAM action, domain path) of every request: `PUT /assets?x=1` → (`es:ESHttpPut`, `assets`)."""
    return {
        (f"es:ESHttp{call.method.title()}", call.url.split("?", 1)[0].lstrip("/"))
        for transport in transports
        for call in transport.calls
    }


def granted(grants: Grants) -> set[tuple[str, str]]:
    return {(action, path) for actions, paths in grants for action in actions for path in paths}


def check(grants: Grants, requests: set[tuple[str, str]]) -> None:
    allowed = granted(grants)
    ungranted = {r for r in requests if not any(a == r[0] and matches(p, r[1]) for a, p in allowed)}
    unused = {g for g in allowed if not any(g[0] == r[0] and matches(g[1], r[1]) for r in requests)}
    assert (ungranted, unused) == (set(), set())


def test_the_indexer_is_granted_exactly_what_it_sends() -> None:
    cluster = FakeCluster()
    cluster.index.ensure_ready()  # the cold start: the index is missing, so HEAD then PUT
    cluster.index.upsert([doc("a1"), doc("a2")])
    cluster.index.delete("a2", 2)
    check(INDEXER_GRANTS, sent(cluster.transport))


def test_the_api_is_granted_exactly_what_it_sends() -> None:
    def similar(call: Call) -> Any:
        if call.method == "GET":
            source = {"asset_id": "src", "workspace_id": "ws-studio", "embedding": [1.0, 0.0, 0.0, 0.0]}
            found = {"_index": "assets", "_id": "src", "_version": 1, "_seq_no": 1, "_primary_term": 1}
            return {**found, "found": True, "_source": {**source, "deleted": False}}
        return {"took": 1, "responses": [{**search_response(("knn-1", 0.9)), "status": 200}]}

    hybrid, hybrid_calls = make(hybrid_responses)
    hybrid.search(SearchQuery("ws-studio", text="fox", mode="hybrid", query_vector=[1.0, 0.0, 0.0, 0.0]))
    newest, newest_calls = make(lambda call: search_response(("a1", None), extra={"a1": {"sort": ["t", "a1"]}}))
    newest.search(SearchQuery("ws-studio", text="fox", mode="keyword", sort="newest"))
    neighbours, neighbour_calls = make(similar)
    neighbours.similar("ws-studio", "src", limit=5, visible_clients=())
    check(QUERY_GRANTS, sent(hybrid_calls, newest_calls, neighbour_calls))
