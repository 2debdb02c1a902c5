"""The audit log's use cases: turning table changes into events (the audit function), and reading them
(admins, through the API: a page at a time, or as JSON Lines)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from dam.domain.audit import DEFAULT_RETENTION_DAYS, AuditEvent, Change, audit_event
from dam.domain.errors import Forbidden
from dam.domain.queries import MAX_PAGE_SIZE, Page

if TYPE_CHECKING:
    from dam.adapters.dynamodb.audit import AuditRepository
    from dam.domain.identity import Caller


@dataclass(frozen=True)
class AuditQuery:
    asset_id: str | None = None
    user_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None


def event_json(event: AuditEvent) -> dict[str, Any]:
    """An event as the API shows it (one object of a page, one line of an export)."""
    return {
        "event_id": event.event_id,
        "at": event.at.isoformat().replace("+00:00", "Z"),
        "actor": event.actor,
        "request_id": event.request_id,
        "action": event.action.value,
        "item_type": event.item_type,
        "item_id": event.item_id,
        "asset_id": event.asset_id,
        "before": event.before,
        "after": event.after,
    }


class AuditService:
    def __init__(self, repository: AuditRepository, retention_days: int = DEFAULT_RETENTION_DAYS) -> None:
        self._repository = repository
        self._retention_days = retention_days

    def record(self, change: Change, sequence: str) -> AuditEvent | None:
        """The change's event, appended (once, however often the stream hands the record over)."""
        event = audit_event(change)
        if event is not None:
            self._repository.append(event, sequence=sequence, retention_days=self._retention_days)
        return event

    def events(self, caller: Caller, query: AuditQuery, limit: int, cursor: str | None) -> Page[AuditEvent]:
        """The caller's workspace's events, newest first (the route checks that the caller is an admin). The log
        spans every client's things, so an external user (one client's) reads none of it, whatever their role."""
        if caller.is_external:
            raise Forbidden("the audit log covers every client's work: it is for the studio's admins")
        return self._repository.events(
            caller.workspace_id,
            asset_id=query.asset_id,
            user_id=query.user_id,
            start=query.start,
            end=query.end,
            limit=limit,
            cursor=cursor,
        )

    def export(
        self, caller: Caller, query: AuditQuery, cursor: str | None, budget_bytes: int
    ) -> tuple[list[str], str | None]:
        """JSON Lines of the events, newest first, up to `budget_bytes`; and the cursor of the rest (None: all).
        Pages are read until the budget is spent, so a response stays within Lambda's limit."""
        lines: list[str] = []
        used = 0
        for page_events, next_cursor in self._pages(caller, query, cursor):
            for index, event in enumerate(page_events):
                line = json.dumps(event_json(event), separators=(",", ":"), ensure_ascii=True)
                if lines and used + len(line) + 1 > budget_bytes:
                    # Continue right after the last line sent: a page of exactly the lines that fit.
                    sent = index
                    rest = self.events(caller, query, sent, cursor).next_cursor if sent else cursor
                    return lines, rest
                lines.append(line)
                used += len(line) + 1
            cursor = next_cursor
            if cursor is None:
                break
        return lines, cursor

    def _pages(
        self, caller: Caller, query: AuditQuery, cursor: str | None
    ) -> Iterator[tuple[list[AuditEvent], str | None]]:
        while True:
            page = self.events(caller, query, MAX_PAGE_SIZE, cursor)
            yield page.items, page.next_cursor
            if page.next_cursor is None:
                return
            cursor = page.next_cursor
