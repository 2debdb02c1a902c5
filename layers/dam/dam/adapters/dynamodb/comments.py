"""The comment repository: comments on asset versions, their edits and mentions, in the asset's partition.

A version's comments sort by their thread path (`cmt#{v}#t#{top}/{reply}/…`, each segment `{created}{id}` of
one width), so one Query reads them in reading order: a top-level comment, its replies depth first, the next
top-level comment. Everything of a version's comments starts `cmt#{v}#`, so nothing of version 1 is ever in a
read of version 2, and deleting a version (or the asset, whose partition goes whole) takes them all.

Writes are transactions with the conditions that keep threads whole: the version is there, a reply's parent is
there and not deleted, the thread's reply count is under its limit, an edit or a delete starts from what was
read (its record_version).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pynamodb.exceptions import QueryError, TransactWriteError

from dam.adapters.dynamodb.assets import _error_code, _plain
from dam.adapters.dynamodb.library import _asset_pk, _batch_delete, _get, _transaction
from dam.adapters.dynamodb.models import (
    CommentEditRecord,
    CommentLocatorRecord,
    CommentRecord,
    LibraryRecord,
    MentionRecord,
)
from dam.domain.comments import Comment, Edit, Mention, excerpt
from dam.domain.errors import Conflict, InvalidCursor, NotFound
from dam.domain.queries import Page, decode_cursor, encode_cursor

_KEYS = ["pk", "sk", "type"]


def _prefix(number: int) -> str:
    return f"cmt#{number:06d}#"


def _thread_sk(comment: Comment, parent_sk: str | None) -> str:
    """A level of the thread path: when the comment was made, then its id (fixed widths, so a reply sorts
    right after its parent and before the parent's next sibling)."""
    own = f"{comment.created_at:%Y%m%d%H%M%S%f}{comment.comment_id}"
    return f"{parent_sk}/{own}" if parent_sk else f"{_prefix(comment.version)}t#{own}"


def _locator_sk(number: int, comment_id: str) -> str:
    return f"{_prefix(number)}i#{comment_id}"


def _edit_sk(number: int, comment_id: str, edit: int | None = None) -> str:
    return f"{_prefix(number)}e#{comment_id}#" + (f"{edit:05d}" if edit is not None else "")


def _mention_sk(number: int, comment_id: str, user_id: str) -> str:
    return f"{_prefix(number)}m#{comment_id}#{user_id}"


def _mentions_pk(workspace_id: str, user_id: str) -> str:
    return f"{workspace_id}#mentions#{user_id}"


def _mention_position(comment: Comment) -> str:
    return f"{comment.created_at.isoformat()}#{comment.asset_id}#{comment.version:06d}#{comment.comment_id}"


class CommentRepository:
    # --- read ----------------------------------------------------------------------------------

    def get(self, workspace_id: str, asset_id: str, number: int, comment_id: str) -> Comment | None:
        """A comment of this version of this asset (a GetItem for where it is, one for the comment)."""
        pk = _asset_pk(workspace_id, asset_id)
        locator = _get(CommentLocatorRecord, pk, _locator_sk(number, comment_id))
        if locator is None:
            return None
        record = _get(CommentRecord, pk, locator.thread_sk)
        return _to_comment(record) if record is not None else None

    def page(self, workspace_id: str, asset_id: str, number: int, limit: int, cursor: str | None) -> Page[Comment]:
        """Up to `limit` comments of the version in reading order, and a cursor to the rest (one Query)."""
        pk = _asset_pk(workspace_id, asset_id)
        records, next_cursor = _sorted_page(CommentRecord, pk, f"{_prefix(number)}t#", limit, cursor)
        return Page(items=[_to_comment(r) for r in records], next_cursor=next_cursor)

    def edits(self, comment: Comment, limit: int, cursor: str | None) -> Page[Edit]:
        """The edits of a comment, oldest first."""
        pk = _asset_pk(comment.workspace_id, comment.asset_id)
        prefix = _edit_sk(comment.version, comment.comment_id)
        records, next_cursor = _sorted_page(CommentEditRecord, pk, prefix, limit, cursor)
        edits = [Edit.model_validate({**_plain(r.body), "number": int(r.number)}) for r in records]
        return Page(items=edits, next_cursor=next_cursor)

    def mentions_of(self, workspace_id: str, user_id: str, limit: int, cursor: str | None) -> Page[Mention]:
        """The comments that mention the user, newest first (one Query of gsi1)."""
        partition = _mentions_pk(workspace_id, user_id)
        start = None
        if cursor is not None:
            position = decode_cursor(cursor, "s")["s"]
            created, _, rest = position.partition("#")
            parts = rest.rsplit("#", 2)
            if not (created and len(parts) == 3 and all(parts) and parts[1].isdigit() and len(parts[1]) <= 6):
                raise InvalidCursor("cursor is not valid", field="query.cursor")
            asset_id, number, comment_id = parts
            start = {
                "pk": {"S": _asset_pk(workspace_id, asset_id)},
                "sk": {"S": _mention_sk(int(number), comment_id, user_id)},
                "gsi1pk": {"S": partition},
                "gsi1sk": {"S": position},
            }
        records, last = _query(
            MentionRecord.gsi1.query(
                partition, scan_index_forward=False, limit=limit, page_size=limit, last_evaluated_key=start
            ),
            start is not None,
        )
        mentions = [
            Mention.model_validate(
                {
                    **_plain(r.body),
                    "asset_id": r.asset_id,
                    "version": int(r.number),
                    "comment_id": r.comment_id,
                    "user_id": r.user_id,
                }
            )
            for r in records
        ]
        return Page(items=mentions, next_cursor=_cursor(last, "gsi1sk"))

    # --- write ---------------------------------------------------------------------------------

    def add(self, comment: Comment, parent: Comment | None, root: Comment | None) -> Comment:
        """The comment, its locator and its mentions, while the version is there; a reply also while its
        parent is there and not deleted, and its thread has room (`root.replies` as read)."""
        pk = _asset_pk(comment.workspace_id, comment.asset_id)
        parent_sk = _sk_of(parent) if parent else None
        record = _comment_record(comment, _thread_sk(comment, parent_sk))
        locator = CommentLocatorRecord(
            pk,
            _locator_sk(comment.version, comment.comment_id),
            workspace_id=comment.workspace_id,
            comment_id=comment.comment_id,
            thread_sk=record.sk,
        )
        labels = ["version"]
        try:
            with _transaction() as transaction:
                transaction.condition_check(
                    LibraryRecord, pk, f"version#{comment.version:06d}", condition=LibraryRecord.pk.exists()
                )
                if parent is not None and root is not None and parent.comment_id != root.comment_id:
                    labels.append("parent")
                    transaction.condition_check(
                        CommentRecord,
                        pk,
                        parent_sk,
                        condition=CommentRecord.deleted == False,  # noqa: E712
                    )
                transaction.save(record, condition=LibraryRecord.pk.does_not_exist())
                transaction.save(locator, condition=LibraryRecord.pk.does_not_exist())
                labels += ["comment", "locator"]
                for user_id in comment.mentions:
                    transaction.save(_mention_record(comment, user_id))
                    labels.append("mention")
                if root is not None:
                    condition = CommentRecord.replies == root.replies
                    if parent is not None and parent.comment_id == root.comment_id:
                        condition &= CommentRecord.deleted == False  # noqa: E712
                    transaction.update(
                        CommentRecord(pk, _sk_of(root)),
                        actions=[CommentRecord.replies.add(1)],
                        condition=condition,
                        add_version_condition=False,
                    )
                    labels.append("thread")
        except TransactWriteError as error:
            raise _explain(error, labels, comment) from error
        return comment.model_copy(update={"record_version": 1})

    def save_edit(self, comment: Comment, edit: Edit, previous_mentions: Sequence[str]) -> Comment:
        """The comment as edited and what the edit replaced; mentions follow the new body."""
        pk = _asset_pk(comment.workspace_id, comment.asset_id)
        kept = CommentEditRecord(
            pk,
            _edit_sk(comment.version, comment.comment_id, edit.number),
            workspace_id=comment.workspace_id,
            comment_id=comment.comment_id,
            number=edit.number,
            body=edit.model_dump(mode="json", exclude={"number"}),
        )
        try:
            with _transaction() as transaction:
                transaction.save(kept, condition=LibraryRecord.pk.does_not_exist())
                self._save_comment(transaction, comment)
                for user_id in set(previous_mentions) - set(comment.mentions):
                    transaction.delete(LibraryRecord(pk, _mention_sk(comment.version, comment.comment_id, user_id)))
                for user_id in comment.mentions:
                    transaction.save(_mention_record(comment, user_id))
        except TransactWriteError as error:
            if error.cause_response_code == "TransactionCanceledException":
                raise Conflict("the comment was changed meanwhile; read it again") from error
            raise
        return comment.model_copy(update={"record_version": comment.record_version + 1})

    def save_deleted(self, comment: Comment, previous_mentions: Sequence[str]) -> Comment:
        """The comment marked deleted; nobody finds it among their mentions any more."""
        pk = _asset_pk(comment.workspace_id, comment.asset_id)
        try:
            with _transaction() as transaction:
                self._save_comment(transaction, comment)
                for user_id in previous_mentions:
                    transaction.delete(LibraryRecord(pk, _mention_sk(comment.version, comment.comment_id, user_id)))
        except TransactWriteError as error:
            if error.cause_response_code == "TransactionCanceledException":
                raise Conflict("the comment was changed meanwhile; read it again") from error
            raise
        return comment.model_copy(update={"record_version": comment.record_version + 1})

    def delete_version(self, workspace_id: str, asset_id: str, number: int) -> int:
        """Every comment of a deleted version, with its edits and mentions (keys-only reads, batch deletes)."""
        pk = _asset_pk(workspace_id, asset_id)
        keys = list(LibraryRecord.query(pk, LibraryRecord.sk.startswith(_prefix(number)), attributes_to_get=_KEYS))
        _batch_delete(LibraryRecord(pk, r.sk) for r in keys)
        return len(keys)

    @staticmethod
    def _save_comment(transaction: Any, comment: Comment) -> None:
        record = _comment_record(comment, _sk_of(comment))
        record.record_version = comment.record_version  # conditioned on it; written one more
        transaction.save(record)


# --- mapping ---------------------------------------------------------------------------------------


def _sk_of(comment: Comment) -> str:
    if not comment.position:
        raise ValueError("the comment was not read from the store")
    return comment.position


def _comment_record(comment: Comment, sk: str) -> CommentRecord:
    return CommentRecord(
        _asset_pk(comment.workspace_id, comment.asset_id),
        sk,
        workspace_id=comment.workspace_id,
        asset_id=comment.asset_id,
        number=comment.version,
        comment_id=comment.comment_id,
        body=comment.model_dump(
            mode="json",
            exclude={"workspace_id", "asset_id", "version", "comment_id", "replies", "record_version"},
            exclude_none=True,
        ),
        replies=comment.replies,
        deleted=comment.deleted,
    )


def _to_comment(record: CommentRecord) -> Comment:
    return Comment.model_validate(
        {
            **_plain(record.body),
            "workspace_id": record.workspace_id,
            "asset_id": record.asset_id,
            "version": int(record.number),
            "comment_id": record.comment_id,
            "replies": int(record.replies or 0),
            "record_version": record.record_version or 1,
            "position": record.sk,
        }
    )


def _mention_record(comment: Comment, user_id: str) -> MentionRecord:
    return MentionRecord(
        _asset_pk(comment.workspace_id, comment.asset_id),
        _mention_sk(comment.version, comment.comment_id, user_id),
        workspace_id=comment.workspace_id,
        asset_id=comment.asset_id,
        number=comment.version,
        comment_id=comment.comment_id,
        user_id=user_id,
        body={
            "author": comment.author.model_dump(mode="json", exclude_none=True),
            "excerpt": excerpt(comment.body),
            "created_at": comment.created_at.isoformat(),
        },
        gsi1pk=_mentions_pk(comment.workspace_id, user_id),
        gsi1sk=_mention_position(comment),
    )


def _sorted_page(
    model: type[LibraryRecord], pk: str, prefix: str, limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    """One Query of the records under `prefix`, in sort-key order, from where the cursor says."""
    start = _start(cursor, pk, prefix)
    query = model.query(
        pk,
        LibraryRecord.sk.startswith(prefix),
        consistent_read=True,
        limit=limit,
        page_size=limit,
        last_evaluated_key=start,
    )
    records, last = _query(query, start is not None)
    return records, _cursor(last, "sk")


def _start(cursor: str | None, pk: str, prefix: str) -> dict[str, Any] | None:
    """Where a page starts: a sort key of this very list (a cursor from another version's list is refused)."""
    if cursor is None:
        return None
    sk = decode_cursor(cursor, "s")["s"]
    if not sk.startswith(prefix):
        raise InvalidCursor("cursor does not belong to this list", field="query.cursor")
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _query(results: Any, started: bool) -> tuple[list[Any], dict[str, Any] | None]:
    """One page of a Query (`limit` records at most) and where DynamoDB stopped."""
    try:
        pages = results.page_iter
        page = next(pages, None)
        records = [results._map_fn(item) for item in (page or {}).get("Items", ())]
        return records, pages.last_evaluated_key
    except QueryError as error:
        if started and _error_code(error) == "ValidationException":
            raise InvalidCursor("cursor does not belong to this list", field="query.cursor") from error
        raise


def _cursor(last: dict[str, Any] | None, key: str) -> str | None:
    return encode_cursor({"s": last[key]["S"]}) if last else None


def _explain(error: TransactWriteError, labels: list[str], comment: Comment) -> Exception:
    reasons = error.cancellation_reasons or []
    failed = next(
        (
            label
            for label, r in zip(labels, reasons, strict=False)
            if r is not None and r.code == "ConditionalCheckFailed"
        ),
        None,
    )
    if failed == "version":
        return NotFound(f"version {comment.version} of asset {comment.asset_id} not found")
    if failed == "parent":
        return Conflict("the comment replied to was deleted meanwhile")
    if failed == "thread":
        return Conflict("the thread changed meanwhile (a reply, or its top comment deleted); try again")
    return Conflict("the comment could not be saved; try again")
