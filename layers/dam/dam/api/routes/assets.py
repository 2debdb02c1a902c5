"""Asset routes: upload, browse, read, edit, download, delete."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from dam.api.context import current_caller, services
from dam.api.errors import route_responses
from dam.api.models import (
    AssetOut,
    AssetPage,
    AssetPatch,
    AssetSummary,
    MultipartOut,
    PartUrlOut,
    PresignedPostOut,
    RenditionOut,
    RerunRequest,
    SignedUrlOut,
    UploadRequest,
    UploadResponse,
    UsageOut,
    summary_fields,
)
from dam.api.paging import fit_page
from dam.api.permissions import permits
from dam.domain.assets import Asset, AssetType
from dam.domain.errors import InvalidInput
from dam.domain.formats import MediaType
from dam.domain.identity import Caller
from dam.domain.library import UNASSIGNED
from dam.domain.permissions import Action
from dam.domain.queries import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, AssetQuery, date_bound
from dam.services.assets import KEEP, AssetChanges, MultipartPlan, NewUpload
from dam.services.versions import ExportFormat

router = APIGatewayHttpRouter()
_log = logging.getLogger("dam-api")  # the API handler's Powertools Logger: JSON lines with its keys

AssetId = Annotated[str, Path(min_length=1, max_length=64, description="The asset's id")]
# The `version` of what is edited; a stale edit is refused (409).
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="idempotency-key",
        min_length=8,
        max_length=128,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="Any unique string per upload (a UUID): sending the request again with the same key (after a "
        "timeout, a lost answer, a killed client) answers 200 with the same asset, and fresh upload URLs while its "
        "bytes have not landed, instead of making a second asset",
    ),
]
IfMatch = Annotated[str | None, Header(alias="if-match", description="The `version` read; refuses stale edits (409)")]

# PATCH needs the action of every field it sets: a caller may move an asset yet not retag it.
EDIT_ACTIONS = {
    "name": Action.RENAME,
    "notes": Action.EDIT_NOTES,
    "tags": Action.EDIT_TAGS,
    "asset_type": Action.CHANGE_TYPE,
    "folder_id": Action.MOVE_TO_FOLDER,
}


def summary(asset: Asset, *, is_favorite: bool = False) -> AssetSummary:
    """A gallery card. Pass `is_favorite` from `services().library.favorite_ids(caller, page)`: one batch read."""
    thumb = services().assets.rendition_urls(asset).get("thumbnail")
    return AssetSummary(
        **summary_fields(asset), thumbnail=SignedUrlOut.of(thumb) if thumb else None, is_favorite=is_favorite
    )


def detail_for(caller: Caller, asset: Asset) -> AssetOut:
    """The detail view as the caller sees it: their favorite flag and the asset's usage links."""
    library = services().library
    usages = [UsageOut.of(u) for u in library.usages_of(asset)]
    return _detail(asset, is_favorite=library.is_favorite(caller, asset), usages=usages)


def _detail(asset: Asset, *, is_favorite: bool = False, usages: list[UsageOut] | None = None) -> AssetOut:
    assets = services().assets
    urls = assets.rendition_urls(asset)
    original = assets.original_url(asset)
    renditions = {
        name: RenditionOut(
            url=urls[name].url,
            expires_at=urls[name].expires_at,
            content_type=r.content_type,
            size=r.size,
            width=r.width,
            height=r.height,
        )
        for name, r in asset.renditions.items()
    }
    thumb = urls.get("thumbnail")
    return AssetOut(
        **summary_fields(asset),
        thumbnail=SignedUrlOut.of(thumb) if thumb else None,
        workspace_id=asset.workspace_id,
        filename=asset.filename,
        status_reason=asset.status_reason,
        checksum_sha256=asset.checksum_sha256,
        updated_at=asset.updated_at,
        notes=asset.notes,
        metadata=asset.metadata,
        version=asset.version,
        active_version=asset.active_version,
        original=SignedUrlOut.of(original) if original else None,
        renditions=renditions,
        analysis=asset.analysis,
        search_context=asset.search_context,
        duplicate_of=asset.duplicate_of,
        discarded_uploads=asset.discarded_uploads,
        is_favorite=is_favorite,
        usages=usages or [],
    )


