"""Request and response bodies of the project routes (seed 004's Project → Story → Scene → Shot)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import ConfigDict, Field, field_validator

from dam.domain.modeling import LazyModel
from dam.domain.projects import REFERENCE, Project, Scene, Shot, ShotStatus, ShotTransition, Stage, StageChange, Story
from dam.domain.values import text_problem

if TYPE_CHECKING:
    from dam.adapters.dynamodb.projects import ProjectTree

_POSITION = Field(default=None, ge=0, le=10_000, description="Place among its siblings, 0 first (past the end: last)")


def _text(value: str | None, *, multiline: bool) -> str | None:
    if value is not None and (problem := text_problem(value, multiline=multiline)):
        raise ValueError(problem)
    return value


class _Body(LazyModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("name", "title", check_fields=False)
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        cleaned = _text(value, multiline=False)
        if cleaned is not None and not cleaned.strip():
            raise ValueError("must not be blank")
        return cleaned.strip() if cleaned is not None else None

    @field_validator("description", "synopsis", "script", "mood_notes", "camera_notes", "note", check_fields=False)
    @classmethod
    def _many_lines(cls, value: str | None) -> str | None:
        return _text(value, multiline=True)


class ProjectIn(_Body):
    name: str = Field(min_length=1, max_length=200, examples=["Lighthouse heist"])
    description: str = Field(default="", max_length=10_000)
    reference: str = Field(
        pattern=REFERENCE.pattern, examples=["LH01"], description="4 letters or digits, unique in the workspace"
    )
    client_id: str | None = Field(default=None, min_length=1, max_length=64)


class ProjectPatch(_Body):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)
    stage: Stage | None = Field(default=None, description="Any stage, any time; `complete` makes it read-only")


class StageChangeOut(LazyModel):
    by: str
    at: datetime
    from_stage: Stage | None
    to_stage: Stage

    @classmethod
    def of(cls, change: StageChange) -> StageChangeOut:
        return cls(**change.model_dump())


class ProjectOut(LazyModel):
    project_id: str
    name: str
    description: str
    reference: str
    stage: Stage
    stage_history: list[StageChangeOut] = Field(description="Oldest first: who changed the stage, when, from, to")
    client_id: str | None
    read_only: bool = Field(description="A complete project changes only by moving its stage away from complete")
    created_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, project: Project) -> ProjectOut:
        return cls(
            **project.model_dump(exclude={"workspace_id", "version", "stage_history"}),
            stage_history=[StageChangeOut.of(c) for c in project.stage_history],
            read_only=project.stage is Stage.COMPLETE,
        )


class ProjectList(LazyModel):
    items: list[ProjectOut]


class StoryIn(_Body):
    title: str = Field(min_length=1, max_length=200)
    synopsis: str = Field(default="", max_length=10_000)
    script: str = Field(default="", max_length=200_000)
    position: int | None = _POSITION


class StoryPatch(_Body):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    synopsis: str | None = Field(default=None, max_length=10_000)
    script: str | None = Field(default=None, max_length=200_000)
    position: int | None = _POSITION


class SceneIn(_Body):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)
    mood_notes: str = Field(default="", max_length=10_000)
    position: int | None = _POSITION


class ScenePatch(_Body):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)
    mood_notes: str | None = Field(default=None, max_length=10_000)
    position: int | None = _POSITION


class ShotIn(_Body):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)
    camera_notes: str = Field(default="", max_length=10_000)
    position: int | None = _POSITION


class ShotPatch(_Body):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)
    camera_notes: str | None = Field(default=None, max_length=10_000)
    position: int | None = _POSITION


def fields_of(body: LazyModel) -> dict[str, Any]:
    """What a create or an edit sets, without its position (a move of its own); `null` leaves a field as is."""
    return {k: v for k, v in body.model_dump(exclude={"position"}).items() if v is not None}


class _NodeOut(LazyModel):
    project_id: str
    parent_id: str
    position: int
    title: str
    created_by: str
    created_at: datetime
    updated_at: datetime


class StoryOut(_NodeOut):
    story_id: str
    synopsis: str
    script: str

    @classmethod
    def of(cls, story: Story) -> StoryOut:
        return cls(story_id=story.node_id, **story.model_dump(exclude={"node_id", "workspace_id", "version", "kind"}))


class SceneOut(_NodeOut):
    scene_id: str
    description: str
    mood_notes: str

    @classmethod
    def of(cls, scene: Scene) -> SceneOut:
        return cls(scene_id=scene.node_id, **scene.model_dump(exclude={"node_id", "workspace_id", "version", "kind"}))


class ShotTransitionOut(LazyModel):
    action: str
    by: str
    at: datetime
    from_status: ShotStatus
    to_status: ShotStatus
    note: str | None

    @classmethod
    def of(cls, step: ShotTransition) -> ShotTransitionOut:
        return cls(**step.model_dump())


class ShotOut(_NodeOut):
    shot_id: str
    description: str
    camera_notes: str
    status: ShotStatus = Field(description="empty → wip (from its assets) → review → ready (approved, locked)")
    asset_count: int
    transitions: list[ShotTransitionOut] = Field(description="Oldest first: who moved it, when, with what note")

    @classmethod
    def of(cls, shot: Shot) -> ShotOut:
        return cls(
            shot_id=shot.node_id,
            transitions=[ShotTransitionOut.of(t) for t in shot.transitions],
            **shot.model_dump(exclude={"node_id", "workspace_id", "version", "kind", "transitions"}),
        )


class StoryList(LazyModel):
    items: list[StoryOut]


class SceneList(LazyModel):
    items: list[SceneOut]


class ShotList(LazyModel):
    items: list[ShotOut]


class ShotNote(_Body):
    note: str | None = Field(default=None, min_length=1, max_length=2000)


class SendBackNote(_Body):
    note: str = Field(min_length=1, max_length=2000, description="What to change before the next review")


class TreeShot(LazyModel):
    shot_id: str
    title: str
    position: int
    status: ShotStatus
    asset_count: int


class TreeScene(LazyModel):
    scene_id: str
    title: str
    position: int
    shots: list[TreeShot]


class TreeStory(LazyModel):
    story_id: str
    title: str
    position: int
    scenes: list[TreeScene]


class ProjectTreeOut(LazyModel):
    project: ProjectOut
    stories: list[TreeStory]
    shot_status_counts: dict[ShotStatus, int] = Field(description="How many shots are in each status")

    @classmethod
    def of(cls, tree: ProjectTree) -> ProjectTreeOut:
        from dam.domain.projects import ordered, status_counts

        children: dict[str, list[Any]] = {}
        for node in ordered(tree.nodes):
            children.setdefault(node.parent_id, []).append(node)

        def shots(scene_id: str) -> list[TreeShot]:
            return [
                TreeShot(
                    shot_id=s.node_id, title=s.title, position=s.position, status=s.status, asset_count=s.asset_count
                )
                for s in children.get(scene_id, [])
            ]

        def scenes(story_id: str) -> list[TreeScene]:
            return [
                TreeScene(scene_id=s.node_id, title=s.title, position=s.position, shots=shots(s.node_id))
                for s in children.get(story_id, [])
            ]

        stories = [
            TreeStory(story_id=s.node_id, title=s.title, position=s.position, scenes=scenes(s.node_id))
            for s in children.get(tree.project.project_id, [])
        ]
        all_shots = [n for n in tree.nodes if isinstance(n, Shot)]
        return cls(project=ProjectOut.of(tree.project), stories=stories, shot_status_counts=status_counts(all_shots))
