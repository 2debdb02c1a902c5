"""`dam local` runs big library deletes as AWS does: the API answers 202, the cleanup queue's messages reach
the real library worker through the local SQS poller, and the folder's assets end up unassigned."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import requests

from dam.adapters.dynamodb.assets import _to_record
from dam.domain.library import INLINE_CLEANUP_LIMIT
from dam_local.resources import Names
from tests.integration.library_support import T0, ready_asset

COUNT = INLINE_CLEANUP_LIMIT + 275  # two steps of the worker


def test_a_big_folder_delete_is_finished_by_the_local_library_worker(local_stack: Any) -> None:
    headers = {"Authorization": f"Bearer {local_stack.token('maya', 'ws-cleanup', 'admin')}"}
    api = local_stack.api_url
    created = requests.post(f"{api}/folders", json={"name": "Big"}, headers=headers, timeout=10)
    assert created.status_code == 201, created.text
    folder = created.json()["folder_id"]
    # The assets, written straight into the stack's table (uploading 300 files would test the pipeline)
    dynamodb = local_stack.client("dynamodb")
    items = []
    for n in range(COUNT):
        asset = ready_asset(f"big-{n:04d}", T0 + timedelta(seconds=n), workspace="ws-cleanup", folder_id=folder)
        items.append({"PutRequest": {"Item": _to_record(asset.model_copy(update={"version": 1})).serialize()}})
    for start in range(0, len(items), 25):
        dynamodb.batch_write_item(RequestItems={Names().table("Assets"): items[start : start + 25]})

    deleted = requests.delete(f"{api}/folders/{folder}", headers=headers, timeout=10)

    assert deleted.status_code == 202, deleted.text
    assert deleted.json() == {"assets_to_update": COUNT}
    assert requests.get(f"{api}/folders/{folder}", headers=headers, timeout=10).status_code == 404
    remaining = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        listed = requests.get(f"{api}/assets", params={"folder": folder}, headers=headers, timeout=10)
        assert listed.status_code == 200, listed.text
        remaining = len(listed.json()["items"])
        if remaining == 0:
            break
        time.sleep(0.5)
    assert remaining == 0
    one = requests.get(f"{api}/assets/big-0000", headers=headers, timeout=10)
    assert one.status_code == 200 and one.json()["folder_id"] is None
    dlq = local_stack.client("sqs").get_queue_url(QueueName=Names().library_dlq)["QueueUrl"]
    attributes = local_stack.client("sqs").get_queue_attributes(
        QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"]
    )
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"
