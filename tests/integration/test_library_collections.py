"""Collections: manual ones people curate, and one per generation run that fills itself."""

from __future__ import annotations

from typing import Any

import pytest

from dam.domain.library import run_collection_id
from tests.conftest import Api
from tests.integration.library_support import aws_calls, field_paths, ids, ok, seed


def _collection(api: Api, name: str) -> str:
    return str(ok(api.request("POST", "/collections", body={"name": name}), 201)["collection_id"])


def test_create_rename_list_and_delete_a_manual_collection(api: Api) -> None:
    first = _collection(api, "Hero shots")
    second = _collection(api, "Mood board")

    listed = ok(api.request("GET", "/collections"))
    assert [c["collection_id"] for c in listed["items"]] == [second, first]  # newest first
    assert listed["items"][0]["kind"] == "manual"
    renamed = ok(api.request("PATCH", f"/collections/{first}", body={"name": "Hero shots, final"}))
    assert renamed["name"] == "Hero shots, final"
    assert ok(api.request("GET", f"/collections/{first}"))["name"] == "Hero shots, final"

    assert api.request("DELETE", f"/collections/{first}").status == 204
    assert api.request("DELETE", f"/collections/{first}").status == 404  # gone
    assert api.request("GET", f"/collections/{first}").status == 404
    assert [c["collection_id"] for c in ok(api.request("GET", "/collections"))["items"]] == [second]


def test_collections_page_with_a_cursor(api: Api) -> None:
    made = [_collection(api, f"c{n}") for n in range(5)]
    first = ok(api.request("GET", "/collections", query={"limit": "2"}))
    second = ok(api.request("GET", "/collections", query={"limit": "2", "cursor": first["next_cursor"]}))
    third = ok(api.request("GET", "/collections", query={"limit": "2", "cursor": second["next_cursor"]}))
    walked = [c["collection_id"] for page in (first, second, third) for c in page["items"]]
    assert walked == list(reversed(made))
    assert third["next_cursor"] is None
    broken = api.request("GET", "/collections", query={"cursor": "!!"})
    assert broken.status == 400 and broken.json()["error"]["fields"][0]["path"] == "query.cursor"


def test_add_and_remove_assets_and_list_members_newest_first(api: Api) -> None:
    for n, asset_id in enumerate(["old", "mid", "new", "outside"]):
        seed(asset_id, n)
    collection = _collection(api, "Picks")
    for asset_id in ("mid", "old", "new"):
        assert api.request("PUT", f"/collections/{collection}/assets/{asset_id}").status == 204
    assert api.request("PUT", f"/collections/{collection}/assets/new").status == 204  # idempotent

    assert ids(api.request("GET", f"/collections/{collection}/assets")) == ["new", "mid", "old"]
    assert ids(api.request("GET", "/assets", query={"collection": collection})) == ["new", "mid", "old"]
    assert ok(api.request("GET", "/assets/mid"))["collection_ids"] == [collection]
    page = ok(api.request("GET", f"/collections/{collection}/assets", query={"limit": "2"}))
    assert [i["asset_id"] for i in page["items"]] == ["new", "mid"]
    rest = api.request("GET", f"/collections/{collection}/assets", query={"limit": "2", "cursor": page["next_cursor"]})
    assert ids(rest) == ["old"]

    assert api.request("DELETE", f"/collections/{collection}/assets/mid").status == 204
    assert api.request("DELETE", f"/collections/{collection}/assets/mid").status == 204
    assert ids(api.request("GET", f"/collections/{collection}/assets")) == ["new", "old"]
    assert ok(api.request("GET", "/assets/mid"))["collection_ids"] == []


def test_a_collection_page_reads_links_then_assets_then_favorites_in_one_call_each(api: Api) -> None:
    collection = _collection(api, "Big")
    for n in range(31):
        seed(f"m{n:02d}", n)
        api.request("PUT", f"/collections/{collection}/assets/m{n:02d}")
    api.request("PUT", "/assets/m30/favorite")

    with aws_calls() as calls:
        page = ok(api.request("GET", "/assets", query={"collection": collection}))
    assert len(page["items"]) == 30 and page["items"][0]["is_favorite"] is True
    assert dict(calls) == {"dynamodb:Query": 1, "dynamodb:BatchGetItem": 2}


def test_deleting_a_collection_keeps_its_assets(api: Api) -> None:
    seed("kept", 0)
    collection = _collection(api, "Temp")
    api.request("PUT", f"/collections/{collection}/assets/kept")

    assert api.request("DELETE", f"/collections/{collection}").status == 204

    kept = ok(api.request("GET", "/assets/kept"))
    assert kept["collection_ids"] == []
    assert ids(api.request("GET", "/assets", query={"collection": collection})) == []
    assert api.request("GET", f"/collections/{collection}/assets").status == 404


