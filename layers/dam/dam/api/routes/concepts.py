"""Concept routes (seed 004's concept workspace): briefs, scripts and notes saved alongside a project."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from dam.api.concept_models import (
    ConceptIn,
    ConceptList,
    ConceptOut,
    ConceptPatch,
    ConceptSummary,
    ConceptVersionList,
    ConceptVersionOut,
    ConceptVersionSummary,
)
from dam.api.context import current_caller, services
from dam.api.errors import route_responses
from dam.api.permissions import permits
from dam.api.routes.assets import IfMatch, parse_version
from dam.api.routes.projects import ProjectId, created
from dam.domain.concepts import ConceptChanges, ConceptKind
from dam.domain.permissions import Action

router = APIGatewayHttpRouter()

ConceptId = Annotated[str, Path(min_length=1, max_length=64, description="The concept's id")]
ConceptNumber = Annotated[int, Path(ge=1, le=999_999, description="The version's number")]
_READ_ONLY = " A complete project is read-only (409)."


@router.post(
    "/projects/<project_id>/concepts",
    summary="Save a concept (brief, script or note) in a project",
    description="Version 1 of a text document of the project. A brief drafted by the assistant is saved "
    "so: `kind: brief` and the draft's `text`." + _READ_ONLY,
    responses=route_responses(201, "The concept", ConceptOut, 401, 403, 404, 409, 422),
    tags=["Concepts"],
)
@permits(Action.EDIT_CONCEPTS)
def create_concept(project_id: ProjectId, body: ConceptIn) -> Response[ConceptOut]:
    concept = services().concepts.create(current_caller(), project_id, body.kind, body.title, body.text)
    return created(ConceptOut.of(concept), f"/concepts/{concept.concept_id}")


@router.get(
    "/projects/<project_id>/concepts",
    summary="List or search a project's concepts, by title",
    description='With `q`, the concepts whose title or text hold every word, whatever the case ("light" finds '
    '"Lighthouse"). One read looks at the project\'s first 100 concepts (`truncated` says there are more).',
    responses=route_responses(200, "Concepts, without their text", ConceptList, 401, 404, 422),
    tags=["Concepts"],
)
@permits(Action.BROWSE)
def list_concepts(
    project_id: ProjectId,
    q: Annotated[str | None, Query(min_length=1, max_length=500, description="Words to look for")] = None,
    kind: Annotated[ConceptKind | None, Query(description="Only this kind")] = None,
) -> ConceptList:
    found, truncated = services().concepts.concepts(current_caller(), project_id, q, kind)
    return ConceptList(items=[ConceptSummary.of(c) for c in found], truncated=truncated)


@router.get(
    "/concepts/<concept_id>",
    summary="Get a concept, with its text",
    responses=route_responses(200, "The concept", ConceptOut, 401, 404, 422),
    tags=["Concepts"],
)
@permits(Action.BROWSE)
def get_concept(concept_id: ConceptId) -> ConceptOut:
    return ConceptOut.of(services().concepts.concept(current_caller(), concept_id)[1])


@router.patch(
    "/concepts/<concept_id>",
    summary="Edit a concept (the previous text is kept as a version)",
    description="Each save that changes something makes the next version and keeps the one it replaced. With "
    "`If-Match: <version>`, a save made from a stale read answers 409." + _READ_ONLY,
    responses=route_responses(200, "The concept", ConceptOut, 401, 403, 404, 409, 422),
    tags=["Concepts"],
)
@permits(Action.EDIT_CONCEPTS)
def update_concept(concept_id: ConceptId, body: ConceptPatch, if_match: IfMatch = None) -> ConceptOut:
    changes = ConceptChanges(kind=body.kind, title=body.title, text=body.text)
    return ConceptOut.of(services().concepts.update(current_caller(), concept_id, changes, parse_version(if_match)))


@router.delete(
    "/concepts/<concept_id>",
    summary="Delete a concept and every version of it",
    description=_READ_ONLY.strip(),
    responses=route_responses(204, "Deleted", None, 401, 403, 404, 409, 422),
    tags=["Concepts"],
)
@permits(Action.EDIT_CONCEPTS)
def delete_concept(concept_id: ConceptId) -> Response[None]:
    services().concepts.delete(current_caller(), concept_id)
    return Response(status_code=204)


@router.get(
    "/concepts/<concept_id>/versions",
    summary="List a concept's versions",
    responses=route_responses(200, "Newest first, without their text", ConceptVersionList, 401, 404, 422),
    tags=["Concepts"],
)
@permits(Action.BROWSE)
def list_concept_versions(concept_id: ConceptId) -> ConceptVersionList:
    versions, truncated = services().concepts.versions(current_caller(), concept_id)
    current = versions[0].number
    return ConceptVersionList(items=[ConceptVersionSummary.of(v, current) for v in versions], truncated=truncated)


@router.get(
    "/concepts/<concept_id>/versions/<number>",
    summary="Get one version of a concept, with its text",
    responses=route_responses(200, "The version", ConceptVersionOut, 401, 404, 422),
    tags=["Concepts"],
)
@permits(Action.BROWSE)
def get_concept_version(concept_id: ConceptId, number: ConceptNumber) -> ConceptVersionOut:
    version, current = services().concepts.version(current_caller(), concept_id, number)
    return ConceptVersionOut.of(version, current)
