"""Search end to end in-process: edits reach the index only through the table's stream (moto's, read by the
local stream poller) and the real indexer handler; queries go through the real API handler."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.conftest import ASSETS_TABLE, REGION, Api
from tests.integration.conftest import wait_until_processed
from tests.unit.imaging import corpus


class StreamFeed:
    """Feeds the assets table's stream to the indexer on demand (what Lambda's event source mapping does)."""

    def __init__(self) -> None:
        from dam_local.streams import StreamPoller
        from functions.indexer.handler import handler
        from tests.support import LambdaContext

        table = boto3.client("dynamodb", region_name=REGION).describe_table(TableName=ASSETS_TABLE)["Table"]
        # In-process moto answers DynamoDB Streams only on its explicit endpoint (see DESIGN.md).
        streams = boto3.client(
            "dynamodbstreams", region_name=REGION, endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com"
        )
        self._poller = StreamPoller(streams, table["LatestStreamArn"], REGION, lambda e: handler(e, LambdaContext()))

    def drain(self) -> int:
        total = 0
        while delivered := self._poller.poll_once():
            total += delivered
        return total


@pytest.fixture
def search(pipeline: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Api, StreamFeed]]:
    from dam.api.context import build_services, use_services
    from dam.settings import ApiSettings
    from functions.indexer import handler as indexer
    from tests.conftest import MEDIA_BUCKET, TABLES

    monkeypatch.setenv("DAM_SEARCH_ENGINE", "embedded")
    monkeypatch.setenv("DAM_SEARCH_PATH", str(tmp_path / "search.sqlite"))
    monkeypatch.setenv("DAM_EMBEDDER", "local")
    indexer.indexing_service.cache_clear()
    use_services(
        build_services(
            ApiSettings.from_environment(
                assets_table=ASSETS_TABLE, library_table=TABLES["Library"], media_bucket=MEDIA_BUCKET
            )
        )
    )
    yield pipeline, StreamFeed()
    indexer.indexing_service.cache_clear()


def _found(api: Api, **query: str) -> list[str]:
    response = api.request("GET", "/search", query=query)
    assert response.status == 200, response.body
    return [item["asset_id"] for item in response.json()["items"]]


def _upload(api: Api, name: str, prompt: str | None = None, **extra: Any) -> str:
    generation = {"generation": {"prompt": prompt, "model": "imagen-4"}} if prompt else {}
    asset = api.upload(
        f"{name}.png",
        "image/png",
        corpus.png_photo(64, 48),
        name=name,
        asset_type="generated_content" if prompt else "image",
        **generation,
        **extra,
    )
    assert wait_until_processed(api, asset["asset_id"])["status"] == "ready"
    return str(asset["asset_id"])


def test_edits_reach_search_through_the_stream_and_deletes_disappear(search: tuple[Api, StreamFeed]) -> None:
    api, feed = search
    coffee = _upload(api, "Morning still life", prompt="a cup of coffee on a wooden table, morning light")
    car = _upload(api, "Garage shoot", prompt="a red sports car in a garage")
    feed.drain()

    assert _found(api, q="garage", mode="keyword") == [car]
    assert _found(api, q="espresso", mode="semantic")[0] == coffee
    assert _found(api, q="espresso")[0] == coffee  # hybrid
    assert _found(api, q="qwxz zzkv") == []
    assert _found(api, q="COFFEE", mode="keyword", prompt="Cup Of") == [coffee]

    api.request("PATCH", f"/assets/{car}", body={"name": "Hero roadster", "tags": ["hero"]})
    feed.drain()
    assert _found(api, q="roadster", mode="keyword") == [car]
    assert _found(api, q="*", mode="keyword", tag="hero") in ([car], [])  # tag filter with any text
    assert car in _found(api, tag="hero")

    api.request("DELETE", f"/assets/{car}")
    feed.drain()
    assert _found(api, q="roadster", mode="keyword") == []


def test_search_never_shows_another_workspace_or_client(search: tuple[Api, StreamFeed]) -> None:
    api, feed = search
    shared = _upload(api, "Shared moodboard")
    acme = _upload(api, "Acme moodboard", client_id="client-acme")
    rival_claims = api.as_user("user-rival", workspace="ws-rival")
    rival = api.upload("x.png", "image/png", corpus.png_photo(32, 32), name="Rival moodboard", claims=rival_claims)
    wait_until_processed(api, acme)
    feed.drain()

    assert sorted(_found(api, q="moodboard", mode="keyword")) == sorted([shared, acme])
    external = api.as_user("user-ext", clients=["client-zen"])
    response = api.request("GET", "/search", query={"q": "moodboard", "mode": "keyword"}, claims=external)
    assert [i["asset_id"] for i in response.json()["items"]] == [shared]
    rival_view = api.request("GET", "/search", query={"q": "moodboard", "mode": "keyword"}, claims=rival_claims)
    assert shared not in [i["asset_id"] for i in rival_view.json()["items"]]
    assert rival["asset_id"] not in _found(api, q="moodboard", mode="keyword")


def test_similar_finds_exact_duplicates_first_and_answers_404_for_what_you_cannot_see(
    search: tuple[Api, StreamFeed],
) -> None:
    api, feed = search
    data = corpus.png_photo(120, 80)
    first = api.upload("a.png", "image/png", data, name="Fox in snow")
    second = api.upload("b.png", "image/png", data, name="Fox in snow, copy")
    other = _upload(api, "Desert temple", prompt="an ancient temple in the desert at dusk")
    for asset in (first, second):
        wait_until_processed(api, asset["asset_id"])
    feed.drain()

    similar = api.request("GET", f"/assets/{first['asset_id']}/similar")
    assert similar.status == 200, similar.body
    ids = [item["asset_id"] for item in similar.json()["items"]]
    assert ids[0] == second["asset_id"] and first["asset_id"] not in ids
    assert other in ids or len(ids) == 1
    rival = api.as_user("user-rival", workspace="ws-rival")
    assert api.request("GET", f"/assets/{first['asset_id']}/similar", claims=rival).status == 404


def test_search_input_is_validated(search: tuple[Api, StreamFeed]) -> None:
    api, _ = search
    for query, path in (
        ({"mode": "fuzzy"}, "query.mode"),
        ({"limit": "500"}, "query.limit"),
        ({"from": "2026-11-03", "to": "2026-11-01"}, "query.from"),
        ({"q": ""}, "query.q"),
    ):
        response = api.request("GET", "/search", query=query)
        assert response.status == 422, (query, response.body)
        assert path in [f["path"] for f in response.json()["error"]["fields"]]


def _upload_file(api: Api, filename: str, content_type: str, data: bytes, asset_type: str = "document") -> str:
    asset = api.upload(filename, content_type, data, asset_type=asset_type)  # no name: the file name stands in
    assert wait_until_processed(api, asset["asset_id"])["status"] == "ready"
    return str(asset["asset_id"])


def test_the_words_inside_documents_are_found_in_every_mode(search: tuple[Api, StreamFeed]) -> None:
    api, feed = search
    note = _upload_file(api, "notes.txt", "text/plain", b"rocket launch\n")
    brief = _upload_file(
        api, "brief.pdf", "application/pdf", corpus.text_pdf(["Campaign brief", "Hero shot: a lighthouse at dusk"])
    )
    table = _upload_file(api, "export.csv", "text/csv", b"sku;colour;warehouse\n1;teal;Rotterdam\n")
    subtitles = _upload_file(api, "talk.srt", "application/x-subrip", corpus.srt(), asset_type="document")
    feed.drain()

    for mode in ("keyword", "hybrid"):
        assert _found(api, q="rocket launch", mode=mode)[:1] == [note]
        assert _found(api, q="lighthouse", mode=mode)[:1] == [brief]  # the second page
        assert _found(api, q="warehouse", mode=mode)[:1] == [table]  # the header
        assert _found(api, q="Rotterdam", mode=mode)[:1] == [table]  # a row
        assert _found(api, q="kenobi", mode=mode)[:1] == [subtitles]
    detail = api.request("GET", f"/assets/{brief}").json()
    assert "lighthouse" in detail["search_context"]


def test_a_3d_models_material_names_are_found(search: tuple[Api, StreamFeed]) -> None:
    api, feed = search
    model = _upload_file(api, "car.glb", "model/gltf-binary", corpus.glb_cube(("Candy apple paint",)))
    feed.drain()
    assert _found(api, q="candy apple", mode="keyword")[:1] == [model]


def test_search_has_the_gallery_filters_categorized_unassigned_and_collection(search: tuple[Api, StreamFeed]) -> None:
    api, feed = search
    generated = _upload(api, "Fox in snow", prompt="a red fox in the snow")
    plush = _upload(api, "Fox plush toy")
    folder = api.request("POST", "/folders", body={"name": "Toys"})
    assert folder.status == 201, folder.body
    filed = _upload(api, "Fox figurine", folder_id=folder.json()["folder_id"])
    feed.drain()

    assert sorted(_found(api, q="fox", mode="keyword")) == sorted([generated, plush, filed])
    assert sorted(_found(api, q="fox", mode="keyword", view="categorized")) == sorted([plush, filed])
    assert sorted(_found(api, q="fox", folder="unassigned")) == sorted([generated, plush])  # not a folder's id
    assert _found(api, folder="unassigned", view="categorized") == [plush]

    collection = api.request("POST", "/collections", body={"name": "Launch picks"})
    assert collection.status == 201, collection.body
    collection_id = collection.json()["collection_id"]
    assert api.request("PUT", f"/collections/{collection_id}/assets/{filed}").status in (200, 204)
    feed.drain()
    assert _found(api, q="fox", collection=collection_id) == [filed]
    assert _found(api, collection=collection_id, mode="keyword") == [filed]


def test_load_more_embeds_the_query_once(search: tuple[Api, StreamFeed], monkeypatch: pytest.MonkeyPatch) -> None:
    from dam.adapters.local_analysis import LocalTextEmbedder
    from dam.services import search as search_service

    api, feed = search
    uploaded = {_upload(api, name) for name in ("Neon sign", "Neon tube", "Neon arcade")}
    feed.drain()
    embedded: list[str] = []
    real = LocalTextEmbedder.embed_query

    def counted(embedder: LocalTextEmbedder, text: str) -> list[float]:
        embedded.append(text)
        return real(embedder, text)

    monkeypatch.setattr(LocalTextEmbedder, "embed_query", counted)
    first = api.request("GET", "/search", query={"q": "neon lights", "limit": "1"}).json()
    pages = [first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = api.request("GET", "/search", query={"q": "neon lights", "limit": "1", "cursor": cursor}).json()
        pages.append(page["items"])
        cursor = page["next_cursor"]
    assert len(pages) >= 3 and embedded == ["neon lights"]  # every page after the first reused the vector
    assert sorted(item["asset_id"] for page in pages for item in page) == sorted(uploaded)  # each once
    monkeypatch.setattr(search_service, "QUERY_VECTORS_KEPT", 1)
    _found(api, q="arcade")
    _found(api, q="neon lights")  # pushed out by "arcade": embedded again
    assert embedded == ["neon lights", "arcade", "neon lights"]
