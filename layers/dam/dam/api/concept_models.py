"""Request and response bodies of the concept routes: a project's briefs, scripts and notes, and their versions."""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, Field, field_validator

from dam.domain.concepts import MAX_TEXT_BYTES, MAX_TITLE_CHARS, Concept, ConceptKind, ConceptVersion
from dam.domain.modeling import LazyModel
from dam.domain.values import text_problem

_TEXT = f"The document, at most {MAX_TEXT_BYTES} bytes of UTF-8 (line breaks and tabs allowed)"


def _title(value: str | None) -> str | None:
    if value is not None and (problem := text_problem(value)):
        raise ValueError(problem)
    return value.strip() if value is not None else None


def _text(value: str | None) -> str | None:
    if value and (problem := text_problem(value, multiline=True)):
        raise ValueError(problem)
    return value


class ConceptIn(LazyModel):
    model_config = ConfigDict(extra="forbid")

    kind: ConceptKind = Field(examples=["brief"], description="brief, script or note")
    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS, examples=["Lighthouse heist: the brief"])
    text: str = Field(default="", max_length=MAX_TEXT_BYTES, description=_TEXT)

    _check_title = field_validator("title")(_title)
    _check_text = field_validator("text")(_text)


class ConceptPatch(LazyModel):
    """What to change; each save keeps what it replaced as a version. Send `If-Match: <version>` to refuse
    overwriting a save made since you read it (409)."""

    model_config = ConfigDict(extra="forbid")

    kind: ConceptKind | None = None
    title: str | None = Field(default=None, min_length=1, max_length=MAX_TITLE_CHARS)
    text: str | None = Field(default=None, max_length=MAX_TEXT_BYTES, description=_TEXT)

    _check_title = field_validator("title")(_title)
    _check_text = field_validator("text")(_text)


class ConceptSummary(LazyModel):
    concept_id: str
    project_id: str
    kind: ConceptKind
    title: str
    size: int = Field(description="Bytes of its text (UTF-8)")
    version: int = Field(description="The current text's number; send as If-Match on PATCH (409 when stale)")
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime

    @classmethod
    def of(cls, concept: Concept) -> ConceptSummary:
        return cls(size=concept.size, **concept.model_dump(exclude={"workspace_id", "text"}))


class ConceptOut(ConceptSummary):
    text: str

    @classmethod
    def of(cls, concept: Concept) -> ConceptOut:
        return cls(size=concept.size, **concept.model_dump(exclude={"workspace_id"}))


class ConceptList(LazyModel):
    items: list[ConceptSummary]
    truncated: bool = Field(description="The project has more concepts than one read looks at (the first 100)")


class ConceptVersionSummary(LazyModel):
    number: int
    kind: ConceptKind
    title: str
    size: int
    saved_by: str
    saved_at: datetime
    is_current: bool

    @classmethod
    def of(cls, version: ConceptVersion, current: int) -> ConceptVersionSummary:
        return cls(is_current=version.number == current, **version.model_dump(exclude={"concept_id", "text"}))


class ConceptVersionOut(ConceptVersionSummary):
    concept_id: str
    text: str

    @classmethod
    def of(cls, version: ConceptVersion, current: int) -> ConceptVersionOut:
        return cls(is_current=version.number == current, **version.model_dump())


class ConceptVersionList(LazyModel):
    items: list[ConceptVersionSummary] = Field(description="Newest (the current text) first")
    truncated: bool = Field(description="Only the newest 200 are listed")
