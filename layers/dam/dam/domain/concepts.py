"""Concepts (seed 004): the briefs, scripts and notes saved alongside a project. Pure.

A concept is a text document of a project. Every save keeps what it replaced as a numbered version, so the
record of the creative decisions is never overwritten: the concept's `version` is the number of its current
text, and its earlier versions are 1 … version - 1. A save names the version it was made from (If-Match)
or overwrites whatever is current; a save from a stale read is refused.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from dam.domain.errors import Conflict, InvalidInput
from dam.domain.modeling import LazyModel

MAX_TEXT_BYTES = 200_000  # UTF-8: a feature screenplay is ~180 KB; a DynamoDB item holds 400 KB
MAX_TITLE_CHARS = 200
MAX_QUERY_WORDS = 10


class ConceptKind(StrEnum):
    BRIEF = "brief"
    SCRIPT = "script"
    NOTE = "note"


class Concept(LazyModel):
    concept_id: str
    project_id: str
    workspace_id: str
    kind: ConceptKind
    title: str
    text: str
    version: int = 1  # the number of the current text
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime

    @property
    def size(self) -> int:
        return text_size(self.text)


class ConceptVersion(LazyModel):
    """What a concept held at one save: its kind, title and text, who saved it and when."""

    concept_id: str
    number: int
    kind: ConceptKind
    title: str
    text: str
    size: int  # bytes of its text (UTF-8): listings carry it without the text
    saved_by: str
    saved_at: datetime


@dataclass(frozen=True)
class ConceptChanges:
    kind: ConceptKind | None = None
    title: str | None = None
    text: str | None = None

    @property
    def empty(self) -> bool:
        return self.kind is None and self.title is None and self.text is None


def new_concept_id() -> str:
    return secrets.token_hex(8)


def text_size(text: str) -> int:
    return len(text.encode("utf-8"))


def check_size(text: str) -> None:
    if (size := text_size(text)) > MAX_TEXT_BYTES:
        raise InvalidInput(f"the text is {size} bytes (UTF-8); a concept holds at most {MAX_TEXT_BYTES}", field="text")


def new_concept(
    *,
    concept_id: str,
    project_id: str,
    workspace_id: str,
    kind: ConceptKind,
    title: str,
    text: str,
    by: str,
    at: datetime,
) -> Concept:
    check_size(text)
    return Concept(
        concept_id=concept_id,
        project_id=project_id,
        workspace_id=workspace_id,
        kind=kind,
        title=title,
        text=text,
        created_by=by,
        created_at=at,
        updated_by=by,
        updated_at=at,
    )


def snapshot(concept: Concept) -> ConceptVersion:
    """The concept's current state as a version of its own (what a save keeps)."""
    return ConceptVersion(
        concept_id=concept.concept_id,
        number=concept.version,
        kind=concept.kind,
        title=concept.title,
        text=concept.text,
        size=concept.size,
        saved_by=concept.updated_by,
        saved_at=concept.updated_at,
    )


def revised(
    concept: Concept, changes: ConceptChanges, by: str, at: datetime, expected: int | None
) -> tuple[Concept, ConceptVersion] | None:
    """The concept after a save, and the version it keeps of what was there; None when nothing changes (no new
    version for a save that saves nothing). A save from a stale read (`expected` not current) is a Conflict."""
    if expected is not None and expected != concept.version:
        raise Conflict(f"concept {concept.title!r} is at version {concept.version}, not {expected}; read it again")
    if changes.text is not None:
        check_size(changes.text)
    updates = {
        name: value
        for name, value in (("kind", changes.kind), ("title", changes.title), ("text", changes.text))
        if value is not None and value != getattr(concept, name)
    }
    if not updates:
        return None
    kept = snapshot(concept)
    return concept.model_copy(
        update={**updates, "version": concept.version + 1, "updated_by": by, "updated_at": at}
    ), kept


def query_words(q: str) -> list[str]:
    """The words of a search, case-folded, duplicates dropped; at most MAX_QUERY_WORDS of them."""
    words = list(dict.fromkeys(w.casefold() for w in q.split()))
    if not words:
        raise InvalidInput("say what to look for", field="query.q")
    if len(words) > MAX_QUERY_WORDS:
        raise InvalidInput(f"at most {MAX_QUERY_WORDS} words", field="query.q")
    return words


def matches(concept: Concept, words: Iterable[str]) -> bool:
    """Whether every word occurs in the title or the text, whatever the case (a substring: "light" finds
    "Lighthouse")."""
    haystack = f"{concept.title}\n{concept.text}".casefold()
    return all(word in haystack for word in words)