@router.post(
    "/uploads",
    summary="Start an upload",
    description="Creates the asset record and returns a presigned POST for the bytes, or, for a file over the "
    "multipart threshold (100 MB by default), `multipart`: the part size and presigned PUT URLs for the first parts "
    "(more from `POST /uploads/{asset_id}/parts`; finish with `POST /uploads/{asset_id}/complete`). The asset moves "
    "to `uploaded` when the bytes land, then through processing to `ready`.",
    responses={
        **route_responses(201, "Asset created; upload the file to `upload.url`", UploadResponse, 401, 403, 409, 422),
        **route_responses(200, "A retry (same Idempotency-Key): the asset the first request made", UploadResponse),
    },
    tags=["Assets"],
)
@permits(Action.UPLOAD)
def create_upload(body: UploadRequest, idempotency_key: IdempotencyKey = None) -> Response[UploadResponse]:
    if body.shot_id and not body.project_id:
        raise InvalidInput("a shot is named with its project: send project_id too", field="project_id")
    built, caller = services(), current_caller()
    new_upload = NewUpload(
        filename=body.filename,
        content_type=body.content_type,
        size=body.size,
        asset_type=body.asset_type,
        name=body.name,
        folder_id=body.folder_id,
        client_id=body.client_id,
        generation=body.generation,
        checksum_sha256=body.checksum_sha256.lower() if body.checksum_sha256 else None,
        idempotency_key=idempotency_key,
    )
    if body.project_id:
        started = built.projects.start_upload(caller, new_upload, body.project_id, body.shot_id)
    else:
        started = built.assets.start_upload(caller, new_upload)
    asset, post = started.asset, started.plan
    # The first line of an asset's life; the request's correlation id is on the record for the next ones.
    _log.info(
        "upload started",
        extra={"asset_id": asset.asset_id, "media_type": asset.media_type.value, "replayed": started.replayed},
    )
    if isinstance(post, MultipartPlan):
        reply = UploadResponse(asset=_detail(asset), upload=None, multipart=multipart_out(post))
    elif post is None:
        reply = UploadResponse(asset=_detail(asset), upload=None)
    else:
        upload = PresignedPostOut(url=post.url, fields=post.fields, expires_at=post.expires_at, max_size=body.size)
        reply = UploadResponse(asset=_detail(asset), upload=upload)
    return Response(
        status_code=200 if started.replayed else 201,
        content_type="application/json",
        body=reply,
        headers={"Location": f"/assets/{asset.asset_id}"},
    )


def multipart_out(plan: MultipartPlan) -> MultipartOut:
    return MultipartOut(
        upload_id=plan.upload_id,
        part_size=plan.part_size,
        part_count=plan.part_count,
        parts=[PartUrlOut(part_number=p.part_number, url=p.url) for p in plan.parts],
        expires_at=plan.expires_at,
    )


@router.get(
    "/assets",
    summary="List assets, newest first",
    responses=route_responses(200, "A page of assets", AssetPage, 400, 401, 422),
    tags=["Assets"],
)
@permits(Action.BROWSE)
def list_assets(
    asset_type: AssetType | None = None,
    media_type: MediaType | None = None,
    model: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    creator: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    created_from: Annotated[
        date | datetime | None, Query(alias="from", description="Created on or after this date (UTC)")
    ] = None,
    created_to: Annotated[
        date | datetime | None,
        Query(alias="to", description="Created on or before this date; a date includes that whole day (UTC)"),
    ] = None,
    archived: bool = False,
    favorites: Annotated[bool, Query(description="Only what you favorited (favorites are personal)")] = False,
    folder: Annotated[
        str | None, Query(min_length=1, max_length=64, description=f"A folder id, or `{UNASSIGNED}`")
    ] = None,
    collection: Annotated[str | None, Query(min_length=1, max_length=64, description="A collection id")] = None,
    brand: Annotated[str | None, Query(min_length=1, max_length=64, description="A brand id")] = None,
    project: Annotated[str | None, Query(min_length=1, max_length=64, description="A project id")] = None,
    shot: Annotated[
        str | None, Query(min_length=1, max_length=64, description="A shot id: its attached assets")
    ] = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=100, description="Exactly this tag")] = None,
    prompt: Annotated[
        str | None, Query(min_length=1, max_length=500, description="Case-insensitive substring of the prompt")
    ] = None,
    view: Annotated[
        Literal["all", "categorized"],
        Query(description="`categorized`: the branded library, without generated content"),
    ] = "all",
    checksum: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9a-fA-F]{64}$",
            description="Only assets with exactly these bytes (SHA-256, 64 hex digits; known once uploaded), "
            "oldest first, on one page; no other filter applies",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(min_length=1, max_length=1000)] = None,
) -> AssetPage:
    if checksum is not None:
        others = (asset_type, media_type, model, creator, created_from, created_to, folder, collection, brand)
        if any(v is not None for v in (*others, project, shot, tag, prompt, cursor)) or archived or favorites:
            raise InvalidInput("checksum is looked up on its own: drop the other filters", field="query.checksum")
        return checksum_page(current_caller(), checksum, limit)
    caller = current_caller()
    query = filter_query(
        caller,
        asset_type=asset_type,
        media_type=media_type,
        model=model,
        creator_id=creator,
        created_from=created_from,
        created_to=created_to,
        archived=archived,
        favorites=favorites,
        folder_id=folder,
        collection_id=collection,
        brand_id=brand,
        tag=tag,
        prompt=prompt,
        view=view,
        project_id=project,
        shot_id=shot,
    )
    return asset_page(caller, query, limit, cursor)


