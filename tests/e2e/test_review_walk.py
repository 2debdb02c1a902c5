"""A review shared by link over real HTTP on the local stack: the owner gathers an uploaded image once it is
processed, shares it with an outside reviewer, who opens the link with no token at all, sees its thumbnail,
fetches its preview through the link and approves; a lead's approval approves the version."""

from __future__ import annotations

import time
from typing import Any

import requests

from tests.unit.imaging import corpus

GUEST = "dana@client.example"


def test_an_outside_reviewer_opens_a_share_link_without_a_token_and_decides(local_stack: Any) -> None:
    api = local_stack.api_url
    owner = {"Authorization": f"Bearer {local_stack.token('maya', 'ws-review', 'editor')}"}
    lead = {"Authorization": f"Bearer {local_stack.token('lena', 'ws-review', 'shoot_lead')}"}
    image = corpus.jpeg_photo(640, 480)
    created = requests.post(
        f"{api}/uploads",
        json={"filename": "hero.jpg", "content_type": "image/jpeg", "size": len(image), "asset_type": "product"},
        headers=owner,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    asset_id = created.json()["asset"]["asset_id"]
    upload = created.json()["upload"]
    sent = requests.post(upload["url"], data=upload["fields"], files={"file": ("hero.jpg", image)}, timeout=30)
    assert sent.status_code in (200, 204), sent.text
    deadline = time.monotonic() + 90
    while requests.get(f"{api}/assets/{asset_id}", headers=owner, timeout=10).json()["status"] != "ready":
        assert time.monotonic() < deadline, "the upload was not processed"
        time.sleep(0.2)

    body = {
        "title": "Hero",
        "reviewers": [{"user_id": "lena"}, {"email": GUEST}],
        "items": [{"kind": "versions", "versions": [{"asset_id": asset_id}]}],
    }
    review = requests.post(f"{api}/reviews", json=body, headers=owner, timeout=10)
    assert review.status_code == 201, review.text
    rid = review.json()["review_id"]
    link = requests.post(f"{api}/reviews/{rid}/links", json={"email": GUEST}, headers=owner, timeout=10)
    assert link.status_code == 201, link.text
    token = link.json()["token"]

    shared = requests.get(f"{api}/share/{token}", timeout=10)  # no Authorization header at all
    assert shared.status_code == 200, shared.text
    (item,) = shared.json()["items"]
    assert requests.get(item["thumbnail"]["url"], timeout=10).status_code == 200
    preview = requests.get(f"{api}/share/{token}/items/1/rendition", allow_redirects=False, timeout=10)
    assert preview.status_code == 302
    assert requests.get(preview.headers["location"], timeout=10).status_code == 200
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert requests.get(f"{api}/share/{altered}", timeout=10).status_code == 404
    assert requests.get(f"{api}/share/{token}/elsewhere", timeout=10).status_code == 401  # the authorizer's

    decided = requests.post(f"{api}/share/{token}/items/1/decision", json={"verdict": "approved"}, timeout=10)
    assert decided.status_code == 200, decided.text
    approve = requests.post(
        f"{api}/reviews/{rid}/items/1/decision", json={"verdict": "approved"}, headers=lead, timeout=10
    )
    assert approve.status_code == 200, approve.text
    assert approve.json()["items"][0]["status"] == "approved"
    access = requests.get(f"{api}/reviews/{rid}/access", headers=owner, timeout=10).json()["items"]
    assert [a["viewed"] for a in access] == ["item 1 decision", "item 1 preview", "session"]
