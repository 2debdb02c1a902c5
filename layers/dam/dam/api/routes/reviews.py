"""Review session routes: gather versions for reviewers, reorder them, decide, share by link, read the access log."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from dam.api.context import current_caller, services
from dam.api.errors import route_responses
from dam.api.models import SignedUrlOut
from dam.api.permissions import permits
from dam.api.review_models import (
    AccessList,
    AccessOut,
    AddItemsRequest,
    DecisionOut,
    DecisionRequest,
    LinkList,
    LinkOut,
    NewLinkRequest,
    NewLinkResponse,
    NewReviewRequest,
    ReviewerIn,
    ReviewerOut,
    ReviewItemOut,
    ReviewList,
    ReviewOut,
    ReviewPatch,
    ReviewSummary,
    SourceIn,
)
from dam.api.routes.projects import created
from dam.domain.assets import utcnow
from dam.domain.errors import NotFound
from dam.domain.identity import Caller
from dam.domain.permissions import Action
from dam.domain.reviews import Decision, Reviewer, ReviewSession, ShareLink, latest_decisions, rule_for
from dam.services.reviews import SessionChanges, Source

router = APIGatewayHttpRouter()

ReviewId = Annotated[str, Path(min_length=1, max_length=64, description="The review's id")]
LinkId = Annotated[str, Path(min_length=1, max_length=64, description="The share link's id")]
Position = Annotated[int, Path(ge=1, le=999, description="The item's position in the review (1-based)")]
_TAGS = ["Reviews"]


def sources(items: list[SourceIn]) -> list[Source]:
    return [Source(kind=s.kind, id=s.id, picks=tuple((p.asset_id, p.version) for p in s.versions)) for s in items]


def _reviewers(items: list[ReviewerIn]) -> list[Reviewer]:
    return [Reviewer(user_id=r.user_id, email=r.email.casefold() if r.email else None) for r in items]


def decision_out(decision: Decision) -> DecisionOut:
    return DecisionOut(
        reviewer=decision.reviewer, verdict=decision.verdict, note=decision.note, role=decision.role, at=decision.at
    )


def review_out(caller: Caller, session: ReviewSession, decisions: list[Decision] | None = None) -> ReviewOut:
    """The session as the caller sees it: each item with its version's facts and thumbnail when the caller may
    see the asset (else only its place), and every reviewer's latest decision."""
    built = services()
    if decisions is None:
        decisions = built.reviews.decisions(caller, session.review_id)[1]
    items = []
    for position, item in enumerate(session.items, 1):
        latest = latest_decisions(d for d in decisions if d.item == item.key)
        out: dict[str, Any] = {
            "position": position,
            "asset_id": item.asset_id,
            "version": item.version,
            "available": False,
            "approved_by_review": item.approved_by_session,
            "decisions": [decision_out(d) for d in latest.values()],
        }
        try:
            _, version = built.versions.get(caller, item.asset_id, item.version)
        except NotFound:
            items.append(ReviewItemOut(**out))
            continue
        thumbnail = version.renditions.get("thumbnail")
        items.append(
            ReviewItemOut(
                **out
                | {
                    "available": True,
                    "studio_id": version.studio_id,
                    "filename": version.filename,
                    "media_type": version.media_type,
                    "status": version.review_status,
                    "thumbnail": SignedUrlOut.of(built.assets.signed_rendition(thumbnail)) if thumbnail else None,
                }
            )
        )
    return ReviewOut(
        review_id=session.review_id,
        title=session.title,
        owner_id=session.owner_id,
        created_at=session.created_at,
        updated_at=session.updated_at,
        rule=rule_for(session.workspace_id, built.reviews.policy.all_reviewers_workspaces),
        allow_download=session.allow_download,
        reviewers=[ReviewerOut(user_id=r.user_id, email=r.email) for r in session.reviewers],
        items=items,
    )


