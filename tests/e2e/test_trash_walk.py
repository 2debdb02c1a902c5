"""The trash over real HTTP on the local stack: a processed, favorited, collected asset is deleted → out of
the gallery, the favorites, the collection and search (the index fed only by the stream) while its files stay →
listed in the trash → restored with all of it, found again → deleted permanently → nothing under its prefix."""

from __future__ import annotations

from typing import Any

import requests

from tests.e2e.test_library_walk import Client
from tests.e2e.test_search_walk import _eventually
from tests.unit.imaging import corpus

WORKSPACE = "ws-trash-walk"


def test_delete_to_the_trash_restore_and_delete_permanently_over_http(local_stack: Any) -> None:
    maya = Client(local_stack.api_url, local_stack.token("maya", WORKSPACE, "editor"))
    image = corpus.png_photo(320, 200)
    body = {
        "filename": "lamp.png",
        "content_type": "image/png",
        "size": len(image),
        "asset_type": "product",
        "name": "Brass lighthouse lamp",
    }
    created = maya.call("POST", "/uploads", 201, json=body)
    asset_id, upload = created["asset"]["asset_id"], created["upload"]
    sent = requests.post(upload["url"], data=upload["fields"], files={"file": ("lamp.png", image)}, timeout=30)
    assert sent.status_code in (200, 204), sent.text
    assert _eventually(lambda: maya.call("GET", f"/assets/{asset_id}", 200)["status"] == "ready", timeout=120)

    def found() -> list[str]:
        reply = maya.call("GET", "/search", 200, params={"q": "lighthouse lamp", "mode": "keyword"})
        return [item["asset_id"] for item in reply["items"]]

    def why() -> str:
        """What search and the stack say about the asset (these waits have failed only in long parallel runs):
        its log lines, the pollers' failures, and the stack's threads and pollers at this moment."""
        log = local_stack.log().splitlines() if hasattr(local_stack, "log") else []
        marks = (asset_id, "dead-letter", "indexer failed", "poller failed", "timed out", "has run")
        about = [line[:300] for line in log if any(mark in line for mark in marks)]
        dump = local_stack.thread_dump() if hasattr(local_stack, "thread_dump") else ""
        return f"search lists {found()}; the log on it:\n" + "\n".join(about[-20:]) + "\n" + dump

    assert _eventually(lambda: found() == [asset_id]), why()
    maya.call("PUT", f"/assets/{asset_id}/favorite", 204)
    collection = maya.call("POST", "/collections", 201, json={"name": "Props"})["collection_id"]
    maya.call("PUT", f"/collections/{collection}/assets/{asset_id}", 204)
    s3 = local_stack.client("s3")
    bucket = upload["url"].rstrip("/").rsplit("/", 1)[-1]
    prefix = f"assets/{WORKSPACE}/{asset_id}/"
    files = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))
    assert f"{prefix}original" in files

    # Deleted: out of every list and out of search, its files kept, in the trash.
    maya.call("DELETE", f"/assets/{asset_id}", 204)
    maya.call("GET", f"/assets/{asset_id}", 404)
    assert maya.ids() == [] and maya.ids(favorites="true") == [] and maya.ids(collection=collection) == []
    assert found() == []  # at once: search drops what is in the trash
    kept = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))
    assert kept == files
    (entry,) = maya.call("GET", "/trash", 200)["items"]
    assert entry["asset"]["asset_id"] == asset_id and entry["trashed_by"] == "maya"

    # Restored: back everywhere, search included (the stream re-indexes it).
    restored = maya.call("POST", f"/assets/{asset_id}/restore", 200)
    assert restored["is_favorite"] is True and restored["collection_ids"] == [collection]
    assert maya.ids() == [asset_id] and maya.ids(favorites="true") == [asset_id]
    assert maya.ids(collection=collection) == [asset_id]
    assert _eventually(lambda: found() == [asset_id]), why()
    assert maya.call("GET", "/trash", 200)["items"] == []

    # Deleted permanently: nothing left under its prefix, nothing to restore.
    maya.call("DELETE", f"/assets/{asset_id}", 204, params={"permanent": "true"})
    listing = s3.list_object_versions(Bucket=bucket, Prefix=prefix)
    assert not listing.get("Versions") and not listing.get("DeleteMarkers")
    maya.call("POST", f"/assets/{asset_id}/restore", 404)
    assert _eventually(lambda: found() == []), why()
