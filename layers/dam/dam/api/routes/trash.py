"""Trash routes: what is in the trash (moving to it is `DELETE /assets/{id}`, out of it `POST /assets/{id}/restore`)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from dam.api.context import current_caller, services
from dam.api.errors import route_responses
from dam.api.paging import fit_page
from dam.api.permissions import permits
from dam.api.routes.assets import summary
from dam.api.trash_models import TrashItemOut, TrashPage
from dam.domain.permissions import Action
from dam.domain.queries import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

router = APIGatewayHttpRouter()


@router.get(
    "/trash",
    summary="List the trash, most recently deleted first",
    description="The assets moved to the trash in your workspace (an external user: their clients' and shared "
    "ones), with who deleted each, when, and when it is deleted permanently unless restored.",
    responses=route_responses(200, "A page of the trash", TrashPage, 400, 401, 403, 422),
    tags=["Trash"],
)
@permits(Action.VIEW_TRASH)
def list_trash(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(min_length=1, max_length=1000)] = None,
) -> TrashPage:
    caller = current_caller()
    partial = False

    def read(size: int) -> tuple[list[TrashItemOut], str | None]:
        nonlocal partial
        page = services().trash.list(caller, size, cursor)
        partial = page.partial
        items = [
            TrashItemOut(
                asset=summary(item.asset),
                trashed_at=item.entry.trashed_at,
                trashed_by=item.entry.trashed_by,
                expires_at=item.entry.expires_at,
            )
            for item in page.items
        ]
        return items, page.next_cursor

    items, next_cursor = fit_page(read, limit)
    return TrashPage(items=items, next_cursor=next_cursor, partial=partial)
