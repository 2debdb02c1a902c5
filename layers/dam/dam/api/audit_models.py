"""What the audit routes answer."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from dam.api.models import PARTIAL_PAGE
from dam.domain.modeling import LazyModel


class AuditEventOut(LazyModel):
    event_id: str = Field(description="The change record's id (unique)")
    at: str = Field(description="When the change was made (UTC, to the second)")
    actor: str = Field(description="Who made it: a user id, or `system` for work no person started")
    request_id: str | None = Field(description="The API request that made it (its `x-request-id`-style id), if any")
    action: str = Field(description="`created`, `changed` or `deleted`")
    item_type: str = Field(description="asset, version, folder, collection, brand, project, story, shot, …")
    item_id: str
    asset_id: str | None = Field(description="The asset the item is or belongs to, if any")
    before: dict[str, Any] = Field(description="The changed fields as they were (absent: the field was not set)")
    after: dict[str, Any] = Field(description="The changed fields as they became (absent: the field was removed)")


class AuditPage(LazyModel):
    items: list[AuditEventOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")
    partial: bool = Field(default=False, description=PARTIAL_PAGE)
