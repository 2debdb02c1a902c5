"""Comment use cases: write, reply, list (per version, or several versions side by side), edit with history,
soft delete, and the comments that mention me.

Visible first: a comment on an asset the actor cannot see is not found (404). A workspace user writes on an
asset only if it is theirs to change (external users: their clients' assets); a guest (share links) has
been let in by whoever built their actor. Each call names the version, and a comment is found only under
the version it was written on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from dam.domain.assets import Asset, AssetStatus, asset_visible_to, utcnow
from dam.domain.comments import (
    Actor,
    Comment,
    Edit,
    Mention,
    Pin,
    check_deleter,
    check_pin,
    check_thread_room,
    deleted,
    edited,
    mentions_in,
    new_comment_id,
    reply_thread,
)
from dam.domain.errors import Conflict, InvalidInput, NotFound
from dam.domain.identity import Caller
from dam.domain.permissions import require_own
from dam.domain.queries import Page
from dam.domain.versions import Version

if TYPE_CHECKING:
    from dam.services.ports import AssetStore, VersionStore
    from dam.services.versions import VersionService

_ATTEMPTS = 3


class CommentStore(Protocol):
    def get(self, workspace_id: str, asset_id: str, number: int, comment_id: str) -> Comment | None: ...
    def page(self, workspace_id: str, asset_id: str, number: int, limit: int, cursor: str | None) -> Page[Comment]: ...
    def edits(self, comment: Comment, limit: int, cursor: str | None) -> Page[Edit]: ...
    def mentions_of(self, workspace_id: str, user_id: str, limit: int, cursor: str | None) -> Page[Mention]: ...
    def add(self, comment: Comment, parent: Comment | None, root: Comment | None) -> Comment: ...
    def save_edit(self, comment: Comment, edit: Edit, previous_mentions: Sequence[str]) -> Comment: ...
    def save_deleted(self, comment: Comment, previous_mentions: Sequence[str]) -> Comment: ...
    def delete_version(self, workspace_id: str, asset_id: str, number: int) -> int: ...


class CommentService:
    def __init__(
        self, comments: CommentStore, versions: VersionService, asset_store: AssetStore, version_store: VersionStore
    ) -> None:
        self._comments = comments
        self._versions = versions
        self._asset_store = asset_store
        self._version_store = version_store

    # --- write ---------------------------------------------------------------------------------

    def add(
        self,
        actor: Actor,
        asset_id: str,
        number: int,
        body: str,
        pin: Pin | None = None,
        parent_id: str | None = None,
        mentions: Sequence[str] = (),
    ) -> Comment:
        """A comment on version `number` (a reply when `parent_id` names a comment of that version)."""
        asset, version = self._version(actor, asset_id, number, changing=True)
        if version.status is AssetStatus.PENDING_UPLOAD:
            raise Conflict(f"version {number} has not been uploaded yet; there is nothing to comment on")
        if pin is not None:
            check_pin(pin, version.media_type, version.metadata)
        who = mentions_in(body, list(mentions), actor.author)
        comment_id = new_comment_id()
        for _attempt in range(_ATTEMPTS):
            parent = root = None
            thread = [comment_id]
            if parent_id is not None:
                parent = self._comment(asset, number, parent_id, field="parent_id")
                thread = reply_thread(parent, comment_id)
                root = parent if parent.depth == 1 else self._comment(asset, number, parent.root_id)
                check_thread_room(root)
            comment = Comment(
                comment_id=comment_id,
                workspace_id=asset.workspace_id,
                asset_id=asset.asset_id,
                version=number,
                parent_id=parent_id,
                thread=thread,
                author=actor.author,
                body=body,
                mentions=who,
                pin=pin,
                created_at=utcnow(),
            )
            try:
                return self._comments.add(comment, parent, root)
            except Conflict:
                if root is None:
                    raise
                continue  # another reply landed first: read the thread again
        raise Conflict("the thread kept changing; try again")

    def edit(
        self, actor: Actor, asset_id: str, number: int, comment_id: str, body: str, mentions: Sequence[str] | None
    ) -> Comment:
        """A new body; the one it replaces is kept (who, when). `mentions` given replace the listed ones; left
        out, everyone mentioned stays mentioned. `@id`s in the new body are mentions either way."""
        asset, _ = self._version(actor, asset_id, number, changing=True)
        comment = self._comment(asset, number, comment_id)
        listed = list(mentions) if mentions is not None else comment.mentions
        change = edited(comment, actor, body, mentions_in(body, listed, actor.author), utcnow())
        if change is None:
            return comment
        return self._comments.save_edit(change[0], change[1], comment.mentions)

    def delete(self, actor: Actor, asset_id: str, number: int, comment_id: str) -> Comment:
        """Soft: the comment stays in its thread (its replies under it) with its content hidden from all but
        admins. Deleting a deleted comment changes nothing."""
        asset, _ = self._version(actor, asset_id, number, changing=True)
        comment = self._comment(asset, number, comment_id)
        if comment.deleted:
            return comment
        check_deleter(comment, actor)
        return self._comments.save_deleted(deleted(comment, actor, utcnow()), comment.mentions)

    # --- read ----------------------------------------------------------------------------------

    def page(self, actor: Actor, asset_id: str, number: int, limit: int, cursor: str | None) -> Page[Comment]:
        """The version's comments in reading order: each top-level comment (oldest first), then its replies."""
        asset, _ = self._version(actor, asset_id, number)
        return self._comments.page(asset.workspace_id, asset.asset_id, number, limit, cursor)

    def side_by_side(self, actor: Actor, asset_id: str, numbers: Sequence[int], limit: int) -> list[Page[Comment]]:
        """The first page of each version's comments, in the order asked (the compare view); each page's
        cursor continues that version's list."""
        asset = self._asset(actor, asset_id)
        pages = []
        for number in numbers:
            self._version_of(asset, number)
            pages.append(self._comments.page(asset.workspace_id, asset.asset_id, number, limit, None))
        return pages

    def get(self, actor: Actor, asset_id: str, number: int, comment_id: str) -> Comment:
        asset, _ = self._version(actor, asset_id, number)
        return self._comment(asset, number, comment_id)

    def history(
        self, actor: Actor, asset_id: str, number: int, comment_id: str, limit: int, cursor: str | None
    ) -> Page[Edit]:
        """What each edit replaced, oldest first. A deleted comment's words, old ones too, are for admins."""
        comment = self.get(actor, asset_id, number, comment_id)
        if comment.deleted and not actor.is_admin:
            return Page(items=[])
        return self._comments.edits(comment, limit, cursor)

    def mentions(self, caller: Caller, limit: int, cursor: str | None) -> Page[Mention]:
        """The comments that mention the caller, newest first, on assets they may see (an asset moved to a
        client they are not one of drops out; the cursor still moves on)."""
        page = self._comments.mentions_of(caller.workspace_id, caller.user_id, limit, cursor)
        assets = self._asset_store.get_many(sorted({m.asset_id for m in page.items}))
        visible = [
            m for m in page.items if (asset := assets.get(m.asset_id)) is not None and asset_visible_to(caller, asset)
        ]
        return Page(items=visible, next_cursor=page.next_cursor, partial=len(visible) < len(page.items))

    def forget_version(self, workspace_id: str, asset_id: str, number: int) -> None:
        """A deleted version's comments go with it."""
        self._comments.delete_version(workspace_id, asset_id, number)

    # --- helpers -------------------------------------------------------------------------------

    def _asset(self, actor: Actor, asset_id: str, *, changing: bool = False) -> Asset:
        if actor.caller is not None:
            asset = self._versions.asset(actor.caller, asset_id)
            if changing:
                require_own(actor.caller, asset.client_id, "this asset")
            return asset
        # A guest: the share link that let them in covers the asset; read it as the workspace sees it (any
        # client's, never another workspace's), with version 1 recorded like any first look at versions.
        workspace = Caller(user_id=f"guest:{actor.author.id}", workspace_id=actor.workspace_id)
        return self._versions.asset(workspace, asset_id)

    def _version(self, actor: Actor, asset_id: str, number: int, *, changing: bool = False) -> tuple[Asset, Version]:
        asset = self._asset(actor, asset_id, changing=changing)
        return asset, self._version_of(asset, number)

    def _version_of(self, asset: Asset, number: int) -> Version:
        version = self._version_store.get(asset.workspace_id, asset.asset_id, number)
        if version is None:
            raise NotFound(f"version {number} of asset {asset.asset_id} not found")
        return version

    def _comment(self, asset: Asset, number: int, comment_id: str, *, field: str | None = None) -> Comment:
        found = self._comments.get(asset.workspace_id, asset.asset_id, number, comment_id)
        if found is None:
            message = f"comment {comment_id} not found on version {number}"
            if field is not None:  # named in the body: the request is what is wrong
                raise InvalidInput(message, field=field)
            raise NotFound(message)
        return found
