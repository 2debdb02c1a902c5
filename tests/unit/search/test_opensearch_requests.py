"""The OpenSearch adapter without a server: a real opensearch-py client whose transport records each request and
answers as OpenSearch 2.x does. Checks what is sent (index template, pipeline, queries, bulk actions) and how
the answers are read."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pytest
from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError, TransportError

from dam.search.model import SearchQuery
from dam.search.opensearch import OpenSearchIndex, opensearch_client
from dam.search.port import SearchIndexError
from dam.search.scoring import NoiseFloor, SearchTuning
from tests.unit.search import opensearch_spec as spec
from tests.unit.search.conftest import doc

SHARDS = {"total": 1, "successful": 1, "skipped": 0, "failed": 0}
pytestmark = pytest.mark.skipif(not spec.available(), reason="OpenSearch's API specification is not on this machine")


@dataclass
class Call:
    method: str
    url: str
    params: dict[str, Any]
    body: Any


class Transport:
    """Stands in for opensearch-py's Transport: records requests, answers from `respond(call)`."""

    def __init__(self, respond: Callable[[Call], Any], mapped: set[str] | None = None) -> None:
        self.calls: list[Call] = []
        self.respond = respond
        self.mapped = mapped

    def perform_request(self, method: str, url: str, params: Any = None, body: Any = None, **_: Any) -> Any:
        if isinstance(body, str | bytes):  # bulk and msearch bodies are newline-delimited JSON
            text = body.decode() if isinstance(body, bytes) else body
            body = [json.loads(line) for line in text.splitlines() if line.strip()]
        call = Call(method, url, dict(params or {}), body)
        self.calls.append(call)
        # Every request, and every answer this fake gives, as OpenSearch's own specification describes them.
        spec.validate_request(method, url, body)
        spec.check_by_hand(method, url, body, self.mapped)
        try:
            answer = self.respond(call)
        except TransportError as error:
            spec.validate_response(method, url, int(error.status_code), error.info)
            raise
        if method != "HEAD":
            spec.validate_response(method, url, 200, answer)
        return answer


def search_response(*hits: tuple[str, float | None], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "took": 7,
        "timed_out": False,
        "_shards": SHARDS,
        "hits": {
            "max_score": max((s for _, s in hits if s is not None), default=None),
            "hits": [{"_index": "assets", "_id": i, "_score": s, **(extra or {}).get(i, {})} for i, s in hits],
        },
    }


def bulk_response(call: Call, conflicts: frozenset[str] = frozenset(), broken: frozenset[str] = frozenset()) -> Any:
    items = []
    for action in call.body[::2]:
        ((op, meta),) = action.items()
        if meta["_id"] in conflicts:
            reason = (
                f"[{meta['_id']}]: version conflict, current version [5] is higher or equal to the one provided "
                f"[{meta['version']}]"
            )
            item = {
                "status": 409,
                "error": {
                    "type": "version_conflict_engine_exception",
                    "reason": reason,
                    "index": "assets",
                    "shard": "0",
                },
            }
        elif meta["_id"] in broken:
            item = {
                "status": 400,
                "error": {"type": "mapper_parsing_exception", "reason": "failed to parse field [embedding]"},
            }
        else:
            item = {
                "_version": meta["version"],
                "result": "created",
                "_shards": {"total": 1, "successful": 1, "failed": 0},
                "_seq_no": 0,
                "_primary_term": 1,
                "status": 201,
            }
        items.append({op: {"_index": meta["_index"], "_id": meta["_id"], **item}})
    return {"took": 12, "errors": bool(conflicts or broken), "items": items}


def make(respond: Callable[[Call], Any], **options: Any) -> tuple[OpenSearchIndex, Transport]:
    client = OpenSearch(hosts=[{"host": "search.example", "port": 443}])
    transport = Transport(respond)
    client.transport.perform_request = transport.perform_request  # type: ignore[method-assign,assignment]
    index = OpenSearchIndex(client, "assets", dimensions=4, **options)
    transport.mapped = set(index.mappings()["properties"])
    return index, transport


