"""`dam local` keeps the audit log as AWS does: the tables' streams reach the real audit function through the
local stream pollers, and an admin reads the change back from GET /audit and its export."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from dam.domain.reviews import token_hash
from dam_local.resources import Names
from dam_local.stack import LocalStackProcess
from tests.e2e.test_library_walk import Client
from tests.e2e.test_project_walk import _processed, _take, new_shot
from tests.unit.imaging import corpus


@pytest.fixture(scope="module")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    """A stack of its own: the session's shared stack has a backlog of every other test's stream records, which
    its audit poller works through first (measured under the full suite: over 60 s behind)."""
    with LocalStackProcess(tmp_path_factory.mktemp("dam-audit")) as stack:
        yield stack


def test_a_change_through_the_local_api_is_in_the_audit_log(local_stack: Any) -> None:
    headers = {"Authorization": f"Bearer {local_stack.token('maya', 'ws-audit', 'admin')}"}
    api = local_stack.api_url
    created = requests.post(f"{api}/folders", json={"name": "Drafts"}, headers=headers, timeout=10)
    assert created.status_code == 201, created.text
    folder = created.json()["folder_id"]
    renamed = requests.patch(f"{api}/folders/{folder}", json={"name": "Finals"}, headers=headers, timeout=10)
    assert renamed.status_code == 200, renamed.text

    events: list[dict[str, Any]] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        listed = requests.get(f"{api}/audit", params={"user": "maya"}, headers=headers, timeout=10)
        assert listed.status_code == 200, listed.text
        events = listed.json()["items"]
        if len(events) >= 2:
            break
        time.sleep(0.5)

    assert [(e["action"], e["item_type"], e["item_id"]) for e in events] == [
        ("changed", "folder", folder),
        ("created", "folder", folder),
    ]
    assert events[0]["before"] == {"name": "Drafts"} and events[0]["after"] == {"name": "Finals"}
    assert all(e["actor"] == "maya" and e["request_id"] for e in events)
    exported = requests.get(f"{api}/audit/export", params={"user": "maya"}, headers=headers, timeout=10)
    assert [json.loads(line)["event_id"] for line in exported.text.splitlines()] == [e["event_id"] for e in events]
    # Nobody but an admin reads it
    editor = {"Authorization": f"Bearer {local_stack.token('ines', 'ws-audit', 'editor')}"}
    assert requests.get(f"{api}/audit", headers=editor, timeout=10).status_code == 403
    sqs = local_stack.client("sqs")
    dlq = sqs.get_queue_url(QueueName=Names().audit_dlq)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"


GUEST = "dana@client.example"
WORKSPACE = "ws-review-story"


def _eventually(check: Callable[[], Any], timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.3)
    return found


def test_a_shot_reviewed_by_an_outside_reviewer_from_link_to_expiry_is_all_in_the_audit_log(
    local_stack: Any,
) -> None:
    """The whole review story of a shot's two takes: a lead gathers them, shares a link, the client (no token)
    pins a comment on a region and asks for changes on one take and approves the other; the lead sees both; each
    step is in the audit log; when the link's time is up it answers 410 with nothing else."""
    api = local_stack.api_url
    lead = Client(api, local_stack.token("lena", WORKSPACE, "shoot_lead"))
    admin = Client(api, local_stack.token("maya", WORKSPACE, "admin"))
    project, created = new_shot(lead, lead, {"name": "Harbour spot", "reference": "HS01"}, "24mm")
    shot = created["shot_id"]
    takes = [
        _take(lead, project, shot, "take-a.jpg", corpus.jpeg_photo(640, 480)),
        _take(lead, project, shot, "take-b.jpg", corpus.jpeg_photo(480, 640)),
    ]
    for asset_id in takes:
        assert _processed(lead, asset_id)["status"] == "ready"

    review = lead.call(
        "POST",
        "/reviews",
        201,
        json={"title": "Quay, wide", "reviewers": [{"email": GUEST}], "items": [{"kind": "shot", "id": shot}]},
    )
    rid = review["review_id"]
    assert sorted(item["asset_id"] for item in review["items"]) == sorted(takes)
    position = {item["asset_id"]: item["position"] for item in review["items"]}
    link = lead.call("POST", f"/reviews/{rid}/links", 201, json={"email": GUEST, "expires_in_hours": 1})
    token = link["token"]

    # The client, with no account and no Authorization header at all.
    shared = requests.get(f"{api}/share/{token}", timeout=10)
    assert shared.status_code == 200, shared.text
    assert [item["available"] for item in shared.json()["items"]] == [True, True]
    first, second = position[takes[0]], position[takes[1]]
    region = {"shape": "rectangle", "x": 120, "y": 80, "width": 200, "height": 150}
    comment = requests.post(
        f"{api}/share/{token}/items/{first}/comments",
        json={"body": "The horizon tilts here", "pin": {"region": region}},
        timeout=10,
    )
    assert comment.status_code == 201, comment.text
    for at, verdict in ((first, "changes_requested"), (second, "approved")):
        decided = requests.post(
            f"{api}/share/{token}/items/{at}/decision", json={"verdict": verdict, "note": "from Dana"}, timeout=10
        )
        assert decided.status_code == 200, decided.text
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert requests.get(f"{api}/share/{altered}", timeout=10).status_code == 404

    # The lead sees both decisions and the pinned comment, on the take it was written on only.
    seen = {item["asset_id"]: item for item in lead.call("GET", f"/reviews/{rid}", 200)["items"]}
    assert [(d["reviewer"], d["verdict"]) for d in seen[takes[0]]["decisions"]] == [
        (f"email:{GUEST}", "changes_requested")
    ]
    assert [(d["reviewer"], d["verdict"]) for d in seen[takes[1]]["decisions"]] == [(f"email:{GUEST}", "approved")]
    (pinned,) = lead.call("GET", f"/assets/{takes[0]}/versions/1/comments", 200)["items"]
    assert pinned["body"] == "The horizon tilts here" and pinned["pin"]["region"]["width"] == 200
    assert lead.call("GET", f"/assets/{takes[1]}/versions/1/comments", 200)["items"] == []

    # Every step is in the audit log (written from the tables' streams).
    wanted = {"project", "story", "scene", "shot", "asset", "review", "share_link", "comment", "review_decision"}

    def logged() -> set[str] | None:
        events = admin.call("GET", "/audit", 200, params={"limit": 100})["items"]
        kinds = {e["item_type"] for e in events if e["action"] == "created"}
        return kinds if wanted <= kinds else None

    _eventually(logged, timeout=120)
    for asset_id in takes:
        assert admin.call("GET", "/audit", 200, params={"asset": asset_id})["items"], asset_id

    # Time is up: the stored expiry is moved into the past (no clock of the stack's own to wind on).
    table, library = local_stack.client("dynamodb"), Names().table("Library")
    key = {"pk": {"S": f"share#{token_hash(token)}"}, "sk": {"S": "#link"}}
    stored = table.get_item(TableName=library, Key=key)
    assert stored["Item"]["link_id"]["S"] == link["link"]["link_id"] and "expires_at" in stored["Item"]["body"]["M"]
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    table.update_item(
        TableName=library,
        Key=key,
        UpdateExpression="SET body.expires_at = :past",
        ExpressionAttributeValues={":past": {"S": past}},
    )
    gone = requests.get(f"{api}/share/{token}", timeout=10)
    assert (gone.status_code, gone.text) == (410, "")
    late = requests.post(f"{api}/share/{token}/items/{first}/decision", json={"verdict": "approved"}, timeout=10)
    assert (late.status_code, late.text) == (410, "")
    (listed,) = lead.call("GET", f"/reviews/{rid}/links", 200)["items"]
    assert listed["state"] == "expired"


