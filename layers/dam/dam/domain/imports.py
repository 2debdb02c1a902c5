"""Bulk ZIP imports: one archive uploaded, up to N images in it become assets (pure, no AWS)."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from pydantic import Field

from dam.domain.assets import AssetType
from dam.domain.modeling import LazyModel

IMPORTS_PREFIX = "imports/"
ARCHIVE_NAME = "archive.zip"
ZIP_CONTENT_TYPE = "application/zip"


class ImportStatus(StrEnum):
    PENDING_UPLOAD = "pending_upload"
    EXTRACTING = "extracting"
    PROCESSING = "processing"  # children queued, not all finished
    DONE = "done"
    FAILED = "failed"  # the archive as a whole was refused (damaged, a bomb, too many entries)


class ItemOutcome(StrEnum):
    QUEUED = "queued"  # became an asset; its processing tells `ready` or `failed`
    READY = "ready"
    FAILED = "failed"
    SKIPPED = "skipped"
    OVER_LIMIT = "over_limit"  # an image past the import's image limit


class SkipReason(StrEnum):
    """Why an entry was not imported, each with a sentence a person understands (`REASON_TEXT`)."""

    NOT_AN_IMAGE = "not_an_image"
    UNREADABLE = "unreadable"
    DUPLICATE_IN_ARCHIVE = "duplicate_in_archive"
    DUPLICATE_OF_ASSET = "duplicate_of_asset"
    TOO_LARGE = "too_large"
    OVER_LIMIT = "over_limit"
    UNSAFE_PATH = "unsafe_path"
    SYMLINK = "symlink"
    ENCRYPTED = "encrypted"
    NESTED_ARCHIVE = "nested_archive"
    DUPLICATE_NAME = "duplicate_name"
    BOMB = "zip_bomb"
    ARCHIVE_BUDGET = "archive_budget"


REASON_TEXT = {
    SkipReason.NOT_AN_IMAGE: "not an image",
    SkipReason.UNREADABLE: "the image is damaged or unreadable",
    SkipReason.DUPLICATE_IN_ARCHIVE: "the same file as another entry in this archive",
    SkipReason.DUPLICATE_OF_ASSET: "the same file as an asset already in the library",
    SkipReason.TOO_LARGE: "larger than the per-file limit",
    SkipReason.OVER_LIMIT: "past the import's image limit",
    SkipReason.UNSAFE_PATH: "its path points outside the archive (../ or an absolute path)",
    SkipReason.SYMLINK: "a symbolic link, not a file",
    SkipReason.ENCRYPTED: "encrypted (password-protected)",
    SkipReason.NESTED_ARCHIVE: "an archive inside the archive (not expanded)",
    SkipReason.DUPLICATE_NAME: "another entry has the same name",
    SkipReason.BOMB: "expands far more than its compressed size (a zip bomb)",
    SkipReason.ARCHIVE_BUDGET: "the archive's expansion budget was used up before this entry",
}


class ImportItem(LazyModel):
    name: str
    outcome: ItemOutcome
    asset_id: str | None = None
    reason: SkipReason | None = None


class BulkImport(LazyModel):
    import_id: str
    workspace_id: str
    creator_id: str
    filename: str
    size: int
    status: ImportStatus
    status_reason: str | None = None
    folder_id: str | None = None
    client_id: str | None = None
    project_id: str | None = None
    asset_type: AssetType = AssetType.IMAGE
    created_at: datetime
    updated_at: datetime
    total: int = 0  # files in the archive (directories not counted)
    items: list[ImportItem] = Field(default_factory=list)
    version: int | None = None

    @property
    def archive_key(self) -> str:
        return archive_key(self.workspace_id, self.import_id)

    def child_ids(self) -> list[str]:
        return [item.asset_id for item in self.items if item.asset_id]


def new_import_id() -> str:
    return f"imp-{secrets.token_hex(8)}"


def child_asset_id(import_id: str, index: int) -> str:
    """The asset an archive's entry becomes: fixed by the entry, so extracting again never makes a second one."""
    return f"{import_id.removeprefix('imp-')}-{index:05d}"


def archive_key(workspace_id: str, import_id: str) -> str:
    return f"{IMPORTS_PREFIX}{workspace_id}/{import_id}/{ARCHIVE_NAME}"


def parse_archive_key(key: str) -> tuple[str, str] | None:
    """`imports/{workspace}/{import}/archive.zip` → (workspace, import); anything else → None."""
    parts = key.split("/")
    if len(parts) == 4 and parts[0] == "imports" and parts[3] == ARCHIVE_NAME and parts[1] and parts[2]:
        return parts[1], parts[2]
    return None


def tally(bulk: BulkImport) -> dict[str, int]:
    """The counts seed 002 promises (total / queued / skipped / over-limit) and how the queued ones ended."""
    counts = {"total": bulk.total, "queued": 0, "skipped": 0, "over_limit": 0, "ready": 0, "failed": 0}
    for item in bulk.items:
        if item.outcome is ItemOutcome.SKIPPED:
            counts["skipped"] += 1
        elif item.outcome is ItemOutcome.OVER_LIMIT:
            counts["over_limit"] += 1
        else:
            counts["queued"] += 1
            if item.outcome in (ItemOutcome.READY, ItemOutcome.FAILED):
                counts[item.outcome.value] += 1
    return counts
