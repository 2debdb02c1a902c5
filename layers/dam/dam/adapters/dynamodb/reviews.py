"""The review repository: sessions, decisions, share links, their rate counters and access records, in the
library table (keys described on `LibraryRecord`).

A session, its decisions and its access records share the session's partition, so the session page is one
Query and deleting it finds everything. A link lives under its token's hash (`share#{sha256}`), which is all a
public request brings; its rate counters sit in that partition, one item a minute, deleted by TTL.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError

from dam.adapters.dynamodb.assets import _error_code, _plain
from dam.adapters.dynamodb.library import _batch_delete, _get, _transaction
from dam.adapters.dynamodb.models import (
    LibraryRecord,
    ReviewDecisionRecord,
    ReviewInviteRecord,
    ReviewRecord,
    ShareAccessRecord,
    ShareLinkRecord,
    ShareRateRecord,
)
from dam.domain.errors import Conflict
from dam.domain.reviews import (
    ACCESS_LOG_DAYS,
    AccessRecord,
    Decision,
    RateLimited,
    ReviewSession,
    ShareLink,
)

_REVIEW_SK = "#review"
_LINK_SK = "#link"
_DECISION = "decision#"
_ACCESS = "access#"
_LINK = "link#"
_INVITE = "invite#"
_RATE_TTL = timedelta(minutes=5)


def _review_pk(workspace_id: str, review_id: str) -> str:
    return f"{workspace_id}#review#{review_id}"


def _owner_gsi(workspace_id: str, owner_id: str) -> str:
    return f"{workspace_id}#reviews-by#{owner_id}"


def _invited_gsi(workspace_id: str, user_id: str) -> str:
    return f"{workspace_id}#reviews-for#{user_id}"


def _share_pk(token_hash: str) -> str:
    return f"share#{token_hash}"


class ReviewRepository:
    # --- sessions ----------------------------------------------------------------------------------

    def get(self, workspace_id: str, review_id: str) -> ReviewSession | None:
        record = _get(ReviewRecord, _review_pk(workspace_id, review_id), _REVIEW_SK)
        return _to_session(record) if record is not None else None

    def save(self, session: ReviewSession) -> ReviewSession:
        """Create (record_version 0) or update, conditional on the version read: 409 when it changed. The
        workspace users it names get their invitation in the same transaction, so a session never exists
        without showing in its reviewers' lists; invitations of reviewers taken off are removed after."""
        created = f"{session.created_at.isoformat()}#{session.review_id}"
        pk = _review_pk(session.workspace_id, session.review_id)
        record = ReviewRecord(
            pk,
            _REVIEW_SK,
            workspace_id=session.workspace_id,
            review_id=session.review_id,
            gsi2pk=_owner_gsi(session.workspace_id, session.owner_id),
            gsi2sk=created,
            body=session.model_dump(mode="json", exclude={"review_id", "workspace_id", "record_version"}),
        )
        if session.record_version:
            record.record_version = session.record_version
        named = {reviewer.user_id for reviewer in session.reviewers if reviewer.user_id}
        invited = self._invited_users(pk) if session.record_version else set()
        try:
            with _transaction() as transaction:
                transaction.save(record)
                for user_id in sorted(named - invited):
                    transaction.save(
                        ReviewInviteRecord(
                            pk,
                            f"{_INVITE}{user_id}",
                            workspace_id=session.workspace_id,
                            review_id=session.review_id,
                            gsi2pk=_invited_gsi(session.workspace_id, user_id),
                            gsi2sk=created,
                        )
                    )
        except TransactWriteError as error:
            if error.cause_response_code == "TransactionCanceledException":
                raise Conflict("the review session was changed meanwhile; try again") from error
            raise
        if invited - named:  # a stale invitation shows nothing: the list checks the session names the user
            _batch_delete(
                ReviewInviteRecord(pk, f"{_INVITE}{user_id}", workspace_id=session.workspace_id)
                for user_id in invited - named
            )
        return session.model_copy(update={"record_version": record.record_version})

    def _invited_users(self, pk: str) -> set[str]:
        records = ReviewInviteRecord.query(pk, ReviewInviteRecord.sk.startswith(_INVITE), consistent_read=True)
        return {record.sk.removeprefix(_INVITE) for record in records}

    def owned_by(self, workspace_id: str, owner_id: str, limit: int) -> list[ReviewSession]:
        records = ReviewRecord.gsi2.query(_owner_gsi(workspace_id, owner_id), scan_index_forward=False, limit=limit)
        return [_to_session(r) for r in records if isinstance(r, ReviewRecord)]

    def inviting(self, workspace_id: str, user_id: str, limit: int) -> list[ReviewSession]:
        """The sessions that name `user_id` as a reviewer, newest first (one Query and one BatchGetItem)."""
        records = LibraryRecord.gsi2.query(_invited_gsi(workspace_id, user_id), scan_index_forward=False, limit=limit)
        ids = [record.review_id for record in records if isinstance(record, ReviewInviteRecord)]
        keys = [(_review_pk(workspace_id, review_id), _REVIEW_SK) for review_id in ids]
        found = {record.review_id: _to_session(record) for record in ReviewRecord.batch_get(keys)}
        return [found[review_id] for review_id in ids if review_id in found]

    def delete(self, session: ReviewSession) -> None:
        """The session, its decisions, invitations and access records, and its links (their hashes then find
        nothing)."""
        pk = _review_pk(session.workspace_id, session.review_id)
        owned = list(LibraryRecord.query(pk))
        links = [
            ShareLinkRecord(_share_pk(link.token_hash), _LINK_SK, workspace_id=session.workspace_id)
            for link in self.links(session.workspace_id, session.review_id)
        ]
        _batch_delete([*links, *owned])

    # --- decisions ---------------------------------------------------------------------------------

    def put_decision(self, workspace_id: str, decision: Decision) -> None:
        ReviewDecisionRecord(
            _review_pk(workspace_id, decision.review_id),
            f"{_DECISION}{decision.item}#{decision.reviewer}",
            workspace_id=workspace_id,
            review_id=decision.review_id,
            body=decision.model_dump(mode="json"),
        ).save()

    def decisions(self, workspace_id: str, review_id: str) -> list[Decision]:
        records = ReviewDecisionRecord.query(
            _review_pk(workspace_id, review_id), ReviewDecisionRecord.sk.startswith(_DECISION), consistent_read=True
        )
        return [Decision.model_validate(_plain(r.body)) for r in records]

    # --- links -------------------------------------------------------------------------------------

    def put_link(self, link: ShareLink) -> None:
        record = ShareLinkRecord(
            _share_pk(link.token_hash),
            _LINK_SK,
            workspace_id=link.workspace_id,
            review_id=link.review_id,
            link_id=link.link_id,
            gsi1pk=_review_pk(link.workspace_id, link.review_id),
            gsi1sk=f"{_LINK}{link.link_id}",
            body=link.model_dump(mode="json"),
        )
        try:
            record.save(condition=LibraryRecord.pk.does_not_exist())
        except PutError as error:  # a 192-bit token drawn twice: never, but never overwrite either
            if _error_code(error) == "ConditionalCheckFailedException":
                raise Conflict("that link already exists; try again") from error
            raise

    def link_by_hash(self, token_hash: str) -> ShareLink | None:
        record = _get(ShareLinkRecord, _share_pk(token_hash), _LINK_SK)
        return ShareLink.model_validate(_plain(record.body)) if isinstance(record, ShareLinkRecord) else None

    def links(self, workspace_id: str, review_id: str) -> list[ShareLink]:
        records = LibraryRecord.gsi1.query(_review_pk(workspace_id, review_id), LibraryRecord.gsi1sk.startswith(_LINK))
        return [ShareLink.model_validate(_plain(r.body)) for r in records if isinstance(r, ShareLinkRecord)]

    def revoke_link(self, link: ShareLink, at: datetime) -> ShareLink:
        revoked = link if link.revoked_at else link.model_copy(update={"revoked_at": at})
        ShareLinkRecord(
            _share_pk(link.token_hash),
            _LINK_SK,
            workspace_id=link.workspace_id,
            review_id=link.review_id,
            link_id=link.link_id,
            gsi1pk=_review_pk(link.workspace_id, link.review_id),
            gsi1sk=f"{_LINK}{link.link_id}",
            body=revoked.model_dump(mode="json"),
        ).save()
        return revoked

    # --- rate and access ---------------------------------------------------------------------------

    def count_request(self, link: ShareLink, window: int, limit: int, now: datetime) -> None:
        """One more request in this minute's counter, refused (RateLimited) once it holds `limit`: one atomic
        UpdateItem, so concurrent requests cannot both take the last place."""
        handle = ShareRateRecord(_share_pk(link.token_hash), f"rate#{window}", workspace_id=link.workspace_id)
        try:
            handle.update(
                actions=[
                    ShareRateRecord.hits.add(1),
                    # An upsert: name its type as a save would (the audit's stream consumer reads it).
                    ShareRateRecord.record_type.set(ShareRateRecord),
                    ShareRateRecord.workspace_id.set(link.workspace_id),
                    ShareRateRecord.expires_at.set(now + _RATE_TTL),
                ],
                condition=ShareRateRecord.hits.does_not_exist() | (ShareRateRecord.hits < limit),
            )
        except UpdateError as error:
            if _error_code(error) == "ConditionalCheckFailedException":
                raise RateLimited("too many requests on this link; wait a minute") from error
            raise

    def log_access(self, workspace_id: str, record: AccessRecord) -> None:
        ShareAccessRecord(
            _review_pk(workspace_id, record.review_id),
            f"{_ACCESS}{record.at.isoformat()}#{secrets.token_hex(4)}",
            workspace_id=workspace_id,
            review_id=record.review_id,
            body=record.model_dump(mode="json"),
            expires_at=record.at + timedelta(days=ACCESS_LOG_DAYS),
        ).save()

    def access_log(self, workspace_id: str, review_id: str, limit: int) -> list[AccessRecord]:
        records = ShareAccessRecord.query(
            _review_pk(workspace_id, review_id),
            ShareAccessRecord.sk.startswith(_ACCESS),
            scan_index_forward=False,
            limit=limit,
        )
        return [AccessRecord.model_validate(_plain(r.body)) for r in records]


def _to_session(record: ReviewRecord) -> ReviewSession:
    return ReviewSession.model_validate(
        {
            **_plain(record.body),
            "review_id": record.review_id,
            "workspace_id": record.workspace_id,
            "record_version": record.record_version or 0,
        }
    )
