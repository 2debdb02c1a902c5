"""Review sessions and share links: versions gathered for named reviewers, decisions, expiring links. Pure.

A session holds an ordered list of asset versions and its reviewers: workspace users (by user id) and outside
reviewers (by email, no account). Each reviewer's decision on each version is kept apart; whether a version is
approved follows the workspace's rule (`any_lead` or `all_reviewers`) and is written through the versions'
own review history, never a second approval concept.

A share link is a random token (≥ 128 bits) handed out once: only its SHA-256 is stored, and the link is found
by that hash. A password is kept as a slow salted hash (scrypt) and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import Field

from dam.domain.errors import DomainError
from dam.domain.identity import Caller, Role
from dam.domain.modeling import LazyModel

MAX_ITEMS = 200  # versions in one session
MAX_REVIEWERS = 50
MAX_LINK_DAYS = 30  # the longest a share link may live
DEFAULT_LINK_HOURS = 72
TOKEN_BYTES = 24  # 192 bits of randomness (token_urlsafe: 32 characters)
LINK_REQUESTS_PER_MINUTE = 60  # per link; over it answers 429
ACCESS_LOG_DAYS = 90  # access records expire (DynamoDB TTL) after this

# scrypt at n=2^14, r=8, p=1 (16 MiB, ~50 ms): slow for a guesser, bearable for one request.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P, _SCRYPT_LEN = 2**14, 8, 1, 32
# Leads and admins: the reviewers whose approval carries the `any_lead` rule (as REVIEW_VERSION).
LEAD_ROLES = frozenset({Role.SHOOT_LEAD, Role.POST_LEAD, Role.ADMIN})


class LinkGone(DomainError):
    """An expired or revoked share link: 410, and nothing more."""

    code = "gone"


class RateLimited(DomainError):
    """Too many requests on one link in a minute: 429."""

    code = "rate_limited"


class PasswordRequired(DomainError):
    """The link has a password and the request did not carry the right one: 401."""

    code = "password_required"


class ApprovalRule(StrEnum):
    ANY_LEAD = "any_lead"  # one lead's or admin's approval among the reviewers approves
    ALL_REVIEWERS = "all_reviewers"  # every invited reviewer must approve


class Verdict(StrEnum):
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"


class SourceKind(StrEnum):
    SHOT = "shot"
    PROJECT = "project"
    COLLECTION = "collection"
    VERSIONS = "versions"  # hand-picked


class Reviewer(LazyModel):
    """A workspace user (`user_id`) or an outside reviewer (`email`): exactly one of the two."""

    user_id: str | None = None
    email: str | None = None

    @property
    def key(self) -> str:
        return f"user:{self.user_id}" if self.user_id else f"email:{(self.email or '').casefold()}"


class ReviewItem(LazyModel):
    asset_id: str
    version: int = Field(ge=1)
    added_by: str
    added_at: datetime
    approved_by_session: bool = False  # this session's rule approved the version (so it may revoke it)

    @property
    def key(self) -> str:
        return item_key(self.asset_id, self.version)


class ReviewSession(LazyModel):
    review_id: str
    workspace_id: str
    title: str
    owner_id: str
    created_at: datetime
    updated_at: datetime
    items: list[ReviewItem] = Field(default_factory=list)  # in review order
    reviewers: list[Reviewer] = Field(default_factory=list)
    allow_download: bool = False  # outside reviewers may fetch originals
    record_version: int = 0

    def reviewer_for(self, caller: Caller) -> Reviewer | None:
        return next((r for r in self.reviewers if r.user_id == caller.user_id), None)

    def item_at(self, position: int) -> ReviewItem | None:
        return self.items[position - 1] if 1 <= position <= len(self.items) else None


class Decision(LazyModel):
    review_id: str
    item: str  # item_key
    reviewer: str  # Reviewer.key
    verdict: Verdict
    note: str | None = Field(default=None, max_length=2000)
    role: Role | None = None  # a workspace reviewer's role when they decided; None for outside reviewers
    at: datetime


class ShareLink(LazyModel):
    link_id: str
    review_id: str
    workspace_id: str
    token_hash: str  # SHA-256 of the token, hex: the only trace of the token kept
    reviewer_email: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    password_hash: str | None = None  # scrypt$n$r$p$salt$hash

    def usable_at(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


class AccessRecord(LazyModel):
    link_id: str
    review_id: str
    at: datetime
    viewed: str  # "session", "item 3 rendition thumbnail", "item 3 decision"
    client_hash: str  # SHA-256 of IP and user agent: who came back, never who they are


def new_review_id() -> str:
    return f"rev-{secrets.token_hex(8)}"


def new_link_id() -> str:
    return f"lnk-{secrets.token_hex(8)}"


def item_key(asset_id: str, version: int) -> str:
    return f"{asset_id}#v{version}"


# --- tokens and passwords --------------------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=_SCRYPT_LEN, maxmem=64 * 1024**2
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def password_matches(stored: str, offered: str | None) -> bool:
    """Constant-time comparison of scrypt digests; a malformed stored value never matches."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        expected = bytes.fromhex(digest)
        if scheme != "scrypt":
            return False
        actual = hashlib.scrypt(
            (offered or "").encode(),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=64 * 1024**2,
        )
    except ValueError:
        return False
    return offered is not None and hmac.compare_digest(actual, expected)


def link_expiry(now: datetime, hours: int | None) -> datetime:
    """When a new link stops working: the hours asked for (default 72), never past MAX_LINK_DAYS."""
    asked = timedelta(hours=hours if hours is not None else DEFAULT_LINK_HOURS)
    return now + min(asked, timedelta(days=MAX_LINK_DAYS))


def client_hash(source_ip: str, user_agent: str) -> str:
    return hashlib.sha256(f"{source_ip}\n{user_agent}".encode()).hexdigest()[:32]


def rate_window(now: datetime) -> int:
    """The minute a request counts in (epoch minutes)."""
    return int(now.timestamp() // 60)


# --- the approval rule -----------------------------------------------------------------------------


def latest_decisions(decisions: Iterable[Decision]) -> dict[str, Decision]:
    """Per reviewer, their decision (one record each: the newest wins)."""
    found: dict[str, Decision] = {}
    for decision in sorted(decisions, key=lambda d: d.at):
        found[decision.reviewer] = decision
    return found


def approval_due(rule: ApprovalRule, reviewers: Iterable[Reviewer], decisions: Mapping[str, Decision]) -> bool:
    """Whether a version's decisions (latest per reviewer) approve it under the rule.

    `any_lead`: at least one invited workspace reviewer who decided as a lead or admin approved, and no lead
    asks for changes. `all_reviewers`: every invited reviewer (users and outside reviewers) approved.
    """
    invited = {r.key for r in reviewers}
    current = {key: d for key, d in decisions.items() if key in invited}
    if rule is ApprovalRule.ALL_REVIEWERS:
        return bool(invited) and all(key in current and current[key].verdict is Verdict.APPROVED for key in invited)
    leads = [d for d in current.values() if d.role in LEAD_ROLES]
    return any(d.verdict is Verdict.APPROVED for d in leads) and not any(
        d.verdict is Verdict.CHANGES_REQUESTED for d in leads
    )


def rule_for(workspace_id: str, all_reviewers_workspaces: frozenset[str]) -> ApprovalRule:
    """The workspace's setting: `any_lead` unless it is listed as `all_reviewers`."""
    return ApprovalRule.ALL_REVIEWERS if workspace_id in all_reviewers_workspaces else ApprovalRule.ANY_LEAD
