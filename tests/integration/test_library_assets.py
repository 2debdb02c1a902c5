"""Archive, filter chips, gallery filters, usage links, and the delete that leaves nothing behind."""

from __future__ import annotations

from typing import Any

import pytest

from dam.domain.assets import AssetType, GenerationMetadata
from dam.domain.library import run_collection_id
from tests.conftest import MEDIA_BUCKET, TABLES, Api
from tests.integration.library_support import T0, field_paths, ids, ok, seed


def test_archive_hides_an_asset_from_browse_but_keeps_everything(api: Api) -> None:
    asset = api.upload("keep.jpg")
    asset_id = asset["asset_id"]
    seed("other", 0)
    api.request("PUT", f"/assets/{asset_id}/favorite")

    archived = ok(api.request("POST", f"/assets/{asset_id}/archive"))
    assert archived["archived"] is True and archived["is_favorite"] is True
    assert ok(api.request("POST", f"/assets/{asset_id}/archive"))["archived"] is True  # idempotent

    assert ids(api.request("GET", "/assets")) == ["other"]
    assert ids(api.request("GET", "/assets", query={"favorites": "true"})) == []
    assert ids(api.request("GET", "/assets", query={"archived": "true"})) == [asset_id]
    assert ok(api.request("GET", f"/assets/{asset_id}"))["archived"] is True  # still readable
    assert api.aws.objects(f"assets/ws-studio/{asset_id}/") == [f"assets/ws-studio/{asset_id}/original"]
    assert api.request("GET", f"/assets/{asset_id}/download").status == 302

    back = ok(api.request("POST", f"/assets/{asset_id}/unarchive"))
    assert back["archived"] is False
    assert ids(api.request("GET", "/assets")) == [asset_id, "other"]
    assert ids(api.request("GET", "/assets", query={"favorites": "true"})) == [asset_id]
    rival = api.as_user("user-rival", workspace="ws-rival")
    assert api.request("POST", f"/assets/{asset_id}/archive", claims=rival).status == 404
    assert api.request("POST", "/assets/missing/unarchive").status == 404


def test_filter_chips_map_to_list_parameters(api: Api) -> None:
    chips = ok(api.request("GET", "/assets/chips"))["items"]
    labels = [c["label"] for c in chips]
    assert labels[:2] == ["All", "Favorites"] and labels[-1] == "Generated content"
    assert {"Characters", "Products", "Backgrounds", "Logos", "Images", "Videos"} <= set(labels)
    assert chips[1]["query"] == {"favorites": "true"}
    assert chips[-1]["query"] == {"asset_type": "generated_content"}

    categorized = ok(api.request("GET", "/assets/chips", query={"view": "categorized"}))["items"]
    assert "Generated content" not in [c["label"] for c in categorized]
    assert all(c["query"]["view"] == "categorized" for c in categorized)
    assert field_paths(api.request("GET", "/assets/chips", query={"view": "fancy"})) == ["query.view"]
    assert api.request("GET", "/assets/chips", claims=False).status == 401

    # Each chip's parameters are a real list.
    seed("logo", 0, asset_type=AssetType.LOGO)
    seed("gen", 1, asset_type=AssetType.GENERATED_CONTENT, generation=GenerationMetadata(model="m", prompt="p"))
    by_label = {c["label"]: c["query"] for c in categorized}
    assert ids(api.request("GET", "/assets", query=by_label["All"])) == ["logo"]
    assert ids(api.request("GET", "/assets", query=by_label["Logos"])) == ["logo"]
    assert ids(api.request("GET", "/assets", query={c["label"]: c["query"] for c in chips}["Generated content"])) == [
        "gen"
    ]


def _gen(model: str, prompt: str, run: str | None = None) -> GenerationMetadata:
    return GenerationMetadata(model=model, prompt=prompt, generation_run_id=run)


