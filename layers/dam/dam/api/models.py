"""Request and response bodies of the HTTP API. These generate the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dam.domain.assets import Asset, AssetStatus, AssetType, GenerationMetadata
from dam.domain.formats import MediaType
from dam.services.assets import SignedUrl

MAX_TAGS = 50


class ErrorField(BaseModel):
    path: str = Field(description="Where the problem is, e.g. `body.size` or `query.limit`")
    message: str
    type: str | None = None


class ErrorDetail(BaseModel):
    code: str = Field(description="validation_error, invalid_input, not_found, conflict, unauthorized, …")
    message: str
    fields: list[ErrorField] = Field(default_factory=list)
    request_id: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


def _clean_tags(tags: list[str] | None) -> list[str] | None:
    """Trim, drop empties and repeats (keeping order); tags match exactly, so no case folding."""
    if tags is None:
        return None
    seen: dict[str, None] = {}
    for tag in tags:
        cleaned = " ".join(tag.split())
        if cleaned:
            seen.setdefault(cleaned, None)
    return list(seen)


class UploadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=1, max_length=255, examples=["hero-shot.jpg"])
    content_type: str = Field(min_length=3, max_length=255, examples=["image/jpeg"])
    size: int = Field(gt=0, description="Exact size in bytes; the upload policy pins it.")
    asset_type: AssetType
    name: str | None = Field(default=None, min_length=1, max_length=255)
    folder_id: str | None = Field(default=None, min_length=1, max_length=64)
    client_id: str | None = Field(default=None, min_length=1, max_length=64)
    generation: GenerationMetadata | None = None

    @field_validator("filename")
    @classmethod
    def _plain_filename(cls, value: str) -> str:
        if "/" in value or "\\" in value or value.strip() in ("", ".", ".."):
            raise ValueError("must be a file name, not a path")
        return value.strip()


class AssetPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=255)
    notes: str | None = Field(default=None, max_length=10_000)
    tags: list[str] | None = Field(default=None, max_length=MAX_TAGS)
    asset_type: AssetType | None = None

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(len(tag) > 100 for tag in value):
            raise ValueError("each tag is at most 100 characters")
        return _clean_tags(value)


class PresignedPostOut(BaseModel):
    url: str
    fields: dict[str, str] = Field(description="Send these as form fields before the `file` field.")
    expires_at: datetime
    max_size: int


class SignedUrlOut(BaseModel):
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


class AssetSummary(BaseModel):
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
    original: SignedUrlOut | None = None
    renditions: dict[str, RenditionOut] = Field(default_factory=dict)
    placeholder: str | None = Field(default=None, description="BlurHash to paint while the thumbnail loads")
    analysis: dict[str, Any] | None = Field(
        default=None, description="What the vision model saw: description, objects, brands, themes, colors, prop_type"
    )
    search_context: str | None = Field(default=None, description="The paragraph that search embeds for this asset")
    duplicate_of: str | None = Field(
        default=None, description="An earlier asset in this workspace with identical bytes"
    )


class RerunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hint: str | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        examples=["This is a prop sword, not a real one"],
        description="A correction the vision model must take into account",
    )


class AssetPage(BaseModel):
    items: list[AssetSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class UploadResponse(BaseModel):
    asset: AssetOut
    upload: PresignedPostOut


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
    }
