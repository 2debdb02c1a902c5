"""`dam reindex`: rebuild the search index from the assets table, with a progress bar."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from dam_local.stack import DUMMY_CREDENTIALS, READY_FILE, SEARCH_FILE


def _use_local_stack(data_dir: Path) -> None:
    """Point this process at the running local stack, as its functions are."""
    ready = data_dir / READY_FILE
    if not ready.exists():
        raise SystemExit(f"dam reindex: no running local stack found in {data_dir} (start `dam local` first)")
    info = json.loads(ready.read_text())
    os.environ.update(DUMMY_CREDENTIALS)
    os.environ.update(info["environment"])
    os.environ.update(
        {
            "AWS_REGION": info["region"],
            "DAM_ENDPOINT_URL": info["moto_url"],
            "DAM_SEARCH_ENGINE": "embedded",
            "DAM_SEARCH_PATH": str((data_dir / SEARCH_FILE).resolve()),
        }
    )


def progress_bar(total: int, started: float, noun: str = "assets") -> Callable[[int], None]:
    """`done` counts assets (or items) read; the table's item count is only an estimate, so the bar grows to fit."""

    def show(done: int) -> None:
        nonlocal total
        total = max(total, done) if total else 0
        width = 30
        filled = width if not total else min(width, int(width * done / total))
        rate = done / max(time.monotonic() - started, 1e-6)
        of = f"/{total}" if total else ""
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}{of} {noun}  {rate:,.0f}/s")
        sys.stderr.flush()

    return show


def reindex(data_dir: Path, *, use_aws: bool = False, clear: bool = False) -> int:
    if not use_aws:
        _use_local_stack(data_dir)
    from dam.adapters.dynamodb.assets import AssetRepository
    from dam.adapters.dynamodb.models import bind_tables
    from dam.search_wiring import build_search_index
    from dam.services.indexing import rebuild_index
    from dam.settings import IndexerSettings, StorageSettings

    storage = StorageSettings.from_environment()
    bind_tables({"Assets": storage.assets_table}, region=storage.region, endpoint_url=storage.endpoint_url)
    repository = AssetRepository()
    index = build_search_index(IndexerSettings.from_environment())
    if clear:
        index.clear()
    started = time.monotonic()
    done = rebuild_index(
        index,
        repository.scan_all(),
        progress=progress_bar(repository.count_estimate(), started),
    )
    sys.stderr.write("\n")
    print(f"indexed {done} assets in {time.monotonic() - started:.1f} s")
    return 0