def test_gallery_filters_combine_tag_prompt_model_date_and_view(api: Api) -> None:
    generated = AssetType.GENERATED_CONTENT
    seed("fox", 0, asset_type=generated, generation=_gen("imagen-4", "A red FOX in the snow"), tags=["winter"])
    seed("fox-flux", 60 * 24, asset_type=generated, generation=_gen("flux-pro", "a fox, running"), tags=["winter"])
    seed("city", 60 * 48, asset_type=generated, generation=_gen("imagen-4", "Neon city"), tags=["night"])
    seed("photo", 60 * 48 + 1, tags=["winter"])

    def listed(**query: str) -> list[str]:
        return ids(api.request("GET", "/assets", query=query))

    assert listed(prompt="fox") == ["fox-flux", "fox"]
    assert listed(prompt="FOX IN") == ["fox"]
    assert listed(tag="winter") == ["photo", "fox-flux", "fox"]
    assert listed(tag="Winter") == []  # exact
    assert listed(tag="winter", prompt="fox", model="imagen-4") == ["fox"]
    assert listed(prompt="fox", to="2026-11-01") == ["fox"]  # the To day is inclusive
    assert listed(prompt="fox", **{"from": "2026-11-02"}) == ["fox-flux"]
    assert listed(view="categorized") == ["photo"]
    assert listed(view="categorized", tag="winter") == ["photo"]
    assert listed(asset_type="generated_content", tag="night") == ["city"]
    assert field_paths(api.request("GET", "/assets", query={"view": "everything"})) == ["query.view"]
    assert field_paths(api.request("GET", "/assets", query={"tag": ""})) == ["query.tag"]
    assert field_paths(api.request("GET", "/assets", query={"favorites": "maybe"})) == ["query.favorites"]


def test_usage_links_record_which_projects_and_workflows_use_an_asset(api: Api) -> None:
    seed("avatar", 0)
    first = api.request(
        "POST", "/assets/avatar/usages", body={"kind": "workflow", "ref": "wf-magnesium", "label": "Magnesium video"}
    )
    assert first.status == 201, first.body
    usage_id = first.json()["usage_id"]
    again = api.request(
        "POST", "/assets/avatar/usages", body={"kind": "workflow", "ref": "wf-magnesium", "label": "v2"}
    )
    assert again.status == 200 and again.json()["usage_id"] == usage_id
    ok(api.request("POST", "/assets/avatar/usages", body={"kind": "project", "ref": "proj-spring"}), 201)

    detail = ok(api.request("GET", "/assets/avatar"))
    assert [(u["kind"], u["ref"], u["label"]) for u in detail["usages"]] == [
        ("workflow", "wf-magnesium", "v2"),
        ("project", "proj-spring", None),
    ]
    assert len(ok(api.request("GET", "/assets/avatar/usages"))["items"]) == 2

    assert api.request("DELETE", f"/assets/avatar/usages/{usage_id}").status == 204
    assert api.request("DELETE", f"/assets/avatar/usages/{usage_id}").status == 204
    assert [u["ref"] for u in ok(api.request("GET", "/assets/avatar"))["usages"]] == ["proj-spring"]
    rival = api.as_user("user-rival", workspace="ws-rival")
    assert api.request("GET", "/assets/avatar/usages", claims=rival).status == 404
    body = {"kind": "project", "ref": "x"}
    assert api.request("POST", "/assets/avatar/usages", body=body, claims=rival).status == 404


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"ref": "x"}, "body.kind"),
        ({"kind": "campaign", "ref": "x"}, "body.kind"),
        ({"kind": "project"}, "body.ref"),
        ({"kind": "project", "ref": ""}, "body.ref"),
        ({"kind": "project", "ref": "x", "label": ""}, "body.label"),
        ({"kind": "project", "ref": "x", "url": "y"}, "body.url"),
    ],
)
def test_bad_usage_input_says_where(api: Api, body: dict[str, Any], path: str) -> None:
    seed("avatar", 0)
    assert path in field_paths(api.request("POST", "/assets/avatar/usages", body=body))


