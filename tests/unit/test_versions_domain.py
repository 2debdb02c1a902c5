"""The version rules, pure: keys, studio ids, pointers, review, delete rules, compare."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dam.domain.assets import Asset, AssetStatus, AssetType, GenerationMetadata
from dam.domain.errors import Conflict, Forbidden
from dam.domain.formats import MediaType
from dam.domain.identity import Caller, Role
from dam.domain.versions import (
    ReviewAction,
    ReviewStatus,
    Version,
    VersionKey,
    check_deletable,
    check_reviewer,
    first_version,
    generation_changes,
    library_reference,
    parse_version_key,
    pointers,
    renditions_prefix,
    reviewed,
    studio_id,
    version_original_key,
    view_of,
)

T = datetime(2026, 2, 3, 10, 30, tzinfo=UTC)
LEAD = Caller("user-lena", "ws", Role.SHOOT_LEAD)


def asset() -> Asset:
    return Asset(
        asset_id="a1",
        workspace_id="ws",
        asset_type=AssetType.IMAGE,
        media_type=MediaType.IMAGE,
        name="hero",
        filename="hero.png",
        content_type="image/png",
        size=10,
        status=AssetStatus.READY,
        creator_id="user-maya",
        created_at=T,
        updated_at=T,
        original_key="assets/ws/a1/original",
    )


def version(number: int, *reviews: ReviewAction) -> Version:
    made = first_version(asset(), sequence=7).model_copy(update={"number": number})
    for action in reviews:
        made = reviewed(made, LEAD, action, T, None)
    return made


def test_version_one_keeps_todays_key_and_later_versions_live_under_the_asset_prefix() -> None:
    assert version_original_key("ws", "a1", 1) == "assets/ws/a1/original"
    assert version_original_key("ws", "a1", 12) == "assets/ws/a1/v12/original"
    assert renditions_prefix("assets/ws/a1/original") == "assets/ws/a1/renditions/"
    assert renditions_prefix("assets/ws/a1/v12/original") == "assets/ws/a1/v12/renditions/"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("assets/ws/a1/original", VersionKey("ws", "a1", 1)),
        ("assets/ws/a1/v2/original", VersionKey("ws", "a1", 2)),
        ("assets/ws/a1/v1/original", None),  # version 1 has only today's key
        ("assets/ws/a1/v02/original", None),
        ("assets/ws/a1/vx/original", None),
        ("assets/ws/a1/renditions/original", None),
        ("assets/ws/a1/v2/x/original", None),
        ("assets//a1/original", None),
        ("other/ws/a1/original", None),
    ],
)
def test_a_key_names_its_version_or_nothing(key: str, expected: VersionKey | None) -> None:
    assert parse_version_key(key) == expected


def test_studio_ids_read_like_the_seed() -> None:
    reference = library_reference("ws")
    assert len(reference) == 4 and reference == library_reference("ws") != library_reference("other")
    assert studio_id(MediaType.IMAGE, T, "a3f8", 1, 1) == "IMG-20260203-a3f8-001_v001"
    assert studio_id(MediaType.VIDEO, T, "a3f8", 1234, 56) == "VID-20260203-a3f8-1234_v056"
    assert first_version(asset(), sequence=7).studio_id == f"IMG-20260203-{reference}-007_v001"


def test_latest_active_and_approved_are_three_pointers() -> None:
    found = pointers([version(1, ReviewAction.APPROVE), version(2), version(3)], active=2)
    assert (found.latest, found.active, found.approved) == (3, 2, 1)
    revoked = pointers([version(1, ReviewAction.APPROVE, ReviewAction.REVOKE), version(2)], active=1)
    assert revoked.approved is None


def test_review_status_comes_from_the_last_entry_and_repeats_record_nothing() -> None:
    approved = version(1, ReviewAction.APPROVE)
    assert approved.review_status is ReviewStatus.APPROVED
    assert reviewed(approved, LEAD, ReviewAction.APPROVE, T, "again") is approved
    revoked = reviewed(approved, LEAD, ReviewAction.REVOKE, T, "wrong logo")
    assert revoked.review_status is ReviewStatus.DRAFT
    assert [(r.action, r.by, r.role, r.note) for r in revoked.reviews] == [
        (ReviewAction.APPROVE, "user-lena", Role.SHOOT_LEAD, None),
        (ReviewAction.REVOKE, "user-lena", Role.SHOOT_LEAD, "wrong logo"),
    ]


def test_self_approval_is_refused_unless_allowed() -> None:
    own = Caller("user-maya", "ws", Role.ADMIN)
    with pytest.raises(Forbidden):
        check_reviewer(own, version(1), self_approval_allowed=False)
    check_reviewer(own, version(1), self_approval_allowed=True)
    check_reviewer(LEAD, version(1), self_approval_allowed=False)


def test_neither_the_active_nor_the_only_version_can_be_deleted() -> None:
    with pytest.raises(Conflict, match="active"):
        check_deletable(version(2), 2, [version(2), version(1)])
    with pytest.raises(Conflict, match="only"):
        check_deletable(version(2), 1, [version(2)])
    check_deletable(version(2), 1, [version(2), version(1)])


def test_a_view_shows_the_versions_file_on_the_asset() -> None:
    other = version(2).model_copy(update={"original_key": "assets/ws/a1/v2/original", "size": 99})
    view = view_of(asset(), other)
    assert (view.original_key, view.size, view.name) == ("assets/ws/a1/v2/original", 99, "hero")


def test_generation_changes_name_each_field_and_parameter_that_differs() -> None:
    a = GenerationMetadata(prompt="a fox", model="flux", parameters={"seed": 1, "steps": 30})
    b = GenerationMetadata(prompt="a red fox", model="flux", parameters={"seed": 2, "steps": 30, "cfg": 7})
    changes = [(c.field, c.a, c.b) for c in generation_changes(a, b)]
    assert changes == [("parameters.cfg", None, 7), ("parameters.seed", 1, 2), ("prompt", "a fox", "a red fox")]
    assert generation_changes(a, a) == []
    assert [c.field for c in generation_changes(None, a)] == ["model", "parameters.seed", "parameters.steps", "prompt"]