def link_out(link: ShareLink) -> LinkOut:
    now = utcnow()
    state = "revoked" if link.revoked_at else ("active" if link.usable_at(now) else "expired")
    return LinkOut(
        link_id=link.link_id,
        reviewer_email=link.reviewer_email,
        created_at=link.created_at,
        expires_at=link.expires_at,
        revoked_at=link.revoked_at,
        has_password=link.password_hash is not None,
        state=state,
    )


@router.post(
    "/reviews",
    summary="Start a review session",
    description="Gathers asset versions (a shot's, a project's or a collection's assets at their active versions, "
    "or hand-picked versions) in order, for named reviewers: workspace users by id, outside reviewers by email. "
    "You must see every asset; external users may gather only their clients' assets.",
    responses=route_responses(201, "The review", ReviewOut, 401, 403, 404, 422),
    tags=_TAGS,
)
@permits(Action.MANAGE_REVIEWS)
def create_review_session(body: NewReviewRequest) -> Response[ReviewOut]:
    caller = current_caller()
    session = services().reviews.create(
        caller, body.title, _reviewers(body.reviewers), sources(body.items), allow_download=body.allow_download
    )
    return created(review_out(caller, session, []), f"/reviews/{session.review_id}")


@router.get(
    "/reviews",
    summary="Your review sessions, newest first",
    description="The sessions you own and those that name you as a reviewer (`role` tells which).",
    responses=route_responses(200, "The reviews you own or review", ReviewList, 401, 422),
    tags=_TAGS,
)
@permits(Action.BROWSE)
def list_review_sessions(limit: Annotated[int, Query(ge=1, le=100)] = 30) -> ReviewList:
    caller = current_caller()
    found = services().reviews.sessions(caller, limit)
    return ReviewList(
        items=[
            ReviewSummary(
                review_id=s.review_id,
                title=s.title,
                owner_id=s.owner_id,
                role="owner" if s.owner_id == caller.user_id else "reviewer",
                created_at=s.created_at,
                updated_at=s.updated_at,
                item_count=len(s.items),
                reviewer_count=len(s.reviewers),
            )
            for s in found
        ]
    )


@router.get(
    "/reviews/<review_id>",
    summary="Get a review session",
    description="For its owner and the workspace users it names.",
    responses=route_responses(200, "The review, its versions and decisions", ReviewOut, 401, 404, 422),
    tags=_TAGS,
)
@permits(Action.BROWSE)
def get_review_session(review_id: ReviewId) -> ReviewOut:
    caller = current_caller()
    session, decisions = services().reviews.decisions(caller, review_id)
    return review_out(caller, session, decisions)


@router.patch(
    "/reviews/<review_id>",
    summary="Rename, reorder, change reviewers or downloads",
    description="`order` lists every current position once, in the new order. The owner's only.",
    responses=route_responses(200, "The review", ReviewOut, 401, 403, 404, 409, 422),
    tags=_TAGS,
)
@permits(Action.MANAGE_REVIEWS)
def update_review_session(review_id: ReviewId, body: ReviewPatch) -> ReviewOut:
    caller = current_caller()
    changes = SessionChanges(
        title=body.title,
        order=body.order,
        reviewers=_reviewers(body.reviewers) if body.reviewers is not None else None,
        allow_download=body.allow_download,
    )
    return review_out(caller, services().reviews.update(caller, review_id, changes))


@router.delete(
    "/reviews/<review_id>",
    summary="Delete a review session",
    description="Its decisions, links and access records go with it; versions keep their approvals.",
    responses=route_responses(204, "Deleted", None, 401, 403, 404, 422),
    tags=_TAGS,
)
@permits(Action.MANAGE_REVIEWS)
def delete_review_session(review_id: ReviewId) -> Response[None]:
    services().reviews.delete(current_caller(), review_id)
    return Response(status_code=204)


@router.post(
    "/reviews/<review_id>/items",
    summary="Add versions to a review",
    description="Appended in order; a version already in the review is not added twice.",
    responses=route_responses(200, "The review", ReviewOut, 401, 403, 404, 409, 422),
    tags=_TAGS,
)
@permits(Action.MANAGE_REVIEWS)
def add_review_items(review_id: ReviewId, body: AddItemsRequest) -> ReviewOut:
    caller = current_caller()
    return review_out(caller, services().reviews.add_items(caller, review_id, sources(body.items)))


