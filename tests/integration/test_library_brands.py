"""Brands: a name and a colour, toggled on assets from the lightbox, and a gallery filter."""

from __future__ import annotations

from typing import Any

import pytest

from dam.adapters.dynamodb.models import BrandLinkRecord, LibraryRecord
from tests.conftest import Api
from tests.integration.library_support import field_paths, ids, ok, seed


def _brand(api: Api, name: str, color: str = "#e4002b") -> str:
    return str(ok(api.request("POST", "/brands", body={"name": name, "color": color}), 201)["brand_id"])


def test_create_rename_recolour_list_and_get_brands(api: Api) -> None:
    cola = _brand(api, "Zesty Cola", "#E4002B")
    _brand(api, "acme", "#0055aa")

    listed = ok(api.request("GET", "/brands"))["items"]
    assert [(b["name"], b["color"]) for b in listed] == [("acme", "#0055aa"), ("Zesty Cola", "#e4002b")]
    changed = ok(api.request("PATCH", f"/brands/{cola}", body={"name": "Zesty Cola Zero", "color": "#111111"}))
    assert (changed["name"], changed["color"]) == ("Zesty Cola Zero", "#111111")
    recoloured = ok(api.request("PATCH", f"/brands/{cola}", body={"color": "#222222"}))
    assert (recoloured["name"], recoloured["color"]) == ("Zesty Cola Zero", "#222222")
    assert ok(api.request("GET", f"/brands/{cola}"))["color"] == "#222222"
    # Names are unique, ignoring case.
    assert api.request("POST", "/brands", body={"name": "ACME", "color": "#000000"}).status == 409
    assert api.request("PATCH", f"/brands/{cola}", body={"name": "Acme"}).status == 409


@pytest.mark.parametrize(
    ("method", "body", "path"),
    [
        ("POST", {"name": "x"}, "body.color"),
        ("POST", {"name": "x", "color": "red"}, "body.color"),
        ("POST", {"name": "x", "color": "#12345"}, "body.color"),
        ("POST", {"name": "x", "color": "#1234567"}, "body.color"),
        ("POST", {"name": "", "color": "#123456"}, "body.name"),
        ("POST", {"color": "#123456"}, "body.name"),
        ("PATCH", {"color": "#gggggg"}, "body.color"),
        ("PATCH", {"logo": "x"}, "body.logo"),
    ],
)
def test_bad_brand_input_says_where(api: Api, method: str, body: dict[str, Any], path: str) -> None:
    target = "/brands" if method == "POST" else f"/brands/{_brand(api, 'Acme')}"
    assert path in field_paths(api.request(method, target, body=body))


def test_toggle_brands_on_an_asset_and_filter_the_gallery_by_brand(api: Api) -> None:
    for n, asset_id in enumerate(["a", "b", "c"]):
        seed(asset_id, n, tags=["hero"] if asset_id == "a" else [])
    cola, acme = _brand(api, "Cola"), _brand(api, "Acme")

    for asset_id, brand in (("a", cola), ("c", cola), ("c", acme)):
        assert api.request("PUT", f"/assets/{asset_id}/brands/{brand}").status == 204
    assert api.request("PUT", f"/assets/c/brands/{cola}").status == 204  # idempotent

    assert sorted(ok(api.request("GET", "/assets/c"))["brand_ids"]) == sorted([cola, acme])
    cards = {c["asset_id"]: c["brand_ids"] for c in ok(api.request("GET", "/assets"))["items"]}
    assert cards == {"c": sorted([cola, acme]), "b": [], "a": [cola]}
    assert ids(api.request("GET", "/assets", query={"brand": cola})) == ["c", "a"]
    assert ids(api.request("GET", "/assets", query={"brand": cola, "tag": "hero"})) == ["a"]
    assert ids(api.request("GET", "/assets", query={"brand": "no-such-brand"})) == []

    assert api.request("DELETE", f"/assets/c/brands/{cola}").status == 204
    assert api.request("DELETE", f"/assets/c/brands/{cola}").status == 204
    assert ok(api.request("GET", "/assets/c"))["brand_ids"] == [acme]
    assert ids(api.request("GET", "/assets", query={"brand": cola})) == ["a"]
    assert api.request("PUT", "/assets/c/brands/no-such-brand").status == 404
    assert api.request("PUT", f"/assets/missing/brands/{cola}").status == 404


def test_deleting_a_brand_removes_it_from_every_asset(api: Api) -> None:
    seed("a", 0)
    seed("b", 1, archived=True)
    cola, acme = _brand(api, "Cola"), _brand(api, "Acme")
    for asset_id in ("a", "b"):
        api.request("PUT", f"/assets/{asset_id}/brands/{cola}")
    api.request("PUT", f"/assets/a/brands/{acme}")

    assert api.request("DELETE", f"/brands/{cola}").status == 204

    assert api.request("GET", f"/brands/{cola}").status == 404
    assert [b["brand_id"] for b in ok(api.request("GET", "/brands"))["items"]] == [acme]
    assert ok(api.request("GET", "/assets/a"))["brand_ids"] == [acme]
    assert ok(api.request("GET", "/assets/b"))["brand_ids"] == []
    assert ids(api.request("GET", "/assets", query={"brand": cola})) == []
    assert not list(LibraryRecord.query(f"ws-studio#brand#{cola}"))
    assert [link.asset_id for link in BrandLinkRecord.query(f"ws-studio#brand#{acme}")] == ["a"]
    assert api.request("DELETE", f"/brands/{cola}").status == 404  # gone


def test_brands_belong_to_their_workspace(api: Api) -> None:
    seed("mine", 0)
    seed("acme-only", 1, client="client-acme")
    cola = _brand(api, "Cola")
    rival = api.as_user("user-rival", workspace="ws-rival")
    zen = api.as_user("user-zen", clients=["client-zen"])

    assert ok(api.request("GET", "/brands", claims=rival))["items"] == []
    assert api.request("GET", f"/brands/{cola}", claims=rival).status == 404
    assert api.request("PATCH", f"/brands/{cola}", body={"name": "x"}, claims=rival).status == 404
    assert api.request("PUT", f"/assets/mine/brands/{cola}", claims=rival).status == 404
    assert api.request("DELETE", f"/brands/{cola}", claims=rival).status == 404  # nothing happens
    assert ok(api.request("GET", f"/brands/{cola}"))["name"] == "Cola"
    assert api.request("PUT", f"/assets/acme-only/brands/{cola}", claims=zen).status == 404
    api.request("PUT", f"/assets/acme-only/brands/{cola}")
    api.request("PUT", f"/assets/mine/brands/{cola}")
    assert ids(api.request("GET", "/assets", query={"brand": cola}, claims=zen)) == ["mine"]
