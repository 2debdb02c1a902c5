"""Versions of an asset: every take kept, one active, a review record of who approved what.

Three pointers, never one field for all: `latest` (the highest number still there), `active` (what the
asset shows everywhere; moved by promote) and `approved` (the newest version whose review says approved).
Numbers come from a counter on the asset and are never reused, not even after a delete.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from dam.domain.assets import Asset, AssetStatus, GenerationMetadata, Rendition, asset_prefix
from dam.domain.errors import Conflict, Forbidden
from dam.domain.formats import MediaType
from dam.domain.identity import Caller, Role
from dam.domain.modeling import LazyModel

# What belongs to one version's file: copied onto the asset when the version becomes active, so lists,
# detail, search and the stable download read the active version without a second read.
FILE_FIELDS: tuple[str, ...] = (
    "filename",
    "content_type",
    "media_type",
    "size",
    "status",
    "status_reason",
    "checksum_sha256",
    "metadata",
    "renditions",
    "placeholder",
    "analysis",
    "search_context",
    "embedding",
    "embedding_model",
    "duplicate_of",
    "original_key",
    "original_version",
    "original_etag",
    "discarded_uploads",
    "document_text",
    "generation",
)

TYPE_CODES: dict[MediaType, str] = {
    MediaType.IMAGE: "IMG",
    MediaType.VIDEO: "VID",
    MediaType.AUDIO: "AUD",
    MediaType.DOCUMENT: "DOC",
    MediaType.DATA: "DAT",
    MediaType.SUBTITLES: "SUB",
    MediaType.ARCHIVE: "ZIP",
    MediaType.MODEL: "MDL",
}


class ReviewStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"


class ReviewAction(StrEnum):
    APPROVE = "approve"
    REVOKE = "revoke"


class Review(LazyModel):
    """One entry of a version's review history; the status is read from the last one."""

    action: ReviewAction
    by: str
    role: Role | None
    at: datetime
    note: str | None = Field(default=None, max_length=2000)


class Version(LazyModel):
    asset_id: str
    workspace_id: str
    number: int = Field(ge=1)
    sequence: int = Field(ge=1)  # the asset's, repeated so version 1's record settles who gave it out
    studio_id: str
    created_by: str
    created_at: datetime
    notes: str = ""
    reviews: list[Review] = Field(default_factory=list)
    # The file's facts (see FILE_FIELDS), filled by the pipeline as for the asset itself.
    filename: str
    content_type: str
    media_type: MediaType
    size: int
    status: AssetStatus
    status_reason: str | None = None
    checksum_sha256: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    renditions: dict[str, Rendition] = Field(default_factory=dict)
    placeholder: str | None = None
    analysis: dict[str, Any] | None = None
    search_context: str | None = None
    embedding: list[float] | None = None
    embedding_model: str | None = None
    duplicate_of: str | None = None
    original_key: str
    # The object version (or ETag) the pipeline checked: every read and link of this version is pinned to it.
    original_version: str | None = None
    original_etag: str | None = None
    discarded_uploads: int = 0
    document_text: str | None = None
    generation: GenerationMetadata | None = None
    # "Replace in place": who asked for this version to become active as soon as its bytes land.
    promote_on_upload_by: str | None = None
    record_version: int = 0  # optimistic locking of the version's own record

    @property
    def review_status(self) -> ReviewStatus:
        last = self.reviews[-1] if self.reviews else None
        return ReviewStatus.APPROVED if last and last.action is ReviewAction.APPROVE else ReviewStatus.DRAFT

    @property
    def extension(self) -> str:
        _, dot, ext = self.filename.rpartition(".")
        return ext.lower() if dot else ""

    def file_facts(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FILE_FIELDS}

    def with_facts_of(self, asset: Asset) -> Version:
        """This version carrying the file facts of `asset` (a view of this version that the pipeline changed)."""
        return self.model_copy(update={name: getattr(asset, name) for name in FILE_FIELDS})


def view_of(asset: Asset, version: Version) -> Asset:
    """The asset as it would look with `version` active: what the pipeline processes and promote writes."""
    return asset.model_copy(update=version.file_facts())


def activated(asset: Asset, version: Version, by: str, at: datetime) -> Asset:
    """The asset with `version` active: its file facts shown, the pointer moved, who and when recorded."""
    return view_of(asset, version).model_copy(
        update={"active_version": version.number, "active_set_by": by, "active_set_at": at, "updated_at": at}
    )


def first_version(asset: Asset, sequence: int) -> Version:
    """Version 1 is the asset's own upload (its key is today's `…/original`), recorded the first time
    anything about versions is asked of the asset."""
    reference = library_reference(asset.workspace_id)
    return Version(
        asset_id=asset.asset_id,
        workspace_id=asset.workspace_id,
        number=1,
        sequence=sequence,
        studio_id=studio_id(asset.media_type, asset.created_at, reference, sequence, 1),
        created_by=asset.creator_id,
        created_at=asset.created_at,
        **{name: getattr(asset, name) for name in FILE_FIELDS},
    )


# --- keys ------------------------------------------------------------------------------------------