def acknowledged(call: Call) -> Any:
    if call.method == "HEAD":
        return False  # indices.exists: not yet
    if call.method == "PUT" and call.url == "/assets":  # indices.create answers with its index
        return {"acknowledged": True, "shards_acknowledged": True, "index": "assets"}
    return {"acknowledged": True}


# --- setup -----------------------------------------------------------------------------------------------


def test_ensure_ready_puts_the_template_creates_the_index_and_puts_the_pipeline():
    index, transport = make(acknowledged, tuning=SearchTuning(keyword_weight=1, semantic_weight=3))
    index.ensure_ready()
    assert [(c.method, c.url) for c in transport.calls] == [
        ("PUT", "/_index_template/assets-template"),
        ("HEAD", "/assets"),
        ("PUT", "/assets"),
        ("PUT", "/_search/pipeline/assets-hybrid"),
    ]
    template = transport.calls[0].body
    assert template["index_patterns"] == ["assets", "assets-v*"]
    settings = template["template"]["settings"]["index"]
    assert settings["knn"] is True
    properties = template["template"]["mappings"]["properties"]
    assert properties["embedding"] == {
        "type": "knn_vector",
        "dimension": 4,
        "method": {
            "name": "hnsw",
            "engine": "lucene",
            "space_type": "cosinesimil",
            "parameters": {"m": 16, "ef_construction": 128},
        },
    }
    for keyword in ("workspace_id", "client_id", "brand_ids", "model", "creator_id", "folder_id", "media_type"):
        assert properties[keyword] == {"type": "keyword"}
    assert properties["name"]["analyzer"] == "dam_english" and properties["name"]["fields"]["raw"]["type"] == "keyword"
    analysis = template["template"]["settings"]["analysis"]
    assert analysis["analyzer"]["dam_english"]["filter"] == ["lowercase", "asciifolding", "dam_stop", "dam_stem"]
    assert analysis["tokenizer"]["dam_words"] == {"type": "pattern", "pattern": "[^\\p{L}\\p{N}]+"}
    assert properties["tags"]["fields"]["raw"]["type"] == "keyword"
    assert properties["created_at"] == {"type": "date_nanos"}
    assert properties["prompt_folded"] == {"type": "wildcard"}
    assert properties["archived"] == {"type": "boolean"}
    assert template["template"]["mappings"]["dynamic"] is False
    assert transport.calls[3].body["phase_results_processors"] == [
        {
            "normalization-processor": {
                "normalization": {"technique": "min_max"},
                "combination": {"technique": "arithmetic_mean", "parameters": {"weights": [0.25, 0.75]}},
            }
        }
    ]


def test_ensure_ready_tolerates_an_index_another_process_just_created():
    def respond(call: Call) -> Any:
        if call.method == "PUT" and call.url == "/assets":
            from opensearchpy.exceptions import RequestError

            reason = "index [assets/abc123] already exists"
            error = {"type": "resource_already_exists_exception", "reason": reason, "index": "assets"}
            raise RequestError(
                400, "resource_already_exists_exception", {"error": {**error, "root_cause": [error]}, "status": 400}
            )
        return acknowledged(call)

    index, transport = make(respond)
    index.ensure_ready()
    assert transport.calls[-1].url == "/_search/pipeline/assets-hybrid"


# --- writes ----------------------------------------------------------------------------------------------


