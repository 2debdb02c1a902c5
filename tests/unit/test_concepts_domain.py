"""The concept rules: every save keeps what it replaced, a stale save is refused, the text is bounded in
UTF-8 bytes, search needs every word (any case), and a complete project is read-only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dam.domain.concepts import (
    MAX_TEXT_BYTES,
    Concept,
    ConceptChanges,
    ConceptKind,
    matches,
    new_concept,
    query_words,
    revised,
)
from dam.domain.errors import Conflict, InvalidInput
from dam.domain.projects import Project, Stage, check_editable, staged

T0 = datetime(2026, 2, 3, 9, 0, tzinfo=UTC)


def _concept(text: str = "A heist in a lighthouse.", title: str = "The brief") -> Concept:
    return new_concept(
        concept_id="c1",
        project_id="p1",
        workspace_id="ws",
        kind=ConceptKind.BRIEF,
        title=title,
        text=text,
        by="maya",
        at=T0,
    )


def test_a_new_concept_is_version_one_by_its_author() -> None:
    concept = _concept()
    assert (concept.version, concept.created_by, concept.updated_by, concept.size) == (1, "maya", "maya", 24)


def test_a_save_makes_the_next_version_and_keeps_the_one_it_replaced() -> None:
    concept = _concept()
    later = T0 + timedelta(hours=1)
    saved = revised(concept, ConceptChanges(text="A heist at dawn."), "lena", later, expected=None)
    assert saved is not None
    current, kept = saved
    assert (current.version, current.text, current.updated_by, current.updated_at) == (
        2,
        "A heist at dawn.",
        "lena",
        later,
    )
    assert (current.created_by, current.created_at) == ("maya", T0)
    assert (kept.number, kept.text, kept.title, kept.saved_by, kept.saved_at, kept.size) == (
        1,
        "A heist in a lighthouse.",
        "The brief",
        "maya",
        T0,
        24,
    )


def test_a_save_that_changes_nothing_makes_no_version() -> None:
    concept = _concept()
    assert revised(concept, ConceptChanges(text=concept.text, title=concept.title), "lena", T0, None) is None
    assert revised(concept, ConceptChanges(), "lena", T0, None) is None


def test_a_save_from_a_stale_read_is_refused() -> None:
    concept = _concept()
    current, _ = revised(concept, ConceptChanges(title="New"), "lena", T0, expected=1) or (None, None)
    assert current is not None and current.version == 2
    with pytest.raises(Conflict, match="at version 2, not 1"):
        revised(current, ConceptChanges(title="Theirs"), "maya", T0, expected=1)


def test_the_text_is_bounded_in_utf8_bytes() -> None:
    assert _concept("é" * (MAX_TEXT_BYTES // 2)).size == MAX_TEXT_BYTES
    with pytest.raises(InvalidInput) as refused:
        _concept("é" * (MAX_TEXT_BYTES // 2) + "x")
    assert refused.value.field == "text"
    with pytest.raises(InvalidInput):
        revised(_concept(), ConceptChanges(text="ü" * MAX_TEXT_BYTES), "lena", T0, None)


def test_search_needs_every_word_in_the_title_or_the_text_whatever_the_case() -> None:
    concept = _concept(text="The LIGHTHOUSE keeper sleeps.", title="Lamp room")
    assert matches(concept, query_words("lighthouse"))
    assert matches(concept, query_words("Lamp  KEEPER light"))
    assert not matches(concept, query_words("lamp submarine"))
    assert query_words("Lamp lamp LAMP") == ["lamp"]
    with pytest.raises(InvalidInput):
        query_words("   ")
    with pytest.raises(InvalidInput):
        query_words(" ".join(f"w{n}" for n in range(11)))


def test_a_complete_project_is_read_only_until_its_stage_moves_away() -> None:
    project = Project(
        project_id="p1", workspace_id="ws", name="P", reference="LH01", created_by="maya", created_at=T0, updated_at=T0
    )
    check_editable(project)
    complete = staged(project, Stage.COMPLETE, "lena", T0)
    with pytest.raises(Conflict, match="read-only"):
        check_editable(complete)
    check_editable(staged(complete, Stage.POST_PRODUCTION, "lena", T0))
