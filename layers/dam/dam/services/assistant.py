"""Drafts from the writing assistant: who may ask, and what reaches the model. Nothing is written here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from dam.domain.assistant import AssistantUnavailable, BriefDraft, SceneDraft, ShotDraft
from dam.domain.errors import Forbidden, Throttled

if TYPE_CHECKING:
    from dam.domain.identity import Caller
    from dam.services.assistant_ports import WritingAssistant


class AssistantBusy(AssistantUnavailable):
    code = "assistant_busy"


class AssistantService:
    def __init__(self, assistant: WritingAssistant) -> None:
        self._assistant = assistant

    def brief(self, caller: Caller, idea: str) -> BriefDraft:
        _staff_only(caller)
        with _busy_when_throttled():
            return self._assistant.brief(idea)

    def scenes(self, caller: Caller, story: str) -> list[SceneDraft]:
        _staff_only(caller)
        with _busy_when_throttled():
            return self._assistant.scenes(story)

    def shots(self, caller: Caller, scene: str) -> list[ShotDraft]:
        _staff_only(caller)
        with _busy_when_throttled():
            return self._assistant.shots(scene)


def _staff_only(caller: Caller) -> None:
    # The assistant spends the studio's model budget on the studio's own development work.
    if caller.is_external:
        raise Forbidden("the writing assistant is for the studio's own staff; external users can't use it")


@contextmanager
def _busy_when_throttled() -> Iterator[None]:
    try:
        yield
    except Throttled as error:
        raise AssistantBusy("the model is busy right now; try again in a minute") from error
