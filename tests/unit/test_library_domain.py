"""The library's pure rules: which assets a list keeps, cursors, automatic collection ids, folder scoping."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from dam.domain.assets import Asset, AssetStatus, AssetType, GenerationMetadata
from dam.domain.errors import InvalidInput
from dam.domain.formats import MediaType
from dam.domain.identity import Caller
from dam.domain.library import (
    UNASSIGNED,
    Folder,
    UsageKind,
    folder_visible_to,
    is_run_collection_id,
    run_collection_id,
    run_collection_name,
    usage_id,
)
from dam.domain.queries import AssetQuery, decode_position, encode_position

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


def _asset(**changes: Any) -> Asset:
    fields: dict[str, Any] = dict(
        asset_id="a1",
        workspace_id="ws",
        asset_type=AssetType.GENERATED_CONTENT,
        media_type=MediaType.IMAGE,
        name="n",
        filename="n.png",
        content_type="image/png",
        size=1,
        status=AssetStatus.READY,
        creator_id="maya",
        created_at=NOW,
        updated_at=NOW,
        folder_id="f1",
        tags=["winter"],
        brand_ids=["b1"],
        collection_ids=["c1"],
        generation=GenerationMetadata(model="imagen-4", prompt="A Red Fox", generation_run_id="run-1"),
        original_key="k",
    )
    return Asset(**(fields | changes))


@pytest.mark.parametrize(
    ("query", "kept"),
    [
        (AssetQuery(), True),
        (AssetQuery(archived=True), False),
        (AssetQuery(folder_id="f1"), True),
        (AssetQuery(folder_id="f2"), False),
        (AssetQuery(folder_id=UNASSIGNED), False),
        (AssetQuery(tag="winter"), True),
        (AssetQuery(tag="Winter"), False),
        (AssetQuery(prompt="red fox"), True),
        (AssetQuery(prompt="blue"), False),
        (AssetQuery(brand_id="b1", collection_id="c1", generation_run_id="run-1"), True),
        (AssetQuery(brand_id="b2"), False),
        (AssetQuery(exclude_generated=True), False),
        (AssetQuery(model="imagen-4", creator_id="maya", asset_type=AssetType.GENERATED_CONTENT), True),
        (AssetQuery(created_from=NOW, created_to=NOW), True),
        (AssetQuery(created_to=datetime(2026, 11, 22, tzinfo=UTC)), False),
        (AssetQuery(visible_clients=("acme",)), True),  # shared assets are everyone's
    ],
)
def test_a_query_keeps_exactly_the_assets_it_asks_for(query: AssetQuery, kept: bool) -> None:
    assert query.matches(_asset()) is kept


def test_client_scoping_deleting_and_unassigned_assets() -> None:
    assert not AssetQuery(visible_clients=("zen",)).matches(_asset(client_id="acme"))
    assert AssetQuery(visible_clients=("acme",)).matches(_asset(client_id="acme"))
    assert not AssetQuery().matches(_asset(status=AssetStatus.DELETING))
    assert AssetQuery(folder_id=UNASSIGNED).matches(_asset(folder_id=None))


def test_a_position_cursor_round_trips_and_refuses_tampering() -> None:
    key = "2026-11-22T12:00:00.000000Z#a1"
    assert decode_position(encode_position(key)) == key
    for bad in ("", "x", encode_position("no-hash")[:-2] + "zz"):
        with pytest.raises(InvalidInput) as raised:
            decode_position(bad)
        assert raised.value.field == "query.cursor"


def test_a_generation_run_has_one_stable_collection_id_and_a_readable_name() -> None:
    assert run_collection_id("run-1") == run_collection_id("run-1") != run_collection_id("run-2")
    assert is_run_collection_id(run_collection_id("run-1")) and not is_run_collection_id("0123abcd")
    assert len(run_collection_id("r" * 200)) <= 64
    assert run_collection_name("run-1", "  a   fox ") == "a fox"
    assert run_collection_name("run-1", None) == "Generation run run-1"
    assert len(run_collection_name("run-1", "x" * 500)) == 80
    assert usage_id(UsageKind.PROJECT, "p") != usage_id(UsageKind.WORKFLOW, "p")


def test_client_folders_are_hidden_from_other_clients_only() -> None:
    folder = Folder(
        folder_id="f", workspace_id="ws", name="Acme", client_id="acme", created_by="u", created_at=NOW, updated_at=NOW
    )
    assert folder_visible_to(Caller("staff", "ws"), folder)
    assert folder_visible_to(Caller("ext", "ws", client_ids=("acme",)), folder)
    assert not folder_visible_to(Caller("ext", "ws", client_ids=("zen",)), folder)
    assert not folder_visible_to(Caller("staff", "other"), folder)