def checksum_page(caller: Caller, checksum: str, limit: int) -> AssetPage:
    """The caller's assets with these bytes: one Query on the checksum index, one batch read of favorites."""
    found = services().assets.with_checksum(caller, checksum)[:limit]
    favorite_ids = services().library.favorite_ids(caller, found)
    return AssetPage(items=[summary(a, is_favorite=a.asset_id in favorite_ids) for a in found], next_cursor=None)


def filter_query(
    caller: Caller,
    *,
    created_from: date | datetime | None,
    created_to: date | datetime | None,
    favorites: bool,
    view: str,
    **filters: Any,
) -> AssetQuery:
    """The gallery filters of a request (GET /assets and GET /search take the same, dam.domain.filters): dates as
    inclusive bounds (a To date through the end of its day), `view=categorized`, `favorites` as the caller's."""
    low = date_bound(created_from, end=False)
    high = date_bound(created_to, end=True)
    if low and high and low > high:
        raise InvalidInput("`from` is after `to`", field="query.from")
    return AssetQuery(
        created_from=low,
        created_to=high,
        exclude_generated=view == "categorized",
        favorites_of=caller.user_id if favorites else None,
        **filters,
    )


def asset_page(caller: Caller, query: AssetQuery, limit: int, cursor: str | None) -> AssetPage:
    """A gallery page of cards, within the response budget and the read budget (`partial`: cut short)."""
    partial = False

    def read(size: int) -> tuple[list[AssetSummary], str | None]:
        nonlocal partial
        page, favorite_ids = services().library.browse(caller, query, size, cursor)
        partial = page.partial
        return [summary(a, is_favorite=a.asset_id in favorite_ids) for a in page.items], page.next_cursor

    items, next_cursor = fit_page(read, limit)
    return AssetPage(items=items, next_cursor=next_cursor, partial=partial)


@router.get(
    "/assets/<asset_id>",
    summary="Get an asset",
    responses=route_responses(200, "The asset, with short-lived links to its files", AssetOut, 401, 404, 422),
    tags=["Assets"],
)
@permits(Action.BROWSE)
def get_asset(asset_id: AssetId) -> AssetOut:
    caller = current_caller()
    return detail_for(caller, services().assets.get(caller, asset_id))


@router.patch(
    "/assets/<asset_id>",
    summary="Edit an asset's name, notes, tags, type or folder",
    responses=route_responses(200, "The edited asset", AssetOut, 401, 403, 404, 409, 422),
    tags=["Assets"],
)
@permits(by_field=EDIT_ACTIONS)
def update_asset(
    asset_id: AssetId,
    body: AssetPatch,
    if_match: IfMatch = None,
) -> AssetOut:
    expected = parse_version(if_match)
    changes = AssetChanges(
        name=body.name,
        notes=body.notes,
        tags=body.tags,
        asset_type=body.asset_type,
        folder_id=body.folder_id if "folder_id" in body.model_fields_set else KEEP,
    )
    caller = current_caller()
    return detail_for(caller, services().assets.update(caller, asset_id, changes, expected))


