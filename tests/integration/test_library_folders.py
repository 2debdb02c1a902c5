"""Folders: nested, optionally a client's; uploads land in them; deleting one never deletes an asset."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.integration.library_support import field_paths, ids, ok, seed


def _folder(api: Api, name: str, parent: str | None = None, claims: dict[str, str] | None = None, **extra: Any) -> str:
    body = {"name": name, **({"parent_id": parent} if parent else {}), **extra}
    created = ok(api.request("POST", "/folders", body=body, claims=claims or api.claims), 201)
    return str(created["folder_id"])


def _start_upload(api: Api, claims: dict[str, str] | None = None, **extra: Any) -> Any:
    body = {"filename": "x.jpg", "content_type": "image/jpeg", "size": 3, "asset_type": "image", **extra}
    return api.request("POST", "/uploads", body=body, claims=claims or api.claims)


def _names(api: Api, claims: dict[str, str] | None = None, **query: str) -> list[str]:
    listed = ok(api.request("GET", "/folders", query=query or None, claims=claims or api.claims))
    return [f["name"] for f in listed["items"]]


def test_create_nest_rename_and_list_folders_by_name(api: Api) -> None:
    campaign = _folder(api, "Spring campaign")
    shots = _folder(api, "hero shots", campaign)
    _folder(api, "Archive 2025")

    assert _names(api) == ["Archive 2025", "hero shots", "Spring campaign"]
    assert _names(api, parent="root") == ["Archive 2025", "Spring campaign"]
    assert _names(api, parent=campaign) == ["hero shots"]
    folder = ok(api.request("GET", f"/folders/{shots}"))
    assert (folder["name"], folder["parent_id"], folder["client_id"]) == ("hero shots", campaign, None)

    renamed = ok(api.request("PATCH", f"/folders/{shots}", body={"name": "  Hero   shots "}))
    assert renamed["name"] == "Hero shots" and renamed["parent_id"] == campaign
    moved = ok(api.request("PATCH", f"/folders/{shots}", body={"parent_id": None}))
    assert moved["parent_id"] is None and moved["name"] == "Hero shots"
    assert _names(api, parent="root") == ["Archive 2025", "Hero shots", "Spring campaign"]
    assert _names(api, parent=campaign) == []


def test_a_folder_cannot_move_into_itself_or_its_own_sub_folders(api: Api) -> None:
    top = _folder(api, "top")
    middle = _folder(api, "middle", top)
    bottom = _folder(api, "bottom", middle)

    for target in (top, middle, bottom):
        refused = api.request("PATCH", f"/folders/{top}", body={"parent_id": target})
        assert field_paths(refused) == ["body.parent_id"]
    assert ok(api.request("GET", f"/folders/{top}"))["parent_id"] is None
    # Moving a branch sideways is fine.
    other = _folder(api, "other")
    assert ok(api.request("PATCH", f"/folders/{middle}", body={"parent_id": other}))["parent_id"] == other
    assert _names(api, parent=other) == ["middle"]
    assert field_paths(api.request("PATCH", f"/folders/{top}", body={"parent_id": "missing"})) == ["body.parent_id"]


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({}, "body.name"),
        ({"name": ""}, "body.name"),
        ({"name": "   "}, "body.name"),
        ({"name": "x" * 201}, "body.name"),
        ({"name": "ok", "parent_id": 7}, "body.parent_id"),
        ({"name": "ok", "colour": "red"}, "body.colour"),
        ({"name": "ok", "parent_id": "no-such-folder"}, "body.parent_id"),
    ],
)
def test_bad_folder_input_says_where(api: Api, body: dict[str, Any], path: str) -> None:
    assert path in field_paths(api.request("POST", "/folders", body=body))


def test_uploads_go_into_a_folder_that_exists_and_patch_moves_or_unassigns(api: Api) -> None:
    folder = _folder(api, "Products")
    rival_folder = _folder(api, "Theirs", claims=api.as_user("user-rival", workspace="ws-rival"))

    placed = api.upload("box.jpg", folder_id=folder)
    assert placed["folder_id"] == folder
    loose = api.upload("loose.jpg")
    for bad in ("no-such-folder", rival_folder):
        assert field_paths(_start_upload(api, folder_id=bad)) == ["body.folder_id"]

    assert ids(api.request("GET", "/assets", query={"folder": folder})) == [placed["asset_id"]]
    assert ids(api.request("GET", "/assets", query={"folder": "unassigned"})) == [loose["asset_id"]]

    moved = ok(api.request("PATCH", f"/assets/{loose['asset_id']}", body={"folder_id": folder}))
    assert moved["folder_id"] == folder
    assert sorted(ids(api.request("GET", "/assets", query={"folder": folder}))) == sorted(
        [placed["asset_id"], loose["asset_id"]]
    )
    # A PATCH without folder_id leaves it; folder_id: null takes it out.
    assert ok(api.request("PATCH", f"/assets/{loose['asset_id']}", body={"notes": "x"}))["folder_id"] == folder
    assert ok(api.request("PATCH", f"/assets/{loose['asset_id']}", body={"folder_id": None}))["folder_id"] is None
    assert ids(api.request("GET", "/assets", query={"folder": "unassigned"})) == [loose["asset_id"]]
    bad_move = api.request("PATCH", f"/assets/{loose['asset_id']}", body={"folder_id": rival_folder})
    assert field_paths(bad_move) == ["body.folder_id"]


def test_deleting_a_folder_unassigns_its_assets_and_moves_sub_folders_up(api: Api) -> None:
    parent = _folder(api, "Campaign")
    doomed = _folder(api, "Drafts", parent)
    child = _folder(api, "Round 1", doomed)
    grandchild = _folder(api, "Picks", child)
    seed("in-doomed", 0, folder=doomed)
    seed("in-doomed-archived", 1, folder=doomed, archived=True)
    seed("in-child", 2, folder=child)
    seed("in-parent", 3, folder=parent)

    assert api.request("DELETE", f"/folders/{doomed}").status == 204

    assert api.request("GET", f"/folders/{doomed}").status == 404
    # Sub-folders move up to the deleted folder's parent, keeping their own sub-folders and assets.
    assert ok(api.request("GET", f"/folders/{child}"))["parent_id"] == parent
    assert ok(api.request("GET", f"/folders/{grandchild}"))["parent_id"] == child
    assert _names(api, parent=parent) == ["Round 1"]
    assert ids(api.request("GET", "/assets", query={"folder": child})) == ["in-child"]
    # Its assets are all still there, now unassigned (archived ones too).
    assert ok(api.request("GET", "/assets/in-doomed"))["folder_id"] is None
    assert ok(api.request("GET", "/assets/in-doomed-archived"))["folder_id"] is None
    assert ids(api.request("GET", "/assets", query={"folder": "unassigned"})) == ["in-doomed"]
    assert ids(api.request("GET", "/assets", query={"folder": "unassigned", "archived": "true"})) == [
        "in-doomed-archived"
    ]
    assert ids(api.request("GET", "/assets", query={"folder": parent})) == ["in-parent"]
    assert api.request("DELETE", f"/folders/{doomed}").status == 404  # gone

    # A top-level folder's sub-folders move to the top level.
    assert api.request("DELETE", f"/folders/{parent}").status == 204
    assert ok(api.request("GET", f"/folders/{child}"))["parent_id"] is None


def test_client_folders_are_for_that_client_and_staff(api: Api) -> None:
    acme = _folder(api, "Acme deliverables", client_id="client-acme")
    sub = _folder(api, "Round 2", acme)
    shared = _folder(api, "Shared")
    acme_user = api.as_user("user-acme", clients=["client-acme"])
    zen_user = api.as_user("user-zen", clients=["client-zen"])

    assert ok(api.request("GET", f"/folders/{sub}"))["client_id"] == "client-acme"  # inherited
    assert _names(api, acme_user) == ["Acme deliverables", "Round 2", "Shared"]
    assert _names(api, zen_user) == ["Shared"]
    assert api.request("GET", f"/folders/{acme}", claims=zen_user).status == 404
    assert api.request("PATCH", f"/folders/{acme}", body={"name": "mine"}, claims=zen_user).status == 404
    # An upload into a client's folder is that client's; one of another client is refused.
    staff_upload = api.upload("deliverable.jpg", folder_id=acme)
    assert staff_upload["client_id"] == "client-acme"
    refused = _start_upload(api, folder_id=acme, client_id="client-zen")
    assert field_paths(refused) == ["body.folder_id"]
    assert field_paths(_start_upload(api, zen_user, folder_id=acme)) == ["body.folder_id"]
    # A client user's own folders default to their client; the other workspace sees nothing.
    own = ok(api.request("POST", "/folders", body={"name": "Acme inbox"}, claims=acme_user), 201)
    assert own["client_id"] == "client-acme"
    rival = api.as_user("user-rival", workspace="ws-rival")
    assert _names(api, rival) == []
    assert api.request("GET", f"/folders/{shared}", claims=rival).status == 404
    assert api.request("DELETE", f"/folders/{shared}", claims=rival).status == 404  # nothing happens
    assert ok(api.request("GET", f"/folders/{shared}"))["name"] == "Shared"
