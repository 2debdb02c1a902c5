"""Comment routes: threaded comments on an asset version, pinned to a region or a moment, with mentions."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from dam.api.comment_models import (
    COMMENT_ID_PATTERN,
    CommentIn,
    CommentList,
    CommentOut,
    CommentPatch,
    ComparedComments,
    EditList,
    EditOut,
    MentionList,
    MentionOut,
    VersionComments,
)
from dam.api.context import current_caller, services
from dam.api.errors import route_responses
from dam.api.permissions import permits
from dam.api.routes.assets import AssetId
from dam.domain.comments import MAX_DEPTH, MAX_REPLIES, Actor, Comment, parse_versions
from dam.domain.permissions import Action

router = APIGatewayHttpRouter()

VersionNumber = Annotated[int, Path(ge=1, le=999_999, description="The version's number")]
CommentId = Annotated[str, Path(pattern=COMMENT_ID_PATTERN, description="The comment's id")]
Limit = Annotated[int, Query(ge=1, le=100, description="Comments a page holds at most")]
Cursor = Annotated[str | None, Query(min_length=1, max_length=1000, description="`next_cursor` of the last page")]
_TAGS = ["Comments"]
_BASE = "/assets/<asset_id>/versions/<number>/comments"


def _actor() -> Actor:
    return Actor.user(current_caller())


def _out(comment: Comment, actor: Actor) -> CommentOut:
    return CommentOut.of(comment, admin=actor.is_admin)


@router.post(
    _BASE,
    summary="Comment on a version (or reply to a comment)",
    description="The comment belongs to this version for good: other versions never show it. It may pin a "
    "`region` of the picture (a rectangle or a freehand path of up to 500 points, in pixels of this version's "
    "original: it must lie inside its width and height when known) and/or a `time` (seconds, within the "
    f"duration of a video or audio file). Replies nest {MAX_DEPTH} deep at most, and a thread holds "
    f"{MAX_REPLIES} replies (409 past that). `@user-id` in the body and `mentions` mention users: they find the "
    "comment in `GET /comments/mentions`. External users comment on their clients' assets only.",
    responses=route_responses(201, "The comment", CommentOut, 401, 403, 404, 409, 422),
    tags=_TAGS,
)
@permits(Action.COMMENT)
def create_comment(asset_id: AssetId, number: VersionNumber, body: CommentIn) -> Response[CommentOut]:
    actor = _actor()
    comment = services().comments.add(actor, asset_id, number, body.body, body.pin, body.parent_id, body.mentions)
    return Response(
        status_code=201,
        content_type="application/json",
        body=_out(comment, actor),
        headers={"Location": f"/assets/{asset_id}/versions/{number}/comments/{comment.comment_id}"},
    )


@router.get(
    _BASE,
    summary="List a version's comments, threaded",
    description="Each top-level comment (oldest first) followed by its replies, depth first; `parent_id` and "
    "`depth` place each in its thread. Deleted comments are placeholders (`deleted`, no body or author) so "
    "their replies keep their place; admins see them whole, with who deleted them and when.",
    responses=route_responses(200, "A page of comments", CommentList, 400, 401, 404, 422),
    tags=_TAGS,
)
@permits(Action.BROWSE)
def list_comments(asset_id: AssetId, number: VersionNumber, limit: Limit = 50, cursor: Cursor = None) -> CommentList:
    actor = _actor()
    page = services().comments.page(actor, asset_id, number, limit, cursor)
    return CommentList(items=[_out(c, actor) for c in page.items], next_cursor=page.next_cursor)


@router.get(
    "/assets/<asset_id>/comments",
    summary="Comments of several versions side by side (the compare view)",
    description="`versions=1,2`: one group per version (1 to 4), each with the first page of that version's "
    "comments; a group's `next_cursor` continues in `GET /assets/{id}/versions/{n}/comments`.",
    responses=route_responses(200, "One group per version", ComparedComments, 401, 404, 422),
    tags=_TAGS,
)
@permits(Action.BROWSE)
def compare_comments(
    asset_id: AssetId,
    versions: Annotated[str, Query(min_length=1, max_length=40, description="Version numbers, like `1,2`")],
    limit: Limit = 50,
) -> ComparedComments:
    actor = _actor()
    numbers = parse_versions(versions)
    pages = services().comments.side_by_side(actor, asset_id, numbers, limit)
    return ComparedComments(
        versions=[
            VersionComments(version=n, items=[_out(c, actor) for c in page.items], next_cursor=page.next_cursor)
            for n, page in zip(numbers, pages, strict=True)
        ]
    )


@router.get(
    f"{_BASE}/<comment_id>",
    summary="Get one comment",
    responses=route_responses(200, "The comment", CommentOut, 401, 404, 422),
    tags=_TAGS,
)
@permits(Action.BROWSE)
def get_comment(asset_id: AssetId, number: VersionNumber, comment_id: CommentId) -> CommentOut:
    actor = _actor()
    return _out(services().comments.get(actor, asset_id, number, comment_id), actor)


@router.patch(
    f"{_BASE}/<comment_id>",
    summary="Edit a comment (its author only)",
    description="The body it replaces is kept in the comment's history with who edited it and when; "
    "`edited_at` shows the last edit. A deleted comment cannot be edited (409).",
    responses=route_responses(200, "The comment", CommentOut, 401, 403, 404, 409, 422),
    tags=_TAGS,
)
@permits(Action.COMMENT)
def update_comment(asset_id: AssetId, number: VersionNumber, comment_id: CommentId, body: CommentPatch) -> CommentOut:
    actor = _actor()
    comment = services().comments.edit(actor, asset_id, number, comment_id, body.body, body.mentions)
    return _out(comment, actor)


@router.delete(
    f"{_BASE}/<comment_id>",
    summary="Delete a comment (its author, or an admin)",
    description="A soft delete: the comment stays in its thread as a placeholder, so its replies stay; admins "
    "still see it, with who deleted it and when. It leaves the mentions lists.",
    responses=route_responses(204, "Deleted", None, 401, 403, 404, 409, 422),
    tags=_TAGS,
)
@permits(Action.COMMENT)
def delete_comment(asset_id: AssetId, number: VersionNumber, comment_id: CommentId) -> Response[None]:
    services().comments.delete(_actor(), asset_id, number, comment_id)
    return Response(status_code=204)


@router.get(
    f"{_BASE}/<comment_id>/history",
    summary="A comment's edit history",
    description="What each edit replaced, who made it and when, oldest first. A deleted comment's history is "
    "for admins (others get an empty list).",
    responses=route_responses(200, "The edits", EditList, 400, 401, 404, 422),
    tags=_TAGS,
)
@permits(Action.BROWSE)
def comment_history(
    asset_id: AssetId, number: VersionNumber, comment_id: CommentId, limit: Limit = 50, cursor: Cursor = None
) -> EditList:
    page = services().comments.history(_actor(), asset_id, number, comment_id, limit, cursor)
    return EditList(items=[EditOut.of(e) for e in page.items], next_cursor=page.next_cursor)


@router.get(
    "/comments/mentions",
    summary="Comments that mention me",
    description="Newest first, on assets you can see. A deleted comment leaves the list.",
    responses=route_responses(200, "A page of mentions", MentionList, 400, 401, 422),
    tags=_TAGS,
)
@permits(Action.BROWSE)
def my_mentions(limit: Limit = 50, cursor: Cursor = None) -> MentionList:
    page = services().comments.mentions(current_caller(), limit, cursor)
    return MentionList(items=[MentionOut.of(m) for m in page.items], next_cursor=page.next_cursor, partial=page.partial)
