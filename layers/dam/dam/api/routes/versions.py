"""Version routes: upload a new version, list, read, download pinned, promote, approve, revoke, delete."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from dam.api.context import current_caller, services
from dam.api.errors import route_responses
from dam.api.models import AssetOut, PresignedPostOut, RenditionOut, SignedUrlOut
from dam.api.permissions import permits
from dam.api.routes.assets import AssetId, detail_for
from dam.api.version_models import (
    FieldChangeOut,
    NewVersionRequest,
    NewVersionResponse,
    ReviewList,
    ReviewOut,
    ReviewRequest,
    VersionComparison,
    VersionList,
    VersionOut,
)
from dam.domain.assets import Asset, AssetStatus
from dam.domain.errors import NotFound
from dam.domain.permissions import Action
from dam.domain.versions import FieldChange, Pointers, ReviewAction, Version, file_changes, generation_changes, view_of
from dam.services.versions import ExportFormat, NewVersion

router = APIGatewayHttpRouter()

VersionNumber = Annotated[int, Path(ge=1, le=999_999, description="The version's number")]
_TAGS = ["Versions"]


def version_out(asset: Asset, version: Version, marks: Pointers) -> VersionOut:
    """A version with short-lived links to its own original and renditions."""
    assets = services().assets
    view = view_of(asset, version)
    urls = assets.rendition_urls(view)
    original = assets.original_url(view) if version.status is not AssetStatus.PENDING_UPLOAD else None
    renditions = {
        name: RenditionOut(url=urls[name].url, expires_at=urls[name].expires_at, **r.model_dump(exclude={"key"}))
        for name, r in version.renditions.items()
    }
    thumb = urls.get("thumbnail")
    return VersionOut(
        number=version.number,
        studio_id=version.studio_id,
        status=version.review_status,
        is_active=version.number == marks.active,
        is_latest=version.number == marks.latest,
        created_by=version.created_by,
        created_at=version.created_at,
        notes=version.notes,
        filename=version.filename,
        content_type=version.content_type,
        media_type=version.media_type,
        size=version.size,
        file_status=version.status,
        file_status_reason=version.status_reason,
        checksum_sha256=version.checksum_sha256,
        metadata=version.metadata,
        generation=version.generation,
        original=SignedUrlOut.of(original) if original else None,
        thumbnail=SignedUrlOut.of(thumb) if thumb else None,
        renditions=renditions,
        last_review=ReviewOut.of(version.reviews[-1]) if version.reviews else None,
        promotes_on_upload=version.promote_on_upload_by is not None,
    )


def _one(asset_id: str, number: int) -> VersionOut:
    asset, versions, marks = services().versions.list(current_caller(), asset_id)
    version = next((v for v in versions if v.number == number), None)
    if version is None:
        raise NotFound(f"version {number} of asset {asset_id} not found")
    return version_out(asset, version, marks)


@router.post(
    "/assets/<asset_id>/versions",
    summary="Upload a new version",
    description="Gives the version the next number (never reused), stamps its studio id and returns a presigned "
    "POST for its bytes, which then go through the same processing as an upload. Nothing is overwritten: the "
    "asset keeps showing its active version unless `promote` is true, which makes the version active as soon as "
    "its bytes land.",
    responses=route_responses(
        201, "Version created; upload the file to `upload.url`", NewVersionResponse, 401, 403, 404, 409, 422
    ),
    tags=_TAGS,
)
@permits(Action.UPLOAD, by_field={"promote": Action.PROMOTE_VERSION})
def create_version(asset_id: AssetId, body: NewVersionRequest) -> Response[NewVersionResponse]:
    caller = current_caller()
    versions = services().versions
    version, post = versions.create(
        caller,
        asset_id,
        NewVersion(
            filename=body.filename,
            content_type=body.content_type,
            size=body.size,
            notes=body.notes,
            generation=body.generation,
        ),
        promote=bool(body.promote),
    )
    asset = versions.asset(caller, asset_id)
    marks = Pointers(latest=version.number, active=asset.active_version, approved=None)
    upload = PresignedPostOut(url=post.url, fields=post.fields, expires_at=post.expires_at, max_size=body.size)
    return Response(
        status_code=201,
        content_type="application/json",
        body=NewVersionResponse(version=version_out(asset, version, marks), upload=upload),
        headers={"Location": f"/assets/{asset_id}/versions/{version.number}"},
    )


@router.get(
    "/assets/<asset_id>/versions",
    summary="List an asset's versions, newest first",
    responses=route_responses(
        200, "Every version, with the latest, active and approved pointers", VersionList, 401, 404, 422
    ),
    tags=_TAGS,
)
@permits(Action.BROWSE)
def list_versions(asset_id: AssetId) -> VersionList:
    asset, versions, marks = services().versions.list(current_caller(), asset_id)
    return VersionList(
        items=[version_out(asset, v, marks) for v in versions],
        latest=marks.latest,
        active=marks.active,
        approved=marks.approved,
    )


@router.get(
    "/assets/<asset_id>/versions/<number>",
    summary="Get one version",
    responses=route_responses(200, "The version, with short-lived links to its files", VersionOut, 401, 404, 422),
    tags=_TAGS,
)
@permits(Action.BROWSE)
def get_version(asset_id: AssetId, number: VersionNumber) -> VersionOut:
    return _one(asset_id, number)


@router.get(
    "/assets/<asset_id>/versions/<number>/download",
    summary="Download one version's original (a pinned reference)",
    description="302 to a short-lived URL of exactly this version's file, named by its studio id. It never "
    "changes, whatever is promoted later; `/assets/{id}/download` follows the active version instead. "
    "`?format=png|jpg` converts an image version to PNG or JPEG; other files answer 422.",
    responses=route_responses(302, "Redirect to the file", None, 401, 404, 409, 422),
    tags=_TAGS,
)
@permits(Action.DOWNLOAD)
def download_version(
    asset_id: AssetId,
    number: VersionNumber,
    export_format: Annotated[
        ExportFormat | None, Query(alias="format", description="Convert an image to `png` or `jpg`")
    ] = None,
) -> Response[None]:
    if export_format is not None:
        url = services().versions.export_url(current_caller(), asset_id, number, export_format)
    else:
        url = services().versions.download_url(current_caller(), asset_id, number)
    return Response(status_code=302, headers={"Location": url, "Cache-Control": "no-store"})


@router.post(
    "/assets/<asset_id>/versions/<number>/promote",
    summary="Make a version the active one",
    description="Moves the asset's active pointer (no file is copied) and records who moved it and when. Lists, "
    "search and the stable download follow. Promoting the active version changes nothing.",
    responses=route_responses(200, "The asset, now showing that version", AssetOut, 401, 403, 404, 409, 422),
    tags=_TAGS,
)
@permits(Action.PROMOTE_VERSION)
def promote_version(asset_id: AssetId, number: VersionNumber) -> AssetOut:
    caller = current_caller()
    return detail_for(caller, services().versions.promote(caller, asset_id, number))


def _review(asset_id: str, number: int, action: ReviewAction, body: ReviewRequest | None) -> VersionOut:
    services().versions.review(current_caller(), asset_id, number, action, body.note if body else None)
    return _one(asset_id, number)


@router.post(
    "/assets/<asset_id>/versions/<number>/approve",
    summary="Approve a version",
    description="Appends an approval (who, role, when, note) to the version's review history. Nobody approves a "
    "version they uploaded unless their workspace allows it. Approving an approved version changes nothing.",
    responses=route_responses(200, "The version, now approved", VersionOut, 401, 403, 404, 409, 422),
    tags=_TAGS,
)
@permits(Action.REVIEW_VERSION)
def approve_version(asset_id: AssetId, number: VersionNumber, body: ReviewRequest | None = None) -> VersionOut:
    return _review(asset_id, number, ReviewAction.APPROVE, body)


@router.post(
    "/assets/<asset_id>/versions/<number>/revoke",
    summary="Revoke a version's approval",
    description="Appends a revocation to the review history; the version is a draft again.",
    responses=route_responses(200, "The version, now a draft", VersionOut, 401, 403, 404, 409, 422),
    tags=_TAGS,
)
@permits(Action.REVIEW_VERSION)
def revoke_version(asset_id: AssetId, number: VersionNumber, body: ReviewRequest | None = None) -> VersionOut:
    return _review(asset_id, number, ReviewAction.REVOKE, body)


@router.get(
    "/assets/<asset_id>/versions/<number>/reviews",
    summary="A version's review history",
    responses=route_responses(200, "Every approval and revocation, oldest first", ReviewList, 401, 404, 422),
    tags=_TAGS,
)
@permits(Action.BROWSE)
def list_reviews(asset_id: AssetId, number: VersionNumber) -> ReviewList:
    reviews = services().versions.reviews(current_caller(), asset_id, number)
    return ReviewList(items=[ReviewOut.of(r) for r in reviews])


@router.delete(
    "/assets/<asset_id>/versions/<number>",
    summary="Delete a version",
    description="Deletes the version's original, its renditions and its record. The active version and an "
    "asset's only version cannot be deleted (409). Its number is never given out again.",
    responses=route_responses(204, "Deleted", None, 401, 403, 404, 409, 422),
    tags=_TAGS,
)
@permits(Action.DELETE_VERSION)
def delete_version(asset_id: AssetId, number: VersionNumber) -> Response[None]:
    services().versions.delete(current_caller(), asset_id, number)
    return Response(status_code=204)


@router.get(
    "/assets/<asset_id>/compare",
    summary="Compare two versions side by side",
    description="Both versions with their renditions and file facts, and a field-by-field diff of their "
    "generation metadata (model, prompt, parameters such as the seed) and of their files.",
    responses=route_responses(200, "The two versions and what differs", VersionComparison, 401, 404, 422),
    tags=_TAGS,
)
@permits(Action.BROWSE)
def compare_versions(
    asset_id: AssetId,
    a: Annotated[int, Query(ge=1, le=999_999, description="One version's number")],
    b: Annotated[int, Query(ge=1, le=999_999, description="The other version's number")],
) -> VersionComparison:
    asset, first, second, marks = services().versions.compare(current_caller(), asset_id, a, b)
    return VersionComparison(
        a=version_out(asset, first, marks),
        b=version_out(asset, second, marks),
        generation_changes=_changes_out(generation_changes(first.generation, second.generation)),
        file_changes=_changes_out(file_changes(first, second)),
    )


def _changes_out(changes: list[FieldChange]) -> list[FieldChangeOut]:
    return [FieldChangeOut(field=c.field, a=c.a, b=c.b) for c in changes]
