"""Request and response bodies of the bulk import routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, Field, StrictInt

from dam.api.models import PresignedPostOut
from dam.domain.assets import AssetType
from dam.domain.imports import REASON_TEXT, BulkImport, ImportStatus, ItemOutcome, SkipReason, tally
from dam.domain.modeling import LazyModel


class ImportRequest(LazyModel):
    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=5, max_length=255, pattern=r"(?i)\.zip$", examples=["shoot-day-2.zip"])
    size: StrictInt = Field(gt=0, description="Exact size of the ZIP in bytes; the upload policy pins it.")
    folder_id: str | None = Field(
        default=None, description="Put the images in this folder", min_length=1, max_length=64
    )
    client_id: str | None = Field(
        default=None, description="Tag the images to this client", min_length=1, max_length=64
    )
    project_id: str | None = Field(
        default=None, description="The project the images belong to", min_length=1, max_length=64
    )
    asset_type: AssetType = AssetType.IMAGE


class ImportItemOut(LazyModel):
    name: str = Field(description="The entry's path inside the archive")
    outcome: ItemOutcome
    asset_id: str | None = None
    reason: SkipReason | None = None
    reason_text: str | None = Field(default=None, description="Why it was skipped, in words")


class ImportOut(LazyModel):
    import_id: str
    status: ImportStatus
    status_reason: str | None = Field(default=None, description="Why the whole archive was refused")
    filename: str
    size: int
    folder_id: str | None = None
    client_id: str | None = None
    project_id: str | None = None
    asset_type: AssetType
    created_at: datetime
    updated_at: datetime
    total: int = Field(description="Files in the archive")
    queued: int = Field(description="Images that became assets (then ready or failed)")
    skipped: int
    over_limit: int = Field(description="Images past the import's image limit")
    ready: int
    failed: int
    items: list[ImportItemOut]

    @classmethod
    def of(cls, bulk: BulkImport) -> ImportOut:
        items = [
            ImportItemOut(
                name=item.name,
                outcome=item.outcome,
                asset_id=item.asset_id,
                reason=item.reason,
                reason_text=REASON_TEXT[item.reason] if item.reason else None,
            )
            for item in bulk.items
        ]
        fields = bulk.model_dump(include=set(cls.model_fields) - {"items"})
        return cls(**fields | tally(bulk), items=items)


class ImportStarted(LazyModel):
    import_: ImportOut = Field(alias="import", serialization_alias="import")
    upload: PresignedPostOut

    model_config = ConfigDict(populate_by_name=True)


class ImportList(LazyModel):
    items: list[ImportOut]