def _everything_in(api: Api, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table}
    while True:
        page = api.aws.dynamodb.scan(**kwargs)  # a test looking everywhere; the app never scans
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_deleting_an_asset_leaves_nothing_of_it_anywhere(api: Api) -> None:
    # Given an asset with files, everyone's favorites, a brand, a collection, a folder, a usage link and a run
    folder = ok(api.request("POST", "/folders", body={"name": "Campaign"}), 201)["folder_id"]
    generation = {"model": "imagen-4", "prompt": "a fox", "generation_run_id": "run-7"}
    asset = api.upload("fox.png", "image/png", b"\x89PNG....", asset_type="generated_content", generation=generation)
    asset_id = asset["asset_id"]
    ok(api.request("PATCH", f"/assets/{asset_id}", body={"folder_id": folder}))
    api.aws.s3.put_object(Bucket=MEDIA_BUCKET, Key=f"assets/ws-studio/{asset_id}/thumbnail.webp", Body=b"webp")
    survivor = seed("survivor", 0)
    theo = api.as_user("user-theo")
    brand = ok(api.request("POST", "/brands", body={"name": "Cola", "color": "#ff0000"}), 201)["brand_id"]
    collection = ok(api.request("POST", "/collections", body={"name": "Picks"}), 201)["collection_id"]
    for claims in (api.claims, theo):
        assert api.request("PUT", f"/assets/{asset_id}/favorite", claims=claims).status == 204
    for path in (f"/assets/{asset_id}/brands/{brand}", f"/collections/{collection}/assets/{asset_id}"):
        assert api.request("PUT", path).status == 204
    body = {"kind": "project", "ref": "proj-1"}
    ok(api.request("POST", f"/assets/{asset_id}/usages", body=body), 201)
    for path in (
        "/assets/survivor/favorite",
        f"/assets/survivor/brands/{brand}",
        f"/collections/{collection}/assets/survivor",
    ):
        assert api.request("PUT", path).status == 204
    assert any(asset_id in str(item) for item in _everything_in(api, TABLES["Library"]))

    # When it is deleted permanently
    assert api.request("DELETE", f"/assets/{asset_id}", query={"permanent": "true"}).status == 204

    # Then no table, partition or prefix holds anything of it
    assert api.aws.objects(f"assets/ws-studio/{asset_id}/") == []
    assert not [item for item in _everything_in(api, TABLES["Assets"]) if asset_id in str(item)]
    assert not [item for item in _everything_in(api, TABLES["Library"]) if asset_id in str(item)]
    # nor any list: each user's favorites, the brand, the collection, the folder, the run's collection
    for claims in (api.claims, theo):
        assert ids(api.request("GET", "/assets", query={"favorites": "true"}, claims=claims)) == (
            ["survivor"] if claims is api.claims else []
        )
    assert ids(api.request("GET", "/assets", query={"brand": brand})) == ["survivor"]
    assert ids(api.request("GET", f"/collections/{collection}/assets")) == ["survivor"]
    assert ids(api.request("GET", "/assets", query={"folder": folder})) == []
    assert api.request("GET", f"/collections/{run_collection_id('run-7')}").status == 404
    assert api.request("GET", f"/assets/{asset_id}").status == 404
    # while what it was linked to stays, and so does everything of the other asset
    assert ok(api.request("GET", f"/brands/{brand}"))["name"] == "Cola"
    assert ok(api.request("GET", f"/folders/{folder}"))["name"] == "Campaign"
    assert ok(api.request("GET", "/assets/survivor"))["brand_ids"] == [brand]
    assert survivor.asset_id in str(_everything_in(api, TABLES["Library"]))
    assert api.request("DELETE", f"/assets/{asset_id}", query={"permanent": "true"}).status == 404  # gone


SAMPLE_EVENTS = {
    "favorite_asset": 204,
    "list_favorites": 200,
    "archive_asset": 200,
    "create_folder": 201,
    "create_collection": 201,
    "add_to_collection": 204,
    "create_brand": 201,
    "tag_brand": 204,
    "add_usage": 201,
}


@pytest.mark.parametrize(("name", "status"), SAMPLE_EVENTS.items())
def test_the_sample_events_are_answered_by_the_handler(api: Api, name: str, status: int) -> None:
    from dam.adapters.dynamodb.library import LibraryRepository
    from dam.domain.library import Brand, Collection
    from functions.api.handler import handler
    from tests.support import LambdaContext, load_event, to_response

    seed("0f8e2a7c9b1d4e6fa3c5b7d9e1f2a4c6", 0, client="client-acme")
    library = LibraryRepository()
    made = {"workspace_id": "ws-studio", "created_by": "user-maya", "created_at": T0, "updated_at": T0}
    library.create_collection(Collection(collection_id="5a1c9e7f3b2d4c68", name="Picks", **made))
    library.create_brand(Brand(brand_id="7d3e1f9a2b4c6e80", name="Acme", color="#e4002b", **made))

    response = to_response(handler(load_event(f"api/{name}.json"), LambdaContext()))

    assert response.status == status, response.body
