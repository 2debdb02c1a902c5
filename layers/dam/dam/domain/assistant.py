"""The writing assistant's drafts: pure shapes, validated, never written anywhere by the assistant itself.

A client accepts a draft by creating the story, scene or shot from it; the assistant only proposes.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from dam.domain.errors import DomainError
from dam.domain.modeling import LazyModel

MAX_IDEA_CHARS = 4_000
MAX_TEXT_CHARS = 100_000  # a feature screenplay is ~180 KB; a story or a scene sent for breakdown is far less
MAX_DRAFTS = 100  # scenes in a story, shots in a scene

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
# A draft is accepted by creating the story, scene or shot from it: its title fits theirs (200).
TITLE_CHARS = 200
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_CHARS)]
Paragraph = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4_000)]


class AssistantUnavailable(DomainError):
    """No model is configured for an action only a model can do: nothing is invented instead."""

    code = "assistant_unavailable"


class AssistantReplyInvalid(DomainError):
    """The model's reply was not a valid draft, even after it was told what was wrong."""

    code = "assistant_reply_invalid"


class _Draft(LazyModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class BriefDraft(_Draft):
    title: Title
    summary: Paragraph
    visual_direction: Paragraph
    tone: Paragraph
    references: list[Line] = Field(default_factory=list, max_length=20)


class SceneDraft(_Draft):
    title: Title
    description: Paragraph
    mood_notes: Annotated[str, StringConstraints(strip_whitespace=True, max_length=4_000)] = ""
    heading: str | None = Field(default=None, max_length=300)  # the screenplay's slug line, when there was one


class ShotDraft(_Draft):
    title: Title
    description: Paragraph  # usable as a generation prompt as it stands
    camera_notes: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1_000)] = ""


def brief_text(draft: BriefDraft) -> str:
    """The brief as a document, to save as a project's concept (`kind: brief`)."""
    parts = [
        draft.summary,
        f"Visual direction\n{draft.visual_direction}",
        f"Tone\n{draft.tone}",
    ]
    if draft.references:
        parts.append("References\n" + "\n".join(f"- {r}" for r in draft.references))
    return "\n\n".join(parts) + "\n"


class SceneBreakdown(_Draft):
    scenes: list[SceneDraft] = Field(min_length=1, max_length=MAX_DRAFTS)


class ShotPlan(_Draft):
    shots: list[ShotDraft] = Field(min_length=1, max_length=MAX_DRAFTS)
