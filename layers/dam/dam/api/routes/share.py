"""The outside reviewer's routes: a share link's token instead of a token from the user pool.

No JWT reaches these (on AWS they are their own routes with no authorizer, see stacks/api.py SHARE_ROUTES;
locally dam_local.resources.ROUTES): the token in the path is the whole credential. An unknown or altered
token answers the same 404 as any other; an expired or revoked one 410 with no body; each link answers at
most N requests a minute (429) and every request that reaches a link is logged for the session's owner.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from dam.api.comment_models import CommentIn, CommentList, CommentOut
from dam.api.context import current_event, services
from dam.api.errors import error_responses, route_responses
from dam.api.models import SignedUrlOut
from dam.api.permissions import public
from dam.api.review_models import DecisionRequest, SharedDecisionOut, SharedItemOut, SharedReviewOut
from dam.domain.comments import Actor
from dam.domain.reviews import Decision, ReviewItem
from dam.services.reviews import SharedItem, SharedView, Visitor

router = APIGatewayHttpRouter()

# No pattern or length rule beyond a sane bound: an altered token must answer the 404 of an unknown one, never a
# 422 that tells it apart.
ShareToken = Annotated[str, Path(min_length=1, max_length=512, description="The share link's token")]
Position = Annotated[int, Path(ge=1, le=999, description="The item's position in the review (1-based)")]
PASSWORD_HEADER = "x-share-password"
_TAGS = ["Share links"]
# What every share route can answer besides its success: 401 (password), 404, 410, 422, 429.
_SHARE_ERRORS = (401, 404, 410, 422, 429)

# The outside reviewer's comments: as the link's reviewer (a guest known by the link's email address), on exactly
# the version at that position of the review.
SHARED_COMMENTS = "/share/<token>/items/<position>/comments"


def visitor() -> Visitor:
    """Who is asking, as far as the request says (hashed before it is stored), and the password they offer."""
    event = current_event()
    http = event.request_context.http
    return Visitor(
        source_ip=http.source_ip or "",
        user_agent=http.user_agent or "",
        password=(event.headers or {}).get(PASSWORD_HEADER),
    )


def _mine(decisions: list[Decision], item: ReviewItem) -> SharedDecisionOut | None:
    found = [d for d in decisions if d.item == item.key]
    if not found:
        return None
    last = max(found, key=lambda d: d.at)
    return SharedDecisionOut(verdict=last.verdict, note=last.note, at=last.at)


def shared_out(view: SharedView) -> SharedReviewOut:
    reviews = services().reviews
    items = []
    for position, item in enumerate(view.session.items, 1):
        found = view.versions.get(item.key)
        if found is None:
            items.append(SharedItemOut(position=position, available=False, my_decision=_mine(view.decisions, item)))
            continue
        _, version = found
        urls = reviews.rendition_urls(version)
        thumbnail = urls.get("thumbnail")
        items.append(
            SharedItemOut(
                position=position,
                available=True,
                studio_id=version.studio_id,
                filename=version.filename,
                media_type=version.media_type,
                renditions=sorted(version.renditions),
                thumbnail=SignedUrlOut.of(thumbnail) if thumbnail else None,
                downloadable=view.session.allow_download,
                my_decision=_mine(view.decisions, item),
            )
        )
    return SharedReviewOut(
        title=view.session.title,
        reviewer_email=view.link.reviewer_email,
        expires_at=view.link.expires_at,
        items=items,
    )


@router.get(
    "/share/<token>",
    summary="Open a shared review (outside reviewer, no account)",
    description="The review's versions in order, with short-lived thumbnail links and your own decisions. A "
    "password-protected link needs the `X-Share-Password` header.",
    responses=route_responses(200, "The shared review", SharedReviewOut, *_SHARE_ERRORS),
    tags=_TAGS,
)
@public
def open_share(token: ShareToken) -> SharedReviewOut:
    return shared_out(services().reviews.shared(token, visitor()))


@router.get(
    "/share/<token>/items/<position>/rendition",
    summary="One shared version's rendition",
    description="302 to a short-lived URL of the item's rendition (`thumbnail`, `preview`, …); `original` only "
    "when the review allows downloads.",
    responses={
        302: {"description": "Redirect to the file"},
        **error_responses(*_SHARE_ERRORS),
    },
    tags=_TAGS,
)
@public
def open_share_rendition(
    token: ShareToken,
    position: Position,
    name: Annotated[str, Query(min_length=1, max_length=32, pattern=r"^[a-z_]+$")] = "preview",
) -> Response[None]:
    url = services().reviews.shared_file(token, visitor(), position, name)
    return Response(status_code=302, headers={"Location": url, "Cache-Control": "no-store"})


@router.post(
    "/share/<token>/items/<position>/decision",
    summary="Decide on one shared version (outside reviewer)",
    description="Approved or changes requested, with a note; a new decision replaces your last.",
    responses=route_responses(200, "The shared review", SharedReviewOut, *_SHARE_ERRORS),
    tags=_TAGS,
)
@public
def decide_share_item(token: ShareToken, position: Position, body: DecisionRequest) -> SharedReviewOut:
    return shared_out(services().reviews.shared_decide(token, visitor(), position, body.verdict, body.note))


def _guest(token: str, position: int, purpose: str) -> tuple[Actor, SharedItem]:
    shared = services().reviews.shared_item(token, visitor(), position, purpose)
    return Actor.guest(shared.workspace_id, shared.reviewer_email), shared


@router.post(
    SHARED_COMMENTS,
    summary="Comment on one shared version (outside reviewer)",
    description="As on `POST /assets/{asset_id}/versions/{number}/comments`, pinned to a region or a moment if "
    "wanted, written as the link's reviewer; the comment belongs to the shared version.",
    responses=route_responses(201, "The comment", CommentOut, *_SHARE_ERRORS, 409),
    tags=_TAGS,
)
@public
def comment_on_share_item(token: ShareToken, position: Position, body: CommentIn) -> Response[CommentOut]:
    actor, shared = _guest(token, position, "comment")
    comment = services().comments.add(
        actor, shared.asset_id, shared.version, body.body, body.pin, body.parent_id, body.mentions
    )
    return Response(status_code=201, content_type="application/json", body=CommentOut.of(comment, admin=False))


@router.get(
    SHARED_COMMENTS,
    summary="The comments on one shared version (outside reviewer)",
    description="That version's comments, as the workspace sees them (deleted ones as placeholders).",
    responses=route_responses(200, "A page of comments", CommentList, *_SHARE_ERRORS),
    tags=_TAGS,
)
@public
def shared_item_comments(
    token: ShareToken,
    position: Position,
    limit: Annotated[int, Query(ge=1, le=100, description="Comments a page holds at most")] = 50,
    cursor: Annotated[
        str | None, Query(min_length=1, max_length=1000, description="`next_cursor` of the last page")
    ] = None,
) -> CommentList:
    actor, shared = _guest(token, position, "comments")
    page = services().comments.page(actor, shared.asset_id, shared.version, limit, cursor)
    return CommentList(items=[CommentOut.of(c, admin=False) for c in page.items], next_cursor=page.next_cursor)