def test_upserts_are_bulk_index_actions_with_external_versions():
    index, transport = make(lambda call: bulk_response(call, conflicts=frozenset({"old"})), refresh="wait_for")
    result = index.upsert(
        [
            doc(
                "new", version=3, embedding=[1.0, 0.0, 0.0, 0.0], prompt="A Red Fox", perceptual_hash="ffff0000ffff0000"
            ),
            doc("old", version=2),
            doc("other-model", version=1, embedding=[1.0, 0.0]),  # a 2-d vector cannot go in a 4-d field
        ]
    )
    assert (result.written, result.stale, result.failed) == (("new", "other-model"), ("old",), {})
    (call,) = transport.calls
    assert (call.method, call.url, call.params) == ("POST", "/_bulk", {"refresh": b"wait_for"})
    actions, sources = call.body[::2], call.body[1::2]
    assert actions[0] == {"index": {"_index": "assets", "_id": "new", "version": 3, "version_type": "external"}}
    assert [a["index"]["version"] for a in actions] == [3, 2, 1]
    assert sources[0]["embedding"] == [1.0, 0.0, 0.0, 0.0]
    assert sources[0]["prompt_folded"] == "a red fox"
    assert sources[0]["created_at"] == "2026-01-10T09:30:00.000000Z"
    assert sources[0]["deleted"] is False and sources[0]["workspace_id"] == "ws-studio"
    assert len(sources[0]["phash_bands"]) == 8
    assert "embedding" not in sources[2]


def test_a_failed_document_is_reported_by_id_after_the_rest_are_written():
    index, _ = make(lambda call: bulk_response(call, broken=frozenset({"bad"})))
    with pytest.raises(SearchIndexError) as raised:
        index.upsert([doc("good"), doc("bad")])
    assert list(raised.value.failed) == ["bad"]
    assert "mapper_parsing_exception" in raised.value.failed["bad"]


def test_a_delete_writes_a_versioned_tombstone():
    index, transport = make(lambda call: bulk_response(call, conflicts=frozenset({"newer"})))
    assert index.delete("gone", 4).written == ("gone",)
    assert index.delete("newer", 2).stale == ("newer",)
    action, source = transport.calls[0].body
    assert action == {"index": {"_index": "assets", "_id": "gone", "version": 4, "version_type": "external_gte"}}
    assert source == {"asset_id": "gone", "version": 4, "deleted": True}


# --- queries ---------------------------------------------------------------------------------------------


def hybrid_responses(call: Call) -> Any:
    query = call.body["query"]
    if "knn" in query:  # the k=1 probe for the best cosine
        return search_response(("a1", 0.93))  # (1 + 0.86) / 2
    return search_response(("a2", 0.61), ("a1", 1.0), ("a3", 0.0005), ("a4", 0.2))