def version_original_key(workspace_id: str, asset_id: str, number: int) -> str:
    """Version 1 keeps the asset's original key; later versions live in `v{n}/` under the same prefix, so
    deleting the asset's prefix deletes every version's files."""
    prefix = asset_prefix(workspace_id, asset_id)
    return f"{prefix}original" if number == 1 else f"{prefix}v{number}/original"


@dataclass(frozen=True)
class VersionKey:
    workspace_id: str
    asset_id: str
    number: int


def parse_version_key(key: str) -> VersionKey | None:
    """`assets/{ws}/{asset}/original` → version 1; `assets/{ws}/{asset}/v{n}/original` → version n."""
    parts = key.split("/")
    if len(parts) < 4 or parts[0] != "assets" or parts[-1] != "original" or not (parts[1] and parts[2]):
        return None
    if len(parts) == 4:
        return VersionKey(parts[1], parts[2], 1)
    number = parts[3].removeprefix("v")
    if len(parts) == 5 and parts[3].startswith("v") and number.isdigit() and number[0] != "0" and int(number) > 1:
        return VersionKey(parts[1], parts[2], int(number))
    return None


def renditions_prefix(original_key: str) -> str:
    """Renditions sit beside the original they were made from: `…/renditions/` or `…/v{n}/renditions/`."""
    return f"{original_key.removesuffix('original')}renditions/"


# --- studio ids ------------------------------------------------------------------------------------


def library_reference(workspace_id: str) -> str:
    """The 4-character reference of a workspace's own library (used when an asset has no project)."""
    return hashlib.sha256(workspace_id.encode()).hexdigest()[:4]


def studio_id(media_type: MediaType, created_at: datetime, reference: str, sequence: int, number: int) -> str:
    """`IMG-20260203-a3f8-001_v001`: type, creation date (UTC), project reference, asset sequence, version.
    Unique in a workspace because the sequence is (numbers wider than 3 digits just grow)."""
    return f"{TYPE_CODES[media_type]}-{created_at:%Y%m%d}-{reference}-{sequence:03d}_v{number:03d}"


def download_name(version: Version) -> str:
    ext = version.extension
    return f"{version.studio_id}.{ext}" if ext else version.studio_id


# --- pointers and rules ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pointers:
    latest: int
    active: int
    approved: int | None


def pointers(versions: Iterable[Version], active: int) -> Pointers:
    numbered = sorted(versions, key=lambda v: v.number, reverse=True)
    approved = next((v.number for v in numbered if v.review_status is ReviewStatus.APPROVED), None)
    return Pointers(latest=numbered[0].number if numbered else active, active=active, approved=approved)


def check_deletable(version: Version, active: int, versions: Sequence[Version]) -> None:
    if version.number == active:
        raise Conflict(f"version {version.number} is the active version; promote another one first")
    if len(versions) <= 1:
        raise Conflict("the only version of an asset cannot be deleted; delete the asset instead")


def check_reviewer(caller: Caller, version: Version, *, self_approval_allowed: bool) -> None:
    """Nobody approves their own upload unless their workspace says so."""
    if version.created_by == caller.user_id and not self_approval_allowed:
        raise Forbidden("you uploaded this version; someone else must review it (this workspace refuses self-approval)")


def reviewed(version: Version, caller: Caller, action: ReviewAction, at: datetime, note: str | None) -> Version:
    """The version with one more review entry. Approving an approved version (or revoking a draft) changes
    nothing, so the history records only changes and a retried request is harmless."""
    already = ReviewStatus.APPROVED if action is ReviewAction.APPROVE else ReviewStatus.DRAFT
    if version.review_status is already:
        return version
    entry = Review(action=action, by=caller.user_id, role=caller.role, at=at, note=note)
    return version.model_copy(update={"reviews": [*version.reviews, entry]})


# --- compare ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    field: str
    a: Any
    b: Any


_COMPARED_FILE_FACTS = ("filename", "content_type", "size", "checksum_sha256")
_COMPARED_METADATA = ("format", "width", "height", "duration_seconds")


def generation_changes(a: GenerationMetadata | None, b: GenerationMetadata | None) -> list[FieldChange]:
    """Field by field, parameters one by one (`parameters.seed`): only what differs, in name order."""
    return _changes(_flat_generation(a), _flat_generation(b))


def file_changes(a: Version, b: Version) -> list[FieldChange]:
    def facts(version: Version) -> dict[str, Any]:
        found = {name: getattr(version, name) for name in _COMPARED_FILE_FACTS}
        return found | {f"metadata.{k}": version.metadata[k] for k in _COMPARED_METADATA if k in version.metadata}

    return _changes(facts(a), facts(b))


def _flat_generation(generation: GenerationMetadata | None) -> dict[str, Any]:
    if generation is None:
        return {}
    flat = generation.model_dump(mode="json", exclude={"parameters"}, exclude_none=True, exclude_defaults=True)
    return flat | {f"parameters.{key}": value for key, value in generation.parameters.items()}


def _changes(a: dict[str, Any], b: dict[str, Any]) -> list[FieldChange]:
    return [
        FieldChange(name, a.get(name), b.get(name))
        for name in sorted(a.keys() | b.keys())
        if a.get(name) != b.get(name)
    ]
