"""Folder routes: nested folders, optionally scoped to a client."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from dam.api.context import current_caller, services
from dam.api.errors import BIG_DELETE, delete_responses, deleted, route_responses
from dam.api.models import FolderIn, FolderList, FolderOut, FolderPatch
from dam.api.permissions import permits
from dam.api.routes.assets import IfMatch, parse_version
from dam.domain.permissions import Action
from dam.services.assets import KEEP
from dam.services.library import FolderChanges

router = APIGatewayHttpRouter()

FolderId = Annotated[str, Path(min_length=1, max_length=64, description="The folder's id")]
TOP = "root"


@router.post(
    "/folders",
    summary="Create a folder",
    description="Top-level, or under `parent_id`. A folder may be scoped to a client: only that client's users "
    "(and staff) see it, and its sub-folders and uploads belong to that client.",
    responses=route_responses(201, "The folder", FolderOut, 401, 403, 422),
    tags=["Folders"],
)
@permits(Action.MANAGE_FOLDERS)
def create_folder(body: FolderIn) -> Response[FolderOut]:
    folder = services().library.create_folder(current_caller(), body.name, body.parent_id, body.client_id)
    return Response(
        status_code=201,
        content_type="application/json",
        body=FolderOut.of(folder),
        headers={"Location": f"/folders/{folder.folder_id}"},
    )


@router.get(
    "/folders",
    summary="List folders",
    description=f"Every folder you may see, by name; with `parent`, only its direct sub-folders (`{TOP}`: the "
    "top level). Assets of a folder: `GET /assets?folder={id}`.",
    responses=route_responses(200, "Folders, by name", FolderList, 401, 404, 422),
    tags=["Folders"],
)
@permits(Action.BROWSE)
def list_folders(
    parent: Annotated[str | None, Query(min_length=1, max_length=64, description=f"A folder id, or `{TOP}`")] = None,
) -> FolderList:
    parent_id = KEEP if parent is None else (None if parent == TOP else parent)
    folders = services().library.folders(current_caller(), parent_id)
    return FolderList(items=[FolderOut.of(f) for f in folders])


@router.get(
    "/folders/<folder_id>",
    summary="Get a folder",
    responses=route_responses(200, "The folder", FolderOut, 401, 404, 422),
    tags=["Folders"],
)
@permits(Action.BROWSE)
def get_folder(folder_id: FolderId) -> FolderOut:
    return FolderOut.of(services().library.folder(current_caller(), folder_id))


@router.patch(
    "/folders/<folder_id>",
    summary="Rename or move a folder",
    description="`parent_id: null` moves it to the top level. Moving a folder into itself or into one of its "
    "own sub-folders is refused (422), as is nesting deeper than 32 levels. Conditional: if the folder, or any "
    "folder above its new place, changed since it was read (a concurrent edit or move), 409; with `If-Match`, "
    "also when the folder is no longer at that `version`.",
    responses=route_responses(200, "The folder", FolderOut, 401, 403, 404, 409, 422),
    tags=["Folders"],
)
@permits(Action.MANAGE_FOLDERS)
def update_folder(folder_id: FolderId, body: FolderPatch, if_match: IfMatch = None) -> FolderOut:
    changes = FolderChanges(name=body.name, parent_id=body.parent_id if "parent_id" in body.model_fields_set else KEEP)
    expected = parse_version(if_match)
    return FolderOut.of(services().library.update_folder(current_caller(), folder_id, changes, expected))


@router.delete(
    "/folders/<folder_id>",
    summary="Delete a folder (never its assets)",
    description="Its assets become unassigned (archived ones too) and its sub-folders move up to its parent "
    "(or to the top level), keeping their own sub-folders and assets. A folder that is gone, or not yours to "
    "see, answers 404; a staff retry still finishes what an interrupted delete left. " + BIG_DELETE,
    responses=delete_responses(401, 403, 404, 422),
    tags=["Folders"],
)
@permits(Action.MANAGE_FOLDERS)
def delete_folder(folder_id: FolderId) -> Response[Any]:
    return deleted(services().library.delete_folder(current_caller(), folder_id))
