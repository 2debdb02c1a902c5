"""Collection routes: manual collections, and the automatic one of each generation run."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from dam.api.context import current_caller, services
from dam.api.errors import BIG_DELETE, delete_responses, deleted, route_responses
from dam.api.models import AssetPage, CollectionIn, CollectionOut, CollectionPage, NewCollectionIn
from dam.api.permissions import permits
from dam.api.routes.assets import AssetId, IfMatch, asset_page, parse_version
from dam.domain.library import CollectionKind
from dam.domain.permissions import Action
from dam.domain.queries import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, AssetQuery

router = APIGatewayHttpRouter()

CollectionId = Annotated[str, Path(min_length=1, max_length=64, description="The collection's id")]


@router.post(
    "/collections",
    summary="Create a manual collection",
    responses=route_responses(201, "The collection", CollectionOut, 401, 403, 422),
    tags=["Collections"],
)
@permits(Action.MANAGE_COLLECTIONS)
def create_collection(body: NewCollectionIn) -> Response[CollectionOut]:
    collection = services().library.create_collection(current_caller(), body.name, body.client_id)
    return Response(
        status_code=201,
        content_type="application/json",
        body=CollectionOut.of(collection),
        headers={"Location": f"/collections/{collection.collection_id}"},
    )


@router.get(
    "/collections",
    summary="List collections, newest first",
    description="Manual collections and the automatic ones: every generation run gets a collection of kind "
    "`generation_run` with its first upload, holding all the run's assets.",
    responses=route_responses(200, "A page of collections", CollectionPage, 400, 401, 422),
    tags=["Collections"],
)
@permits(Action.BROWSE)
def list_collections(
    kind: CollectionKind | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(min_length=1, max_length=1000)] = None,
) -> CollectionPage:
    page = services().library.collections(current_caller(), kind, limit, cursor)
    return CollectionPage(
        items=[CollectionOut.of(c) for c in page.items], next_cursor=page.next_cursor, partial=page.partial
    )


@router.get(
    "/collections/<collection_id>",
    summary="Get a collection",
    responses=route_responses(200, "The collection", CollectionOut, 401, 404, 422),
    tags=["Collections"],
)
@permits(Action.BROWSE)
def get_collection(collection_id: CollectionId) -> CollectionOut:
    return CollectionOut.of(services().library.collection(current_caller(), collection_id))


@router.patch(
    "/collections/<collection_id>",
    summary="Rename a collection",
    description="409 when the collection changed since it was read (with `If-Match`: when it is no longer at "
    "that `version`).",
    responses=route_responses(200, "The collection", CollectionOut, 401, 403, 404, 409, 422),
    tags=["Collections"],
)
@permits(Action.MANAGE_COLLECTIONS)
def rename_collection(collection_id: CollectionId, body: CollectionIn, if_match: IfMatch = None) -> CollectionOut:
    library, expected = services().library, parse_version(if_match)
    return CollectionOut.of(library.rename_collection(current_caller(), collection_id, body.name, expected))


@router.delete(
    "/collections/<collection_id>",
    summary="Delete a manual collection (never its assets)",
    description="Removes the collection and its memberships. A generation run's collection cannot be deleted "
    "(409): it goes away with the run's last asset. One that is gone, or not yours to see, answers 404. " + BIG_DELETE,
    responses=delete_responses(401, 403, 404, 409, 422),
    tags=["Collections"],
)
@permits(Action.MANAGE_COLLECTIONS)
def delete_collection(collection_id: CollectionId) -> Response[Any]:
    return deleted(services().library.delete_collection(current_caller(), collection_id))


@router.get(
    "/collections/<collection_id>/assets",
    summary="A collection's assets, newest first",
    description="The same as `GET /assets?collection={id}`, which combines with every other filter.",
    responses=route_responses(200, "A page of assets", AssetPage, 400, 401, 404, 422),
    tags=["Collections"],
)
@permits(Action.BROWSE)
def list_members(
    collection_id: CollectionId,
    archived: bool = False,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(min_length=1, max_length=1000)] = None,
) -> AssetPage:
    caller = current_caller()
    library = services().library
    query = AssetQuery(collection_id=collection_id, archived=archived)
    page = asset_page(caller, query, limit, cursor)
    if not page.items and page.next_cursor is None:
        library.collection(caller, collection_id)  # 404 for a collection that is not there (only then: budget)
    return page


@router.put(
    "/collections/<collection_id>/assets/<asset_id>",
    summary="Add an asset to a manual collection",
    description="Idempotent. A generation run's collection holds exactly the run's assets (409).",
    responses=route_responses(204, "The asset is in the collection", None, 401, 403, 404, 409, 422),
    tags=["Collections"],
)
@permits(Action.MANAGE_COLLECTIONS)
def add_member(collection_id: CollectionId, asset_id: AssetId) -> Response[None]:
    services().library.add_to_collection(current_caller(), collection_id, asset_id)
    return Response(status_code=204)


@router.delete(
    "/collections/<collection_id>/assets/<asset_id>",
    summary="Take an asset out of a manual collection",
    description="The asset itself stays. Idempotent.",
    responses=route_responses(204, "The asset is not in the collection", None, 401, 403, 404, 409, 422),
    tags=["Collections"],
)
@permits(Action.MANAGE_COLLECTIONS)
def remove_member(collection_id: CollectionId, asset_id: AssetId) -> Response[None]:
    services().library.remove_from_collection(current_caller(), collection_id, asset_id)
    return Response(status_code=204)
