"""Request and response bodies of the comment routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints, field_validator

from dam.domain.comments import (
    BODY_MAX,
    MAX_MENTIONS,
    USER_ID_PATTERN,
    Author,
    AuthorKind,
    Comment,
    Edit,
    Mention,
    Pin,
)
from dam.domain.modeling import LazyModel

UserId = Annotated[str, StringConstraints(pattern=USER_ID_PATTERN, max_length=128)]
COMMENT_ID_PATTERN = r"^[0-9a-f]{16}$"
_BODY_DESCRIPTION = "The text; `@user-id` in it mentions that user (as `mentions` does)"


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("the comment has no text")
    return value


class CommentIn(LazyModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=BODY_MAX, description=_BODY_DESCRIPTION, examples=["Warmer, @maya?"])
    pin: Pin | None = Field(
        default=None,
        description="Where it points: a `region` of the picture (a rectangle or a freehand path, in pixels of the "
        "version's original) and/or a `time` in seconds (video, audio)",
        examples=[{"region": {"shape": "rectangle", "x": 120, "y": 80, "width": 300, "height": 200}}],
    )
    parent_id: str | None = Field(
        default=None, pattern=COMMENT_ID_PATTERN, description="Reply to this comment (of the same version)"
    )
    mentions: list[UserId] = Field(
        default_factory=list, max_length=MAX_MENTIONS, description="User ids to mention besides the `@id`s"
    )

    _blank = field_validator("body")(_not_blank)


class CommentPatch(LazyModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=BODY_MAX, description=_BODY_DESCRIPTION)
    mentions: list[UserId] | None = Field(
        default=None,
        max_length=MAX_MENTIONS,
        description="Replace the mentioned users (besides the `@id`s); left out, everyone mentioned stays",
    )

    _blank = field_validator("body")(_not_blank)


class AuthorOut(LazyModel):
    kind: AuthorKind = Field(description="`user` (a workspace user) or `guest` (a reviewer from a share link)")
    id: str = Field(description="The user id, or the guest's email")
    name: str | None = None

    @classmethod
    def of(cls, author: Author | None) -> AuthorOut | None:
        return cls(**author.model_dump()) if author else None


class CommentOut(LazyModel):
    comment_id: str
    asset_id: str
    version: int = Field(description="The version it was written on (it never moves to another)")
    parent_id: str | None = Field(description="The comment it replies to")
    depth: int = Field(description="1 for a top-level comment, 2 for a reply, …")
    author: AuthorOut | None = Field(description="null on a deleted comment (admins still see it)")
    body: str | None = Field(description="null on a deleted comment (admins still see it)")
    mentions: list[str] = Field(description="Mentioned user ids")
    pin: Pin | None
    created_at: datetime
    edited_at: datetime | None = Field(description="The last edit; the history holds each previous body")
    edits: int
    replies: int = Field(description="On a top-level comment: the replies in its thread")
    deleted: bool = Field(description="Deleted: shown as a placeholder, its replies still under it")
    deleted_at: datetime | None = Field(default=None, description="Admins only")
    deleted_by: AuthorOut | None = Field(default=None, description="Admins only")

    @classmethod
    def of(cls, comment: Comment, *, admin: bool) -> CommentOut:
        hidden = comment.deleted and not admin
        return cls(
            comment_id=comment.comment_id,
            asset_id=comment.asset_id,
            version=comment.version,
            parent_id=comment.parent_id,
            depth=comment.depth,
            author=None if hidden else AuthorOut.of(comment.author),
            body=None if hidden else comment.body,
            mentions=[] if hidden else comment.mentions,
            pin=None if hidden else comment.pin,
            created_at=comment.created_at,
            edited_at=comment.edited_at,
            edits=comment.edits,
            replies=comment.replies,
            deleted=comment.deleted,
            deleted_at=comment.deleted_at if admin else None,
            deleted_by=AuthorOut.of(comment.deleted_by) if admin else None,
        )


class CommentList(LazyModel):
    items: list[CommentOut] = Field(
        description="Reading order: each top-level comment (oldest first) followed by its replies, depth first"
    )
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")


class VersionComments(LazyModel):
    version: int
    items: list[CommentOut]
    next_cursor: str | None = Field(description="More of this version: its own list route with this `cursor`")


class ComparedComments(LazyModel):
    versions: list[VersionComments] = Field(description="One group per version asked, in that order")


class EditOut(LazyModel):
    number: int = Field(description="1 for the first edit")
    previous_body: str = Field(description="The body this edit replaced")
    previous_mentions: list[str]
    by: AuthorOut
    at: datetime

    @classmethod
    def of(cls, edit: Edit) -> EditOut:
        return cls(**edit.model_dump())


class EditList(LazyModel):
    items: list[EditOut] = Field(description="Oldest first; the comment itself holds the current body")
    next_cursor: str | None


class MentionOut(LazyModel):
    asset_id: str
    version: int
    comment_id: str
    author: AuthorOut
    excerpt: str = Field(description="The start of the comment")
    created_at: datetime

    @classmethod
    def of(cls, mention: Mention) -> MentionOut:
        return cls(**mention.model_dump(exclude={"user_id"}))


class MentionList(LazyModel):
    items: list[MentionOut] = Field(description="Newest first")
    next_cursor: str | None
    partial: bool = Field(
        default=False, description="Some on this page were on assets you can no longer see; more may follow"
    )