def test_a_hybrid_query_fuses_keyword_and_knn_in_the_pipeline():
    noise = NoiseFloor([[0.0, 1.0, 0.0, 0.0]])
    index, transport = make(hybrid_responses, noise=noise)
    query = SearchQuery(
        "ws-studio",
        text="the red fox",
        mode="hybrid",
        query_vector=[1.0, 0.0, 0.0, 0.0],
        visible_clients=("acme",),
        tag="hero",
        prompt_contains="Fox*",
        created_to=datetime(2026, 2, 1, 23, 59, 59, 999999, tzinfo=UTC),
        limit=2,
    )
    page = index.search(query)
    probe, hybrid = transport.calls
    assert probe.body["size"] == 1
    assert probe.body["query"]["knn"]["embedding"]["k"] == 1
    assert (hybrid.method, hybrid.url, hybrid.params) == (
        "POST",
        "/assets/_search",
        {"search_pipeline": "assets-hybrid"},
    )
    body = hybrid.body
    assert (body["size"], body["from"], body["_source"]) == (300, 0, False)
    keyword, knn = body["query"]["hybrid"]["queries"]
    assert set(body["query"]["hybrid"]) == {"queries"}  # pages are cut here: from stays 0
    assert keyword["bool"]["should"][0]["multi_match"] == {
        "query": "red fox",
        "type": "most_fields",
        "fields": ["name^4", "tags^3", "filename^2", "analysis_text^1.5", "text_in_image^1.5", "prompt^1.5",
                   "enhanced_prompt^1", "notes^1", "document_text^1"],
    }  # fmt: skip
    assert keyword["bool"]["should"][1]["multi_match"]["type"] == "bool_prefix"
    assert keyword["bool"]["should"][1]["multi_match"]["query"] == "fox"
    # The cut-off: max(best 0.86 - window 0.03, noise floor 0.0 + margin -0.04) = 0.83 → Lucene score 0.915.
    assert knn["knn"]["embedding"]["min_score"] == pytest.approx(0.915)
    assert knn["knn"]["embedding"]["vector"] == [1.0, 0.0, 0.0, 0.0]
    filters = keyword["bool"]["filter"]
    assert knn["knn"]["embedding"]["filter"] == {"bool": {"filter": filters}}
    assert filters[:4] == [
        {"term": {"workspace_id": "ws-studio"}},
        {"term": {"archived": False}},
        {"bool": {"must_not": [{"term": {"status": "deleting"}}]}},
        {
            "bool": {
                "should": [
                    {"bool": {"must_not": [{"exists": {"field": "client_id"}}]}},
                    {"terms": {"client_id": ["acme"]}},
                ],
                "minimum_should_match": 1,
            }
        },
    ]
    assert {"term": {"tags.raw": "hero"}} in filters
    assert {"wildcard": {"prompt_folded": {"value": "*fox\\**"}}} in filters
    assert {"range": {"created_at": {"lte": "2026-02-01T23:59:59.999999Z"}}} in filters
    snapshot = filters[4]["range"]["created_at"]["lte"]  # what existed at the first page: later uploads stay out
    assert datetime.strptime(snapshot, "%Y-%m-%dT%H:%M:%S.%fZ") > datetime(2026, 1, 1)
    # Parsed: ordered by fused score; the page holds `limit` hits and a cursor for the rest.
    assert [(h.asset_id, h.score) for h in page.hits] == [("a1", 1.0), ("a2", 0.61)]
    assert page.next_cursor
    second = index.search(replace(query, cursor=page.next_cursor))
    assert [h.asset_id for h in second.hits] == ["a4", "a3"]
    assert len(transport.calls) == 3  # page 2 reuses the first page's cut-off: no second probe
    assert transport.calls[2].body["query"] == body["query"]  # the same request, snapshot included


def test_hybrid_without_any_vector_to_match_is_keyword_search_scored_like_the_fusion():
    def respond(call: Call) -> Any:
        if "knn" in call.body["query"]:
            return search_response()  # nothing the caller may see has an embedding yet
        return search_response(("a1", 4.0), ("a2", 2.0))

    index, transport = make(respond)
    page = index.search(SearchQuery("ws-studio", text="fox", mode="hybrid", query_vector=[1.0, 0.0, 0.0, 0.0]))
    probe, keyword = transport.calls
    assert probe.body["query"]["knn"]["embedding"]["k"] == 1
    assert keyword.params == {} and "bool" in keyword.body["query"]  # no pipeline, no k-NN clause
    assert [(h.asset_id, h.score) for h in page.hits] == [("a1", 0.5), ("a2", 0.0005)]


def test_a_semantic_query_is_a_filtered_knn_query_cut_off_here():
    def respond(call: Call) -> Any:
        return search_response(("a1", 0.95), ("a2", 0.94), ("a3", 0.70))  # cosines 0.90, 0.88, 0.40

    index, transport = make(respond)
    page = index.search(
        SearchQuery("ws-studio", mode="semantic", query_vector=[0.0, 0.0, 1.0, 0.0], media_type="image")
    )
    knn = transport.calls[-1].body["query"]["knn"]["embedding"]
    assert knn["k"] == 300 and knn["method_parameters"] == {"ef_search": 300}
    assert {"term": {"media_type": "image"}} in knn["filter"]["bool"]["filter"]
    assert [(h.asset_id, round(h.score, 2)) for h in page.hits] == [("a1", 0.9), ("a2", 0.88)]


