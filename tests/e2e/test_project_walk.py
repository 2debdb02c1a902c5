"""A production over real HTTP on the local stack: a project's hierarchy down to a shot, two takes (real JPEGs)
uploaded into the shot, review by the shot rules (every attached asset needs an approved version), the ready
shot locking its assets until a lead reopens it, and a brief saved as the project's concept and found by its
words."""

from __future__ import annotations

import time
from typing import Any

import requests

from tests.unit.imaging import corpus


class Client:
    def __init__(self, api: str, token: str) -> None:
        self.api = api
        self.headers = {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, status: int, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        response = requests.request(method, f"{self.api}{path}", headers=headers, timeout=30, **kwargs)
        assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None


def _post_file(upload: dict[str, Any], name: str, data: bytes) -> None:
    sent = requests.post(upload["url"], data=upload["fields"], files={"file": (name, data, "image/jpeg")}, timeout=30)
    assert sent.status_code in (200, 204), sent.text


def _processed(client: Client, asset_id: str, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        asset = client.call("GET", f"/assets/{asset_id}", 200)
        if asset["status"] in ("ready", "failed", "rejected") or time.monotonic() > deadline:
            assert asset["status"] == "ready", asset
            return asset  # type: ignore[no-any-return]
        time.sleep(0.2)


def _take(client: Client, project: str, shot: str, name: str, data: bytes) -> str:
    body = {
        "filename": name,
        "content_type": "image/jpeg",
        "size": len(data),
        "asset_type": "product",
        "project_id": project,
        "shot_id": shot,
    }
    created = client.call("POST", "/uploads", 201, json=body)
    assert created["asset"]["shot_id"] == shot
    _post_file(created["upload"], name, data)
    return str(created["asset"]["asset_id"])


def new_shot(lead: Client, editor: Client, project: dict[str, str], camera_notes: str) -> tuple[str, dict[str, Any]]:
    """A project in production (made by a lead) with one story, one scene and one wide shot (by an editor)."""
    project_id = lead.call("POST", "/projects", 201, json=project)["project_id"]
    lead.call("PATCH", f"/projects/{project_id}", 200, json={"stage": "production"})
    story = editor.call("POST", f"/projects/{project_id}/stories", 201, json={"title": "Act one"})["story_id"]
    scene = editor.call("POST", f"/stories/{story}/scenes", 201, json={"title": "Lamp room"})["scene_id"]
    shot = editor.call("POST", f"/scenes/{scene}/shots", 201, json={"title": "Wide", "camera_notes": camera_notes})
    return str(project_id), shot


def test_a_shot_goes_from_empty_to_ready_locks_its_takes_and_reopens(local_stack: Any) -> None:
    api, ws = local_stack.api_url, "ws-production"
    editor = Client(api, local_stack.token("maya", ws, "editor"))
    lead = Client(api, local_stack.token("lena", ws, "shoot_lead"))

    project, shot = new_shot(lead, editor, {"name": "Lighthouse heist", "reference": "LH01"}, "35mm")
    assert shot["status"] == "empty"
    shot_id = shot["shot_id"]

    # Two takes into the shot: the first makes it wip.
    take_a = _take(editor, project, shot_id, "wide-a.jpg", corpus.jpeg_photo(640, 480))
    take_b = _take(editor, project, shot_id, "wide-b.jpg", corpus.jpeg_photo(800, 600, camera=True))
    for asset_id in (take_a, take_b):
        assert _processed(editor, asset_id)["project_id"] == project
    listed = editor.call("GET", f"/shots/{shot_id}/assets", 200)["items"]
    assert {a["asset_id"] for a in listed} == {take_a, take_b}
    assert editor.call("GET", f"/shots/{shot_id}", 200)["status"] == "wip"

    # Review: submitted, then approved only once every take has an approved version.
    assert editor.call("POST", f"/shots/{shot_id}/submit", 200, json={"note": "two takes"})["status"] == "review"
    lead.call("POST", f"/assets/{take_a}/versions/1/approve", 200, json={"note": "the one"})
    refused = lead.call("POST", f"/shots/{shot_id}/approve", 409)
    assert take_b in refused["error"]["message"]
    lead.call("POST", f"/assets/{take_b}/versions/1/approve", 200)
    ready = lead.call("POST", f"/shots/{shot_id}/approve", 200, json={"note": "locked for delivery"})
    assert ready["status"] == "ready"
    assert [t["to_status"] for t in ready["transitions"]] == ["wip", "review", "ready"]
    tree = editor.call("GET", f"/projects/{project}/tree", 200)
    assert tree["shot_status_counts"]["ready"] == 1

    # Locked: a new version of a take is refused until a lead reopens the shot.
    second = corpus.jpeg_photo(1024, 768)
    new_version = {"filename": "wide-a2.jpg", "content_type": "image/jpeg", "size": len(second)}
    locked = editor.call("POST", f"/assets/{take_a}/versions", 409, json=new_version)
    assert "ready" in locked["error"]["message"] or "locked" in locked["error"]["message"]
    editor.call("POST", f"/shots/{shot_id}/reopen", 403)
    assert lead.call("POST", f"/shots/{shot_id}/reopen", 200, json={"note": "one more pass"})["status"] == "wip"
    accepted = editor.call("POST", f"/assets/{take_a}/versions", 201, json=new_version)
    assert accepted["version"]["number"] == 2
    _post_file(accepted["upload"], "wide-a2.jpg", second)

    def both_ready() -> bool:
        items = editor.call("GET", f"/assets/{take_a}/versions", 200)["items"]
        return [v["file_status"] for v in items] == ["ready", "ready"]

    deadline = time.monotonic() + 90
    while not both_ready():
        assert time.monotonic() < deadline, "version 2 processed"
        time.sleep(0.2)

    # A brief saved alongside the project, edited (the first text kept), and found by its words.
    brief = editor.call(
        "POST",
        f"/projects/{project}/concepts",
        201,
        json={"kind": "brief", "title": "The heist", "text": "A keeper guards the LIGHTHOUSE lens at night."},
    )
    editor.call("POST", f"/projects/{project}/concepts", 201, json={"kind": "note", "title": "Catering"})
    editor.call(
        "PATCH",
        f"/concepts/{brief['concept_id']}",
        200,
        json={"text": "A keeper guards the LIGHTHOUSE lens until dawn."},
        headers={"If-Match": "1"},
    )
    found = editor.call("GET", f"/projects/{project}/concepts", 200, params={"q": "lighthouse DAWN"})["items"]
    assert [(c["concept_id"], c["version"]) for c in found] == [(brief["concept_id"], 2)]
    first = editor.call("GET", f"/concepts/{brief['concept_id']}/versions/1", 200)
    assert first["text"] == "A keeper guards the LIGHTHOUSE lens at night."
