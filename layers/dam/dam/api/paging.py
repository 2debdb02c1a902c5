"""Pages that fit in one Lambda response whatever the records hold: fewer items, and a cursor to the rest."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

# Lambda answers at most 6 MB, counted on the JSON envelope that carries the body as an escaped string
# (quotes and backslashes doubled): a body within 1.5 MB (measured ASCII-escaped, as it is sent) fits.
RESPONSE_BUDGET_BYTES = 1_500_000


def fitting(items: Sequence[BaseModel], budget: int = RESPONSE_BUDGET_BYTES) -> int:
    """How many leading items fit in the budget; always at least one (one record is bounded on its own)."""
    used = 0
    for count, item in enumerate(items):
        text = item.model_dump_json()  # pydantic-core's encoder: ~5x faster than model_dump + json.dumps
        # Only non-ASCII characters grow when escaped (to \uXXXX): re-encode those items the way they are sent.
        used += (len(text) if text.isascii() else len(json.dumps(json.loads(text), separators=(",", ":")))) + 1
        if used > budget:
            return max(count, 1)
    return len(items)


def fit_page(read: Callable[[int], tuple[list[M], str | None]], limit: int) -> tuple[list[M], str | None]:
    """Read a page of `limit`; if it is over the budget, read the part that fits again with that page size,
    so its cursor continues right after the last item sent."""
    items, next_cursor = read(limit)
    count = fitting(items)
    if count < len(items):
        items, next_cursor = read(count)
        items = items[:count]
    return items, next_cursor
