"""Concept use cases: a project's briefs, scripts and notes, their versions, and finding them by their words.

Visible first, then role: a concept of a project the caller cannot see is not found (404) before anything
else is said. Changing one needs the project to be the caller's to change (external users: their clients')
and not complete (read-only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dam.domain.assets import utcnow
from dam.domain.concepts import (
    Concept,
    ConceptChanges,
    ConceptKind,
    ConceptVersion,
    matches,
    new_concept,
    new_concept_id,
    query_words,
    revised,
    snapshot,
)
from dam.domain.errors import NotFound
from dam.domain.identity import Caller
from dam.domain.permissions import require_own
from dam.domain.projects import Project, check_editable

if TYPE_CHECKING:
    from dam.adapters.dynamodb.concepts import ConceptRepository
    from dam.services.projects import ProjectService

READ_LIMIT = 100  # concepts a listing or a search reads at most (a project has tens); past it, `truncated`
VERSIONS_LIMIT = 200


class ConceptService:
    def __init__(self, concepts: ConceptRepository, projects: ProjectService) -> None:
        self._concepts = concepts
        self._projects = projects

    def create(self, caller: Caller, project_id: str, kind: ConceptKind, title: str, text: str) -> Concept:
        project = self._projects.project(caller, project_id)
        _check_changeable(caller, project)
        concept = new_concept(
            concept_id=new_concept_id(),
            project_id=project.project_id,
            workspace_id=project.workspace_id,
            kind=kind,
            title=title,
            text=text,
            by=caller.user_id,
            at=utcnow(),
        )
        return self._concepts.create(concept)

    def concept(self, caller: Caller, concept_id: str) -> tuple[Project, Concept]:
        concept = self._concepts.get(caller.workspace_id, concept_id)
        if concept is None:
            raise NotFound(f"concept {concept_id} not found")
        try:
            project = self._projects.project(caller, concept.project_id)
        except NotFound:
            raise NotFound(f"concept {concept_id} not found") from None
        return project, concept

    def concepts(
        self, caller: Caller, project_id: str, q: str | None, kind: ConceptKind | None
    ) -> tuple[list[Concept], bool]:
        """The project's concepts, by title; with `q`, those whose title or text hold every word (any case).
        Reads at most READ_LIMIT concepts: `truncated` says there were more than were looked at."""
        project = self._projects.project(caller, project_id)
        words = query_words(q) if q is not None else None
        found, truncated = self._concepts.in_project(project.workspace_id, project.project_id, READ_LIMIT)
        kept = [c for c in found if (kind is None or c.kind is kind) and (words is None or matches(c, words))]
        return sorted(kept, key=lambda c: (c.title.casefold(), c.created_at, c.concept_id)), truncated

    def update(self, caller: Caller, concept_id: str, changes: ConceptChanges, expected: int | None) -> Concept:
        project, concept = self.concept(caller, concept_id)
        _check_changeable(caller, project)
        saved = revised(concept, changes, caller.user_id, utcnow(), expected)
        if saved is None:
            return concept
        return self._concepts.save(*saved)

    def delete(self, caller: Caller, concept_id: str) -> None:
        project, concept = self.concept(caller, concept_id)
        _check_changeable(caller, project)
        self._concepts.delete(concept)

    def versions(self, caller: Caller, concept_id: str) -> tuple[list[ConceptVersion], bool]:
        """Every version, newest (the current text) first, without their text."""
        _, concept = self.concept(caller, concept_id)
        kept, truncated = self._concepts.versions(concept, VERSIONS_LIMIT - 1)
        return [snapshot(concept), *kept], truncated

    def version(self, caller: Caller, concept_id: str, number: int) -> tuple[ConceptVersion, int]:
        """One version, with its text, and the number of the current one."""
        _, concept = self.concept(caller, concept_id)
        if number == concept.version:
            return snapshot(concept), concept.version
        found = self._concepts.version(concept, number) if 0 < number < concept.version else None
        if found is None:
            raise NotFound(f"concept {concept_id} has no version {number}")
        return found, concept.version


def _check_changeable(caller: Caller, project: Project) -> None:
    require_own(caller, project.client_id, "this project")
    check_editable(project)
