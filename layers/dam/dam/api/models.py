"""Request and response bodies of the HTTP API. These generate the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field, StrictInt, field_validator

from dam.domain.assets import Asset, AssetStatus, AssetType, GenerationMetadata
from dam.domain.formats import MediaType
from dam.domain.library import (
    HEX_COLOR,
    Brand,
    Collection,
    CollectionKind,
    Folder,
    UsageKind,
    UsageLink,
    run_collection_id,
)
from dam.domain.modeling import LazyModel
from dam.domain.values import link_problem, parameters_problems, text_problem
from dam.services.assets import SignedUrl

MAX_TAGS = 50


class ErrorField(LazyModel):
    path: str = Field(description="Where the problem is, e.g. `body.size` or `query.limit`")
    message: str
    type: str | None = None


class ErrorDetail(LazyModel):
    code: str = Field(description="validation_error, invalid_input, not_found, conflict, unauthorized, …")
    message: str
    fields: list[ErrorField] = Field(default_factory=list)
    request_id: str | None = None


class ErrorResponse(LazyModel):
    error: ErrorDetail


class UnauthorizedResponse(LazyModel):
    """API Gateway's JWT authorizer answers 401 with this body (it can't be changed), so the API does too."""

    message: str = Field(examples=["Unauthorized"])


def _plain(value: str, *, multiline: bool = False) -> str:
    """User text as typed, once it passes the text rules (dam.domain.values)."""
    if problem := text_problem(value, multiline=multiline):
        raise ValueError(problem)
    return value


def _clean_tags(tags: list[str] | None) -> list[str] | None:
    """Trim and drop repeats (keeping order); tags match exactly, so no case folding."""
    if tags is None:
        return None
    seen: dict[str, None] = {}
    for tag in tags:
        seen.setdefault(" ".join(_plain(tag).split()), None)
    return list(seen)


class GenerationIn(GenerationMetadata):
    """Generation metadata as a client sends it: `parameters` bounded in size, depth, keys and numbers."""

    @field_validator("parameters")
    @classmethod
    def _portable(cls, value: dict[str, Any]) -> dict[str, Any]:
        if problems := parameters_problems(value):
            raise ValueError(
                "; ".join(f"parameters{'.' + path if path else ''} {problem}" for path, problem in problems[:5])
            )
        return value

    @field_validator("prompt", "enhanced_prompt")
    @classmethod
    def _prompt(cls, value: str | None) -> str | None:
        return _plain(value, multiline=True) if value else value

    @field_validator("model", "provider", "generation_run_id")
    @classmethod
    def _label(cls, value: str | None) -> str | None:
        return _plain(value) if value else value


class UploadRequest(LazyModel):
    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=1, max_length=255, examples=["hero-shot.jpg"])
    content_type: str = Field(min_length=3, max_length=255, examples=["image/jpeg"])
    size: StrictInt = Field(gt=0, description="Exact size in bytes; the upload policy pins it.")
    asset_type: AssetType
    name: str | None = Field(default=None, min_length=1, max_length=255)
    folder_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Place it in this folder (it must exist and be yours to see; a client's folder makes the "
        "asset that client's)",
    )
    client_id: str | None = Field(default=None, min_length=1, max_length=64)
    generation: GenerationIn | None = Field(
        default=None, description="For generated content; a `generation_run_id` files it in the run's collection"
    )
    checksum_sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-fA-F]{64}$",
        description="SHA-256 of the whole file as 64 hex digits; processing fails the asset when the bytes differ",
    )
    project_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="The project the asset belongs to, for good (a complete project takes none: 409)",
    )
    shot_id: str | None = Field(
        default=None, min_length=1, max_length=64, description="Attach it to this shot of `project_id` at once"
    )

    @field_validator("filename")
    @classmethod
    def _plain_filename(cls, value: str) -> str:
        if "/" in value or "\\" in value or value.strip() in ("", ".", ".."):
            raise ValueError("must be a file name, not a path")
        return _plain(value).strip()

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return _plain(value) if value is not None else None


class AssetPatch(LazyModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=255)
    notes: str | None = Field(default=None, max_length=10_000)
    tags: list[str] | None = Field(default=None, max_length=MAX_TAGS)
    asset_type: AssetType | None = None
    folder_id: str | None = Field(
        default=None, min_length=1, max_length=64, description="Move into this folder; `null` takes it out (unassigned)"
    )

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(len(tag) > 100 for tag in value):
            raise ValueError("each tag is at most 100 characters")
        return _clean_tags(value)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return _plain(value) if value is not None else None

    @field_validator("notes")
    @classmethod
    def _notes(cls, value: str | None) -> str | None:
        return _plain(value, multiline=True) if value else value  # "" clears the notes


class PresignedPostOut(LazyModel):
    url: str
    fields: dict[str, str] = Field(description="Send these as form fields before the `file` field.")
    expires_at: datetime
    max_size: int


class SignedUrlOut(LazyModel):
    url: str
    expires_at: datetime

    @classmethod
    def of(cls, signed: SignedUrl) -> SignedUrlOut:
        return cls(url=signed.url, expires_at=signed.expires_at)


class RenditionOut(SignedUrlOut):
    content_type: str
    size: int
    width: int | None = None
    height: int | None = None


class UsageOut(LazyModel):
    usage_id: str
    kind: UsageKind
    ref: str
    label: str | None
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, usage: UsageLink) -> UsageOut:
        return cls(**usage.model_dump(exclude={"asset_id"}))


class AssetSummary(LazyModel):
    """A gallery card."""

    asset_id: str
    asset_type: AssetType
    media_type: MediaType
    name: str
    content_type: str
    size: int
    status: AssetStatus
    progress: str = Field(description="What the upload panel shows: uploading, queued, analyzing, complete, failed")
    creator_id: str
    created_at: datetime
    folder_id: str | None
    client_id: str | None
    tags: list[str]
    archived: bool
    generation: GenerationMetadata | None
    thumbnail: SignedUrlOut | None = None
    is_favorite: bool = Field(default=False, description="Whether the caller favorited it (favorites are personal)")
    brand_ids: list[str] = Field(default_factory=list)
    collection_ids: list[str] = Field(
        default_factory=list, description="Manual collections, and the generation run's automatic one"
    )
    project_id: str | None = Field(default=None, description="The project it was made in")
    shot_id: str | None = Field(default=None, description="The shot it is attached to")
    shot_locked: bool = Field(default=False, description="Its shot is ready: no changes until a lead reopens it")
    placeholder: str | None = Field(default=None, description="BlurHash to paint while the thumbnail loads")
    duration_seconds: float | None = Field(default=None, description="A video's or audio file's length")


class AssetOut(AssetSummary):
    """The detail view: everything known about the asset, with short-lived links to its files."""

    workspace_id: str
    filename: str
    status_reason: str | None
    checksum_sha256: str | None
    updated_at: datetime
    notes: str
    metadata: dict[str, Any]
    version: int = Field(description="Send as If-Match on PATCH to refuse overwriting someone else's edit")
    active_version: int = Field(default=1, description="The version number the asset shows (see /versions)")
    original: SignedUrlOut | None = None
    renditions: dict[str, RenditionOut] = Field(default_factory=dict)
    analysis: dict[str, Any] | None = Field(
        default=None, description="What the vision model saw: description, objects, brands, themes, colors, prop_type"
    )
    search_context: str | None = Field(default=None, description="The paragraph that search embeds for this asset")
    duplicate_of: str | None = Field(
        default=None, description="An earlier asset in this workspace with identical bytes"
    )
    discarded_uploads: int = Field(
        default=0,
        description="Uploads to this asset's original after its checks, refused and removed (the checked bytes stay)",
    )
    usages: list[UsageOut] = Field(default_factory=list, description="The projects and workflows that use it")


class RerunRequest(LazyModel):
    model_config = ConfigDict(extra="forbid")

    hint: str | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        examples=["This is a prop sword, not a real one"],
        description="A correction the vision model must take into account",
    )

    @field_validator("hint")
    @classmethod
    def _hint(cls, value: str | None) -> str | None:
        return _plain(value, multiline=True) if value is not None else None


EDIT_VERSION = "Send as If-Match on PATCH to refuse overwriting someone else's edit (409)"
PARTIAL_PAGE = (
    "True when the page's read budget ran out before it filled: it holds fewer items than `limit` (maybe none), "
    "yet more may follow `next_cursor`. Keep loading; only a null `next_cursor` means the end."
)


class AssetPage(LazyModel):
    items: list[AssetSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")
    partial: bool = Field(default=False, description=PARTIAL_PAGE)


class PartUrlOut(LazyModel):
    part_number: int
    url: str = Field(description="PUT the part's bytes here; keep the answer's `ETag` header for `complete`")


class MultipartOut(LazyModel):
    upload_id: str
    part_size: int = Field(description="Bytes in each part; the last part holds the rest")
    part_count: int
    parts: list[PartUrlOut] = Field(description="URLs for a batch of parts; ask `POST /uploads/{asset_id}/parts`")
    expires_at: datetime


class UploadedPartOut(LazyModel):
    part_number: int
    etag: str = Field(description="The part's `ETag`, as its PUT answered it and as `complete` takes it")


class UploadedPartsOut(LazyModel):
    upload_id: str
    part_size: int
    part_count: int
    parts: list[UploadedPartOut] = Field(description="The parts received so far, in ascending order")


class UploadResponse(LazyModel):
    asset: AssetOut
    upload: PresignedPostOut | None = Field(
        description="A presigned POST for files up to the multipart threshold; null when `multipart` is given, "
        "and on a retried request whose bytes already landed"
    )
    multipart: MultipartOut | None = Field(default=None, description="For larger files: upload in parts")


class PartsRequest(LazyModel):
    model_config = ConfigDict(extra="forbid")

    part_numbers: list[StrictInt] = Field(min_length=1, max_length=100)


class CompletedPartIn(LazyModel):
    model_config = ConfigDict(extra="forbid")

    part_number: StrictInt = Field(ge=1, le=10_000)
    etag: str = Field(min_length=1, max_length=100, description="The `ETag` header the part's PUT answered")


class CompleteRequest(LazyModel):
    model_config = ConfigDict(extra="forbid")

    parts: list[CompletedPartIn] = Field(min_length=1, max_length=10_000)


def summary_fields(asset: Asset) -> dict[str, Any]:
    return {
        "asset_id": asset.asset_id,
        "asset_type": asset.asset_type,
        "media_type": asset.media_type,
        "name": asset.name,
        "content_type": asset.content_type,
        "size": asset.size,
        "status": asset.status,
        "progress": asset.progress,
        "creator_id": asset.creator_id,
        "created_at": asset.created_at,
        "folder_id": asset.folder_id,
        "client_id": asset.client_id,
        "tags": asset.tags,
        "archived": asset.archived,
        "generation": asset.generation,
        "brand_ids": asset.brand_ids,
        "collection_ids": _collection_ids(asset),
        "project_id": asset.project_id,
        "shot_id": asset.shot_id,
        "shot_locked": asset.shot_locked,
        "placeholder": asset.placeholder,
        "duration_seconds": _duration(asset),
    }


def _duration(asset: Asset) -> float | None:
    duration = asset.metadata.get("duration") if asset.media_type in (MediaType.VIDEO, MediaType.AUDIO) else None
    return float(duration) if isinstance(duration, int | float) and not isinstance(duration, bool) else None


def _collection_ids(asset: Asset) -> list[str]:
    run = asset.generation.generation_run_id if asset.generation else None
    return [*asset.collection_ids, *([run_collection_id(run)] if run else [])]


# --- library -----------------------------------------------------------------------------------------


def _clean_name(value: str) -> str:
    return " ".join(_plain(value).split())


class UsageIn(LazyModel):
    model_config = ConfigDict(extra="forbid")

    kind: UsageKind
    ref: str = Field(min_length=1, max_length=500, description="The project's or workflow's id or URL")
    label: str | None = Field(default=None, min_length=1, max_length=200, examples=["Magnesium video, take 3"])

    @field_validator("ref")
    @classmethod
    def _ref(cls, value: str) -> str:
        if problem := link_problem(_plain(value)):
            raise ValueError(problem)
        return value

    @field_validator("label")
    @classmethod
    def _label(cls, value: str | None) -> str | None:
        return _plain(value) if value is not None else None


class UsageList(LazyModel):
    items: list[UsageOut]


class FolderIn(LazyModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, examples=["Spring campaign"])
    parent_id: str | None = Field(default=None, min_length=1, max_length=64, description="None: a top-level folder")
    client_id: str | None = Field(
        default=None, min_length=1, max_length=64, description="Scope it to a client (sub-folders inherit it)"
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _clean_name(value)


class FolderPatch(LazyModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    parent_id: str | None = Field(
        default=None, min_length=1, max_length=64, description="Move under this folder; `null` moves it to the top"
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return _clean_name(value) if value is not None else None


class FolderOut(LazyModel):
    folder_id: str
    name: str
    parent_id: str | None
    client_id: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int = Field(description=EDIT_VERSION)

    @classmethod
    def of(cls, folder: Folder) -> FolderOut:
        return cls(**folder.model_dump(exclude={"workspace_id"}))


class FolderList(LazyModel):
    items: list[FolderOut]


class ClientOut(LazyModel):
    client_id: str


class ClientList(LazyModel):
    items: list[ClientOut]


class CollectionIn(LazyModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, examples=["Hero shots"])

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _clean_name(value)


class NewCollectionIn(CollectionIn):
    client_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Scope it to a client (external users: one of theirs, their first by default)",
    )


class CollectionOut(LazyModel):
    collection_id: str
    name: str
    kind: CollectionKind = Field(description="`manual`, or `generation_run`: the assets of one generation run")
    generation_run_id: str | None
    client_id: str | None = Field(default=None, description="The client it belongs to; none: shared")
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int = Field(description=EDIT_VERSION)

    @classmethod
    def of(cls, collection: Collection) -> CollectionOut:
        return cls(**collection.model_dump(exclude={"workspace_id"}))


class CollectionPage(LazyModel):
    items: list[CollectionOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")
    partial: bool = Field(default=False, description=PARTIAL_PAGE)


Color = Field(pattern=HEX_COLOR.pattern, examples=["#e4002b"], description="`#rrggbb`")


class BrandIn(LazyModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, examples=["Acme Cola"])
    color: str = Color

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _clean_name(value)


class BrandPatch(LazyModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    color: str | None = Field(default=None, pattern=HEX_COLOR.pattern, description="`#rrggbb`")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return _clean_name(value) if value is not None else None


class BrandOut(LazyModel):
    brand_id: str
    name: str
    color: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int = Field(description=EDIT_VERSION)

    @classmethod
    def of(cls, brand: Brand) -> BrandOut:
        return cls(**brand.model_dump(exclude={"workspace_id"}))


class BrandList(LazyModel):
    items: list[BrandOut]


class DeleteInProgress(LazyModel):
    """A delete of a folder, brand or collection with many assets: it is gone from every list already,
    and the library worker is updating its assets."""

    assets_to_update: int = Field(
        ge=0,
        description="Assets that still named it when the delete was asked; the list of them (`GET /assets?folder=` "
        "with `archived=true` too, `?brand=`, `?collection=`) shrinks to empty as the worker goes",
        examples=[5000],
    )


class Chip(LazyModel):
    chip_id: str = Field(examples=["favorites"])
    label: str = Field(examples=["Favorites"])
    query: dict[str, str] = Field(description="The `GET /assets` parameters this chip stands for")


class ChipList(LazyModel):
    items: list[Chip]
