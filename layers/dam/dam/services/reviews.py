"""Review use cases: gather versions for reviewers, record their decisions, share the session by link.

Who sees a session: its owner and the workspace users it names. Who changes it: its owner. An outside
reviewer sees it through a share link only, and the link shows exactly the session's versions (renditions;
originals only when the session allows downloads), nothing else of the workspace.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from dam.domain.assets import Asset, utcnow
from dam.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from dam.domain.identity import Caller
from dam.domain.permissions import require_own
from dam.domain.queries import AssetQuery
from dam.domain.reviews import (
    LINK_REQUESTS_PER_MINUTE,
    MAX_ITEMS,
    MAX_REVIEWERS,
    AccessRecord,
    Decision,
    LinkGone,
    PasswordRequired,
    Reviewer,
    ReviewItem,
    ReviewSession,
    ShareLink,
    SourceKind,
    Verdict,
    approval_due,
    client_hash,
    hash_password,
    item_key,
    latest_decisions,
    link_expiry,
    new_link_id,
    new_review_id,
    new_token,
    password_matches,
    rate_window,
    rule_for,
    token_hash,
)
from dam.domain.versions import ReviewAction, Version
from dam.services.assets import AssetService, SignedUrl
from dam.services.library import LibraryService
from dam.services.ports import ReviewStore
from dam.services.projects import ProjectService
from dam.services.versions import VersionService

_ATTEMPTS = 5
_PAGE = 100


@dataclass(frozen=True)
class SharedItem:
    """One version a link shows, and who the link is for."""

    workspace_id: str
    reviewer_email: str
    asset_id: str
    version: int


@dataclass(frozen=True)
class Source:
    """Where versions come from: a shot's, a project's or a collection's assets (their active versions), or
    hand-picked versions (`picks`: asset id and version number; None = the active one)."""

    kind: SourceKind
    id: str | None = None
    picks: tuple[tuple[str, int | None], ...] = ()


@dataclass(frozen=True)
class ReviewPolicy:
    all_reviewers_workspaces: frozenset[str] = frozenset()
    requests_per_minute: int = LINK_REQUESTS_PER_MINUTE


@dataclass(frozen=True)
class SessionChanges:
    title: str | None = None
    order: builtins.list[int] | None = None  # the current positions, in their new order
    reviewers: builtins.list[Reviewer] | None = None
    allow_download: bool | None = None


@dataclass(frozen=True)
class Visitor:
    """Who is at the other end of a share link, as far as the request tells: never stored as is."""

    source_ip: str
    user_agent: str
    password: str | None = None


@dataclass
class SharedView:
    link: ShareLink
    session: ReviewSession
    versions: dict[str, tuple[Asset, Version] | None] = field(default_factory=dict)  # by item key
    decisions: builtins.list[Decision] = field(default_factory=list)


class ReviewService:
    def __init__(
        self,
        store: ReviewStore,
        assets: AssetService,
        versions: VersionService,
        projects: ProjectService,
        library: LibraryService,
        policy: ReviewPolicy | None = None,
    ) -> None:
        self._store = store
        self._assets = assets
        self._versions = versions
        self._projects = projects
        self._library = library
        self._policy = policy or ReviewPolicy()

    @property
    def policy(self) -> ReviewPolicy:
        return self._policy

    # --- sessions ----------------------------------------------------------------------------------

    def create(
        self,
        caller: Caller,
        title: str,
        reviewers: builtins.list[Reviewer],
        sources: builtins.list[Source],
        *,
        allow_download: bool = False,
    ) -> ReviewSession:
        now = utcnow()
        session = ReviewSession(
            review_id=new_review_id(),
            workspace_id=caller.workspace_id,
            title=title,
            owner_id=caller.user_id,
            created_at=now,
            updated_at=now,
            reviewers=_distinct(reviewers),
            allow_download=allow_download,
        )
        session = session.model_copy(update={"items": self._gather(caller, session, sources, now)})
        return self._store.save(session)

    def session(self, caller: Caller, review_id: str) -> ReviewSession:
        """The owner's and its named reviewers' to see; anyone else learns nothing (404)."""
        session = self._store.get(caller.workspace_id, review_id)
        if session is None or (session.owner_id != caller.user_id and session.reviewer_for(caller) is None):
            raise NotFound(f"review {review_id} not found")
        return session

    def _owned(self, caller: Caller, review_id: str) -> ReviewSession:
        session = self.session(caller, review_id)
        if session.owner_id != caller.user_id:
            raise Forbidden("only the review's owner changes it")
        return session

    def sessions(self, caller: Caller, limit: int) -> builtins.list[ReviewSession]:
        """The sessions the caller owns or is named in as a reviewer, newest first."""
        owned = self._store.owned_by(caller.workspace_id, caller.user_id, limit)
        # An invitation outlives the reviewer's removal by a moment (it is deleted after the save): re-check.
        asked = [s for s in self._store.inviting(caller.workspace_id, caller.user_id, limit) if s.reviewer_for(caller)]
        merged = {session.review_id: session for session in [*owned, *asked]}
        return sorted(merged.values(), key=lambda s: (s.created_at, s.review_id), reverse=True)[:limit]

    def update(self, caller: Caller, review_id: str, changes: SessionChanges) -> ReviewSession:
        return self._change(caller, review_id, lambda session: _changed(session, changes))

    def add_items(self, caller: Caller, review_id: str, sources: builtins.list[Source]) -> ReviewSession:
        now = utcnow()

        def add(session: ReviewSession) -> ReviewSession:
            return session.model_copy(update={"items": self._gather(caller, session, sources, now), "updated_at": now})

        return self._change(caller, review_id, add)

    def remove_item(self, caller: Caller, review_id: str, position: int) -> ReviewSession:
        def remove(session: ReviewSession) -> ReviewSession:
            _item(session, position)
            items = [item for n, item in enumerate(session.items, 1) if n != position]
            return session.model_copy(update={"items": items, "updated_at": utcnow()})

        return self._change(caller, review_id, remove)

    def delete(self, caller: Caller, review_id: str) -> None:
        self._store.delete(self._owned(caller, review_id))

    def _change(
        self, caller: Caller, review_id: str, change: Callable[[ReviewSession], ReviewSession]
    ) -> ReviewSession:
        for _attempt in range(_ATTEMPTS):
            try:
                return self._store.save(change(self._owned(caller, review_id)))
            except Conflict:
                continue
        raise Conflict("the review kept changing; try again")

    def _gather(
        self, caller: Caller, session: ReviewSession, sources: Iterable[Source], now: datetime
    ) -> builtins.list[ReviewItem]:
        """The session's items with the sources' versions appended (each version once, in source order). Client
        scoping: the caller must see every asset, and an external user may share only their clients' assets."""
        items = list(session.items)
        present = {item.key for item in items}
        for asset, number in self._resolve(caller, sources):
            if caller.is_external:
                require_own(caller, asset.client_id, f"asset {asset.asset_id}")
            key = item_key(asset.asset_id, number)
            if key in present:
                continue
            if len(items) >= MAX_ITEMS:
                raise InvalidInput(f"a review holds at most {MAX_ITEMS} versions", field="items")
            present.add(key)
            items.append(ReviewItem(asset_id=asset.asset_id, version=number, added_by=caller.user_id, added_at=now))
        return items

    def _resolve(self, caller: Caller, sources: Iterable[Source]) -> Iterable[tuple[Asset, int]]:
        for source in sources:
            if source.kind is SourceKind.VERSIONS:
                for asset_id, number in source.picks:
                    asset = self._versions.asset(caller, asset_id)  # NotFound unless the caller sees it
                    wanted = number if number is not None else asset.active_version
                    self._versions.get(caller, asset_id, wanted)  # NotFound for a version it does not have
                    yield asset, wanted
                continue
            assert source.id is not None
            if source.kind is SourceKind.SHOT:
                self._projects.node(caller, "shot", source.id)
                query = AssetQuery(shot_id=source.id)
            elif source.kind is SourceKind.PROJECT:
                self._projects.project(caller, source.id)
                query = AssetQuery(project_id=source.id)
            else:
                self._library.collection(caller, source.id)
                query = AssetQuery(collection_id=source.id)
            for listed in self._all(caller, query):
                asset = self._versions.asset(caller, listed.asset_id)  # version 1 recorded if it was not yet
                yield asset, asset.active_version

    def _all(self, caller: Caller, query: AssetQuery) -> Iterable[Asset]:
        cursor: str | None = None
        seen = 0
        while True:
            page, _ = self._library.browse(caller, query, _PAGE, cursor)
            yield from page.items
            seen += len(page.items)
            cursor = page.next_cursor
            if cursor is None or seen > MAX_ITEMS:
                return

    # --- decisions ---------------------------------------------------------------------------------

    def decisions(self, caller: Caller, review_id: str) -> tuple[ReviewSession, builtins.list[Decision]]:
        session = self.session(caller, review_id)
        return session, self._store.decisions(session.workspace_id, session.review_id)

    def decide(
        self, caller: Caller, review_id: str, position: int, verdict: Verdict, note: str | None
    ) -> tuple[ReviewSession, builtins.list[Decision]]:
        """A named workspace reviewer's decision on one version (they must still see its asset)."""
        session = self.session(caller, review_id)
        reviewer = session.reviewer_for(caller)
        if reviewer is None:
            raise Forbidden("only the review's named reviewers decide")
        item = _item(session, position)
        self._versions.get(caller, item.asset_id, item.version)
        return self._record(session, item, reviewer, caller, verdict, note)

    def _record(
        self,
        session: ReviewSession,
        item: ReviewItem,
        reviewer: Reviewer,
        acting: Caller,
        verdict: Verdict,
        note: str | None,
    ) -> tuple[ReviewSession, builtins.list[Decision]]:
        decision = Decision(
            review_id=session.review_id,
            item=item.key,
            reviewer=reviewer.key,
            verdict=verdict,
            note=note,
            role=acting.role if reviewer.user_id else None,
            at=utcnow(),
        )
        self._store.put_decision(session.workspace_id, decision)
        decisions = self._store.decisions(session.workspace_id, session.review_id)
        return self._follow_rule(session, item, acting, decisions), decisions

    def _follow_rule(
        self, session: ReviewSession, item: ReviewItem, acting: Caller, decisions: builtins.list[Decision]
    ) -> ReviewSession:
        """Approve the version through its own review history once the workspace's rule is met; revoke the
        approval this session gave when it no longer is (an approval given elsewhere is left alone)."""
        rule = rule_for(session.workspace_id, self._policy.all_reviewers_workspaces)
        mine = latest_decisions(d for d in decisions if d.item == item.key)
        due = approval_due(rule, session.reviewers, mine)
        if due == item.approved_by_session:
            return session
        action = ReviewAction.APPROVE if due else ReviewAction.REVOKE
        note = f"review {session.review_id} ({rule.value}): " + ("approved" if due else "changes requested")
        try:
            self._versions.review_for_session(acting, item.asset_id, item.version, action, note)
        except (Forbidden, Conflict, NotFound):
            return session  # their own upload, a locked shot, a deleted version: the decision stands alone
        for _attempt in range(_ATTEMPTS):
            current = self._store.get(session.workspace_id, session.review_id)
            if current is None:
                return session
            items = [
                i.model_copy(update={"approved_by_session": due}) if i.key == item.key else i for i in current.items
            ]
            try:
                return self._store.save(current.model_copy(update={"items": items}))
            except Conflict:
                continue
        return session

    # --- links -------------------------------------------------------------------------------------

    def create_link(
        self, caller: Caller, review_id: str, email: str, hours: int | None, password: str | None
    ) -> tuple[ShareLink, str]:
        """A link for one outside reviewer (named on the session): the token is returned once, never stored."""
        session = self._owned(caller, review_id)
        reviewer = Reviewer(email=email)
        if reviewer.key not in {r.key for r in session.reviewers}:
            raise InvalidInput("name the outside reviewer on the review first", field="email")
        now = utcnow()
        token = new_token()
        link = ShareLink(
            link_id=new_link_id(),
            review_id=session.review_id,
            workspace_id=session.workspace_id,
            token_hash=token_hash(token),
            reviewer_email=email.casefold(),
            created_by=caller.user_id,
            created_at=now,
            expires_at=link_expiry(now, hours),
            password_hash=hash_password(password) if password else None,
        )
        self._store.put_link(link)
        return link, token

    def links(self, caller: Caller, review_id: str) -> builtins.list[ShareLink]:
        session = self._owned(caller, review_id)
        return sorted(self._store.links(session.workspace_id, session.review_id), key=lambda link: link.created_at)

    def revoke_link(self, caller: Caller, review_id: str, link_id: str) -> ShareLink:
        session = self._owned(caller, review_id)
        links = self._store.links(session.workspace_id, session.review_id)
        link = next((x for x in links if x.link_id == link_id), None)
        if link is None:
            raise NotFound(f"link {link_id} not found")
        return self._store.revoke_link(link, utcnow())

    def access_log(self, caller: Caller, review_id: str, limit: int) -> builtins.list[AccessRecord]:
        session = self._owned(caller, review_id)
        return self._store.access_log(session.workspace_id, session.review_id, limit)

    # --- the outside reviewer's side ---------------------------------------------------------------

    def open_link(self, token: str, visitor: Visitor, viewed: str) -> tuple[ShareLink, ReviewSession]:
        """The link behind a token, checked in this order: known (else 404, as for any unknown token), alive
        (else 410), within its rate (else 429), unlocked (else 401). Every request that reaches a link is
        logged, refused ones included."""
        link = self._store.link_by_hash(token_hash(token))
        if link is None:
            raise NotFound("no such link")
        now = utcnow()
        session = self._store.get(link.workspace_id, link.review_id)
        named = session is not None and Reviewer(email=link.reviewer_email).key in {r.key for r in session.reviewers}
        if session is None or not named or not link.usable_at(now):
            # Expired, revoked, or its reviewer taken off the review.
            raise LinkGone("this link no longer works")
        self._store.count_request(link, rate_window(now), self._policy.requests_per_minute, now)
        unlocked = link.password_hash is None or password_matches(link.password_hash, visitor.password)
        self._store.log_access(
            link.workspace_id,
            AccessRecord(
                link_id=link.link_id,
                review_id=link.review_id,
                at=now,
                viewed=viewed if unlocked else f"{viewed} (wrong or missing password)",
                client_hash=client_hash(visitor.source_ip, visitor.user_agent),
            ),
        )
        if not unlocked:
            raise PasswordRequired("this link needs its password (the X-Share-Password header)")
        return link, session

    def shared(self, token: str, visitor: Visitor) -> SharedView:
        return self._view(*self.open_link(token, visitor, "session"))

    def _view(self, link: ShareLink, session: ReviewSession) -> SharedView:
        view = SharedView(link, session)
        for item in session.items:
            view.versions[item.key] = self._shared_version(session, item)
        reviewer = Reviewer(email=link.reviewer_email).key
        view.decisions = [
            d for d in self._store.decisions(session.workspace_id, session.review_id) if d.reviewer == reviewer
        ]
        return view

    def shared_file(self, token: str, visitor: Visitor, position: int, name: str) -> str:
        """A short-lived URL of one item's rendition (`thumbnail`, `preview`, …) or, when the session allows
        downloads, its `original`."""
        _, session = self.open_link(token, visitor, f"item {position} {name}")
        item = _item(session, position)
        found = self._shared_version(session, item)
        if found is None:
            raise NotFound(f"item {position} is no longer there")
        _, version = found
        if name == "original":
            if not session.allow_download:
                raise NotFound(f"item {position} has no {name} to show")
            return self._versions.original_url_of(version)
        rendition = version.renditions.get(name)
        if rendition is None:
            raise NotFound(f"item {position} has no {name} to show")
        return self._assets.signed_rendition(rendition).url

    def rendition_urls(self, version: Version) -> dict[str, SignedUrl]:
        """Short-lived URLs of a version's renditions (what the share page shows inline)."""
        return {name: self._assets.signed_rendition(r) for name, r in version.renditions.items()}

    def shared_decide(
        self, token: str, visitor: Visitor, position: int, verdict: Verdict, note: str | None
    ) -> SharedView:
        """An outside reviewer's decision, recorded as the link's reviewer; answers the shared view after it."""
        link, session = self.open_link(token, visitor, f"item {position} decision")
        item = _item(session, position)
        if self._shared_version(session, item) is None:
            raise NotFound(f"item {position} is no longer there")
        reviewer = Reviewer(email=link.reviewer_email)
        acting = Caller(user_id=reviewer.key, workspace_id=session.workspace_id, role=None)
        session, _ = self._record(session, item, reviewer, acting, verdict, note)
        return self._view(link, session)

    def shared_item(self, token: str, visitor: Visitor, position: int, purpose: str) -> SharedItem:
        """The version at `position` of a link's review and the link's reviewer, for what the reviewer does on it
        (comments): the link opened (password, expiry, rate, access log) and the version still there."""
        link, session = self.open_link(token, visitor, f"item {position} {purpose}")
        item = _item(session, position)
        if self._shared_version(session, item) is None:
            raise NotFound(f"item {position} is no longer there")
        return SharedItem(session.workspace_id, link.reviewer_email, item.asset_id, item.version)

    def _shared_version(self, session: ReviewSession, item: ReviewItem) -> tuple[Asset, Version] | None:
        try:
            return self._versions.in_workspace(session.workspace_id, item.asset_id, item.version)
        except NotFound:
            return None


def _item(session: ReviewSession, position: int) -> ReviewItem:
    item = session.item_at(position)
    if item is None:
        raise NotFound(f"the review has no item {position}")
    return item


def _distinct(reviewers: Iterable[Reviewer]) -> builtins.list[Reviewer]:
    found: dict[str, Reviewer] = {}
    for reviewer in reviewers:
        found.setdefault(reviewer.key, reviewer)
    if len(found) > MAX_REVIEWERS:
        raise InvalidInput(f"a review names at most {MAX_REVIEWERS} reviewers", field="reviewers")
    return list(found.values())


def _changed(session: ReviewSession, changes: SessionChanges) -> ReviewSession:
    update: dict[str, object] = {"updated_at": utcnow()}
    if changes.title is not None:
        update["title"] = changes.title
    if changes.allow_download is not None:
        update["allow_download"] = changes.allow_download
    if changes.reviewers is not None:
        update["reviewers"] = _distinct(changes.reviewers)
    if changes.order is not None:
        if sorted(changes.order) != list(range(1, len(session.items) + 1)):
            raise InvalidInput(f"order must list each of the positions 1 to {len(session.items)} once", field="order")
        update["items"] = [session.items[n - 1] for n in changes.order]
    return session.model_copy(update=update)
