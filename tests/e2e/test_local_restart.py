"""The local stack keeps a library across restarts: clean stops, hard kills, interrupted processing, --reset.

Each test starts its own `dam local` children on one temporary data dir, as a user would run `make local`
again after stopping it.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from dam_local.persistence import OBJECTS_FILE, STATE_DIR, TABLES_FILE
from dam_local.recovery import LOST_ORIGINAL
from dam_local.stack import LocalStackProcess
from tests.e2e.test_library_walk import Client, _upload
from tests.e2e.test_search_walk import _eventually

WORKSPACE = "studio"  # the demo's
START_SECONDS = 120  # a restart rebuilds search from the table before it says it is ready


def _start(data_dir: Path, *extra: str) -> LocalStackProcess:
    """A stack for `with`: entering starts it, leaving stops it (starting here too would leak a process)."""
    return LocalStackProcess(data_dir, extra_args=extra, timeout_seconds=START_SECONDS)


def _ready(client: Client, asset_id: str) -> bool:
    return bool(client.call("GET", f"/assets/{asset_id}", 200)["status"] == "ready")


def _all_ids(client: Client) -> list[str]:
    return [item["asset_id"] for item in client.call("GET", "/assets", 200, params={"limit": "100"})["items"]]


def _search_ids(client: Client, query: str) -> set[str]:
    page = client.call("GET", "/search", 200, params={"q": query, "mode": "keyword", "limit": "100"})
    return {item["asset_id"] for item in page["items"]}


def _library(client: Client) -> dict[str, Any]:
    """Everything a user would look at, to compare before and after a restart."""
    ids = _all_ids(client)
    details = {asset_id: client.call("GET", f"/assets/{asset_id}", 200) for asset_id in ids}
    downloads = {}
    for asset_id, detail in details.items():
        links = {"original": detail["original"]["url"]} | {
            name: rendition["url"] for name, rendition in detail["renditions"].items()
        }
        downloads[asset_id] = {name: requests.get(url, timeout=15).content for name, url in links.items()}
    collections = client.call("GET", "/collections", 200)["items"]
    return {
        "ids": ids,
        "assets": {
            asset_id: {
                key: detail[key]
                for key in ("name", "status", "notes", "tags", "folder_id", "brand_ids", "collection_ids", "version")
            }
            for asset_id, detail in details.items()
        },
        "files": downloads,
        "favorites": client.ids(favorites="true"),
        "folders": client.call("GET", "/folders", 200)["items"],
        "collections": collections,
        "members": {c["collection_id"]: client.ids(collection=c["collection_id"]) for c in collections},
        "brands": client.call("GET", "/brands", 200)["items"],
    }


def _settled(client: Client, asset_id: str, quiet_seconds: float = 3.0) -> None:
    """Edits start short runs (a re-embed of the new words) that write the asset again: wait until its version
    has held still for a few seconds, so what is read before the stop is what the stack had at the stop."""
    seen: list[tuple[float, int]] = []

    def still() -> bool:
        version = client.call("GET", f"/assets/{asset_id}", 200)["version"]
        if not seen or seen[-1][1] != version:
            seen.append((time.monotonic(), version))
        return time.monotonic() - seen[-1][0] >= quiet_seconds

    assert _eventually(still, timeout=90), f"asset {asset_id} kept changing: versions {[v for _, v in seen]}"


def _organise(admin: Client, asset_id: str) -> None:
    """A favorite, a folder, a collection, a brand and a note on one asset."""
    admin.call("PUT", f"/assets/{asset_id}/favorite", 204)
    folder = admin.call("POST", "/folders", 201, json={"name": "Spring campaign"})["folder_id"]
    admin.call("PATCH", f"/assets/{asset_id}", 200, json={"folder_id": folder, "notes": "hero for the launch"})
    collection = admin.call("POST", "/collections", 201, json={"name": "Hero shots"})["collection_id"]
    admin.call("PUT", f"/collections/{collection}/assets/{asset_id}", 204)
    brand = admin.call("POST", "/brands", 201, json={"name": "Aurora", "color": "#0f3d3e"})["brand_id"]
    admin.call("PUT", f"/assets/{asset_id}/brands/{brand}", 204)


def test_a_clean_stop_keeps_the_whole_library_and_the_demo_is_not_seeded_twice(tmp_path: Path) -> None:
    # Given a stack with its demo, and a user's own upload, favorite, folder, collection, brand and note
    with _start(tmp_path, "--demo") as first:
        log = first.wait_for_log("Ctrl-C stops it.")
        admin = Client(first.api_url, first.token("ana", WORKSPACE, "admin"))
        demo_ids = _all_ids(admin)
        assert len(demo_ids) == 9 and "not ready" not in log and "reached" not in log
        own = _upload(admin, "lighthouse")
        assert _eventually(lambda: _ready(admin, own), timeout=60)
        _organise(admin, own)
        _settled(admin, own)
        before = _library(admin)
        searched_before = _search_ids(admin, "lighthouse"), _search_ids(admin, "alley")
        # When it is stopped as a service manager stops it (SIGTERM)
        first.stop(signal.SIGTERM)

    # Then the next start (with --demo again) has all of it, seeds nothing twice, and search agrees
    with _start(tmp_path, "--demo") as second:
        log = second.wait_for_log("Ctrl-C stops it.")
        assert "kept from an earlier run" in log
        admin = Client(second.api_url, second.token("ana", WORKSPACE, "admin"))
        after = _library(admin)
        assert after == before
        assert len(after["ids"]) == 10
        assert (_search_ids(admin, "lighthouse"), _search_ids(admin, "alley")) == searched_before
        assert searched_before[0] == {own} and len(searched_before[1]) >= 2


def test_after_a_hard_kill_table_objects_and_search_agree(tmp_path: Path) -> None:
    # Given a stack with two finished uploads, organised a few seconds before it is killed
    with _start(tmp_path) as first:
        editor = Client(first.api_url, first.token("maya", WORKSPACE, "admin"))
        kept = [_upload(editor, "kept-one"), _upload(editor, "kept-two")]
        assert _eventually(lambda: all(_ready(editor, asset_id) for asset_id in kept), timeout=60)
        _organise(editor, kept[0])
        _settled(editor, kept[0])
        before = _library(editor)
        time.sleep(3)  # the snapshot runs about every second
        # When it is killed without a chance to save (SIGKILL)
        first.kill()

    # Then everything older than the last seconds is there, every file named by the table can be downloaded,
    # and search holds exactly the table's assets
    with _start(tmp_path) as second:
        editor = Client(second.api_url, second.token("maya", WORKSPACE, "admin"))
        assert _library(editor) == before
        assert _search_ids(editor, "kept") == set(kept)


def _edit_saved_state(data_dir: Path, edit: Callable[[dict[str, Any], dict[str, Any]], None]) -> None:
    root = data_dir / STATE_DIR
    tables, objects = json.loads((root / TABLES_FILE).read_text()), json.loads((root / OBJECTS_FILE).read_text())
    edit(tables, objects)
    (root / TABLES_FILE).write_text(json.dumps(tables))
    (root / OBJECTS_FILE).write_text(json.dumps(objects))


def test_assets_cut_short_by_the_stop_are_finished_or_failed_with_a_reason_and_reset_starts_empty(
    tmp_path: Path,
) -> None:
    # Given three uploads, saved by a clean stop
    with _start(tmp_path) as first:
        editor = Client(first.api_url, first.token("maya", WORKSPACE, "editor"))
        processing, uploaded, lost = (_upload(editor, name) for name in ("processing", "uploaded", "lost"))
        assert _eventually(lambda: all(_ready(editor, a) for a in (processing, uploaded, lost)), timeout=60)

    # ... as the stop would have left them mid-way: one `processing`, one `uploaded`, one `uploaded` whose
    # original never made it to disk
    def interrupt(tables: dict[str, Any], objects: dict[str, Any]) -> None:
        states = {processing: "processing", uploaded: "uploaded", lost: "uploaded"}
        for item in tables["dam-local-assets"]:
            if item["asset_id"]["S"] in states:
                item["status"] = {"S": states[item["asset_id"]["S"]]}
        for key in [key for key in objects if lost in key and key.endswith("/original")]:
            del objects[key]

    _edit_saved_state(tmp_path, interrupt)

    # When the stack starts again
    with _start(tmp_path) as second:
        editor = Client(second.api_url, second.token("maya", WORKSPACE, "editor"))
        # Then the first two are processed again to `ready` and the third is `failed`, saying why
        assert _eventually(lambda: _ready(editor, processing) and _ready(editor, uploaded), timeout=60)
        failed = editor.call("GET", f"/assets/{lost}", 200)
        assert failed["status"] == "failed" and failed["status_reason"] == LOST_ORIGINAL

    # And `--reset` starts empty on purpose, with the same signing key (tokens keep working)
    with _start(tmp_path, "--reset") as third:
        editor = Client(third.api_url, third.token("maya", WORKSPACE, "editor"))
        assert _all_ids(editor) == []
        assert _search_ids(editor, "processing") == set()
