"""An in-memory stand-in for an OpenSearch cluster behind the request-recording transport of
`test_opensearch_requests`: it keeps what `_bulk` indexes and answers newest-first filtered searches (the query
DSL the adapter's filters use: bool filter/must_not/should, term, terms, exists, range, wildcard, ids) with
`search_after` paging. Every request and answer is still checked against OpenSearch's specification."""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from dam.search.opensearch import OpenSearchIndex
from tests.unit.search.test_opensearch_requests import Call, acknowledged, bulk_response, make, search_response


class FakeCluster:
    def __init__(self) -> None:
        self.sources: dict[str, dict[str, Any]] = {}
        self.index: OpenSearchIndex
        self.index, self.transport = make(self.respond)

    def respond(self, call: Call) -> Any:
        path = call.url.split("?", 1)[0]
        if path.endswith("/_bulk"):
            for action, source in zip(call.body[::2], call.body[1::2], strict=True):
                ((_, meta),) = action.items()
                self.sources[meta["_id"]] = source
            return bulk_response(call)
        if path.endswith("/_search"):
            return self.search(call.body)
        return acknowledged(call)

    def search(self, body: dict[str, Any]) -> dict[str, Any]:
        if [list(order) for order in body.get("sort", [])] != [["created_at"], ["asset_id"]]:
            raise NotImplementedError(f"the fake answers newest-first searches only: {body}")
        found = [s for s in self.sources.values() if not s.get("deleted") and _holds(body["query"], s)]
        keys = sorted(((s["created_at"], s["asset_id"]) for s in found), reverse=True)
        if "search_after" in body:
            after = tuple(body["search_after"])
            keys = [key for key in keys if key < after]
        hits = keys[: body["size"]]
        return search_response(*((i, None) for _, i in hits), extra={i: {"sort": [t, i]} for t, i in hits})


def _values(source: dict[str, Any], field: str) -> list[Any]:
    value = source.get(field.removesuffix(".raw"))
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _holds(query: dict[str, Any], source: dict[str, Any]) -> bool:
    ((kind, spec),) = query.items()
    if kind == "bool":
        should = spec.get("should", [])
        return (
            all(_holds(q, source) for q in spec.get("filter", []) + spec.get("must", []))
            and not any(_holds(q, source) for q in spec.get("must_not", []))
            and (not should or sum(_holds(q, source) for q in should) >= spec.get("minimum_should_match", 1))
        )
    if kind == "ids":
        return source["asset_id"] in spec["values"]
    ((field, wanted),) = spec.items()
    values = _values(source, field)
    if kind == "term":
        return wanted in values
    if kind == "terms":
        return any(value in wanted for value in values)
    if kind == "exists":
        return bool(_values(source, wanted))
    if kind == "range":
        checks = {"gte": lambda v, b: v >= b, "lte": lambda v, b: v <= b}
        return any(all(checks[op](v, bound) for op, bound in wanted.items()) for v in values)
    if kind == "wildcard":
        pattern = re.sub(r"\\(.)", lambda m: f"[{m.group(1)}]", wanted["value"])
        return any(fnmatch.fnmatchcase(str(v), pattern) for v in values)
    raise NotImplementedError(kind)