def test_newest_first_pages_with_search_after():
    sort_keys = {"n3": ["2026-01-03T00:00:00.000000Z", "n3"], "n2": ["2026-01-02T00:00:00.000000Z", "n2"]}

    def respond(call: Call) -> Any:
        hits = [("n3", None), ("n2", None)] if "search_after" not in call.body else [("n1", None)]
        extra = {i: {"sort": sort_keys.get(i, ["2026-01-01T00:00:00.000000Z", i])} for i, _ in hits}
        return search_response(*hits, extra=extra)

    index, transport = make(respond)
    query = SearchQuery("ws-studio", text="poster", mode="keyword", sort="newest", limit=1)
    first = index.search(query)
    second = index.search(replace(query, cursor=first.next_cursor))
    body = transport.calls[0].body
    assert body["sort"] == [{"created_at": "desc"}, {"asset_id": "desc"}]
    assert body["size"] == 2 and "search_after" not in body
    assert transport.calls[1].body["search_after"] == sort_keys["n3"]
    assert [h.asset_id for h in first.hits + second.hits] == ["n3", "n1"]
    assert second.next_cursor is None


def test_similar_reads_the_source_then_asks_once_for_duplicates_near_duplicates_and_neighbours():
    source = {
        "asset_id": "src",
        "workspace_id": "ws-studio",
        "checksum_sha256": "c" * 64,
        "perceptual_hash": "ffff0000ffff0000",
        "embedding": [1.0, 0.0, 0.0, 0.0],
        "deleted": False,
    }

    def respond(call: Call) -> Any:
        if call.method == "GET":
            if call.url.endswith("/missing"):
                raise NotFoundError(404, "not_found", {"_index": "assets", "_id": "missing", "found": False})
            return {
                "_index": "assets",
                "_id": "src",
                "_version": 3,
                "_seq_no": 9,
                "_primary_term": 1,
                "found": True,
                "_source": source,
            }
        near = {
            "near": {"_source": {"perceptual_hash": "ffff0000ffff0001"}},
            "far": {"_source": {"perceptual_hash": "0000ffff0000ffff"}},
        }
        return {
            "took": 9,
            "responses": [
                {**search_response(("copy", None)), "status": 200},
                {**search_response(("near", 2.0), ("far", 1.0), extra=near), "status": 200},
                {**search_response(("copy", 0.99), ("knn-1", 0.9)), "status": 200},
            ],
        }

    index, transport = make(respond)
    hits = index.similar("ws-studio", "src", limit=5, visible_clients=())
    assert [(h.asset_id, h.kind) for h in hits] == [
        ("copy", "duplicate"),
        ("near", "near_duplicate"),
        ("knn-1", "similar"),
    ]
    msearch = transport.calls[1]
    assert (msearch.method, msearch.url) == ("POST", "/assets/_msearch")
    headers, bodies = msearch.body[::2], msearch.body[1::2]
    assert headers == [{"index": "assets"}] * 3
    assert {"term": {"checksum_sha256": "c" * 64}} in bodies[0]["query"]["bool"]["filter"]
    assert len(bodies[1]["query"]["bool"]["should"]) == 8
    assert bodies[2]["query"]["knn"]["embedding"]["k"] == 10
    assert {"bool": {"must_not": [{"ids": {"values": ["src"]}}]}} in bodies[2]["query"]["knn"]["embedding"]["filter"][
        "bool"
    ]["filter"]
    assert index.similar("ws-studio", "missing") == []
    assert index.similar("ws-elsewhere", "src") == []


def test_unassigned_folder_and_the_categorized_view_are_filters_not_literals():
    from dam.search.opensearch import search_filters

    query = SearchQuery("ws-studio", folder_id="unassigned", exclude_generated=True)
    filters = search_filters(query, "2026-01-10T09:30:00.000000Z")
    assert {"bool": {"must_not": [{"exists": {"field": "folder_id"}}]}} in filters
    assert {"bool": {"must_not": [{"term": {"asset_type": "generated_content"}}]}} in filters
    assert not any(f.get("term", {}).get("folder_id") for f in filters)


