"""What the trash routes answer."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from dam.api.models import PARTIAL_PAGE, AssetSummary
from dam.domain.modeling import LazyModel


class TrashItemOut(LazyModel):
    asset: AssetSummary
    trashed_at: datetime = Field(description="When it was moved to the trash")
    trashed_by: str = Field(description="The user id of who moved it there")
    expires_at: datetime = Field(description="When it is deleted permanently unless restored before")


class TrashPage(LazyModel):
    items: list[TrashItemOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")
    partial: bool = Field(default=False, description=PARTIAL_PAGE)
