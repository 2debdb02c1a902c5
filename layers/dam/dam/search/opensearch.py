"""The OpenSearch adapter: BM25 over English-analysed text fields, k-NN (Lucene HNSW) over the embedding, and
hybrid queries fused by a search pipeline's normalization-processor (min_max + arithmetic_mean).

Same semantics as the embedded engine (dam.search.scoring holds the shared rules):
- Writes are external-versioned: `version_type=external` with the record's version, so OpenSearch itself
  rejects (409) anything not newer than what it holds; a 409 is reported `stale`, never as a failure.
- A delete writes a tombstone document (`deleted: true`, no workspace) with `version_type=external_gte`, rather
  than deleting: OpenSearch forgets a real delete's version after `index.gc_deletes` (60 s by default), after
  which a late stale upsert would bring the asset back. Tombstones never match a query (every query filters by
  workspace, which they lack).
- Ranked results are fetched to the tuning's depth in one request and paged here, so a page is cut exactly
  like the embedded engine's (the semantic cut-off and the hybrid minimum score are applied to the whole
  list). Newest-first keyword search and filters alone page on the server with `search_after`
  (created_at, asset_id).
- The semantic cut-off needs the best hit's score before the hybrid query runs: one k=1 k-NN request finds
  it; the hybrid query then asks for every neighbour above the cut-off (radial search, `min_score`).

Needs OpenSearch 2.16+ (radial search with filters: 2.14; `wildcard` fields: 2.15; k-NN `method_parameters`:
2.16). opensearch-py and botocore are imported only when a client is built or a write is made.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, cast

from dam.domain.assets import AssetStatus
from dam.domain.errors import InvalidInput
from dam.domain.filters import BY_NAME, Filter, Match, active_filters
from dam.domain.library import UNASSIGNED
from dam.search.model import HitKind, SearchDocument, SearchHit, SearchPage, SearchQuery, WriteResult
from dam.search.port import SearchIndexError
from dam.search.scoring import (
    FIELD_WEIGHTS,
    Cursor,
    CursorShape,
    KeywordTerms,
    NoiseFloor,
    SearchTuning,
    count,
    decode_cursor,
    encode_cursor,
    fingerprint,
    fuse,
    hamming,
    identifier,
    keyword_terms,
    page_after,
    page_ranked,
    phash_bands,
    phash_bits,
    semantic_threshold,
    timestamp,
)

HNSW_M = 16
# Cursors hold a time as the snapshot and a newest-first key: OpenSearch's sort values (epoch ms, id) or the
# created time and id of a ranked hit.
CURSOR_SHAPE = CursorShape(snapshot=timestamp, after=(lambda part: count(part) or timestamp(part), identifier))
HNSW_EF_CONSTRUCTION = 128
EF_SEARCH = 100
PREFIX_BOOST = 0.02  # the prefix clause is constant-score: kept far below any exact BM25 match
_STALE = "version_conflict_engine_exception"
_NO_INDEX = "index_not_found_exception"
_KEYWORD_FIELDS = (
    "asset_id",
    "workspace_id",
    "asset_type",
    "media_type",
    "status",
    "client_id",
    "folder_id",
    "creator_id",
    "brand_ids",
    "collection_ids",
    "model",
    "provider",
    "generation_run_id",
    "project_id",
    "shot_id",
    "content_type",
    "embedding_model",
    "checksum_sha256",
    "perceptual_hash",
    "phash_bands",
)
# English like the built-in `english` analyzer (stop words, Porter stemming), but words split at anything not a
# letter or digit, underscores and dots included, and accents folded: what the embedded engine's FTS5 tokenizer
# (`porter unicode61 remove_diacritics 2`) does, so "zeppelin_final.png" matches "zeppelin" in both.
ANALYSIS: dict[str, Any] = {
    "tokenizer": {"dam_words": {"type": "pattern", "pattern": "[^\\p{L}\\p{N}]+"}},
    "filter": {
        "dam_stop": {"type": "stop", "stopwords": "_english_"},
        "dam_stem": {"type": "stemmer", "language": "english"},
    },
    "analyzer": {
        "dam_english": {
            "type": "custom",
            "tokenizer": "dam_words",
            "filter": ["lowercase", "asciifolding", "dam_stop", "dam_stem"],
        }
    },
}


def opensearch_client(
    endpoint: str, region: str, *, sign: bool = True, verify_certs: bool = True, timeout: float = 10.0
) -> Any:
    """A client for a domain endpoint (`https://search-….es.amazonaws.com`), SigV4-signed for service `es`
    with the function's credentials. `sign=False` for a plain cluster (user:password@ in the URL works)."""
    from urllib.parse import unquote, urlparse

    from opensearchpy import AWSV4SignerAuth, OpenSearch, RequestsHttpConnection

    url = urlparse(endpoint if "://" in endpoint else f"https://{endpoint}")
    auth: Any = None
    if sign:
        import boto3

        auth = AWSV4SignerAuth(boto3.Session().get_credentials(), region, "es")
    elif url.username:
        auth = (unquote(url.username), unquote(url.password or ""))
    secure = url.scheme == "https"
    return OpenSearch(
        hosts=[{"host": url.hostname, "port": url.port or (443 if secure else 80)}],
        http_auth=auth,
        use_ssl=secure,
        verify_certs=verify_certs,
        connection_class=RequestsHttpConnection,
        timeout=timeout,
        http_compress=True,  # bulk bodies with vectors compress ~3x
        pool_maxsize=10,
    )


