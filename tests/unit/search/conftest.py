"""Search fixtures: each behavioural test runs on every available engine — the embedded one always, OpenSearch
when OPENSEARCH_URL points at a real cluster (e.g. http://admin:secret@localhost:9200)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dam.search.embedded import EmbeddedIndex
from dam.search.model import SearchDocument
from dam.search.port import SearchIndex
from dam.search.scoring import NoiseFloor, SearchTuning

DIMENSIONS = 8
WORKSPACE = "ws-studio"
T0 = datetime(2026, 1, 10, 9, 30, tzinfo=UTC)

MakeIndex = Callable[..., SearchIndex]


@pytest.fixture(params=["embedded", "opensearch"])
def make_index(request: pytest.FixtureRequest, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[MakeIndex]:
    made: list[Any] = []

    def make(
        *, dimensions: int = DIMENSIONS, noise: NoiseFloor | None = None, tuning: SearchTuning | None = None
    ) -> SearchIndex:
        index: Any
        if request.param == "embedded":
            index = EmbeddedIndex(tmp_path / f"search-{len(made)}.sqlite", tuning=tuning, noise=noise)
        else:
            url = os.environ.get("OPENSEARCH_URL")
            if not url:
                pytest.skip("OPENSEARCH_URL is not set: the OpenSearch engine runs against a real cluster only")
            from dam.search.opensearch import OpenSearchIndex, opensearch_client

            monkeypatch.undo()  # lifts the unit tests' network block: this engine talks to a cluster on purpose
            client = opensearch_client(url, "us-east-1", sign=False, verify_certs=False)
            name = f"dam-test-{uuid.uuid4().hex[:12]}"
            index = OpenSearchIndex(
                client, name, dimensions=dimensions, tuning=tuning, noise=noise, replicas=0, refresh="wait_for"
            )
        index.ensure_ready()
        made.append(index)
        return index

    yield make
    for index in made:
        if isinstance(index, EmbeddedIndex):
            index.close()
        else:
            index.delete_index()


@pytest.fixture
def index(make_index: MakeIndex) -> SearchIndex:
    return make_index()


def doc(asset_id: str, **fields: Any) -> SearchDocument:
    """A ready image in the studio workspace unless told otherwise."""
    defaults: dict[str, Any] = {
        "workspace_id": WORKSPACE,
        "version": 1,
        "asset_type": "image",
        "media_type": "image",
        "status": "ready",
        "name": asset_id,
        "filename": f"{asset_id}.png",
        "creator_id": "user-maya",
        "created_at": T0,
    }
    return SearchDocument(asset_id=asset_id, **{**defaults, **fields})


def vector(*head: float) -> list[float]:
    """An 8-d vector from its first components (the rest zero), unit length."""
    values = [*head, *([0.0] * (DIMENSIONS - len(head)))]
    norm = sum(v * v for v in values) ** 0.5
    return [v / norm for v in values]


def later(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)
