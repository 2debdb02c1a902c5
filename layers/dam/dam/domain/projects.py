"""Projects (seed 004): Project → Story → Scene → Shot → Asset, the project's stage and each shot's status. Pure.

A shot's status: `empty` (no assets) and `wip` follow from its assets; `review` and `ready` from people:
someone submits it, a lead approves it (every attached asset needs an approved version) or sends it back.
A `ready` shot is locked: its assets, their versions and the shot itself change only once a lead reopens it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import Field

from dam.domain.errors import Conflict, InvalidInput
from dam.domain.modeling import LazyModel

REFERENCE = re.compile(r"^[A-Za-z0-9]{4}$")


class Stage(StrEnum):
    DEVELOPMENT = "development"
    PRE_PRODUCTION = "pre_production"
    PRODUCTION = "production"
    POST_PRODUCTION = "post_production"
    COMPLETE = "complete"


class ShotStatus(StrEnum):
    EMPTY = "empty"
    WIP = "wip"
    REVIEW = "review"
    READY = "ready"


class ShotAction(StrEnum):
    """What moves a shot: the first asset in (or the last out), and the review steps people take."""

    ASSET_ADDED = "asset_added"
    ASSETS_REMOVED = "assets_removed"
    SUBMIT = "submit"
    APPROVE = "approve"
    SEND_BACK = "send_back"
    REOPEN = "reopen"


NodeKind = Literal["story", "scene", "shot"]
CHILD_KIND: dict[str, NodeKind | None] = {"project": "story", "story": "scene", "scene": "shot", "shot": None}


class StageChange(LazyModel):
    by: str
    at: datetime
    from_stage: Stage | None = Field(description="None for the stage a project was created in")
    to_stage: Stage


class ShotTransition(LazyModel):
    action: ShotAction
    by: str
    at: datetime
    from_status: ShotStatus
    to_status: ShotStatus
    note: str | None = None


class Project(LazyModel):
    project_id: str
    workspace_id: str
    name: str
    description: str = ""
    reference: str = Field(description="4 letters or digits, unique in the workspace (upper case)")
    stage: Stage = Stage.DEVELOPMENT
    stage_history: list[StageChange] = Field(default_factory=list)
    client_id: str | None = None
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int = 0  # bumped by every write; 0: not written yet


class Node(LazyModel):
    """A story, scene or shot: its place under its parent and what every kind has."""

    node_id: str
    project_id: str
    workspace_id: str
    parent_id: str  # the project (stories), the story (scenes), the scene (shots)
    position: int = 0
    title: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int = 0


class Story(Node):
    kind: Literal["story"] = "story"
    synopsis: str = ""
    script: str = ""


class Scene(Node):
    kind: Literal["scene"] = "scene"
    description: str = ""
    mood_notes: str = ""


class Shot(Node):
    kind: Literal["shot"] = "shot"
    description: str = ""
    camera_notes: str = ""
    status: ShotStatus = ShotStatus.EMPTY
    asset_count: int = 0
    transitions: list[ShotTransition] = Field(default_factory=list)


AnyNode = Story | Scene | Shot


def new_project_id() -> str:
    return secrets.token_hex(8)


def normalized_reference(reference: str) -> str:
    if not REFERENCE.match(reference):
        raise InvalidInput("the reference is 4 letters or digits", field="reference")
    return reference.upper()


# --- the project's stage ---------------------------------------------------------------------------


def check_editable(project: Project) -> None:
    """A complete project is archived: read-only until its stage moves away from complete."""
    if project.stage is Stage.COMPLETE:
        raise Conflict(f"project {project.reference} is complete (read-only); change its stage to reopen it")


def staged(project: Project, stage: Stage, by: str, at: datetime) -> Project:
    """Any stage, any time (seed 004: "advance the stage at any time"); each change is recorded."""
    if stage is project.stage:
        return project
    change = StageChange(by=by, at=at, from_stage=project.stage, to_stage=stage)
    return project.model_copy(update={"stage": stage, "stage_history": [*project.stage_history, change]})


# --- positions -------------------------------------------------------------------------------------


def ordered(nodes: Sequence[AnyNode]) -> list[AnyNode]:
    return sorted(nodes, key=lambda n: (n.position, n.created_at, n.node_id))


def repositioned(siblings: Sequence[AnyNode], node_id: str, position: int) -> list[AnyNode]:
    """The siblings renumbered 0, 1, 2… with `node_id` moved to `position` (clamped to the end): only the
    ones whose position changed are returned, so a move writes what it must."""
    rest = [n for n in ordered(siblings) if n.node_id != node_id]
    moving = next((n for n in siblings if n.node_id == node_id), None)
    if moving is None:
        raise InvalidInput(f"{node_id} is not among these siblings")
    placed = [*rest[: max(position, 0)], moving, *rest[max(position, 0) :]]
    return [n.model_copy(update={"position": i}) for i, n in enumerate(placed) if n.position != i]


def next_position(siblings: Sequence[AnyNode]) -> int:
    return max((n.position for n in siblings), default=-1) + 1


# --- shot status -----------------------------------------------------------------------------------

_MOVES: dict[ShotAction, tuple[frozenset[ShotStatus], ShotStatus]] = {
    ShotAction.SUBMIT: (frozenset({ShotStatus.WIP}), ShotStatus.REVIEW),
    ShotAction.APPROVE: (frozenset({ShotStatus.REVIEW}), ShotStatus.READY),
    ShotAction.SEND_BACK: (frozenset({ShotStatus.REVIEW}), ShotStatus.WIP),
    ShotAction.REOPEN: (frozenset({ShotStatus.READY}), ShotStatus.WIP),
}
_WHY_NOT = {
    ShotStatus.EMPTY: "it has no assets yet",
    ShotStatus.WIP: "it is still in progress (submit it for review first)",
    ShotStatus.REVIEW: "it is waiting for review",
    ShotStatus.READY: "it is approved and locked (a lead reopens it)",
}


def check_unlocked(shot: Shot) -> None:
    if shot.status is ShotStatus.READY:
        raise Conflict(f"shot {shot.title!r} is ready (approved and locked); a lead reopens it first")


def moved(shot: Shot, action: ShotAction, by: str, at: datetime, note: str | None = None) -> Shot:
    """The shot after a review step, with the step recorded; Conflict (with the reason) when not allowed."""
    allowed_from, to = _MOVES[action]
    if shot.status not in allowed_from:
        verb = action.value.replace("_", " ")
        raise Conflict(f"shot {shot.title!r} cannot be {_PAST[action]} ({verb}): {_WHY_NOT[shot.status]}")
    return _recorded(shot, action, to, by, at, note)


_PAST = {
    ShotAction.SUBMIT: "submitted",
    ShotAction.APPROVE: "approved",
    ShotAction.SEND_BACK: "sent back",
    ShotAction.REOPEN: "reopened",
}


def with_asset_count(shot: Shot, count: int, by: str, at: datetime) -> Shot:
    """The shot holding `count` assets: the first makes an empty shot wip, none left makes it empty again
    (a shot in review with nothing left to review is empty too). A ready shot never gets here (locked)."""
    check_unlocked(shot)
    changed = shot.model_copy(update={"asset_count": count})
    if count and shot.status is ShotStatus.EMPTY:
        return _recorded(changed, ShotAction.ASSET_ADDED, ShotStatus.WIP, by, at, None)
    if not count and shot.status is not ShotStatus.EMPTY:
        return _recorded(changed, ShotAction.ASSETS_REMOVED, ShotStatus.EMPTY, by, at, None)
    return changed


def _recorded(shot: Shot, action: ShotAction, to: ShotStatus, by: str, at: datetime, note: str | None) -> Shot:
    step = ShotTransition(action=action, by=by, at=at, from_status=shot.status, to_status=to, note=note)
    return shot.model_copy(update={"status": to, "transitions": [*shot.transitions, step]})


def check_approvable(shot: Shot, approved_by_asset: dict[str, int | None]) -> None:
    """Approving needs an approved version of every attached asset; the refusal names those without one."""
    missing = sorted(asset_id for asset_id, approved in approved_by_asset.items() if approved is None)
    if missing:
        raise Conflict(f"shot {shot.title!r} has assets without an approved version: {', '.join(missing)}")


def status_counts(shots: Sequence[Shot]) -> dict[ShotStatus, int]:
    counts = dict.fromkeys(ShotStatus, 0)
    for shot in shots:
        counts[shot.status] += 1
    return counts


def descendants(node_id: str, nodes: Sequence[AnyNode]) -> list[AnyNode]:
    """Everything under `node_id` (a project, story or scene), parents before children."""
    children: dict[str, list[AnyNode]] = {}
    for node in nodes:
        children.setdefault(node.parent_id, []).append(node)
    found: list[AnyNode] = []
    frontier = [node_id]
    while frontier:
        below = [child for parent in frontier for child in children.get(parent, [])]
        found += below
        frontier = [child.node_id for child in below]
    return found


def describe_removal(what: str, below: Sequence[AnyNode], attached: int) -> str:
    """The 409 of a delete that would take children along: what would go, and how to confirm."""
    counts = {kind: sum(1 for n in below if n.kind == kind) for kind in ("story", "scene", "shot")}
    parts = [f"{count} {kind}{'s' if count != 1 else ''}" for kind, count in counts.items() if count]
    titles = ", ".join(f"{n.kind} {n.title!r}" for n in below[:20]) + ("…" if len(below) > 20 else "")
    detached = f"; {attached} attached asset(s) stay in the project, unattached" if attached else ""
    return f"{what} has {' and '.join(parts)} ({titles}){detached}. Delete with ?force=true to remove them too"