class OpenSearchIndex:
    def __init__(
        self,
        client: Any,
        index_name: str = "assets",
        pipeline_name: str | None = None,
        *,
        dimensions: int = 512,
        tuning: SearchTuning | None = None,
        noise: NoiseFloor | None = None,
        shards: int = 1,
        replicas: int = 1,
        refresh: bool | str = False,
    ) -> None:
        """`refresh`: passed to writes ("wait_for" in tests so a write is searchable when it returns)."""
        self.client = client
        self.index_name = index_name
        self.pipeline_name = pipeline_name or f"{index_name}-hybrid"
        self.template_name = f"{index_name}-template"
        self.dimensions = dimensions
        self.tuning = tuning or SearchTuning()
        self._noise = noise
        self._shards = shards
        self._replicas = replicas
        self._refresh = refresh

    # --- setup -----------------------------------------------------------------------------------------

    def index_template(self) -> dict[str, Any]:
        return {
            "index_patterns": [self.index_name, f"{self.index_name}-v*"],
            "priority": 100,
            "template": {
                "settings": {
                    "index": {
                        "knn": True,
                        "number_of_shards": self._shards,
                        "number_of_replicas": self._replicas,
                        "refresh_interval": "1s",
                    },
                    "analysis": ANALYSIS,
                },
                "mappings": self.mappings(),
            },
        }

    def mappings(self) -> dict[str, Any]:
        english = {"type": "text", "analyzer": "dam_english"}
        raw = {"raw": {"type": "keyword", "ignore_above": 256}}
        properties: dict[str, Any] = {name: {"type": "keyword"} for name in _KEYWORD_FIELDS}
        properties.update(
            {
                "version": {"type": "long"},
                "deleted": {"type": "boolean"},
                "archived": {"type": "boolean"},
                # Nanoseconds, not milliseconds: created_at keeps microseconds, and date ranges are inclusive.
                "created_at": {"type": "date_nanos"},
                "name": {**english, "fields": raw},
                "tags": {**english, "fields": raw},  # `tags.raw`: the exact-tag filter
                "filename": {**english, "fields": raw},
                "prompt": english,
                "prompt_folded": {"type": "wildcard"},  # the case-insensitive substring filter
                "enhanced_prompt": english,
                "notes": english,
                "analysis_text": english,
                "text_in_image": english,
                "document_text": english,
                # Built from the fields above (so not searched again); kept for display and re-embedding.
                "search_context": {"type": "text", "index": False},
                "embedding": {
                    "type": "knn_vector",
                    "dimension": self.dimensions,
                    "method": {
                        "name": "hnsw",
                        "engine": "lucene",
                        "space_type": "cosinesimil",
                        "parameters": {"m": HNSW_M, "ef_construction": HNSW_EF_CONSTRUCTION},
                    },
                },
            }
        )
        return {"dynamic": False, "properties": properties}

    def pipeline(self) -> dict[str, Any]:
        total = self.tuning.keyword_weight + self.tuning.semantic_weight
        weights = [self.tuning.keyword_weight / total, self.tuning.semantic_weight / total]
        return {
            "description": "dam hybrid search: min-max normalised BM25 and k-NN, weighted arithmetic mean",
            "phase_results_processors": [
                {
                    "normalization-processor": {
                        "normalization": {"technique": "min_max"},
                        "combination": {"technique": "arithmetic_mean", "parameters": {"weights": weights}},
                    }
                }
            ],
        }

    def ensure_ready(self) -> None:
        """The index template (so even an index created by a stray write gets the mapping), the index and the
        search pipeline. Idempotent: PUTs, and a create that tolerates "already exists"."""
        from opensearchpy.exceptions import RequestError

        self.client.indices.put_index_template(name=self.template_name, body=self.index_template())
        if not self.client.indices.exists(index=self.index_name):
            try:
                self.client.indices.create(index=self.index_name, body={})
            except RequestError as error:
                if error.error != "resource_already_exists_exception":
                    raise
        self.client.search_pipeline.put(id=self.pipeline_name, body=self.pipeline())

    def delete_index(self) -> None:
        self.client.indices.delete(index=self.index_name, params={"ignore_unavailable": "true"})

    # --- writes ----------------------------------------------------------------------------------------

    def source(self, document: SearchDocument) -> dict[str, Any]:
        body = document.model_dump(mode="json", exclude={"embedding"})
        body["created_at"] = _timestamp(document.created_at)
        body["prompt_folded"] = document.prompt_folded or None
        body["phash_bands"] = phash_bands(document.perceptual_hash)
        body["deleted"] = False
        # Another model's dimension would fail the whole document: keep it findable by words.
        if document.embedding and len(document.embedding) == self.dimensions:
            body["embedding"] = document.embedding
        return body

    def upsert(self, documents: Iterable[SearchDocument]) -> WriteResult:
        actions = [
            {
                "_op_type": "index",
                "_index": self.index_name,
                "_id": document.asset_id,
                "version": document.version,
                "version_type": "external",
                "_source": self.source(document),
            }
            for document in documents
        ]
        return self._bulk(actions)

    def delete(self, asset_id: str, version: int) -> WriteResult:
        tombstone = {"asset_id": asset_id, "version": version, "deleted": True}
        action = {
            "_op_type": "index",
            "_index": self.index_name,
            "_id": asset_id,
            "version": version,
            "version_type": "external_gte",  # wins over the deleted record's own version
            "_source": tombstone,
        }
        return self._bulk([action])

    def _bulk(self, actions: list[dict[str, Any]]) -> WriteResult:
        if not actions:
            return WriteResult()
        from opensearchpy import helpers

        params: dict[str, Any] = {"refresh": self._refresh} if self._refresh else {}
        _, errors = helpers.bulk(
            self.client, actions, raise_on_error=False, raise_on_exception=True, chunk_size=500, **params
        )
        return bulk_result([str(action["_id"]) for action in actions], errors)

    def clear(self) -> None:
        self.delete_index()
        self.ensure_ready()

    def count(self, workspace_id: str) -> int:
        body = {"query": {"bool": {"filter": [{"term": {"workspace_id": workspace_id}}]}}}
        from opensearchpy.exceptions import NotFoundError

        try:
            return int(self.client.count(index=self.index_name, body=body)["count"])
        except NotFoundError as error:
            if error.error != _NO_INDEX:
                raise
            return 0

    # --- search ----------------------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchPage:
        cursor = decode_cursor(query.cursor, query, CURSOR_SHAPE) if query.cursor else None
        snapshot = str(cursor.snapshot) if cursor else _timestamp(datetime.now(UTC))
        filters = search_filters(query, snapshot)
        terms = keyword_terms(query.text) if query.mode != "semantic" else KeywordTerms((), None)
        vector = self._query_vector(query)
        if not terms and vector is None:
            if query.text:  # only stop words: matches nothing, as the english analyzer would
                return SearchPage([])
            return self._newest_keyset(query, None, filters, cursor, snapshot)
        if vector is None:
            if query.sort == "newest":
                return self._newest_keyset(query, terms, filters, cursor, snapshot)
            body = {**_ranked_body(self.tuning.depth), "query": keyword_query(terms, filters)}
            ranked = self._ranked(query, body, lambda score: score)
            return self._page(query, ranked, cursor, snapshot, None)
        threshold = cursor.threshold if cursor and cursor.threshold is not None else self._threshold(vector, filters)
        if threshold is None:  # nothing the caller may see has a vector: words alone, scored as the fusion would
            if query.mode == "semantic" or not terms:
                return SearchPage([])
            body = {**_ranked_body(self.tuning.depth), "query": keyword_query(terms, filters)}
            found = self._ranked(query, body, lambda score: score)
            fused = fuse({asset_id: score for asset_id, score, _ in found}, {}, self.tuning)
            ranked = [(asset_id, fused[asset_id], created) for asset_id, _, created in found if asset_id in fused]
            return self._page(query, ranked, cursor, snapshot, None)
        if query.mode == "semantic" or not terms:
            body = {**_ranked_body(self.tuning.depth), "query": knn_query(vector, filters, k=self.tuning.depth)}
            ranked = [hit for hit in self._ranked(query, body, _cosine) if hit[1] >= threshold]
            return self._page(query, ranked, cursor, snapshot, threshold)
        body = {**_ranked_body(self.tuning.depth), "query": self.hybrid_query(terms, vector, filters, threshold)}
        params = {"search_pipeline": self.pipeline_name}
        ranked = [
            hit for hit in self._ranked(query, body, lambda s: s, params) if hit[1] >= self.tuning.hybrid_min_score
        ]
        return self._page(query, ranked, cursor, snapshot, threshold)

    def hybrid_query(
        self, terms: KeywordTerms, vector: list[float], filters: list[dict[str, Any]], threshold: float
    ) -> dict[str, Any]:
        # Radial search: every neighbour above the cut-off (lucene cosinesimil scores are (1 + cos) / 2).
        radial = {"knn": {"embedding": {"vector": vector, "min_score": (1 + threshold) / 2, "filter": _all(filters)}}}
        # Each sub-query returns `size` (the depth) hits per shard: pages are cut here, so `from` stays 0 and no
        # `pagination_depth` (2.19+) is needed.
        return {"hybrid": {"queries": [keyword_query(terms, filters), radial]}}

    def similar(
        self, workspace_id: str, asset_id: str, *, limit: int = 10, visible_clients: tuple[str, ...] | None = None
    ) -> list[SearchHit]:
        from opensearchpy.exceptions import NotFoundError

        try:
            found = self.client.get(index=self.index_name, id=asset_id)
        except NotFoundError:
            return []
        source = found.get("_source") or {}
        if source.get("deleted") or source.get("workspace_id") != workspace_id:
            return []
        filters = [
            *_tenancy(workspace_id, visible_clients, archived=False),
            {"bool": {"must_not": [{"ids": {"values": [asset_id]}}]}},
        ]
        searches: list[tuple[HitKind, dict[str, Any]]] = []
        if source.get("checksum_sha256"):
            duplicates = {"bool": {"filter": [*filters, {"term": {"checksum_sha256": source["checksum_sha256"]}}]}}
            searches.append(("duplicate", {"size": limit, "query": duplicates, "sort": [{"created_at": "asc"}]}))
        bands = phash_bands(source.get("perceptual_hash"))
        if bands:
            should = [{"term": {"phash_bands": band}} for band in bands]
            near = {"bool": {"filter": filters, "should": should, "minimum_should_match": 1}}
            searches.append(("near_duplicate", {"size": 100, "query": near, "_source": ["perceptual_hash"]}))
        if source.get("embedding"):
            searches.append(
                ("similar", {"size": limit * 2, "query": knn_query(source["embedding"], filters, k=limit * 2)})
            )
        if not searches:
            return []
        body: list[dict[str, Any]] = []
        for _, search in searches:
            body.extend([{"index": self.index_name}, {"_source": False, **search}])
        # Index-scoped (`/assets/_msearch`), so the API's role may be granted this one index's search paths.
        responses = self.client.msearch(body=body, index=self.index_name)["responses"]
        return similar_hits(
            [(kind, response) for (kind, _), response in zip(searches, responses, strict=True)],
            source.get("perceptual_hash"),
            self.tuning.near_duplicate_bits,
            limit,
        )

    # --- internals -------------------------------------------------------------------------------------

    def _query_vector(self, query: SearchQuery) -> list[float] | None:
        if query.mode == "keyword":
            return None
        if query.query_vector is None:
            if query.mode == "semantic":
                raise InvalidInput("semantic search needs a query vector", field="mode")
            return None
        return [float(x) for x in query.query_vector]

    def _threshold(self, vector: list[float], filters: list[dict[str, Any]]) -> float | None:
        body = {"size": 1, "_source": False, "query": knn_query(vector, filters, k=1)}
        hits = self._search(body)["hits"]["hits"]
        if not hits:
            return None
        floor = self._noise.floor(vector) if self._noise is not None else None
        return semantic_threshold(_cosine(float(hits[0]["_score"])), floor, self.tuning)

    def _search(self, body: dict[str, Any], params: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
        """One search request. Until the indexer creates the index (on the first asset), there is nothing to
        find: a missing index answers no hits, not an error."""
        from opensearchpy.exceptions import NotFoundError

        try:
            return cast(
                Mapping[str, Any], self.client.search(index=self.index_name, body=body, params=dict(params or {}))
            )
        except NotFoundError as error:
            if error.error != _NO_INDEX:
                raise
            return {"hits": {"hits": []}}

    def _ranked(
        self, query: SearchQuery, body: dict[str, Any], score: Any, params: Mapping[str, Any] | None = None
    ) -> list[tuple[str, float, str]]:
        if query.sort == "newest":
            body = {**body, "_source": ["created_at"]}
        return ranked_hits(self._search(body, params), score)

    def _page(
        self,
        query: SearchQuery,
        ranked: list[tuple[str, float, str]],
        cursor: Cursor | None,
        snapshot: str,
        threshold: float | None,
    ) -> SearchPage:
        if query.sort == "newest":
            items = sorted(((a, s, [created, a]) for a, s, created in ranked), key=lambda item: item[2], reverse=True)
            return page_after(query, items, cursor, snapshot, threshold)
        ordered = sorted(ranked, key=lambda hit: (-hit[1], hit[0]))
        return page_ranked(query, [(a, s) for a, s, _ in ordered], cursor, snapshot, threshold)

    def _newest_keyset(
        self,
        query: SearchQuery,
        terms: KeywordTerms | None,
        filters: list[dict[str, Any]],
        cursor: Cursor | None,
        snapshot: str,
    ) -> SearchPage:
        body: dict[str, Any] = {
            "size": query.limit + 1,
            "_source": False,
            "track_total_hits": False,
            "query": keyword_query(terms, filters) if terms else {"bool": {"filter": filters}},
            "sort": [{"created_at": "desc"}, {"asset_id": "desc"}],
        }
        if cursor is not None and cursor.after:
            body["search_after"] = cursor.after
        hits = self._search(body)["hits"]["hits"]
        page = [SearchHit(hit["_id"], float(hit.get("_score") or 0.0)) for hit in hits[: query.limit]]
        next_cursor = None
        if len(hits) > query.limit:
            after = list(hits[query.limit - 1]["sort"])
            next_cursor = encode_cursor(Cursor(fingerprint(query), snapshot, after=after))
        return SearchPage(page, next_cursor)


# --- request bodies (pure: tested on their shapes) ---------------------------------------------------------


def search_filters(query: SearchQuery, snapshot: str) -> list[dict[str, Any]]:
    """Tenancy first (workspace, clients, archived), then the snapshot bound, then the caller's filters: every
    declared filter (dam.domain.filters) the query sets, as a clause."""
    filters = _tenancy(query.workspace_id, query.visible_clients, archived=query.archived)
    filters.append({"range": {"created_at": {"lte": snapshot}}})
    for declared, value in active_filters(query):
        if declared.match not in (Match.SHELF, Match.SCOPE):  # in the tenancy above
            filters.append(filter_clause(declared, value))
    return filters


def _tenancy(workspace_id: str, visible_clients: tuple[str, ...] | None, *, archived: bool) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = [
        {"term": {"workspace_id": workspace_id}},
        filter_clause(BY_NAME["archived"], archived),
        {"bool": {"must_not": [{"term": {"status": AssetStatus.DELETING.value}}]}},  # on its way out
    ]
    if visible_clients is not None:
        filters.append(filter_clause(BY_NAME["visible_clients"], visible_clients))
    return filters


# Facts indexed as text whose exact values live in a keyword sub-field.
_EXACT_FIELD = {"tags": "tags.raw"}


def filter_clause(declared: Filter, value: Any) -> dict[str, Any]:
    """One declared filter as a query DSL filter clause."""
    field = _EXACT_FIELD.get(declared.fact, declared.fact)
    missing = {"bool": {"must_not": [{"exists": {"field": field}}]}}
    match declared.match:
        case Match.EQUALS | Match.CONTAINS | Match.SHELF:
            return {"term": {field: value}}
        case Match.EQUALS_OR_UNSET:
            return missing if value == UNASSIGNED else {"term": {field: value}}
        case Match.SUBSTRING:
            return {"wildcard": {field: {"value": f"*{_wildcard_escape(str(value).casefold())}*"}}}
        case Match.SINCE:
            return {"range": {field: {"gte": _timestamp(value)}}}
        case Match.UNTIL:
            return {"range": {field: {"lte": _timestamp(value)}}}
        case Match.EXCLUDES:
            return {"bool": {"must_not": [{"term": {field: declared.constant}}]}}
        case Match.SCOPE:
            allowed: list[dict[str, Any]] = [missing]
            if value:
                allowed.append({"terms": {field: list(value)}})
            return {"bool": {"should": allowed, "minimum_should_match": 1}}
        case Match.AMONG:
            return {"ids": {"values": sorted(value)}}
    raise AssertionError(declared.match)  # pragma: no cover


def keyword_query(terms: KeywordTerms, filters: list[dict[str, Any]]) -> dict[str, Any]:
    fields = [f"{name}^{weight:g}" for name, weight in FIELD_WEIGHTS.items()]
    should: list[dict[str, Any]] = [
        {"multi_match": {"query": " ".join(terms.exact), "type": "most_fields", "fields": fields}}
    ]
    if terms.prefix:
        prefix = {"query": terms.prefix, "type": "bool_prefix", "fields": fields, "boost": PREFIX_BOOST}
        should.append({"multi_match": prefix})
    return {"bool": {"should": should, "minimum_should_match": 1, "filter": filters}}


def knn_query(vector: list[float], filters: list[dict[str, Any]], *, k: int) -> dict[str, Any]:
    """Efficient filtering: the filter runs inside the HNSW search (Lucene engine), so k hits still come back
    under a selective filter."""
    knn = {"vector": vector, "k": k, "filter": _all(filters), "method_parameters": {"ef_search": max(EF_SEARCH, k)}}
    return {"knn": {"embedding": knn}}


def _all(filters: list[dict[str, Any]]) -> dict[str, Any]:
    return {"bool": {"filter": filters}}


def _ranked_body(depth: int) -> dict[str, Any]:
    return {"size": depth, "from": 0, "_source": False, "track_total_hits": False}


# --- responses ---------------------------------------------------------------------------------------------


def ranked_hits(response: Mapping[str, Any], score: Any) -> list[tuple[str, float, str]]:
    """(asset id, score, created_at) of each hit; `score` maps OpenSearch's score to ours."""
    hits = response.get("hits", {}).get("hits", [])
    return [
        (
            hit["_id"],
            float(score(float(hit.get("_score") or 0.0))),
            str((hit.get("_source") or {}).get("created_at", "")),
        )
        for hit in hits
    ]


def bulk_result(ids: list[str], errors: list[Mapping[str, Any]]) -> WriteResult:
    """A bulk call's outcome: 409 version conflicts are stale (ignored on purpose); anything else failed and
    raises `SearchIndexError` naming the failed ids."""
    stale: list[str] = []
    failed: dict[str, str] = {}
    for error in errors:
        (item,) = error.values()
        error_info = item.get("error") or {}
        kind = error_info.get("type", "") if isinstance(error_info, Mapping) else str(error_info)
        if item.get("status") == 409 and kind == _STALE:
            stale.append(str(item["_id"]))
        else:
            reason = error_info.get("reason", kind) if isinstance(error_info, Mapping) else kind
            failed[str(item.get("_id"))] = f"{item.get('status')} {kind}: {reason}"
    if failed:
        raise SearchIndexError(f"{len(failed)} of {len(ids)} documents failed", failed)
    done = set(stale)
    return WriteResult(tuple(i for i in ids if i not in done), tuple(stale))


def similar_hits(
    responses: list[tuple[HitKind, Mapping[str, Any]]], perceptual_hash: str | None, near_bits: int, limit: int
) -> list[SearchHit]:
    bits = phash_bits(perceptual_hash)
    hits: list[SearchHit] = []
    seen: set[str] = set()
    for kind, response in responses:
        found = response.get("hits", {}).get("hits", [])
        if kind == "near_duplicate" and bits is not None:
            near = []
            for hit in found:
                other = phash_bits((hit.get("_source") or {}).get("perceptual_hash"))
                if other is not None and hamming(bits, other) <= near_bits:
                    near.append((hamming(bits, other), hit["_id"]))
            for distance, asset_id in sorted(near):
                if asset_id not in seen:
                    seen.add(asset_id)
                    hits.append(SearchHit(asset_id, 1.0 - distance / 64, "near_duplicate"))
            continue
        for hit in found:
            if hit["_id"] not in seen:
                seen.add(hit["_id"])
                score = 1.0 if kind == "duplicate" else _cosine(float(hit.get("_score") or 0.0))
                hits.append(SearchHit(hit["_id"], score, kind))
    return hits[:limit]


def _cosine(score: float) -> float:
    """Lucene's cosinesimil score is (1 + cos) / 2."""
    return 2.0 * score - 1.0


def _timestamp(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _wildcard_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")
