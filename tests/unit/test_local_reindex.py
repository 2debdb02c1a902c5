"""`dam reindex`'s progress bar: it reaches the total it prints, whatever the table holds."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dam.domain.assets import AssetStatus
from dam.search.embedded import EmbeddedIndex
from dam.services.indexing import rebuild_index
from dam_local.reindex import progress_bar
from tests.unit.search.test_model import asset


def test_the_bar_ends_full_when_some_assets_are_not_searchable(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    # Given a table of 4 assets, one still waiting for its upload (not searchable)
    assets = [asset(asset_id=f"{n:032x}", status=AssetStatus.READY) for n in range(3)]
    assets.append(asset(asset_id="f" * 32, status=AssetStatus.PENDING_UPLOAD))
    index = EmbeddedIndex(tmp_path / "search.sqlite")
    # When reindex runs with a bar sized by the table's item count
    indexed = rebuild_index(index, assets, progress=progress_bar(len(assets), time.monotonic()))
    index.close()
    # Then 3 are indexed and the bar's last state is full at 4/4
    assert indexed == 3
    last = capsys.readouterr().err.split("\r")[-1]
    assert last.startswith("[" + "#" * 30 + "] 4/4 assets"), last


def test_the_bar_grows_when_the_item_count_estimate_is_short(capsys: pytest.CaptureFixture[str]):
    show = progress_bar(2, time.monotonic())
    show(5)
    assert capsys.readouterr().err.split("\r")[-1].startswith("[" + "#" * 30 + "] 5/5 assets")
