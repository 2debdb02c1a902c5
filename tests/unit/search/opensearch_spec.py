"""OpenSearch's own REST API specification (/work/shared/opensearch-api-spec, OpenAPI 3.1 in YAML files), as a
validator for the requests the adapter sends and the answers the tests' fake transport gives it.

Strict: the spec never says `additionalProperties: false`, so a misspelt key would pass. Here every object
schema that lists `properties` refuses keys it does not name (`unevaluatedProperties: false`, which sees
through `allOf`/`anyOf`/`$ref`), except where the spec leaves an object open on purpose (field-name maps:
`additionalProperties`, `patternProperties`).

Patched in memory, as the spec's SOURCE lists (keep these few):
- `SortCombinations` is a `oneOf` in which `{"created_at": "desc"}` matches both branches: `anyOf`, and
  `SortOptions` closed.
- NDJSON bodies (`_bulk`, `_msearch`) are validated line by line, by position, not with their array schemas
  (which accept anything, or nothing).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml
from referencing import Registry
from referencing.jsonschema import DRAFT202012

SPEC = Path("/work/shared/opensearch-api-spec/spec")
_COMPOSITIONS = ("allOf", "anyOf", "oneOf")


class SpecViolation(AssertionError):
    pass


def available() -> bool:
    return SPEC.is_dir()


def _walk(node: Any, pointer: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema-like dict with its JSON pointer."""
    if isinstance(node, dict):
        yield pointer, node
        for key, value in node.items():
            yield from _walk(value, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{pointer}/{index}")


_OPEN = ("additionalProperties", "patternProperties", "unevaluatedProperties", "propertyNames")


def _close(documents: dict[str, Any]) -> None:
    """Every object schema that names its properties or composes others refuses keys none of them name. A
    member of an `allOf` (inline or through `$ref`) stays open and its owner is closed instead: a member closed
    on its own would refuse its siblings' keys. (`oneOf`/`anyOf` members match alone, so they are closed.)"""
    members: set[str] = set()
    for uri, document in documents.items():
        for pointer, node in _walk(document, ""):
            for index, member in enumerate(node.get("allOf") or []):
                if isinstance(member, dict):
                    members.add(f"{uri}#{pointer}/allOf/{index}")
                    if isinstance(member.get("$ref"), str):
                        members.add(_pointer(uri, member["$ref"]))
    # Schemas inside an inline member refine what a sibling describes (allOf [HitsMetadata, {hits: {items:
    # {_source}}}]): closing them would refuse the sibling's keys, so they stay open too.
    inline = {member for member in members if "/allOf/" in member}
    for uri, document in documents.items():
        for pointer, node in list(_walk(document, "")):
            here = f"{uri}#{pointer}"
            ancestors = (here[:i] for i in range(len(here)) if here[i] == "/")
            if here in members or any(key in node for key in _OPEN) or any(a in inline for a in ancestors):
                continue
            names = "properties" in node or any(key in node for key in _COMPOSITIONS)
            container = pointer.rsplit("/", 1)[-1] in ("properties", "patternProperties", "schemas", "examples")
            if names and not container and node.get("type", "object") == "object":
                node["unevaluatedProperties"] = False


def _patch(documents: dict[str, Any]) -> None:
    common = documents[(SPEC / "schemas/_common.yaml").as_uri()]["components"]["schemas"]
    combinations = common["SortCombinations"]
    combinations["anyOf"] = combinations.pop("oneOf")
    common["SortOptions"]["additionalProperties"] = False


@cache
def _spec() -> tuple[Registry, dict[str, Any]]:
    documents: dict[str, Any] = {}
    for path in sorted(SPEC.rglob("*.yaml")):
        documents[path.as_uri()] = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
    _patch(documents)
    _close(documents)
    registry: Registry = Registry().with_resources(
        (uri, DRAFT202012.create_resource(document)) for uri, document in documents.items()
    )
    return registry, documents


def _operation(method: str, url: str) -> tuple[str, dict[str, Any]]:
    """(file URI, operation) of the best-matching path template: the one with the most literal characters."""
    _, documents = _spec()
    path = url.split("?", 1)[0]
    best: tuple[int, str, dict[str, Any]] | None = None
    for uri, document in documents.items():
        if "/namespaces/" not in uri:
            continue
        for template, operations in (document.get("paths") or {}).items():
            pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            if re.match(pattern, path) and method.lower() in operations:
                literal = len(re.sub(r"\{[^}]+\}", "", template))
                if best is None or literal > best[0]:
                    best = (literal, uri, operations[method.lower()])
    if best is None:
        raise SpecViolation(f"{method} {path}: no such operation in the spec")
    return best[1], best[2]


def _pointer(uri: str, ref: str) -> str:
    """A `$ref` of a file in the spec, made absolute."""
    if ref.startswith("#"):
        return f"{uri}{ref}"
    relative, _, fragment = ref.partition("#")
    return f"{(Path(uri.removeprefix('file://')).parent / relative).resolve().as_uri()}#{fragment}"


def _resolve(pointer: str) -> Any:
    registry, _ = _spec()
    uri, _, fragment = pointer.partition("#")
    return registry.resolver().lookup(pointer).contents if fragment else registry[uri].contents


def _body_schema(uri: str, holder: Mapping[str, Any]) -> tuple[str, str] | None:
    """(schema pointer, media type) of a request body or response object (following its `$ref`)."""
    if "$ref" in holder:
        pointer = _pointer(uri, holder["$ref"])
        holder = _resolve(pointer)
        uri = pointer.partition("#")[0]
    content = holder.get("content") or {}
    for media in ("application/json", "application/x-ndjson"):
        if media in content:
            schema = content[media]["schema"]
            if "$ref" in schema:
                return _pointer(uri, schema["$ref"]), media
            return _inline(uri, holder, media.replace("/", "~1")), media
    return None


def _inline(uri: str, holder: Mapping[str, Any], escaped_media: str) -> str:
    # Inline schemas are addressed by JSON pointer from their components entry: find where `holder` lives.
    _, documents = _spec()
    document = documents[uri]
    for section in ("requestBodies", "responses"):
        for name, candidate in (document.get("components", {}).get(section) or {}).items():
            if candidate is holder:
                key = name.replace("~", "~0").replace("/", "~1")
                return f"{uri}#/components/{section}/{key}/content/{escaped_media}/schema"
    raise SpecViolation("inline schema outside components")


@cache
def _rust_registry() -> jsonschema_rs.Registry:
    _, documents = _spec()
    return jsonschema_rs.Registry(list(documents.items()), draft=jsonschema_rs.Draft202012)


@cache
def _validator(pointer: str) -> Any:
    # jsonschema-rs: ~1 ms a body where python-jsonschema takes up to a second (an index template).
    return jsonschema_rs.validator_for({"$ref": pointer}, registry=_rust_registry(), base_uri=SPEC.as_uri() + "/")


def validate(pointer: str, instance: Any, what: str) -> None:
    errors = list(_validator(pointer).iter_errors(instance))
    if errors:
        described = [f"at /{'/'.join(map(str, e.instance_path))}: {e.message[:300]}" for e in errors[:5]]
        raise SpecViolation(f"{what}: " + "; ".join(described))


def schema_of(name: str, file: str) -> str:
    return f"{(SPEC / file).as_uri()}#/components/schemas/{name}"


def validate_request(method: str, url: str, body: Any) -> None:
    uri, operation = _operation(method, url)
    what = f"{method} {url} request"
    if body is None:
        return
    request = operation.get("requestBody")
    if request is None:
        raise SpecViolation(f"{what}: the operation takes no body")
    found = _body_schema(uri, request)
    assert found is not None, what
    pointer, media = found
    if media == "application/x-ndjson":
        for index, (line, schema) in enumerate(_ndjson_lines(url, body)):
            if schema is not None:
                validate(schema, line, f"{what}, line {index + 1}")
        return
    validate(pointer, body, what)


def _ndjson_lines(url: str, lines: list[Any]) -> Iterator[tuple[Any, str | None]]:
    """By position: `_bulk` is action, document (documents are checked against our mapping elsewhere);
    `_msearch` is header, body."""
    path = url.split("?", 1)[0]
    if path.endswith("/_bulk"):
        for index, line in enumerate(lines):
            yield line, schema_of("OperationContainer", "schemas/_core.bulk.yaml") if index % 2 == 0 else None
    elif path.endswith("/_msearch"):
        for index, line in enumerate(lines):
            kind = "MultisearchHeader" if index % 2 == 0 else "MultisearchBody"
            yield line, schema_of(kind, "schemas/_core.msearch.yaml")
    else:
        raise SpecViolation(f"{url}: unknown NDJSON body")


def validate_response(method: str, url: str, status: int, body: Any) -> None:
    uri, operation = _operation(method, url)
    what = f"{method} {url} → {status}"
    responses = operation.get("responses") or {}
    response = responses.get(str(status))
    found = _body_schema(uri, response) if response is not None else None
    if status >= 400 and isinstance(body, dict) and "error" in body:
        # Any operation can fail with OpenSearch's error body (a missing index, say), which the spec documents
        # for some operations only (get's 404 is the `"found": false` document, _count lists 200 alone).
        try:
            validate(found[0] if found else error_schema(), body, what)
        except SpecViolation:
            validate(error_schema(), body, what)
        return
    if response is None:
        raise SpecViolation(f"{what}: the spec documents no such answer ({', '.join(responses)})")
    if found is None:
        if body not in (None, True, False):
            raise SpecViolation(f"{what}: the spec documents no body")
        return
    validate(found[0], body, what)


def error_schema() -> str:
    return schema_of("ErrorResponseBase", "schemas/_common.yaml")


# --- what the spec can't express (SOURCE lists them), checked by hand -----------------------------------------

KNN_ENGINES = ("lucene", "faiss", "nmslib")
KNN_SPACES = ("l2", "cosinesimil", "innerproduct", "l1", "linf", "hamming")


def check_by_hand(method: str, url: str, body: Any, mapped: set[str] | None = None) -> None:
    """`mapped`: the index's mapped fields, for the documents of a `_bulk` (the mapping is `dynamic: false`, so
    an unmapped field would be dropped without a word)."""
    path = url.split("?", 1)[0]
    if path.endswith("/_bulk"):
        for document in body[1::2]:
            unmapped = set(document) - (mapped or set(document))
            if unmapped:
                raise SpecViolation(f"bulk document fields not in the mapping: {sorted(unmapped)}")
        return
    if path.endswith("/_msearch"):
        for search in body[1::2]:
            _check_query(search.get("query"), top=True)
        return
    if isinstance(body, dict) and "query" in body:
        _check_query(body["query"], top=True)
    if path.startswith("/_index_template/"):
        template = body["template"]
        if not isinstance(template["settings"]["index"]["knn"], bool):
            raise SpecViolation("index.knn must be a boolean")
        _check_mapping(template["mappings"])


def _check_query(query: Any, *, top: bool) -> None:
    if isinstance(query, list):
        for item in query:
            _check_query(item, top=False)
        return
    if not isinstance(query, dict):
        return
    for key, value in query.items():
        if key == "hybrid" and not top:
            raise SpecViolation("a hybrid query is allowed only at the top level")
        if key == "knn" and isinstance(value, dict):
            for field in value.values():
                if "k" in field and ({"min_score", "max_distance"} & set(field)):
                    raise SpecViolation("k-NN takes one of k, min_score, max_distance")
                if sum(name in field for name in ("k", "min_score", "max_distance")) != 1:
                    raise SpecViolation("k-NN needs one of k, min_score, max_distance")
                _check_query(field.get("filter"), top=False)
            continue
        if key == "hybrid":
            for sub in value["queries"]:
                _check_query(sub, top=False)
            continue
        _check_query(value, top=False)


def _check_mapping(mappings: Mapping[str, Any]) -> None:
    for name, field in mappings["properties"].items():
        if field.get("type") != "knn_vector":
            continue
        method = field["method"]
        if method["engine"] not in KNN_ENGINES or method["space_type"] not in KNN_SPACES:
            raise SpecViolation(f"{name}: unknown k-NN engine or space type {method}")
        if method["name"] != "hnsw" or not all(
            isinstance(value, int) and not isinstance(value, bool) and value > 0
            for value in (field["dimension"], *method["parameters"].values())
        ):
            raise SpecViolation(f"{name}: HNSW dimension and parameters must be positive integers")
