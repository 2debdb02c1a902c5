"""A team's day with the library over real HTTP on the local stack: upload → favorite → folder → collection
→ brand → archive → unarchive → delete, checking the lists and the detail along the way."""

from __future__ import annotations

from typing import Any

import requests

from tests.unit.imaging import corpus

WORKSPACE = "ws-library-walk"


class Client:
    def __init__(self, api: str, token: str) -> None:
        self.api = api
        self.headers = {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, expected: int, **kwargs: Any) -> Any:
        response = requests.request(method, f"{self.api}{path}", headers=self.headers, timeout=15, **kwargs)
        assert response.status_code == expected, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def ids(self, **params: str) -> list[str]:
        return [item["asset_id"] for item in self.call("GET", "/assets", 200, params=params)["items"]]


def _upload(client: Client, name: str) -> str:
    photo = corpus.jpeg_photo(640, 480)
    created = client.call(
        "POST",
        "/uploads",
        201,
        json={"filename": f"{name}.jpg", "content_type": "image/jpeg", "size": len(photo), "asset_type": "product"},
    )
    upload = created["upload"]
    sent = requests.post(
        upload["url"], data=upload["fields"], files={"file": ("p.jpg", photo, "image/jpeg")}, timeout=30
    )
    assert sent.status_code in (200, 204), sent.text
    return str(created["asset"]["asset_id"])


def test_favorite_folder_collection_brand_archive_and_delete_over_http(local_stack: Any) -> None:
    maya = Client(local_stack.api_url, local_stack.token("maya", WORKSPACE, "power_user"))
    theo = Client(local_stack.api_url, local_stack.token("theo", WORKSPACE, "editor"))
    hero, other = _upload(maya, "hero"), _upload(maya, "other")
    assert maya.ids() == [other, hero]

    # Favorite: Maya's heart, not Theo's.
    maya.call("PUT", f"/assets/{hero}/favorite", 204)
    assert maya.ids(favorites="true") == [hero]
    assert maya.call("GET", f"/assets/{hero}", 200)["is_favorite"] is True
    assert theo.ids(favorites="true") == []
    assert theo.call("GET", f"/assets/{hero}", 200)["is_favorite"] is False

    # Folder: make one, move the asset in, find it there.
    folder = maya.call("POST", "/folders", 201, json={"name": "Spring campaign"})["folder_id"]
    theo.call("POST", "/folders", 403, json={"name": "Theo's own"})  # folders are for Power Users and Admins
    assert maya.call("PATCH", f"/assets/{hero}", 200, json={"folder_id": folder})["folder_id"] == folder
    assert maya.ids(folder=folder) == [hero]
    assert maya.ids(folder="unassigned") == [other]

    # Collection: curate, list members.
    collection = maya.call("POST", "/collections", 201, json={"name": "Hero shots"})["collection_id"]
    maya.call("PUT", f"/collections/{collection}/assets/{hero}", 204)
    members = maya.call("GET", f"/collections/{collection}/assets", 200)["items"]
    assert [m["asset_id"] for m in members] == [hero] and members[0]["is_favorite"] is True

    # Brand: create, toggle on, filter.
    brand = maya.call("POST", "/brands", 201, json={"name": "Zesty Cola", "color": "#e4002b"})["brand_id"]
    maya.call("PUT", f"/assets/{hero}/brands/{brand}", 204)
    assert maya.ids(brand=brand) == [hero]
    detail = maya.call("GET", f"/assets/{hero}", 200)
    assert (detail["brand_ids"], detail["collection_ids"], detail["folder_id"]) == ([brand], [collection], folder)

    # Archive: gone from browse and favorites, listed as archived; unarchive brings it back as it was.
    maya.call("POST", f"/assets/{hero}/archive", 200)
    assert maya.ids() == [other]
    assert maya.ids(favorites="true") == []
    assert maya.ids(archived="true") == [hero]
    restored = maya.call("POST", f"/assets/{hero}/unarchive", 200)
    assert restored["archived"] is False and restored["brand_ids"] == [brand]
    assert maya.ids(favorites="true") == [hero]

    # Delete: nothing of it is left in any list; what it was linked to stays.
    maya.call("DELETE", f"/assets/{hero}", 204)
    maya.call("GET", f"/assets/{hero}", 404)
    assert maya.ids() == [other]
    for params in ({"favorites": "true"}, {"brand": brand}, {"collection": collection}, {"folder": folder}):
        assert maya.ids(**params) == [], params
    assert maya.call("GET", f"/brands/{brand}", 200)["name"] == "Zesty Cola"
    assert maya.call("GET", f"/folders/{folder}", 200)["name"] == "Spring campaign"
    assert maya.call("GET", f"/collections/{collection}/assets", 200)["items"] == []

    # And another workspace sees none of it.
    eve = Client(local_stack.api_url, local_stack.token("eve", "ws-other", "admin"))
    eve.call("GET", f"/folders/{folder}", 404)
    eve.call("GET", f"/collections/{collection}", 404)
    eve.call("GET", f"/brands/{brand}", 404)
    eve.call("PUT", f"/assets/{other}/favorite", 404)
