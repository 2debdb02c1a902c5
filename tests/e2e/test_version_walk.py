"""Versions over real HTTP on the local stack: upload v1, upload v2 through its presigned POST, each pinned
download returns its own bytes, a lead promotes and approves v2, and the stable link follows."""

from __future__ import annotations

import time
from typing import Any

import requests

from tests.unit.imaging import corpus


def _post_file(upload: dict[str, Any], name: str, data: bytes, content_type: str) -> None:
    sent = requests.post(upload["url"], data=upload["fields"], files={"file": (name, data, content_type)}, timeout=30)
    assert sent.status_code in (200, 204), sent.text


def _download(url: str, headers: dict[str, str], **params: str) -> requests.Response:
    redirect = requests.get(url, headers=headers, params=params, allow_redirects=False, timeout=10)
    assert redirect.status_code == 302, redirect.text
    return requests.get(redirect.headers["location"], timeout=10)


def _wait(check: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value is not None or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_two_versions_keep_their_bytes_and_the_stable_link_follows_promote_and_approval(local_stack: Any) -> None:
    api = local_stack.api_url
    editor = {"Authorization": f"Bearer {local_stack.token('maya', 'ws-versions', 'editor')}"}
    lead = {"Authorization": f"Bearer {local_stack.token('lena', 'ws-versions', 'shoot_lead')}"}
    first, second = corpus.jpeg_photo(640, 480), corpus.png_alpha()

    created = requests.post(
        f"{api}/uploads",
        json={"filename": "hero.jpg", "content_type": "image/jpeg", "size": len(first), "asset_type": "product"},
        headers=editor,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    asset_id = created.json()["asset"]["asset_id"]
    _post_file(created.json()["upload"], "hero.jpg", first, "image/jpeg")

    take = requests.post(
        f"{api}/assets/{asset_id}/versions",
        json={"filename": "hero.png", "content_type": "image/png", "size": len(second), "notes": "cut out"},
        headers=editor,
        timeout=10,
    )
    assert take.status_code == 201, take.text
    assert take.json()["version"]["number"] == 2
    _post_file(take.json()["upload"], "hero.png", second, "image/png")

    def processed() -> dict[str, Any] | None:
        listed = requests.get(f"{api}/assets/{asset_id}/versions", headers=editor, timeout=10).json()
        statuses = {v["file_status"] for v in listed["items"]}
        return listed if len(listed["items"]) == 2 and statuses <= {"ready", "failed", "rejected"} else None

    listed = _wait(processed)
    assert listed is not None, "both versions processed"
    assert [(v["number"], v["file_status"], v["is_active"]) for v in listed["items"]] == [
        (2, "ready", False),
        (1, "ready", True),
    ]
    studio_v2 = listed["items"][0]["studio_id"]
    assert studio_v2.startswith("IMG-") and studio_v2.endswith("_v002")
    assert requests.get(listed["items"][0]["thumbnail"]["url"], timeout=10).status_code == 200

    pinned_v1 = _download(f"{api}/assets/{asset_id}/versions/1/download", editor)
    pinned_v2 = _download(f"{api}/assets/{asset_id}/versions/2/download", editor)
    assert pinned_v1.content == first and pinned_v2.content == second
    assert f'filename="{studio_v2}.png"' in pinned_v2.headers["content-disposition"]
    assert _download(f"{api}/assets/{asset_id}/download", editor).content == first

    # The editor may not promote or approve; the lead may.
    assert requests.post(f"{api}/assets/{asset_id}/versions/2/promote", headers=editor, timeout=10).status_code == 403
    promoted = requests.post(f"{api}/assets/{asset_id}/versions/2/promote", headers=lead, timeout=10)
    assert promoted.status_code == 200 and promoted.json()["active_version"] == 2
    approved = requests.post(
        f"{api}/assets/{asset_id}/versions/2/approve", json={"note": "final"}, headers=lead, timeout=10
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"

    assert _download(f"{api}/assets/{asset_id}/download", editor).content == second
    assert _download(f"{api}/assets/{asset_id}/download", editor, version="approved").content == second
    assert _download(f"{api}/assets/{asset_id}/versions/1/download", editor).content == first
    asset = requests.get(f"{api}/assets/{asset_id}", headers=editor, timeout=10).json()
    assert asset["content_type"] == "image/png" and "/v2/renditions/" in asset["renditions"]["thumbnail"]["url"]