@router.delete(
    "/reviews/<review_id>/items/<position>",
    summary="Take a version out of a review",
    responses=route_responses(200, "The review", ReviewOut, 401, 403, 404, 409, 422),
    tags=_TAGS,
)
@permits(Action.MANAGE_REVIEWS)
def remove_review_item(review_id: ReviewId, position: Position) -> ReviewOut:
    caller = current_caller()
    return review_out(caller, services().reviews.remove_item(caller, review_id, position))


@router.post(
    "/reviews/<review_id>/items/<position>/decision",
    summary="Decide on one version (a named reviewer)",
    description="Approved or changes requested, with a note; each reviewer's decision is kept apart and a new one "
    "replaces the reviewer's last. When the workspace's rule is met (`any_lead`: a lead's or admin's approval; "
    "`all_reviewers`: every reviewer's), the version is approved in its own review history.",
    responses=route_responses(200, "The review", ReviewOut, 401, 403, 404, 422),
    tags=_TAGS,
)
@permits(Action.DECIDE_REVIEW)
def decide_review_item(review_id: ReviewId, position: Position, body: DecisionRequest) -> ReviewOut:
    caller = current_caller()
    session, decisions = services().reviews.decide(caller, review_id, position, body.verdict, body.note)
    return review_out(caller, session, decisions)


@router.post(
    "/reviews/<review_id>/links",
    summary="Share a review with an outside reviewer",
    description="An expiring link for one outside reviewer named on the review (at most 30 days). The token is "
    "answered once and only its hash is kept; an optional password is asked of the reviewer.",
    responses=route_responses(201, "The link and its token", NewLinkResponse, 401, 403, 404, 409, 422),
    tags=_TAGS,
)
@permits(Action.MANAGE_REVIEWS)
def create_share_link(review_id: ReviewId, body: NewLinkRequest) -> Response[NewLinkResponse]:
    link, token = services().reviews.create_link(
        current_caller(), review_id, body.email, body.expires_in_hours, body.password
    )
    answer = NewLinkResponse(link=link_out(link), token=token, path=f"/share/{token}")
    return created(answer, f"/reviews/{review_id}/links/{link.link_id}")


@router.get(
    "/reviews/<review_id>/links",
    summary="A review's share links",
    responses=route_responses(200, "Every link (never its token)", LinkList, 401, 403, 404, 422),
    tags=_TAGS,
)
@permits(Action.MANAGE_REVIEWS)
def list_share_links(review_id: ReviewId) -> LinkList:
    return LinkList(items=[link_out(x) for x in services().reviews.links(current_caller(), review_id)])


@router.delete(
    "/reviews/<review_id>/links/<link_id>",
    summary="Revoke a share link",
    description="It answers 410 from then on. Revoking a revoked link changes nothing.",
    responses=route_responses(200, "The link, revoked", LinkOut, 401, 403, 404, 422),
    tags=_TAGS,
)
@permits(Action.MANAGE_REVIEWS)
def revoke_share_link(review_id: ReviewId, link_id: LinkId) -> LinkOut:
    return link_out(services().reviews.revoke_link(current_caller(), review_id, link_id))


@router.get(
    "/reviews/<review_id>/access",
    summary="Who opened a review's links",
    description="One record per request on any of its links: when, which link, what was viewed, and a hash of "
    "the IP address and user agent. Kept 90 days.",
    responses=route_responses(200, "Newest first", AccessList, 401, 403, 404, 422),
    tags=_TAGS,
)
@permits(Action.MANAGE_REVIEWS)
def list_share_access(review_id: ReviewId, limit: Annotated[int, Query(ge=1, le=500)] = 100) -> AccessList:
    found = services().reviews.access_log(current_caller(), review_id, limit)
    return AccessList(
        items=[AccessOut(link_id=a.link_id, at=a.at, viewed=a.viewed, client_hash=a.client_hash) for a in found]
    )
