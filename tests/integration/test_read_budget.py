"""Every gallery page does bounded work: at most 3 DynamoDB calls whatever the filter. A page the budget
can't fill comes back `partial` with a cursor, and following the cursors finds everything."""

from __future__ import annotations

from typing import Any

from dam.adapters.dynamodb.assets import AssetRepository
from dam.adapters.dynamodb.library import LibraryRepository
from tests.conftest import Api
from tests.integration.library_support import aws_calls, dynamodb_calls, ok, seed_many

MAX_CALLS_A_PAGE = 3


def _walk(api: Api, path: str, query: dict[str, str]) -> tuple[list[str], list[dict[str, Any]]]:
    """Follow the cursors to the end; every page within the budget. Returns ids and each page's body."""
    found: list[str] = []
    pages: list[dict[str, Any]] = []
    cursor: str | None = None
    for _page in range(50):
        with aws_calls() as calls:
            body = ok(api.request("GET", path, query={**query, **({"cursor": cursor} if cursor else {})}))
        assert dynamodb_calls(calls) <= MAX_CALLS_A_PAGE, calls
        pages.append(body)
        found += [item["asset_id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return found, pages
        assert body["partial"] or len(body["items"]) == int(query.get("limit", 30))
    raise AssertionError("the cursors never ended")


def test_a_rare_tag_reads_within_budget_and_the_cursors_find_every_match(api: Api) -> None:
    # Given 2,100 assets of which the three oldest carry a rare tag
    seed_many(2100, tagged={0: ["rare"], 1: ["rare"], 2: ["rare"], 2099: ["common"]})

    # When the gallery asks for the tag, page after page
    found, pages = _walk(api, "/assets", {"tag": "rare"})

    # Then no page read past its budget, the first said it was partial, and all three were found
    assert found == ["bulk-0000002", "bulk-0000001", "bulk-0000000"]
    assert pages[0]["items"] == [] and pages[0]["partial"] is True and pages[0]["next_cursor"]
    assert pages[-1]["partial"] is False


def test_an_unfiltered_page_is_one_query_and_full(api: Api) -> None:
    seed_many(200)
    with aws_calls() as calls:
        body = ok(api.request("GET", "/assets", query={"limit": "30"}))
    assert len(body["items"]) == 30 and body["partial"] is False and body["next_cursor"]
    assert calls["dynamodb:Query"] == 1


def test_a_brand_list_with_a_rare_filter_says_it_is_partial_instead_of_an_empty_page(api: Api) -> None:
    # Given a brand on 150 assets, of which only the two oldest carry a tag
    asset_ids = seed_many(150, tagged={0: ["hero"], 1: ["hero"]})
    brand_id = ok(api.request("POST", "/brands", body={"name": "Cola", "color": "#ff0000"}), 201)["brand_id"]
    library, assets = LibraryRepository(), AssetRepository()
    brand = library.get_brand("ws-studio", brand_id)
    assert brand is not None
    for asset in assets.get_many(asset_ids).values():
        library.link_brand(brand, asset, "user-maya")

    # When the brand's assets are asked for with the tag
    found, pages = _walk(api, "/assets", {"brand": brand_id, "tag": "hero"})

    # Then the first page is empty but says so (partial, with a cursor), and the walk finds both
    assert found == ["bulk-0000001", "bulk-0000000"]
    assert pages[0]["items"] == [] and pages[0]["partial"] is True


def test_a_collection_of_archived_assets_reads_within_budget(api: Api) -> None:
    asset_ids = seed_many(40)
    collection = ok(api.request("POST", "/collections", body={"name": "Picks"}), 201)["collection_id"]
    for asset_id in asset_ids:
        assert api.request("PUT", f"/collections/{collection}/assets/{asset_id}").status == 204
    for asset_id in asset_ids[-35:]:  # the newest 35 are archived: the first page finds 5 live ones
        assert api.request("POST", f"/assets/{asset_id}/archive").status == 200

    found, pages = _walk(api, f"/collections/{collection}/assets", {"limit": "30"})

    assert found == list(reversed(asset_ids[:5]))
    assert pages[0]["partial"] is True
