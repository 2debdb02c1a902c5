"""A fixed read budget for one page of a list: a Query is sent at most `MAX_QUERY_CALLS` times.

PynamoDB's result iterator keeps sending Queries until it has `limit` matches, so a rare filter could
read a whole partition in one request. Here the pages are driven by hand: when the budget is spent,
what was found comes back with the position DynamoDB stopped at, and the caller hands out a cursor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# A gallery page is at most 3 DynamoDB calls: up to 2 Queries here and 1 BatchGetItem for favorite flags.
MAX_QUERY_CALLS = 2
# Items a filtered Query evaluates per call (DynamoDB stops at 1 MB first): wide enough to find rare
# matches, bounded in read units (1 MB of a GSI is 128 read units, eventually consistent).
FILTERED_PAGE_SIZE = 1000


@dataclass(frozen=True)
class BoundedRead:
    records: list[Any]
    # Where DynamoDB stopped when the budget ran out (None: the partition was read to its end).
    last_evaluated_key: dict[str, Any] | None
    calls: int


def read_within_budget(results: Any, want: int, *, max_calls: int = MAX_QUERY_CALLS) -> BoundedRead:
    """Read pages of a PynamoDB `query(...)` result until `want` records or `max_calls` Queries."""
    pages = results.page_iter
    records: list[Any] = []
    calls = 0
    while calls < max_calls and len(records) < want:
        try:
            page = next(pages)
        except StopIteration:
            break
        calls += 1
        records += [results._map_fn(item) for item in page.get("Items", ())]
        if pages.last_evaluated_key is None:
            break
    return BoundedRead(records=records, last_evaluated_key=pages.last_evaluated_key, calls=calls)
