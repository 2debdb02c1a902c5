"""The audit log (admins): who changed what and when, a page at a time or as JSON Lines."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from dam.api.audit_models import AuditEventOut, AuditPage
from dam.api.context import current_caller, services
from dam.api.errors import error_responses, route_responses
from dam.api.paging import RESPONSE_BUDGET_BYTES
from dam.api.permissions import permits
from dam.domain.permissions import Action
from dam.domain.queries import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, date_bound
from dam.services.audit import AuditQuery, event_json

router = APIGatewayHttpRouter()

NEXT_CURSOR_HEADER = "X-Next-Cursor"

AssetFilter = Annotated[
    str | None, Query(alias="asset", min_length=1, max_length=64, description="Only this asset's events")
]
UserFilter = Annotated[
    str | None, Query(alias="user", min_length=1, max_length=128, description="Only this user's changes")
]
From = Annotated[date | datetime | None, Query(alias="from", description="On or after this date or time (UTC)")]
To = Annotated[
    date | datetime | None,
    Query(alias="to", description="On or before this date or time; a date includes that whole day (UTC)"),
]
Cursor = Annotated[str | None, Query(min_length=1, max_length=1000)]


def _query(
    asset: str | None, user: str | None, start: date | datetime | None, end: date | datetime | None
) -> AuditQuery:
    return AuditQuery(asset_id=asset, user_id=user, start=date_bound(start, end=False), end=date_bound(end, end=True))


@router.get(
    "/audit",
    summary="The audit log, newest first",
    description="Every change to assets, versions, approvals, projects and their stories, scenes and shots, "
    "folders, collections, brands, usage links (and any item type added later): who, what, when, the "
    "request, and the changed fields before and after. Narrow by asset, by user and by a date range.",
    responses=route_responses(200, "A page of events", AuditPage, 400, 401, 403, 422),
    tags=["Audit"],
)
@permits(Action.VIEW_AUDIT)
def list_audit_events(
    asset: AssetFilter = None,
    user: UserFilter = None,
    created_from: From = None,
    created_to: To = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
) -> AuditPage:
    page = services().audit.events(current_caller(), _query(asset, user, created_from, created_to), limit, cursor)
    return AuditPage(
        items=[AuditEventOut(**event_json(event)) for event in page.items],
        next_cursor=page.next_cursor,
        partial=page.partial,
    )


_EXPORT_RESPONSES: dict[int, Any] = {
    200: {
        "description": f"JSON Lines, one event a line (the objects of `GET /audit`), newest first. When more "
        f"follow, the `{NEXT_CURSOR_HEADER}` header holds the cursor to ask for the rest with.",
        "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
    },
    **error_responses(400, 401, 403, 422),
}


@router.get(
    "/audit/export",
    summary="Export the audit log as JSON Lines",
    description="The same filters as `GET /audit`. Each response holds up to about 1.5 MB of lines (a Lambda "
    f"response is at most 6 MB); `{NEXT_CURSOR_HEADER}` continues the export until it is absent.",
    responses=_EXPORT_RESPONSES,
    tags=["Audit"],
)
@permits(Action.VIEW_AUDIT)
def export_audit_events(
    asset: AssetFilter = None,
    user: UserFilter = None,
    created_from: From = None,
    created_to: To = None,
    cursor: Cursor = None,
) -> Response[str]:
    lines, next_cursor = services().audit.export(
        current_caller(), _query(asset, user, created_from, created_to), cursor, RESPONSE_BUDGET_BYTES
    )
    headers = {NEXT_CURSOR_HEADER: next_cursor} if next_cursor else {}
    return Response(
        status_code=200,
        content_type="application/x-ndjson",
        body="".join(f"{line}\n" for line in lines),
        headers=headers,
    )
