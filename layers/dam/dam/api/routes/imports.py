"""Bulk ZIP import routes: start an import (a presigned POST for the archive), follow it, list recent ones."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from dam.api.context import current_caller, services
from dam.api.errors import route_responses
from dam.api.import_models import ImportList, ImportOut, ImportRequest, ImportStarted
from dam.api.models import PresignedPostOut
from dam.api.permissions import permits
from dam.domain.assets import Asset
from dam.domain.permissions import Action
from dam.services.imports import NewImport

router = APIGatewayHttpRouter()

ImportId = Annotated[str, Path(min_length=1, max_length=64, description="The import's id")]


@router.post(
    "/imports",
    summary="Start a bulk ZIP import",
    description="Creates the import and returns a presigned POST for the archive. When it lands, up to 50 images "
    "in it become assets in the folder, client and project given, each processed like an upload; the rest are "
    "listed with the reason they were skipped.",
    responses=route_responses(201, "Import created; upload the ZIP to `upload.url`", ImportStarted, 401, 403, 422),
    tags=["Imports"],
)
@permits(Action.UPLOAD)
def create_import(body: ImportRequest) -> Response[dict[str, Any]]:
    bulk, post = services().imports.start(
        current_caller(),
        NewImport(
            filename=body.filename,
            size=body.size,
            folder_id=body.folder_id,
            client_id=body.client_id,
            project_id=body.project_id,
            asset_type=body.asset_type,
        ),
    )
    upload = PresignedPostOut(url=post.url, fields=post.fields, expires_at=post.expires_at, max_size=body.size)
    return Response(
        status_code=201,
        content_type="application/json",
        body=ImportStarted(import_=ImportOut.of(bulk), upload=upload).model_dump(mode="json", by_alias=True),
        headers={"Location": f"/imports/{bulk.import_id}"},
    )


@router.get(
    "/imports/<import_id>",
    summary="Follow a bulk import",
    description="Its status, counts (total, queued, skipped, over_limit, ready, failed) and every entry's outcome, "
    "updated as the images it made finish processing.",
    responses=route_responses(200, "The import", ImportOut, 401, 404, 422),
    tags=["Imports"],
)
@permits(Action.BROWSE)
def get_import(import_id: ImportId) -> ImportOut:
    return ImportOut.of(services().imports.get(current_caller(), import_id))


@router.post(
    "/imports/<import_id>/retry",
    summary="Retry a bulk import's failed files",
    description="Runs the whole pipeline again on every file of the import that failed (as "
    "`POST /assets/{id}/reprocess` does), and answers the import with those files processing again. Yours to "
    "call on an import you started, whatever your role lets you re-run otherwise (editors included); power "
    "users and admins may retry anyone's. 409 when none of its files failed.",
    responses=route_responses(202, "Retrying; follow it with GET /imports/{id}", ImportOut, 401, 403, 404, 409, 422),
    tags=["Imports"],
)
@permits(Action.UPLOAD)
def retry_import(import_id: ImportId) -> Response[ImportOut]:
    caller = current_caller()
    found = services()

    def rerun(asset_id: str) -> Asset:
        return found.assets.rerun(caller, asset_id, analyze_only=False)

    bulk = found.imports.retry_failed(caller, import_id, rerun)
    return Response(status_code=202, content_type="application/json", body=ImportOut.of(bulk))


@router.get(
    "/imports",
    summary="Your recent bulk imports, newest first",
    responses=route_responses(200, "Recent imports", ImportList, 401, 422),
    tags=["Imports"],
)
@permits(Action.BROWSE)
def list_imports(limit: Annotated[int, Query(ge=1, le=50)] = 20) -> ImportList:
    return ImportList(items=[ImportOut.of(bulk) for bulk in services().imports.recent(current_caller(), limit)])
