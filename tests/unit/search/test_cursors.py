"""A search cursor is the engine's own, for this query, or a clear InvalidCursor (400): never a crash further on."""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, replace
from typing import Any

import pytest

from dam.domain.errors import InvalidCursor
from dam.search import embedded, opensearch
from dam.search.model import SearchQuery
from dam.search.scoring import Cursor, decode_cursor, encode_cursor, fingerprint
from tests.unit.search.conftest import WORKSPACE, doc, later


def _forge(**fields: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(fields).encode()).decode().rstrip("=")


def _tampered(query: SearchQuery, **changes: Any) -> str:
    fields = {"fingerprint": fingerprint(query), "snapshot": 5, "offset": 0, **changes}
    return _forge(**fields)


TAMPERINGS = [
    {"snapshot": "abc"},
    {"snapshot": True},
    {"snapshot": 10**400},
    {"snapshot": [1]},
    {"after": [1]},
    {"after": ["x", "y"]},
    {"after": [1, 2, 3]},
    {"after": {"a": 1}},
    {"offset": -1},
    {"offset": "3"},
    {"threshold": "high"},
    {"last_id": 7},
    {"unknown": 1},
]


@pytest.mark.parametrize("sort", ["newest", "relevance"])
@pytest.mark.parametrize("changes", TAMPERINGS)
def test_a_tampered_cursor_is_invalid_input_in_the_embedded_engine(index, sort: str, changes: dict[str, Any]) -> None:
    index.upsert([doc(f"c{i}", name="Crate", created_at=later(i)) for i in range(3)])
    query = SearchQuery(WORKSPACE, text="crate", mode="keyword", sort=sort, limit=1)  # type: ignore[arg-type]
    with pytest.raises(InvalidCursor) as refused:
        index.search(replace(query, cursor=_tampered(query, **changes)))
    assert refused.value.field == "query.cursor"


@pytest.mark.parametrize("token", ["", "!!", _forge(), base64.b64encode(b"[1, 2]").decode(), "eyJ" * 300])
def test_a_cursor_that_is_not_one_is_invalid_input(token: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(token, SearchQuery(WORKSPACE), embedded.CURSOR_SHAPE)


def test_each_engine_reads_back_the_cursors_it_writes_and_refuses_the_others() -> None:
    query = SearchQuery(WORKSPACE, text="crate", sort="newest")
    local = Cursor(fingerprint(query), 12, after=[1_767_225_600_000_000, 40])
    aws = Cursor(fingerprint(query), "2026-02-03T10:00:00.000000Z", after=[1_770_112_800_000, "a" * 32])
    ranked = Cursor(fingerprint(query), "2026-02-03T10:00:00.000000Z", after=["2026-02-01T08:00:00.000000Z", "b"])
    assert decode_cursor(encode_cursor(local), query, embedded.CURSOR_SHAPE) == local
    for written in (aws, ranked):
        assert decode_cursor(encode_cursor(written), query, opensearch.CURSOR_SHAPE) == written
        with pytest.raises(InvalidCursor):
            decode_cursor(encode_cursor(written), query, embedded.CURSOR_SHAPE)
    with pytest.raises(InvalidCursor):
        decode_cursor(encode_cursor(local), query, opensearch.CURSOR_SHAPE)
    forged = {**asdict(aws), "after": ["not a time", "x"]}
    with pytest.raises(InvalidCursor):
        decode_cursor(_forge(**forged), query, opensearch.CURSOR_SHAPE)
