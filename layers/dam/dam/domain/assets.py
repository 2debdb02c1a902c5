"""The asset: what a user uploads, and the rules of its lifecycle."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict, Field

from dam.domain.errors import Conflict
from dam.domain.formats import MediaType
from dam.domain.identity import Caller
from dam.domain.modeling import LazyModel


class AssetType(StrEnum):
    CHARACTER = "character"
    PRODUCT = "product"
    BACKGROUND = "background"
    LOGO = "logo"
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    DOCUMENT = "document"
    GENERATED_CONTENT = "generated_content"


class AssetStatus(StrEnum):
    PENDING_UPLOAD = "pending_upload"
    UPLOADED = "uploaded"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"
    REJECTED = "rejected"
    DELETING = "deleting"


# The words a user sees in the upload panel (queued → uploading → analyzing → complete / failed).
PROGRESS_LABELS: dict[AssetStatus, str] = {
    AssetStatus.PENDING_UPLOAD: "uploading",
    AssetStatus.UPLOADED: "queued",
    AssetStatus.PROCESSING: "analyzing",
    AssetStatus.READY: "complete",
    AssetStatus.FAILED: "failed",
    AssetStatus.REJECTED: "failed",
    AssetStatus.DELETING: "deleting",
}


class GenerationInput(LazyModel):
    """An asset (at a version) a generation was made from. Without a version, the upload records the version
    it resolved to (the approved one at that moment)."""

    model_config = ConfigDict(extra="forbid")

    asset_id: str = Field(min_length=1, max_length=64)
    version: int | None = Field(default=None, ge=1, le=999_999)


class GenerationMetadata(LazyModel):
    """How an AI-generated asset was made."""

    model_config = ConfigDict(extra="forbid")

    prompt: str | None = Field(default=None, max_length=20_000)
    enhanced_prompt: str | None = Field(default=None, max_length=20_000)
    model: str | None = Field(default=None, min_length=1, max_length=200)
    provider: str | None = Field(default=None, max_length=200)
    parameters: dict[str, Any] = Field(default_factory=dict)
    generation_run_id: str | None = Field(default=None, max_length=200)
    inputs: list[GenerationInput] = Field(
        default_factory=list, max_length=50, description="What it was made from (see the quality gate)"
    )


class Rendition(LazyModel):
    """A derived file (thumbnail, preview, poster) stored beside the original."""

    key: str
    version_id: str | None = None  # the stored version written by the pipeline; links are pinned to it
    content_type: str
    size: int
    width: int | None = None
    height: int | None = None


class Asset(LazyModel):
    asset_id: str
    workspace_id: str
    asset_type: AssetType
    media_type: MediaType
    name: str
    filename: str
    content_type: str
    size: int
    status: AssetStatus
    status_reason: str | None = None
    checksum_sha256: str | None = None
    creator_id: str
    created_at: datetime
    updated_at: datetime
    folder_id: str | None = None
    client_id: str | None = None
    tags: list[str] = Field(default_factory=list)
    # Denormalised from the library's links (kept in step in the same transaction) so gallery filters,
    # cards and the search index see them without another read.
    brand_ids: list[str] = Field(default_factory=list)
    collection_ids: list[str] = Field(default_factory=list)
    notes: str = ""
    archived: bool = False
    generation: GenerationMetadata | None = None
    renditions: dict[str, Rendition] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)
    original_key: str
    # The stored object the pipeline checked (S3 version id, and ETag): the only bytes ever served.
    original_version: str | None = None
    original_etag: str | None = None
    # Later uploads to the original's key, refused and removed after the checks were done.
    discarded_uploads: int = 0
    # A multipart upload in progress (S3's upload id and the part size), until it completes or is aborted.
    upload_id: str | None = None
    part_size: int | None = None
    # The SHA-256 (hex) the client sent with the upload; Register fails the asset when the bytes differ.
    expected_sha256: str | None = None
    version: int = 0
    # Filled by the processing pipeline.
    placeholder: str | None = Field(default=None, description="BlurHash of the image, for instant grey-free grids")
    analysis: dict[str, Any] | None = None
    search_context: str | None = None
    document_text: str | None = None  # the words inside a document (bounded), for search
    embedding: list[float] | None = None
    embedding_model: str | None = None
    duplicate_of: str | None = None
    # Versions (dam.domain.versions): the fields above describe the active one.
    active_version: int = 1
    active_set_by: str | None = None
    active_set_at: datetime | None = None
    version_counter: int = 1  # the highest version number ever given out; never goes down
    sequence: int | None = None  # the asset's number in its workspace, for studio ids; given once
    # Projects (dam.domain.projects): the project it belongs to (for good), the shot it is attached to, and
    # whether that shot is ready (approved and locked: no changes, no new versions until reopened).
    project_id: str | None = None
    shot_id: str | None = None
    shot_locked: bool = False
    # The API request that last started work on it (its upload, a re-run): logged as `correlation_id` by the
    # functions that carry the work on (dam.observability).
    correlation_id: str | None = None
    # The trash (dam.domain.trash): when and by whom it was deleted, and when it goes for good. Everything else
    # (files, versions, links) is kept as it was, so a restore brings it all back.
    trashed_at: datetime | None = None
    trashed_by: str | None = None
    trash_expires_at: datetime | None = None

    @property
    def in_trash(self) -> bool:
        return self.trashed_at is not None

    @property
    def extension(self) -> str:
        _, dot, ext = self.filename.rpartition(".")
        return ext.lower() if dot else ""

    @property
    def progress(self) -> str:
        return PROGRESS_LABELS[self.status]


def asset_visible_to(caller: Caller, asset: Asset) -> bool:
    """Another workspace's asset, another client's, one in the trash or one being deleted is not there for
    this caller (the trash has its own routes: dam.services.trash)."""
    if asset.in_trash or asset.status is AssetStatus.DELETING:
        return False
    return in_callers_scope(caller, asset)


def in_callers_scope(caller: Caller, asset: Asset) -> bool:
    """The caller's workspace and clients, whatever the asset's state."""
    return asset.workspace_id == caller.workspace_id and caller.sees_client(asset.client_id)


def check_not_locked(asset: Asset) -> None:
    """An asset of a ready shot changes only once a lead reopens the shot."""
    if asset.shot_locked:
        raise Conflict(f"asset {asset.asset_id} is in shot {asset.shot_id}, which is ready (approved and locked)")


def new_asset_id() -> str:
    """128 random bits as 32 hex characters; the first 8 name downloads of generated content."""
    return secrets.token_hex(16)


def replayable_asset_id(workspace_id: str, user_id: str, idempotency_key: str) -> str:
    """The asset an upload with this Idempotency-Key makes: the same for every retry of that request by that
    caller, so a client that lost the answer (a timeout, a killed process) gets the same asset back."""
    digest = hashlib.sha256(f"{workspace_id}\n{user_id}\n{idempotency_key}".encode()).hexdigest()
    return digest[:32]


def utcnow() -> datetime:
    return datetime.now(UTC)


def original_key(workspace_id: str, asset_id: str) -> str:
    """Where an asset's original bytes live. Everything of one asset shares the prefix."""
    return f"{asset_prefix(workspace_id, asset_id)}original"


def asset_prefix(workspace_id: str, asset_id: str) -> str:
    return f"assets/{workspace_id}/{asset_id}/"


def parse_original_key(key: str) -> tuple[str, str] | None:
    """`assets/{workspace}/{asset}/original` → (workspace, asset); anything else → None."""
    parts = key.split("/")
    if len(parts) == 4 and parts[0] == "assets" and parts[3] == "original" and parts[1] and parts[2]:
        return parts[1], parts[2]
    return None


def download_filename(asset: Asset) -> str:
    """`{model}-{first 8 of id}.{ext}` for generated content, the asset's own name otherwise."""
    ext = asset.extension
    if asset.generation and asset.generation.model:
        stem = f"{_safe_stem(asset.generation.model)}-{asset.asset_id[:8]}"
        return f"{stem}.{ext}" if ext else stem
    name = asset.name.strip() or asset.filename
    if ext and not name.lower().endswith(f".{ext}"):
        name = f"{name}.{ext}"
    return name


def _safe_stem(text: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in text.strip())
    return "-".join(part for part in cleaned.split("-") if part) or "asset"
