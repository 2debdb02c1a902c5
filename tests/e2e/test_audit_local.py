"""`dam local` keeps the audit log as AWS does: the tables' streams reach the real audit function through the
local stream pollers, and an admin reads the change back from GET /audit and its export."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from dam_local.resources import Names
from dam_local.stack import LocalStackProcess


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