def parse_version(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise InvalidInput("If-Match must be the version number read", field="header.if-match")
    return int(text)


@router.delete(
    "/assets/<asset_id>",
    summary="Move an asset to the trash, or delete it permanently",
    description="Moves the asset, with its versions, to the trash (`GET /trash`): it leaves every list, favorite, "
    "collection, brand, folder, project, shot and search at once, its files and links stay, and "
    "`POST /assets/{asset_id}/restore` brings it all back until the trash period (30 days by default) ends; then "
    "it is deleted permanently. An upload that never landed has nothing to keep and is deleted permanently. "
    "`permanent=true` deletes permanently now, from the library or from the trash: the original, every rendition "
    "and version, everyone's favorites of it, its brand links, collection memberships and usage links, then the "
    "record (search forgets it through the table's stream). An asset that is gone (or already in the trash, "
    "without `permanent`), or not yours to see, answers 404; a delete interrupted half-way is finished by a retry.",
    responses=route_responses(204, "Moved to the trash (or deleted permanently)", None, 401, 403, 404, 409, 422),
    tags=["Assets"],
)
@permits(Action.DELETE_ASSET)
def delete_asset(
    asset_id: AssetId,
    permanent: Annotated[
        bool, Query(description="Delete permanently now (files, versions, links, record) instead of to the trash")
    ] = False,
) -> Response[None]:
    caller = current_caller()
    if permanent:
        services().assets.delete(caller, asset_id)
    else:
        services().trash.move_to_trash(caller, asset_id)
    return Response(status_code=204)


@router.post(
    "/assets/<asset_id>/restore",
    summary="Restore an asset from the trash",
    description="Brings the asset back as it was: its versions, favorites, collections, brands, folder (unless "
    "that folder was deleted meanwhile), project and shot, and into search. An asset that is not in the trash is "
    "answered as it is; one whose time in the trash is over, or that is gone, answers 404.",
    responses=route_responses(200, "The restored asset", AssetOut, 401, 403, 404, 409, 422),
    tags=["Trash"],
)
@permits(Action.RESTORE_ASSET)
def restore_asset(asset_id: AssetId) -> AssetOut:
    caller = current_caller()
    return detail_for(caller, services().trash.restore(caller, asset_id))


@router.get(
    "/assets/<asset_id>/download",
    summary="Download the original",
    description="302 to a short-lived URL of the active version's file (a stable reference: it follows promotes); "
    "the file is named `{model}-{id prefix}.{ext}` for generated content. `?version=approved` follows the newest "
    "approved version instead (404 when none is). `?format=png|jpg` converts an image to PNG or JPEG (full size, "
    "upright, sRGB; JPEG on white where it was transparent); other files answer 422.",
    responses=route_responses(302, "Redirect to the file", None, 401, 404, 409, 422),
    tags=["Assets"],
)
@permits(Action.DOWNLOAD)
def download_asset(
    asset_id: AssetId,
    version: Annotated[Literal["approved"] | None, Query(description="`approved`: the newest approved version")] = None,
    export_format: Annotated[
        ExportFormat | None, Query(alias="format", description="Convert an image to `png` or `jpg`")
    ] = None,
) -> Response[None]:
    if export_format is not None:
        url = services().versions.export_url(current_caller(), asset_id, version or "active", export_format)
    elif version == "approved":
        url = services().versions.download_url(current_caller(), asset_id, version)
    else:
        url = services().assets.download_url(current_caller(), asset_id)
    return Response(status_code=302, headers={"Location": url, "Cache-Control": "no-store"})


@router.post(
    "/assets/<asset_id>/reanalyze",
    summary="Re-run image analysis and embedding",
    description="Runs the vision analysis and the embedding again (never the renditions), with an optional hint "
    "that corrects the model. Works for failed assets too.",
    responses=route_responses(
        202, "Analysis started; the asset is `processing` until it is done", AssetOut, 401, 403, 404, 409, 422
    ),
    tags=["Processing"],
)
@permits(Action.RETRY_ANALYSIS, by_field={"hint": Action.REANALYZE_WITH_HINT})
def reanalyze_asset(asset_id: AssetId, body: RerunRequest | None = None) -> Response[AssetOut]:
    hint = body.hint if body else None
    caller = current_caller()
    asset = services().assets.rerun(caller, asset_id, analyze_only=True, hint=hint)
    return Response(status_code=202, content_type="application/json", body=detail_for(caller, asset))


@router.post(
    "/assets/<asset_id>/reprocess",
    summary="Re-run the whole pipeline",
    description="Sniffs, renders, analyses and embeds the original again. Works for failed assets too.",
    responses=route_responses(202, "Processing started", AssetOut, 401, 403, 404, 409, 422),
    tags=["Processing"],
)
@permits(Action.REPROCESS)
def reprocess_asset(asset_id: AssetId) -> Response[AssetOut]:
    caller = current_caller()
    asset = services().assets.rerun(caller, asset_id, analyze_only=False)
    return Response(status_code=202, content_type="application/json", body=detail_for(caller, asset))
