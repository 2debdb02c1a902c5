"""The trash: a deleted asset waits here for a while (30 days unless configured) before it goes for good.

While it waits it is out of every list, favorite, collection, brand, folder, project, shot and search, and
nothing of it can change; its files, versions and links stay as they were, so a restore brings it all back.
When the period ends the expiry sweep removes it through the same cascade as a permanent delete.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import ConfigDict, Field

from dam.domain.assets import Asset
from dam.domain.modeling import LazyModel

DEFAULT_TRASH_DAYS = 30
MAX_TRASH_DAYS = 365
# Expired assets one sweep queues for removal; a sweep that finds more queues another sweep.
SWEEP_CHUNK = 100


class TrashEntry(LazyModel):
    """What the trash lists about one asset (its marker, beside the asset record)."""

    asset_id: str
    workspace_id: str
    client_id: str | None = None
    name: str
    trashed_at: datetime
    trashed_by: str
    expires_at: datetime


class TrashSweep(LazyModel):
    """A queue message: remove the assets whose time in the trash is over (sent on a schedule, as
    `{"sweep": "trash"}`); a sweep that finds more than it queues goes on after the last one it queued."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sweep: Literal["trash"] = "trash"
    after_expiry: datetime | None = None
    after_asset: str | None = Field(default=None, min_length=1, max_length=64)


class TrashPurge(LazyModel):
    """A queue message: remove this expired asset for good (a sweep sends one per asset)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    purge: str = Field(min_length=1, max_length=64, description="The asset id")
    workspace_id: str = Field(min_length=1, max_length=128)


def trashed(asset: Asset, by: str, now: datetime, days: int) -> Asset:
    """The asset moved to the trash now by `by`, to go for good after `days`."""
    return asset.model_copy(
        update={"trashed_at": now, "trashed_by": by, "trash_expires_at": now + timedelta(days=days), "updated_at": now}
    )


def restored(asset: Asset, now: datetime, *, folder_exists: bool) -> Asset:
    """The asset out of the trash, as it was; out of its folder if that folder was deleted meanwhile."""
    update: dict[str, object] = {"trashed_at": None, "trashed_by": None, "trash_expires_at": None, "updated_at": now}
    if not folder_exists:
        update["folder_id"] = None
    return asset.model_copy(update=update)


def entry_of(asset: Asset) -> TrashEntry:
    assert asset.trashed_at is not None and asset.trashed_by is not None and asset.trash_expires_at is not None
    return TrashEntry(
        asset_id=asset.asset_id,
        workspace_id=asset.workspace_id,
        client_id=asset.client_id,
        name=asset.name,
        trashed_at=asset.trashed_at,
        trashed_by=asset.trashed_by,
        expires_at=asset.trash_expires_at,
    )


def is_expired(asset: Asset, now: datetime) -> bool:
    return asset.trash_expires_at is not None and asset.trash_expires_at <= now