def test_changes_after_a_refused_transaction_still_reach_the_audit_log(local_stack: Any) -> None:
    """A brand name already taken cancels its transaction (409). moto used to swap the table for a copy then,
    and the stream readers (the audit log, the search indexer) saw no later change at all."""
    headers = {"Authorization": f"Bearer {local_stack.token('noor', 'ws-audit-tx', 'admin')}"}
    api = local_stack.api_url
    first = requests.post(f"{api}/brands", json={"name": "Acme", "color": "#e4002b"}, headers=headers, timeout=10)
    assert first.status_code == 201, first.text
    again = requests.post(f"{api}/brands", json={"name": "Acme", "color": "#e4002b"}, headers=headers, timeout=10)
    assert again.status_code == 409, again.text
    folder = requests.post(f"{api}/folders", json={"name": "After"}, headers=headers, timeout=10)
    assert folder.status_code == 201, folder.text

    seen: list[tuple[str, str]] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and ("folder", folder.json()["folder_id"]) not in seen:
        listed = requests.get(f"{api}/audit", params={"user": "noor"}, headers=headers, timeout=10)
        seen = [(e["item_type"], e["item_id"]) for e in listed.json()["items"]]
        time.sleep(0.5)
    assert ("folder", folder.json()["folder_id"]) in seen, seen
    assert [kind for kind, _ in seen].count("brand") == 1  # the refused create left nothing behind
