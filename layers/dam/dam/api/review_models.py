"""Request and response bodies of the review session and share link routes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from dam.api.models import SignedUrlOut
from dam.domain.formats import MediaType
from dam.domain.identity import Role
from dam.domain.modeling import LazyModel
from dam.domain.reviews import MAX_ITEMS, MAX_LINK_DAYS, MAX_REVIEWERS, ApprovalRule, SourceKind, Verdict
from dam.domain.versions import ReviewStatus

# Plain enough to tell a typo from an address; the reviewer's mail server is the real check.
EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,63}$"
_ID = r"^[A-Za-z0-9_.:-]{1,128}$"


class ReviewerIn(LazyModel):
    model_config = ConfigDict(extra="forbid")

    user_id: str | None = Field(default=None, pattern=_ID, description="A workspace user (their token's subject)")
    email: str | None = Field(
        default=None, max_length=254, pattern=EMAIL_PATTERN, description="An outside reviewer, with no account"
    )

    @model_validator(mode="after")
    def _one_of(self) -> ReviewerIn:
        if (self.user_id is None) == (self.email is None):
            raise ValueError("give exactly one of user_id and email")
        return self


class PickIn(LazyModel):
    model_config = ConfigDict(extra="forbid")

    asset_id: str = Field(pattern=_ID)
    version: int | None = Field(default=None, ge=1, le=999_999, description="Left out: the active version")


class SourceIn(LazyModel):
    """Versions to add: a shot's, a project's or a collection's assets (each one's active version), or picks."""

    model_config = ConfigDict(extra="forbid")

    kind: SourceKind
    id: str | None = Field(default=None, pattern=_ID, description="The shot, project or collection")
    versions: list[PickIn] = Field(default_factory=list, max_length=MAX_ITEMS, description="For `versions` only")

    @model_validator(mode="after")
    def _matches_kind(self) -> SourceIn:
        if self.kind is SourceKind.VERSIONS:
            if not self.versions or self.id is not None:
                raise ValueError("`versions` sources list their versions (and no id)")
        elif self.id is None or self.versions:
            raise ValueError(f"a `{self.kind.value}` source names its id (and no versions)")
        return self


class NewReviewRequest(LazyModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200, examples=["Hero shots, round 2"])
    reviewers: list[ReviewerIn] = Field(default_factory=list, max_length=MAX_REVIEWERS)
    items: list[SourceIn] = Field(default_factory=list, max_length=20, description="Where the versions come from")
    allow_download: bool = Field(default=False, description="Outside reviewers may download the originals")


class ReviewPatch(LazyModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=200)
    order: list[int] | None = Field(
        default=None, max_length=MAX_ITEMS, description="Every current position (1…n) once, in the new order"
    )
    reviewers: list[ReviewerIn] | None = Field(default=None, max_length=MAX_REVIEWERS)
    allow_download: bool | None = None


class AddItemsRequest(LazyModel):
    model_config = ConfigDict(extra="forbid")

    items: list[SourceIn] = Field(min_length=1, max_length=20)


class DecisionRequest(LazyModel):
    model_config = ConfigDict(extra="forbid")

    verdict: Verdict
    note: str | None = Field(default=None, min_length=1, max_length=2000, examples=["Warmer skin tones, please"])


class NewLinkRequest(LazyModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=254, pattern=EMAIL_PATTERN, description="The outside reviewer (named on the review)")
    expires_in_hours: int = Field(default=72, ge=1, le=MAX_LINK_DAYS * 24)
    password: str | None = Field(
        default=None, min_length=8, max_length=128, description="Asked of the reviewer as the X-Share-Password header"
    )


class ReviewerOut(LazyModel):
    user_id: str | None
    email: str | None


class DecisionOut(LazyModel):
    reviewer: str = Field(description="`user:{id}` or `email:{address}`", examples=["email:dana@client.example"])
    verdict: Verdict
    note: str | None
    role: Role | None = Field(description="A workspace reviewer's role when they decided")
    at: datetime


class ReviewItemOut(LazyModel):
    position: int = Field(description="1-based, in review order")
    asset_id: str
    version: int
    available: bool = Field(description="False when the version is gone or you may not see its asset")
    studio_id: str | None = None
    filename: str | None = None
    media_type: MediaType | None = None
    status: ReviewStatus | None = Field(default=None, description="The version's own approval status")
    approved_by_review: bool = Field(description="This review's rule approved the version")
    thumbnail: SignedUrlOut | None = None
    decisions: list[DecisionOut] = Field(description="The latest decision of each reviewer")


class ReviewOut(LazyModel):
    review_id: str
    title: str
    owner_id: str
    created_at: datetime
    updated_at: datetime
    rule: ApprovalRule = Field(description="The workspace's rule for when decisions approve a version")
    allow_download: bool
    reviewers: list[ReviewerOut]
    items: list[ReviewItemOut]


class ReviewSummary(LazyModel):
    review_id: str
    title: str
    owner_id: str
    role: Literal["owner", "reviewer"] = Field(description="Whether you own the review or are asked to review it")
    created_at: datetime
    updated_at: datetime
    item_count: int
    reviewer_count: int


class ReviewList(LazyModel):
    items: list[ReviewSummary] = Field(description="The reviews you own or are named in as a reviewer, newest first")


class LinkOut(LazyModel):
    link_id: str
    reviewer_email: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    has_password: bool
    state: Literal["active", "expired", "revoked"]


class NewLinkResponse(LazyModel):
    link: LinkOut
    token: str = Field(description="Shown once: only its hash is kept. The reviewer opens /share/{token}")
    path: str = Field(examples=["/share/2nY…"])


class LinkList(LazyModel):
    items: list[LinkOut] = Field(description="Oldest first")


class AccessOut(LazyModel):
    link_id: str
    at: datetime
    viewed: str = Field(examples=["item 2 rendition preview"])
    client_hash: str = Field(description="A hash of the IP address and user agent: repeat visits, never who")


class AccessList(LazyModel):
    items: list[AccessOut] = Field(description="Newest first")


class SharedDecisionOut(LazyModel):
    verdict: Verdict
    note: str | None
    at: datetime


class SharedItemOut(LazyModel):
    position: int
    available: bool
    studio_id: str | None = None
    filename: str | None = None
    media_type: MediaType | None = None
    renditions: list[str] = Field(default_factory=list, description="Names for …/items/{n}/rendition?name=")
    thumbnail: SignedUrlOut | None = None
    downloadable: bool = Field(default=False, description="`?name=original` works")
    my_decision: SharedDecisionOut | None = None


class SharedReviewOut(LazyModel):
    title: str
    reviewer_email: str
    expires_at: datetime
    items: list[SharedItemOut]
