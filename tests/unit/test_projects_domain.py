"""Project rules without storage: stages, positions, shot transitions, what a delete would take."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dam.domain.errors import Conflict, InvalidInput
from dam.domain.projects import (
    Project,
    Scene,
    Shot,
    ShotAction,
    ShotStatus,
    Stage,
    Story,
    check_approvable,
    check_editable,
    descendants,
    describe_removal,
    moved,
    normalized_reference,
    ordered,
    repositioned,
    staged,
    with_asset_count,
)

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
BASE = {"workspace_id": "ws", "project_id": "p", "created_by": "u", "created_at": NOW, "updated_at": NOW}


def _shot(status: ShotStatus = ShotStatus.EMPTY, count: int = 0, node_id: str = "sh") -> Shot:
    return Shot(node_id=node_id, parent_id="sc", title="Wide", status=status, asset_count=count, **BASE)


def _project(stage: Stage = Stage.DEVELOPMENT) -> Project:
    fields = {k: v for k, v in BASE.items() if k != "project_id"}
    return Project(project_id="p", name="Heist", reference="LH01", stage=stage, **fields)


def test_the_stage_moves_anywhere_and_each_change_is_recorded() -> None:
    project = staged(_project(), Stage.COMPLETE, "u", NOW)
    project = staged(project, Stage.PRE_PRODUCTION, "v", NOW)
    assert [(c.from_stage, c.to_stage, c.by) for c in project.stage_history] == [
        (Stage.DEVELOPMENT, Stage.COMPLETE, "u"),
        (Stage.COMPLETE, Stage.PRE_PRODUCTION, "v"),
    ]
    assert staged(project, Stage.PRE_PRODUCTION, "w", NOW) is project  # no change, no entry


def test_a_complete_project_is_read_only() -> None:
    with pytest.raises(Conflict, match="complete"):
        check_editable(_project(Stage.COMPLETE))
    check_editable(_project(Stage.POST_PRODUCTION))


def test_a_reference_is_four_letters_or_digits_in_upper_case() -> None:
    assert normalized_reference("lh01") == "LH01"
    for bad in ("LH0", "LH011", "LH-1"):
        with pytest.raises(InvalidInput):
            normalized_reference(bad)


def test_a_move_renumbers_siblings_and_writes_only_what_changed() -> None:
    stories = [Story(node_id=i, parent_id="p", title=i, position=n, **BASE) for n, i in enumerate("abcd")]
    changed = repositioned(stories, "d", 1)
    assert [(s.node_id, s.position) for s in changed] == [("d", 1), ("b", 2), ("c", 3)]
    assert [(s.node_id, s.position) for s in repositioned(stories, "a", 99)][-1] == ("a", 3)  # past the end: last
    assert [s.node_id for s in ordered(stories[::-1])] == ["a", "b", "c", "d"]


def test_assets_decide_empty_and_wip() -> None:
    wip = with_asset_count(_shot(), 1, "u", NOW)
    assert wip.status is ShotStatus.WIP and wip.transitions[-1].action is ShotAction.ASSET_ADDED
    assert with_asset_count(wip, 2, "u", NOW).status is ShotStatus.WIP
    emptied = with_asset_count(_shot(ShotStatus.REVIEW, 1), 0, "u", NOW)
    assert emptied.status is ShotStatus.EMPTY


@pytest.mark.parametrize(
    ("status", "action", "to"),
    [
        (ShotStatus.WIP, ShotAction.SUBMIT, ShotStatus.REVIEW),
        (ShotStatus.REVIEW, ShotAction.APPROVE, ShotStatus.READY),
        (ShotStatus.REVIEW, ShotAction.SEND_BACK, ShotStatus.WIP),
        (ShotStatus.READY, ShotAction.REOPEN, ShotStatus.WIP),
    ],
)
def test_allowed_transitions_are_recorded(status: ShotStatus, action: ShotAction, to: ShotStatus) -> None:
    shot = moved(_shot(status, 1), action, "lead", NOW, "note")
    assert shot.status is to
    step = shot.transitions[-1]
    assert (step.from_status, step.to_status, step.by, step.note) == (status, to, "lead", "note")


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (ShotStatus.EMPTY, ShotAction.SUBMIT),
        (ShotStatus.WIP, ShotAction.APPROVE),
        (ShotStatus.READY, ShotAction.SUBMIT),
        (ShotStatus.WIP, ShotAction.REOPEN),
        (ShotStatus.EMPTY, ShotAction.SEND_BACK),
    ],
)
def test_other_transitions_are_refused_with_a_reason(status: ShotStatus, action: ShotAction) -> None:
    with pytest.raises(Conflict, match="cannot be"):
        moved(_shot(status), action, "u", NOW)


def test_a_ready_shot_takes_no_assets() -> None:
    with pytest.raises(Conflict, match="locked"):
        with_asset_count(_shot(ShotStatus.READY, 1), 2, "u", NOW)


def test_approving_names_the_assets_without_an_approved_version() -> None:
    with pytest.raises(Conflict, match="a-2, a-3"):
        check_approvable(_shot(ShotStatus.REVIEW), {"a-1": 1, "a-3": None, "a-2": None})
    check_approvable(_shot(ShotStatus.REVIEW), {"a-1": 2})


def test_a_delete_lists_everything_underneath() -> None:
    scene = Scene(node_id="sc", parent_id="st", title="Lamp room", **BASE)
    nodes = [scene, _shot(node_id="s1"), _shot(node_id="s2"), Story(node_id="st", parent_id="p", title="A", **BASE)]
    below = descendants("st", nodes)
    assert [n.node_id for n in below] == ["sc", "s1", "s2"]
    message = describe_removal("story 'A'", below, 3)
    assert "1 scene and 2 shots" in message and "Lamp room" in message and "force=true" in message