def _generated(api: Api, run: str, prompt: str, **extra: Any) -> dict[str, Any]:
    generation = {"model": "imagen-4", "prompt": prompt, "generation_run_id": run}
    return api.upload(
        "out.png", "image/png", b"\x89PNG....", asset_type="generated_content", generation=generation, **extra
    )


def test_every_generation_run_gets_its_own_collection_without_a_write_per_asset(api: Api) -> None:
    first = _generated(api, "run-42", "A fox in the snow")
    second = _generated(api, "run-42", "A fox in the snow")
    other = _generated(api, "run-43", "Neon city")
    collection_id = run_collection_id("run-42")

    runs = ok(api.request("GET", "/collections", query={"kind": "generation_run"}))["items"]
    assert [(c["name"], c["generation_run_id"]) for c in runs] == [
        ("Neon city", "run-43"),
        ("A fox in the snow", "run-42"),
    ]
    assert runs[1]["collection_id"] == collection_id
    assert ok(api.request("GET", "/collections", query={"kind": "manual"}))["items"] == []
    members = ids(api.request("GET", f"/collections/{collection_id}/assets"))
    assert sorted(members) == sorted([first["asset_id"], second["asset_id"]])
    assert ok(api.request("GET", f"/assets/{first['asset_id']}"))["collection_ids"] == [collection_id]
    assert ids(api.request("GET", "/assets", query={"collection": run_collection_id("run-43")})) == [other["asset_id"]]

    # It holds exactly the run: no manual adds, no deleting it by hand.
    plain = api.upload("plain.jpg")
    assert api.request("PUT", f"/collections/{collection_id}/assets/{plain['asset_id']}").status == 409
    assert api.request("DELETE", f"/collections/{collection_id}").status == 409
    # Archived members leave the view; the run's last asset takes the collection with it.
    ok(api.request("POST", f"/assets/{second['asset_id']}/archive"))
    assert ids(api.request("GET", f"/collections/{collection_id}/assets")) == [first["asset_id"]]
    assert api.request("DELETE", f"/assets/{first['asset_id']}", query={"permanent": "true"}).status == 204
    assert api.request("GET", f"/collections/{collection_id}").status == 200  # the archived one remains
    assert api.request("DELETE", f"/assets/{second['asset_id']}", query={"permanent": "true"}).status == 204
    assert api.request("GET", f"/collections/{collection_id}").status == 404


@pytest.mark.parametrize(
    ("method", "path", "body", "where"),
    [
        ("POST", "/collections", {}, "body.name"),
        ("POST", "/collections", {"name": " "}, "body.name"),
        ("POST", "/collections", {"name": "x", "kind": "smart"}, "body.kind"),
        ("PATCH", "/collections/c1", {"name": ""}, "body.name"),
        ("GET", "/collections?kind=smart", None, "query.kind"),
    ],
)
def test_bad_collection_input_says_where(api: Api, method: str, path: str, body: Any, where: str) -> None:
    route, _, query = path.partition("?")
    params = dict([query.split("=")]) if query else None
    assert where in field_paths(api.request(method, route, body=body, query=params))


def test_other_workspaces_and_clients_see_none_of_it(api: Api) -> None:
    seed("acme-asset", 0, client="client-acme")
    seed("shared", 1)
    collection = _collection(api, "Mixed")
    api.request("PUT", f"/collections/{collection}/assets/acme-asset")
    api.request("PUT", f"/collections/{collection}/assets/shared")
    rival = api.as_user("user-rival", workspace="ws-rival")
    zen = api.as_user("user-zen", clients=["client-zen"])

    assert api.request("GET", f"/collections/{collection}", claims=rival).status == 404
    assert api.request("GET", f"/collections/{collection}/assets", claims=rival).status == 404
    assert api.request("PATCH", f"/collections/{collection}", body={"name": "x"}, claims=rival).status == 404
    assert api.request("PUT", f"/collections/{collection}/assets/shared", claims=rival).status == 404
    assert ok(api.request("GET", "/collections", claims=rival))["items"] == []
    assert ids(api.request("GET", "/assets", query={"collection": collection}, claims=rival)) == []
    # A client user sees the collection but only the members they may see.
    assert ids(api.request("GET", f"/collections/{collection}/assets", claims=zen)) == ["shared"]
    assert api.request("PUT", f"/collections/{collection}/assets/acme-asset", claims=zen).status == 404
