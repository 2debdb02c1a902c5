"""Multipart upload routes: more part URLs, complete, abort. `POST /uploads` (routes.assets) starts them."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from dam.api.context import current_caller, services
from dam.api.errors import route_responses
from dam.api.models import (
    AssetOut,
    CompleteRequest,
    MultipartOut,
    PartsRequest,
    UploadedPartOut,
    UploadedPartsOut,
)
from dam.api.permissions import permits
from dam.api.routes.assets import AssetId, detail_for, multipart_out
from dam.domain.permissions import Action
from dam.domain.uploads import CompletedPart

router = APIGatewayHttpRouter()


@router.post(
    "/uploads/<asset_id>/parts",
    summary="Get upload URLs for more parts",
    description="Presigned UploadPart URLs for the listed parts (at most 100 at once) of a multipart upload.",
    responses=route_responses(200, "URLs for the parts asked for", MultipartOut, 401, 403, 404, 409, 422),
    tags=["Assets"],
)
@permits(Action.UPLOAD)
def upload_part_urls(asset_id: AssetId, body: PartsRequest) -> MultipartOut:
    return multipart_out(services().assets.part_urls(current_caller(), asset_id, body.part_numbers))


@router.get(
    "/uploads/<asset_id>/parts",
    summary="List the parts received so far",
    description="The parts of a multipart upload in progress that storage holds, with their `ETag`s: an upload "
    "cut short sends only the others, then completes with all of them.",
    responses=route_responses(200, "The parts received so far", UploadedPartsOut, 401, 403, 404, 409, 422),
    tags=["Assets"],
)
@permits(Action.UPLOAD)
def uploaded_parts(asset_id: AssetId) -> UploadedPartsOut:
    uploaded = services().assets.uploaded_parts(current_caller(), asset_id)
    return UploadedPartsOut(
        upload_id=uploaded.upload_id,
        part_size=uploaded.part_size,
        part_count=uploaded.part_count,
        # Quoted, as the part's PUT answered it in its ETag header.
        parts=[UploadedPartOut(part_number=number, etag=f'"{etag}"') for number, etag in uploaded.etags.items()],
    )


@router.post(
    "/uploads/<asset_id>/complete",
    summary="Complete a multipart upload",
    description="Joins the parts into the original. List every part once, in ascending `part_number` order, each "
    "with the `ETag` its PUT answered (422 otherwise). Processing then starts as for any upload.",
    responses=route_responses(
        200, "Completed; the asset moves to `uploaded`, then `ready`", AssetOut, 401, 403, 404, 409, 422
    ),
    tags=["Assets"],
)
@permits(Action.UPLOAD)
def complete_upload(asset_id: AssetId, body: CompleteRequest) -> AssetOut:
    caller = current_caller()
    parts = [CompletedPart(p.part_number, p.etag) for p in body.parts]
    return detail_for(caller, services().assets.complete_upload(caller, asset_id, parts))


@router.delete(
    "/uploads/<asset_id>",
    summary="Abort an upload",
    description="Drops the uploaded parts and the pending asset. Only for an upload that has not landed (409 after).",
    responses=route_responses(204, "Aborted; nothing is left", None, 401, 403, 404, 409, 422),
    tags=["Assets"],
)
@permits(Action.UPLOAD)
def abort_upload(asset_id: AssetId) -> Response[None]:
    services().assets.abort_upload(current_caller(), asset_id)
    return Response(status_code=204)
