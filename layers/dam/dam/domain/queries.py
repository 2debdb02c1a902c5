"""What a gallery list asks for, and the page it gets back. Pure: no storage details."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Generic, TypeVar

from dam.domain import filters
from dam.domain.assets import Asset, AssetStatus, AssetType
from dam.domain.errors import InvalidCursor
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
    # Library filters. `folder_id` may be UNASSIGNED (dam.domain.library): assets in no folder.
    folder_id: str | None = None
    tag: str | None = None  # exact
    prompt: str | None = None  # case-insensitive substring of the generation prompt
    brand_id: str | None = None
    collection_id: str | None = None  # a manual collection
    generation_run_id: str | None = None  # an automatic collection
    favorites_of: str | None = None  # a user id: only what that user favorited
    exclude_generated: bool = False  # the categorized view
    project_id: str | None = None
    shot_id: str | None = None  # a shot's attached assets

    def matches(self, asset: Asset) -> bool:
        """The same rules the storage query applies (dam.domain.filters), for lists read from links (favorites,
        collections, brands) and filtered after reading. `favorites_of` is the link itself, so it is not checked
        here."""
        live = asset.status is not AssetStatus.DELETING and not asset.in_trash
        return live and filters.matches(self, filters.asset_facts(asset))


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None = None
    # True when the read budget ran out before the page filled: fewer items than asked, but more may
    # follow `next_cursor`.
    partial: bool = False
    extra: dict[str, object] = field(default_factory=dict)


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def end_of_day(day: date) -> datetime:
    """The To date is inclusive through the end of that day (UTC)."""
    return datetime.combine(day, time.max, tzinfo=UTC)


def date_bound(value: date | datetime | None, *, end: bool) -> datetime | None:
    """A query bound from a date or a datetime: a bare date covers its whole day (UTC)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return as_utc(value)
    return end_of_day(value) if end else start_of_day(value)


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC (naive means UTC). An instant past either end of the calendar
    (`9999-12-31T23:59-23:59`) is clamped to that end: it bounds a range the same way."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        offset = value.utcoffset()
        later = offset is not None and offset < timedelta(0)  # west of UTC: the instant is after the last day
        return (datetime.max if later else datetime.min).replace(tzinfo=UTC)


def encode_token(payload: Mapping[str, Any]) -> str:
    """The one cursor encoding (gallery lists, link lists, collections, search): compact JSON, URL-safe base64
    without padding. Opaque to clients; decoded only by `decode_token`."""
    raw = json.dumps(payload, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_token(token: str) -> dict[str, Any]:
    """The JSON object inside a cursor, or InvalidCursor (400 `invalid_cursor`): a tampered or forged cursor
    never reaches a query. Callers check the fields they expect."""
    try:
        payload = json.loads(base64.urlsafe_b64decode((token + "=" * (-len(token) % 4)).encode()))
    except (ValueError, RecursionError, binascii.Error, UnicodeDecodeError) as error:
        raise InvalidCursor("cursor is not valid", field="query.cursor") from error
    if not isinstance(payload, dict):
        raise InvalidCursor("cursor is not valid", field="query.cursor")
    return payload


def encode_cursor(position: dict[str, str]) -> str:
    """An opaque "load more" cursor: where the last page ended, never which partition (that always
    comes from the caller's own query, so a cursor cannot reach into another workspace)."""
    return encode_token(position)


def decode_cursor(cursor: str, *fields: str) -> dict[str, str]:
    position = decode_token(cursor)
    values = {name: position.get(name) for name in fields}
    if not all(isinstance(value, str) and value for value in values.values()):
        raise InvalidCursor("cursor is not valid", field="query.cursor")
    return values  # type: ignore[return-value]  # every value checked to be a str above


def encode_position(created_key: str) -> str:
    """The cursor of a list read from links: the `{created_at}#{asset_id}` of the last item seen, in the
    same shape as the asset lists' cursors."""
    return encode_cursor({"k": created_key, "i": created_key.rpartition("#")[2]})


def decode_position(cursor: str) -> str:
    position = decode_cursor(cursor, "k", "i")
    if not position["k"].endswith(f"#{position['i']}"):
        raise InvalidCursor("cursor is not valid", field="query.cursor")
    return position["k"]
