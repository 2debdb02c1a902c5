"""Favorites are personal: the heart on a card, the Favorites chip, and what each list costs."""

from __future__ import annotations

from tests.conftest import Api
from tests.integration.library_support import aws_calls, ids, ok, seed


def _favorites(api: Api, claims: dict[str, str] | None = None, **query: str) -> list[str]:
    return ids(api.request("GET", "/assets", query={"favorites": "true", **query}, claims=claims or api.claims))


def test_a_favorite_shows_on_the_card_the_detail_and_the_favorites_list_of_that_user_only(api: Api) -> None:
    for n, asset_id in enumerate(["a", "b", "c"]):
        seed(asset_id, n)
    theo = api.as_user("user-theo")

    assert api.request("PUT", "/assets/b/favorite").status == 204
    assert api.request("PUT", "/assets/b/favorite").status == 204  # idempotent

    cards = ok(api.request("GET", "/assets"))["items"]
    assert {c["asset_id"]: c["is_favorite"] for c in cards} == {"c": False, "b": True, "a": False}
    assert ok(api.request("GET", "/assets/b"))["is_favorite"] is True
    assert _favorites(api) == ["b"]
    # Theo's view is untouched, and his own favorite does not leak into Maya's.
    assert ok(api.request("GET", "/assets/b", claims=theo))["is_favorite"] is False
    assert _favorites(api, theo) == []
    assert api.request("PUT", "/assets/a/favorite", claims=theo).status == 204
    assert _favorites(api, theo) == ["a"]
    assert _favorites(api) == ["b"]

    assert api.request("DELETE", "/assets/b/favorite").status == 204
    assert api.request("DELETE", "/assets/b/favorite").status == 204
    assert _favorites(api) == []
    assert ok(api.request("GET", "/assets/b"))["is_favorite"] is False


def test_favorites_list_newest_first_in_pages_with_a_cursor(api: Api) -> None:
    for n in range(7):
        seed(f"f{n}", n)
        api.request("PUT", f"/assets/f{n}/favorite")
    seed("not-a-favorite", 99)

    first = api.request("GET", "/assets", query={"favorites": "true", "limit": "3"})
    assert ids(first) == ["f6", "f5", "f4"]
    assert all(item["is_favorite"] for item in first.json()["items"])
    second = api.request(
        "GET", "/assets", query={"favorites": "true", "limit": "3", "cursor": first.json()["next_cursor"]}
    )
    assert ids(second) == ["f3", "f2", "f1"]
    third = api.request(
        "GET", "/assets", query={"favorites": "true", "limit": "3", "cursor": second.json()["next_cursor"]}
    )
    assert ids(third) == ["f0"]
    assert third.json()["next_cursor"] is None
    broken = api.request("GET", "/assets", query={"favorites": "true", "cursor": "garbage"})
    assert broken.status == 400 and broken.json()["error"]["fields"][0]["path"] == "query.cursor"


def test_favorites_combine_with_other_filters_and_hide_archived_ones(api: Api) -> None:
    seed("logo-old", 0, asset_type="logo", tags=["spring"])  # type: ignore[arg-type]
    seed("image", 1)
    seed("logo-new", 2, asset_type="logo")  # type: ignore[arg-type]
    seed("archived", 3)
    for asset_id in ("logo-old", "image", "logo-new", "archived"):
        api.request("PUT", f"/assets/{asset_id}/favorite")
    ok(api.request("POST", "/assets/archived/archive"))

    assert _favorites(api) == ["logo-new", "image", "logo-old"]
    assert _favorites(api, asset_type="logo") == ["logo-new", "logo-old"]
    assert _favorites(api, asset_type="logo", tag="spring") == ["logo-old"]
    assert _favorites(api, to="2026-10-31") == []
    assert _favorites(api, archived="true") == ["archived"]
    # One combined filter that matches rarely still pages: short pages, and the cursor walks on.
    first = api.request("GET", "/assets", query={"favorites": "true", "asset_type": "logo", "limit": "1"})
    assert ids(first) == ["logo-new"]
    rest = api.request(
        "GET",
        "/assets",
        query={"favorites": "true", "asset_type": "logo", "limit": "1", "cursor": first.json()["next_cursor"]},
    )
    assert ids(rest) == ["logo-old"]


def test_a_page_of_favorites_costs_one_query_and_one_batch_read(api: Api) -> None:
    for n in range(40):
        seed(f"p{n:02d}", n)
        api.request("PUT", f"/assets/p{n:02d}/favorite")

    with aws_calls() as calls:
        page = api.request("GET", "/assets", query={"favorites": "true"})
    assert len(ids(page)) == 30
    assert dict(calls) == {"dynamodb:Query": 1, "dynamodb:BatchGetItem": 1}

    with aws_calls() as calls:
        ids(api.request("GET", "/assets", query={"favorites": "true", "cursor": page.json()["next_cursor"]}))
    assert dict(calls) == {"dynamodb:Query": 1, "dynamodb:BatchGetItem": 1}


def test_any_gallery_page_learns_its_favorites_with_one_batch_read(api: Api) -> None:
    for n in range(35):
        seed(f"g{n:02d}", n)
    api.request("PUT", "/assets/g34/favorite")
    api.request("PUT", "/assets/g03/favorite")

    with aws_calls() as calls:
        page = ok(api.request("GET", "/assets"))
    assert [i["asset_id"] for i in page["items"] if i["is_favorite"]] == ["g34"]
    assert dict(calls) == {"dynamodb:Query": 1, "dynamodb:BatchGetItem": 1}

    with aws_calls() as calls:
        rest = ok(api.request("GET", "/assets", query={"cursor": page["next_cursor"]}))
    assert [i["asset_id"] for i in rest["items"] if i["is_favorite"]] == ["g03"]
    assert dict(calls) == {"dynamodb:Query": 1, "dynamodb:BatchGetItem": 1}


def test_nobody_can_favorite_what_they_cannot_see(api: Api) -> None:
    seed("mine", 0)
    seed("acme-only", 1, client="client-acme")
    rival = api.as_user("user-rival", workspace="ws-rival")
    zen = api.as_user("user-zen", clients=["client-zen"])

    assert api.request("PUT", "/assets/mine/favorite", claims=rival).status == 404
    assert api.request("DELETE", "/assets/mine/favorite", claims=rival).status == 404
    assert api.request("PUT", "/assets/acme-only/favorite", claims=zen).status == 404
    assert api.request("PUT", "/assets/nope/favorite").status == 404
    assert api.request("PUT", "/assets/mine/favorite", claims=False).status == 401
    assert _favorites(api, rival) == []
    # Maya's favorite of an asset later scoped away from Zen never shows in Zen's list.
    api.request("PUT", "/assets/acme-only/favorite")
    assert _favorites(api) == ["acme-only"]
