"""The writing assistant's port. Adapters: dam.adapters.bedrock_assistant (a model on Bedrock) and
dam.adapters.screenplay (offline: the structure a screenplay states, nothing invented)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from dam.domain.assistant import BriefDraft, SceneDraft, ShotDraft


@runtime_checkable
class WritingAssistant(Protocol):
    """Each method raises `AssistantUnavailable` when this adapter cannot do it honestly, `AssistantReplyInvalid`
    when a model answered but not with a valid draft, and `Throttled` when the model asks to slow down."""

    def brief(self, idea: str) -> BriefDraft:
        """A rough idea refined into a brief: visual direction, tone, references."""
        ...

    def scenes(self, story: str) -> list[SceneDraft]:
        """A story (a synopsis or a script) broken into scenes, in order."""
        ...

    def shots(self, scene: str) -> list[ShotDraft]:
        """A scene planned as shots whose descriptions work as generation prompts."""
        ...
