"""Request and response bodies of the writing assistant's routes."""

from __future__ import annotations

from pydantic import ConfigDict, Field, field_validator

from dam.domain.assistant import MAX_IDEA_CHARS, MAX_TEXT_CHARS, BriefDraft, SceneDraft, ShotDraft
from dam.domain.modeling import LazyModel
from dam.domain.values import text_problem


def _writing(value: str) -> str:
    if problem := text_problem(value, multiline=True):
        raise ValueError(problem)
    return value


class BriefRequest(LazyModel):
    model_config = ConfigDict(extra="forbid")

    idea: str = Field(max_length=MAX_IDEA_CHARS, description="A rough idea, in a sentence or a few paragraphs")

    _check = field_validator("idea")(_writing)


class ScenesRequest(LazyModel):
    model_config = ConfigDict(extra="forbid")

    story: str = Field(
        max_length=MAX_TEXT_CHARS,
        description="A story or a screenplay (Fountain-style scene headings: INT. / EXT. lines, or '.' forced)",
    )

    _check = field_validator("story")(_writing)


class ShotsRequest(LazyModel):
    model_config = ConfigDict(extra="forbid")

    scene: str = Field(max_length=MAX_TEXT_CHARS, description="One scene's text: its heading, action and dialogue")

    _check = field_validator("scene")(_writing)


class BriefOut(LazyModel):
    """A draft: nothing is saved until you save it (as a concept: `POST /projects/{id}/concepts` with
    `kind: brief`, the draft's title and `text`)."""

    draft: BriefDraft
    text: str = Field(description="The brief as a document, ready to save as the project's concept")


class ScenesOut(LazyModel):
    """Drafts, in order: accept them by creating scenes (`POST /stories/{id}/scenes` with each draft's title,
    description and mood_notes; `heading` is the screenplay's, not the scene's)."""

    scenes: list[SceneDraft]


class ShotsOut(LazyModel):
    """Drafts, in order: accept them by creating shots (`POST /scenes/{id}/shots` with each draft as it is)."""

    shots: list[ShotDraft]
