"""What a gallery list asks for, and the page it gets back. Pure: no storage details."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Generic, TypeVar

from dam.domain.assets import AssetType
from dam.domain.formats import MediaType

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 30
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class AssetQuery:
    asset_type: AssetType | None = None
    media_type: MediaType | None = None
    model: str | None = None
    creator_id: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    archived: bool = False
    # Client scoping: None sees every client's assets; a tuple sees shared assets plus those clients'.
    visible_clients: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None = None
    extra: dict[str, object] = field(default_factory=dict)


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def end_of_day(day: date) -> datetime:
    """The To date is inclusive through the end of that day (UTC)."""
    return datetime.combine(day, time.max, tzinfo=UTC)
