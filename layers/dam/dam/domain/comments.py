"""Comments on an asset version: threaded, with mentions, pinned to a region of the image or a moment of a clip.

A comment belongs to the version it was written on, for good: it is keyed by that version's number, so
promoting another version or uploading a new one never moves it. Its author is an actor: a workspace user
(from their token) or, for share links, an outside reviewer known by email. Editing keeps each previous
body; deleting hides the comment's content from everyone but admins, and its replies stay under a placeholder.

Pins are in the pixel coordinates of that version's original (the width and height the pipeline measured),
so they land on the same spot at any display size; times are seconds from the start of the clip.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_validator

from dam.domain.errors import Conflict, Forbidden, InvalidInput
from dam.domain.formats import MediaType
from dam.domain.identity import Caller, Role
from dam.domain.modeling import LazyModel

BODY_MAX = 5000  # characters of one comment
MAX_DEPTH = 5  # a comment, a reply, a reply to that, …: five levels at most
MAX_REPLIES = 200  # replies in one thread (every level under one top-level comment)
MAX_MENTIONS = 20
MAX_PATH_POINTS = 500
COORDINATE_MAX = 1_000_000.0  # no image is wider than this (the pipeline's pixel limit is far below)
TIME_MAX = 7 * 24 * 3600.0  # a week of footage: seconds past that are a typo, not a clip
EXCERPT = 200  # characters of the body a mention carries

# A user id as a token's `sub` holds it (Cognito: a UUID; locally: a name), and `@id` in a body.
USER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$"
_USER_ID = re.compile(USER_ID_PATTERN)
# `@maya` or `@user-3f2a…` in a body: after a start, a space or an opening bracket; an email's `@` is not one.
_MENTION = re.compile(r"(?:^|(?<=[\s(\[{]))@([A-Za-z0-9][A-Za-z0-9._-]{0,127}[A-Za-z0-9_]|[A-Za-z0-9])")

PIN_MEDIA: frozenset[MediaType] = frozenset({MediaType.IMAGE, MediaType.VIDEO})  # a region needs pixels
TIMED_MEDIA: frozenset[MediaType] = frozenset({MediaType.VIDEO, MediaType.AUDIO})


# --- who wrote it ----------------------------------------------------------------------------------


class AuthorKind(StrEnum):
    USER = "user"  # a workspace user, from their token
    GUEST = "guest"  # an outside reviewer from a share link, known by email (no account)


class Author(LazyModel):
    """What a comment records of its author (and of who deleted or edited it)."""

    kind: AuthorKind
    id: str = Field(description="The user id (`sub`), or the guest's email in lower case")
    name: str | None = Field(default=None, description="A guest's display name, as they gave it")


@dataclass(frozen=True)
class Actor:
    """Who acts on comments. A user carries their caller (role, clients); a guest has no account: whoever
    builds a guest actor (the share-link service) has checked that the link covers the asset version."""

    workspace_id: str
    author: Author
    caller: Caller | None = None

    @classmethod
    def user(cls, caller: Caller) -> Actor:
        return cls(caller.workspace_id, Author(kind=AuthorKind.USER, id=caller.user_id), caller)

    @classmethod
    def guest(cls, workspace_id: str, email: str, name: str | None = None) -> Actor:
        address = email.strip().lower()
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address) or len(address) > 254:
            raise InvalidInput("a guest is known by a valid email address", field="email")
        return cls(workspace_id, Author(kind=AuthorKind.GUEST, id=address, name=(name or "").strip() or None))

    @property
    def is_admin(self) -> bool:
        return self.caller is not None and self.caller.role is Role.ADMIN

    def wrote(self, comment: Comment) -> bool:
        return comment.author.kind is self.author.kind and comment.author.id == self.author.id


# --- where it points -------------------------------------------------------------------------------

_Coordinate = Annotated[float, Field(ge=0, le=COORDINATE_MAX, allow_inf_nan=False)]
_Extent = Annotated[float, Field(gt=0, le=COORDINATE_MAX, allow_inf_nan=False)]


class Point(LazyModel):
    model_config = ConfigDict(extra="forbid")

    x: _Coordinate
    y: _Coordinate


class Rectangle(LazyModel):
    model_config = ConfigDict(extra="forbid")

    shape: Literal["rectangle"]
    x: _Coordinate = Field(description="Left edge, in pixels of the version's original")
    y: _Coordinate = Field(description="Top edge, in pixels of the version's original")
    width: _Extent
    height: _Extent

    def extent(self) -> tuple[float, float]:
        return self.x + self.width, self.y + self.height


class Freehand(LazyModel):
    model_config = ConfigDict(extra="forbid")

    shape: Literal["path"]
    points: list[Point] = Field(
        min_length=2, max_length=MAX_PATH_POINTS, description="The stroke, in pixels of the version's original"
    )

    def extent(self) -> tuple[float, float]:
        return max(p.x for p in self.points), max(p.y for p in self.points)


Region = Annotated[Rectangle | Freehand, Field(discriminator="shape")]


class Pin(LazyModel):
    """Where on the version a comment points: a region of the picture, a moment of the clip, or both (a
    region of the frame at that moment)."""

    model_config = ConfigDict(extra="forbid")

    region: Region | None = None
    time: float | None = Field(
        default=None, ge=0, le=TIME_MAX, allow_inf_nan=False, description="Seconds from the start (video, audio)"
    )

    @model_validator(mode="after")
    def _something(self) -> Pin:
        if self.region is None and self.time is None:
            raise ValueError("a pin needs a region, a time, or both")
        return self


def check_pin(pin: Pin, media_type: MediaType, metadata: dict[str, Any]) -> None:
    """The pin fits the version it is on: a region on an image or a video frame, inside its pixels when the
    pipeline measured them; a time on a video or audio file, within its duration when known."""
    if pin.region is not None:
        if media_type not in PIN_MEDIA:
            raise InvalidInput(f"a {media_type.value} file has no picture to pin a region on", field="body.pin.region")
        width, height = _number(metadata.get("width")), _number(metadata.get("height"))
        right, bottom = pin.region.extent()
        if width is not None and right > width:
            raise InvalidInput(f"the region goes past the image's width ({width:g} px)", field="body.pin.region")
        if height is not None and bottom > height:
            raise InvalidInput(f"the region goes past the image's height ({height:g} px)", field="body.pin.region")
    if pin.time is not None:
        if media_type not in TIMED_MEDIA:
            raise InvalidInput(f"a {media_type.value} file has no timeline to pin a time on", field="body.pin.time")
        duration = _number(metadata.get("duration"))
        if duration is not None and pin.time > duration:
            raise InvalidInput(f"the time is past the end of the clip ({duration:g} s)", field="body.pin.time")


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) and value > 0 else None


# --- the comment -----------------------------------------------------------------------------------


class Edit(LazyModel):
    """What an edit replaced: the body before it, who changed it and when."""

    number: int = Field(ge=1, description="1 for the first edit")
    previous_body: str
    previous_mentions: list[str] = Field(default_factory=list)
    by: Author
    at: datetime


class Comment(LazyModel):
    comment_id: str
    workspace_id: str
    asset_id: str
    version: int = Field(ge=1)
    parent_id: str | None = None
    # The ids from the thread's top-level comment down to this one: its place in the thread.
    thread: list[str] = Field(min_length=1, max_length=MAX_DEPTH)
    author: Author
    body: str
    mentions: list[str] = Field(default_factory=list)
    pin: Pin | None = None
    created_at: datetime
    edited_at: datetime | None = None
    edits: int = 0
    deleted_at: datetime | None = None
    deleted_by: Author | None = None
    replies: int = 0  # on a top-level comment: replies in its whole thread (bounded by MAX_REPLIES)
    record_version: int = 0
    position: str = Field(default="", exclude=True)  # where the store keeps it (opaque here)

    @property
    def depth(self) -> int:
        return len(self.thread)

    @property
    def root_id(self) -> str:
        return self.thread[0]

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


class Mention(LazyModel):
    """A comment that mentions a user, as their list of mentions shows it."""

    user_id: str
    asset_id: str
    version: int
    comment_id: str
    author: Author
    excerpt: str
    created_at: datetime


def new_comment_id() -> str:
    return secrets.token_hex(8)


def mentions_in(body: str, listed: list[str], author: Author) -> list[str]:
    """Who a comment mentions: the ids listed, then each `@id` in the body, once each, in that order; the
    author never (nobody needs telling of their own comment). More than MAX_MENTIONS is refused."""
    found: list[str] = []
    for user_id in [*listed, *_MENTION.findall(body)]:
        if not _USER_ID.fullmatch(user_id):
            raise InvalidInput(f"{user_id[:40]!r} is not a user id", field="mentions")
        if user_id not in found and not (author.kind is AuthorKind.USER and user_id == author.id):
            found.append(user_id)
    if len(found) > MAX_MENTIONS:
        raise InvalidInput(f"a comment mentions at most {MAX_MENTIONS} people", field="mentions")
    return found


def reply_thread(parent: Comment, comment_id: str) -> list[str]:
    """Where a reply goes: under its parent, if the thread is not at its depth or size limit."""
    if parent.deleted:
        raise Conflict("that comment was deleted; reply to the thread instead")
    if parent.depth >= MAX_DEPTH:
        raise InvalidInput(f"replies nest at most {MAX_DEPTH} deep; reply to an earlier comment", field="parent_id")
    return [*parent.thread, comment_id]


def check_thread_room(root: Comment) -> None:
    if root.replies >= MAX_REPLIES:
        raise Conflict(f"this thread has {MAX_REPLIES} replies, its limit; start a new comment")


def edited(comment: Comment, actor: Actor, body: str, mentions: list[str], at: datetime) -> tuple[Comment, Edit] | None:
    """The comment with its new body and what the edit replaced; None when nothing changes. Only its author
    edits it (an admin may delete someone's words, never put new ones in their name)."""
    if comment.deleted:
        raise Conflict("a deleted comment cannot be edited")
    if not actor.wrote(comment):
        raise Forbidden("only its author can edit a comment")
    if body == comment.body and mentions == comment.mentions:
        return None
    edit = Edit(
        number=comment.edits + 1,
        previous_body=comment.body,
        previous_mentions=comment.mentions,
        by=actor.author,
        at=at,
    )
    changed = comment.model_copy(update={"body": body, "mentions": mentions, "edited_at": at, "edits": edit.number})
    return changed, edit


def check_deleter(comment: Comment, actor: Actor) -> None:
    """Its author deletes a comment, and admins (moderation) anyone's."""
    if not (actor.wrote(comment) or actor.is_admin):
        raise Forbidden("only its author or an admin can delete a comment")


def deleted(comment: Comment, actor: Actor, at: datetime) -> Comment:
    return comment.model_copy(update={"deleted_at": at, "deleted_by": actor.author})


def excerpt(body: str) -> str:
    return body if len(body) <= EXCERPT else body[: EXCERPT - 1].rstrip() + "…"


def parse_versions(text: str) -> list[int]:
    """`1,2` → [1, 2]: the versions a compare view shows side by side (2 to 4, each once, in order given)."""
    parts = [part.strip() for part in text.split(",")]
    if not all(part.isdigit() and len(part) <= 6 and int(part) >= 1 for part in parts):
        raise InvalidInput("versions are numbers separated by commas, like 1,2", field="query.versions")
    numbers = list(dict.fromkeys(int(part) for part in parts))
    if not 1 <= len(numbers) <= 4:
        raise InvalidInput("compare 1 to 4 versions at once", field="query.versions")
    return numbers