def test_count_filters_by_workspace():
    index, transport = make(lambda call: {"count": 12, "_shards": SHARDS})
    assert index.count("ws-studio") == 12
    assert transport.calls[0].url == "/assets/_count"
    assert transport.calls[0].body == {"query": {"bool": {"filter": [{"term": {"workspace_id": "ws-studio"}}]}}}


# --- the client --------------------------------------------------------------------------------------------


def test_the_client_signs_requests_with_sigv4_for_the_es_service(monkeypatch):
    from opensearchpy import AWSV4SignerAuth, RequestsHttpConnection

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    client = opensearch_client("https://search-dam-abc.eu-west-1.es.amazonaws.com", "eu-west-1")
    (connection,) = client.transport.connection_pool.connections
    assert isinstance(connection, RequestsHttpConnection)
    assert connection.host == "https://search-dam-abc.eu-west-1.es.amazonaws.com:443"
    auth = connection.session.auth
    assert isinstance(auth, AWSV4SignerAuth)
    assert (auth.signer.region, auth.service) == ("eu-west-1", "es")
    assert auth.signer.credentials.access_key == "AKIDEXAMPLE"


# --- the guard itself: what the specification check refuses ----------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("POST", "/assets/_search", {"size": 1, "sise": 2}),  # a misspelt key: only the strict mode sees it
        ("POST", "/assets/_search", {"query": {"knn": {"embedding": {"vector": [1.0], "k": 1, "ef": 9}}}}),
        ("POST", "/assets/_search", {"query": {"bool": {"filter": [{"term": {"tags.raw": {"valu": "x"}}}]}}}),
        ("PUT", "/_search/pipeline/p", {"phase_results_processors": [{"normalisation-processor": {}}]}),
        ("POST", "/_bulk", [{"index": {"_index": "assets", "_id": "a", "version_typ": "external"}}, {}]),
    ],
)
def test_the_specification_refuses_keys_it_never_names(method, url, body):
    with pytest.raises(spec.SpecViolation, match=r"not allowed|not valid|unexpected"):
        spec.validate_request(method, url, body)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, {"acknowledged": True}),  # create index without shards_acknowledged and index
        (400, {"error": {"type": "resource_already_exists_exception"}}),  # an error without its status
    ],
)
def test_the_incomplete_canned_answers_of_before_are_refused(status, body):
    with pytest.raises(spec.SpecViolation):
        spec.validate_response("PUT", "/assets", status, body)


@pytest.mark.parametrize(
    "query",
    [
        {"knn": {"embedding": {"vector": [1.0], "k": 3, "min_score": 0.9}}},  # k and a radial bound
        {"knn": {"embedding": {"vector": [1.0]}}},  # neither
        {"bool": {"must": [{"hybrid": {"queries": [{"match_all": {}}]}}]}},  # hybrid below the top
    ],
)
def test_what_the_specification_cannot_say_is_checked_by_hand(query):
    with pytest.raises(spec.SpecViolation):
        spec.check_by_hand("POST", "/assets/_search", {"query": query})


def test_bulk_documents_carry_only_mapped_fields_and_the_mapping_only_known_knn_methods():
    index, _ = make(acknowledged)
    mapped = set(index.mappings()["properties"])
    with pytest.raises(spec.SpecViolation, match="not in the mapping"):
        spec.check_by_hand("POST", "/_bulk", [{"index": {"_id": "a"}}, {"asset_id": "a", "colour": "red"}], mapped)
    template = index.index_template()
    template["template"]["mappings"]["properties"]["embedding"]["method"]["space_type"] = "cosine"
    with pytest.raises(spec.SpecViolation, match="space type"):
        spec.check_by_hand("PUT", "/_index_template/assets-template", template)
