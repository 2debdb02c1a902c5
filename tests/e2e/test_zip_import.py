"""Bulk ZIP import over real HTTP on the local stack: real photos, junk and hostile entries give the counts,
reasons and assets a user expects, every child goes through the pipeline to ready, and nothing else is stored."""

from __future__ import annotations

import time
from typing import Any

import requests

from tests.zips import hostile_mix


def _start_import(api: str, headers: dict[str, str], archive: bytes, **fields: Any) -> dict[str, Any]:
    created = requests.post(
        f"{api}/imports", json={"filename": "shoot.zip", "size": len(archive), **fields}, headers=headers, timeout=10
    )
    assert created.status_code == 201, created.text
    upload = created.json()["upload"]
    sent = requests.post(
        upload["url"], data=upload["fields"], files={"file": ("shoot.zip", archive, "application/zip")}, timeout=60
    )
    assert sent.status_code in (200, 204), sent.text
    return dict(created.json()["import"])


def _wait_until_finished(api: str, headers: dict[str, str], import_id: str, timeout: float = 240) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        bulk = requests.get(f"{api}/imports/{import_id}", headers=headers, timeout=10).json()
        if bulk["status"] in ("done", "failed") or time.monotonic() > deadline:
            return dict(bulk)
        time.sleep(0.25)


def test_a_zip_of_photos_junk_and_hostile_entries_ends_with_its_counts_and_only_its_images(local_stack: Any) -> None:
    api = local_stack.api_url
    headers = {"Authorization": f"Bearer {local_stack.token('maya', 'ws-zip', 'power_user')}"}
    created = requests.post(f"{api}/folders", json={"name": "Day 2"}, headers=headers, timeout=10)
    assert created.status_code == 201, created.text
    folder = created.json()
    archive, expected = hostile_mix(photos=4)

    started = _start_import(api, headers, archive, folder_id=folder["folder_id"])
    bulk = _wait_until_finished(api, headers, started["import_id"])

    assert bulk["status"] == "done", bulk
    assert [(item["name"], item.get("reason")) for item in bulk["items"]] == expected
    queued = [item["asset_id"] for item in bulk["items"] if item.get("asset_id")]
    assert {item["outcome"] for item in bulk["items"] if item.get("asset_id")} == {"ready"}
    assert (bulk["total"], bulk["queued"], bulk["ready"], bulk["failed"]) == (len(expected), 6, 6, 0)
    assert bulk["skipped"] == len(expected) - 6 and bulk["over_limit"] == 0

    # The library holds exactly the queued images, ready, in the requested folder.
    listed = requests.get(f"{api}/assets", params={"folder": folder["folder_id"]}, headers=headers, timeout=10)
    assert sorted(a["asset_id"] for a in listed.json()["items"]) == sorted(queued)
    for asset_id in queued:
        asset = requests.get(f"{api}/assets/{asset_id}", headers=headers, timeout=10).json()
        assert asset["status"] == "ready", asset["status_reason"]
        assert asset["metadata"]["import"]["import_id"] == started["import_id"]

    # The bucket holds the children's files and nothing of the archive or of a skipped entry.
    s3 = local_stack.client("s3")
    keys = [
        item["Key"]
        for bucket in s3.list_buckets()["Buckets"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket["Name"])
        for item in page.get("Contents", [])
    ]
    assert not [key for key in keys if key.startswith("imports/")]
    assert {key.split("/")[2] for key in keys if key.startswith("assets/ws-zip/")} == set(queued)


def test_a_truncated_archive_fails_with_a_reason_and_leaves_no_asset(local_stack: Any) -> None:
    api = local_stack.api_url
    headers = {"Authorization": f"Bearer {local_stack.token('maya', 'ws-zip-broken', 'editor')}"}
    archive, _ = hostile_mix(photos=2)

    started = _start_import(api, headers, archive[: len(archive) // 2])
    bulk = _wait_until_finished(api, headers, started["import_id"])

    assert bulk["status"] == "failed" and bulk["status_reason"], bulk
    assert requests.get(f"{api}/assets", headers=headers, timeout=10).json()["items"] == []
