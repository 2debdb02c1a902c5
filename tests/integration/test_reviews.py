"""Review sessions and share links through the real API handler on moto.

Given versions gathered into a review for workspace users and an outside reviewer, when the owner shares it by
link, then the link opens without a JWT and shows exactly the review's versions (renditions; originals only when
allowed), decisions are recorded per reviewer and approve the version by the workspace's rule, and a revoked,
expired, altered or overused link answers 410, 404 or 429.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import unquote, urlparse

import pytest

from dam.adapters.dynamodb.assets import AssetRepository
from dam.domain.assets import Rendition, utcnow
from tests.conftest import ASSETS_TABLE, MEDIA_BUCKET, TABLES, Api
from tests.integration.library_support import T0, ready_asset

LEAD = {"user": "user-lead", "role": "shoot_lead"}
EDITOR = {"user": "user-editor", "role": "editor"}
GUEST = "dana@client.example"
NOBODY = {"sub": "x"}


def _asset(api: Api, asset_id: str, *, client: str | None = None, minutes: int = 0) -> str:
    """A ready image with a thumbnail and a preview (their bytes in the bucket), as the pipeline leaves it."""
    prefix = f"assets/ws-studio/{asset_id}/renditions/"
    names = ("thumbnail", "preview")
    renditions = {name: Rendition(key=f"{prefix}{name}.webp", content_type="image/webp", size=4) for name in names}
    asset = ready_asset(asset_id, T0 + timedelta(minutes=minutes), client_id=client, renditions=renditions)
    AssetRepository().create(asset)
    for key in (asset.original_key, *(r.key for r in renditions.values())):
        api.aws.s3.put_object(Bucket=MEDIA_BUCKET, Key=key, Body=key.encode())
    return asset_id


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status == status, response.body
    return response.json() if response.body else None


def _review(api: Api, *asset_ids: str, reviewers: list[dict[str, str]] | None = None, **extra: Any) -> dict[str, Any]:
    body = {
        "title": "Hero shots",
        "reviewers": reviewers if reviewers is not None else [{"user_id": LEAD["user"]}, {"email": GUEST}],
        "items": [{"kind": "versions", "versions": [{"asset_id": a} for a in asset_ids]}],
        **extra,
    }
    return _ok(api.request("POST", "/reviews", body=body), 201)  # type: ignore[no-any-return]


def _link(api: Api, review_id: str, **extra: Any) -> str:
    made = _ok(api.request("POST", f"/reviews/{review_id}/links", body={"email": GUEST, **extra}), 201)
    return str(made["token"])


def _share(api: Api, path: str, method: str = "GET", **kwargs: Any) -> Any:
    return api.request(method, path, claims=False, **kwargs)


def _key(url: str) -> str:
    return unquote(urlparse(url).path.lstrip("/")).removeprefix(f"{MEDIA_BUCKET}/")


def _as(api: Api, who: dict[str, str]) -> dict[str, str]:
    return api.as_user(who["user"], role=who["role"])


@pytest.fixture
def limited_api(api: Api) -> Iterator[Api]:
    """The API with a small per-link rate and the `all_reviewers` rule in ws-strict."""
    from dam.api.context import build_services, use_services
    from dam.settings import ApiSettings

    settings = ApiSettings.from_environment(
        assets_table=ASSETS_TABLE,
        library_table=TABLES["Library"],
        media_bucket=MEDIA_BUCKET,
        share_requests_per_minute=5,
        all_reviewers_workspaces=frozenset({"ws-studio"}),
    )
    use_services(build_services(settings))
    yield api


# --- sessions ------------------------------------------------------------------------------------


def test_a_review_gathers_versions_in_order_and_reorders_them(api: Api) -> None:
    a, b, c = (_asset(api, f"asset-{n}", minutes=n) for n in range(3))
    review = _review(api, a, b)
    assert [(i["position"], i["asset_id"], i["version"]) for i in review["items"]] == [(1, a, 1), (2, b, 1)]
    assert review["items"][0]["studio_id"].endswith("_v001") and review["items"][0]["thumbnail"]["url"]
    assert review["rule"] == "any_lead"
    rid = review["review_id"]

    added = _ok(
        api.request(
            "POST",
            f"/reviews/{rid}/items",
            body={"items": [{"kind": "versions", "versions": [{"asset_id": c}, {"asset_id": a}]}]},
        )
    )
    assert [i["asset_id"] for i in added["items"]] == [a, b, c]  # a version is in a review once

    moved = _ok(api.request("PATCH", f"/reviews/{rid}", body={"order": [3, 1, 2]}))
    assert [i["asset_id"] for i in moved["items"]] == [c, a, b]
    assert [i["asset_id"] for i in _ok(api.request("GET", f"/reviews/{rid}"))["items"]] == [c, a, b]
    refused = api.request("PATCH", f"/reviews/{rid}", body={"order": [1, 1, 2]})
    assert refused.status == 422 and refused.json()["error"]["fields"][0]["path"] == "body.order"

    dropped = _ok(api.request("DELETE", f"/reviews/{rid}/items/1"))
    assert [i["asset_id"] for i in dropped["items"]] == [a, b]


def test_a_review_from_a_collection_takes_its_assets_active_versions(api: Api) -> None:
    a, b = _asset(api, "coll-a"), _asset(api, "coll-b", minutes=1)
    collection = _ok(api.request("POST", "/collections", body={"name": "Selects"}), 201)["collection_id"]
    for asset_id in (a, b):
        _ok(api.request("PUT", f"/collections/{collection}/assets/{asset_id}"), 204)
    body = {"title": "Selects", "items": [{"kind": "collection", "id": collection}]}
    review = _ok(api.request("POST", "/reviews", body=body), 201)
    assert {i["asset_id"] for i in review["items"]} == {a, b}
    missing = api.request("POST", "/reviews", body={"title": "x", "items": [{"kind": "shot", "id": "no-such-shot"}]})
    assert missing.status == 404


def test_my_reviews_newest_first_and_only_mine(api: Api) -> None:
    asset = _asset(api, "mine")
    first, second = _review(api, asset)["review_id"], _review(api, asset)["review_id"]
    listed = _ok(api.request("GET", "/reviews"))["items"]
    assert [r["review_id"] for r in listed] == [second, first]
    assert _ok(api.request("GET", "/reviews", claims=_as(api, EDITOR)))["items"] == []


def test_a_named_reviewer_finds_the_review_in_their_list_until_taken_off(api: Api) -> None:
    asset = _asset(api, "asked")
    asked = _review(api, asset)["review_id"]  # names the lead and an outside reviewer
    _review(api, asset, reviewers=[{"email": GUEST}])
    lead = _as(api, LEAD)

    def listed(claims: dict[str, str] | None = None) -> list[tuple[str, str]]:
        items = _ok(api.request("GET", "/reviews", **({"claims": claims} if claims else {})))["items"]
        return [(r["review_id"], r["role"]) for r in items]

    assert listed(lead) == [(asked, "reviewer")]
    assert {role for _, role in listed()} == {"owner"}
    assert listed(_as(api, EDITOR)) == []

    _ok(api.request("PATCH", f"/reviews/{asked}", body={"reviewers": [{"email": GUEST}]}))
    assert listed(lead) == []
    _ok(api.request("PATCH", f"/reviews/{asked}", body={"reviewers": [{"user_id": LEAD["user"]}]}))
    assert listed(lead) == [(asked, "reviewer")]

    assert api.request("DELETE", f"/reviews/{asked}").status == 204
    assert listed(lead) == []
    left = api.aws.dynamodb.query(
        TableName=TABLES["Library"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"ws-studio#review#{asked}"}},
    )
    assert left["Items"] == []


def test_named_reviewers_see_a_review_others_do_not_and_only_the_owner_changes_it(api: Api) -> None:
    rid = _review(api, _asset(api, "seen"))["review_id"]
    assert _ok(api.request("GET", f"/reviews/{rid}", claims=_as(api, LEAD)))["review_id"] == rid
    assert api.request("GET", f"/reviews/{rid}", claims=_as(api, EDITOR)).status == 404
    assert api.request("PATCH", f"/reviews/{rid}", body={"title": "x"}, claims=_as(api, LEAD)).status == 403
    assert api.request("PATCH", f"/reviews/{rid}", body={"title": "x"}, claims=_as(api, EDITOR)).status == 404
    assert api.request("GET", f"/reviews/{rid}", claims=api.as_user(workspace="ws-rival")).status == 404


def test_external_users_gather_only_their_clients_assets(api: Api) -> None:
    own, other, shared = (
        _asset(api, "own", client="client-a"),
        _asset(api, "other", client="client-b"),
        _asset(api, "shared"),
    )
    external = api.as_user("user-ext", role="editor", clients=["client-a"])

    def create(asset_id: str) -> int:
        body = {"title": "t", "items": [{"kind": "versions", "versions": [{"asset_id": asset_id}]}]}
        return api.request("POST", "/reviews", body=body, claims=external).status

    assert (create(own), create(other), create(shared)) == (201, 404, 403)


# --- share links ---------------------------------------------------------------------------------


def test_a_share_link_opens_without_a_token_and_shows_exactly_the_reviews_versions(api: Api) -> None:
    a, b = _asset(api, "shown-a"), _asset(api, "shown-b", minutes=1)
    _asset(api, "not-shared", minutes=2)
    rid = _review(api, a, b)["review_id"]
    made = _ok(api.request("POST", f"/reviews/{rid}/links", body={"email": GUEST}), 201)
    token = made["token"]
    assert len(token) >= 22 and made["path"] == f"/share/{token}"  # ≥ 128 bits, url-safe
    assert made["link"]["state"] == "active" and made["link"]["has_password"] is False

    shared = _ok(_share(api, f"/share/{token}"))
    assert shared["reviewer_email"] == GUEST
    assert [i["position"] for i in shared["items"]] == [1, 2]
    assert "not-shared" not in _share(api, f"/share/{token}").body
    assert {*shared["items"][0]["renditions"]} == {"thumbnail", "preview"}

    preview = _share(api, f"/share/{token}/items/2/rendition", query={"name": "preview"})
    assert preview.status == 302
    assert _key(preview.headers["location"]) == f"assets/ws-studio/{b}/renditions/preview.webp"
    assert "X-Amz-Expires=300" in preview.headers["location"]  # short-lived
    assert _share(api, f"/share/{token}/items/1/rendition", query={"name": "original"}).status == 404
    assert _share(api, f"/share/{token}/items/3/rendition").status == 404  # nothing beyond the review

    _ok(api.request("PATCH", f"/reviews/{rid}", body={"allow_download": True}))
    original = _share(api, f"/share/{token}/items/1/rendition", query={"name": "original"})
    assert original.status == 302 and _key(original.headers["location"]) == f"assets/ws-studio/{a}/original"


def test_only_the_tokens_hash_and_a_salted_password_hash_are_stored(api: Api) -> None:
    rid = _review(api, _asset(api, "secret"))["review_id"]
    token = _link(api, rid, password="correct horse")
    items = api.aws.dynamodb.scan(TableName=TABLES["Library"])["Items"]
    assert token not in str(items) and "correct horse" not in str(items)
    assert "scrypt$" in str(items)


def test_an_unknown_or_altered_token_answers_the_same_404_and_opens_nothing(api: Api) -> None:
    rid = _review(api, _asset(api, "guarded"))["review_id"]
    token = _link(api, rid)
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    answers = [_share(api, f"/share/{t}") for t in (altered, "A" * len(token), "x", token.upper())]
    assert {a.status for a in answers} == {404}
    assert len({(a.json()["error"]["code"], a.json()["error"]["message"]) for a in answers}) == 1
    assert _share(api, f"/share/{altered}/items/1/rendition").status == 404
    assert _share(api, f"/share/{altered}/items/1/decision", "POST", body={"verdict": "approved"}).status == 404
    assert _ok(api.request("GET", f"/reviews/{rid}/access"))["items"] == []  # nothing reached the link
    assert _share(api, f"/share/{token}").status == 200


def test_revoked_and_expired_links_answer_410_with_no_body(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    rid = _review(api, _asset(api, "gone"))["review_id"]
    revoked, expiring = _link(api, rid), _link(api, rid, expires_in_hours=1)
    link_id = _ok(api.request("GET", f"/reviews/{rid}/links"))["items"][0]["link_id"]
    assert _ok(api.request("DELETE", f"/reviews/{rid}/links/{link_id}"))["state"] == "revoked"
    gone = _share(api, f"/share/{revoked}")
    assert (gone.status, gone.body) == (410, "")
    assert _share(api, f"/share/{revoked}/items/1/rendition").status == 410

    assert _share(api, f"/share/{expiring}").status == 200
    later = utcnow() + timedelta(hours=2)
    with monkeypatch.context() as clock:  # undoing only the clock: the fixtures' patches (credentials) stay
        clock.setattr("dam.services.reviews.utcnow", lambda: later)
        expired = _share(api, f"/share/{expiring}")
    assert (expired.status, expired.body) == (410, "")

    kept = _link(api, rid)
    _ok(api.request("PATCH", f"/reviews/{rid}", body={"reviewers": [{"user_id": LEAD["user"]}]}))
    assert _share(api, f"/share/{kept}").status == 410  # its reviewer was taken off the review

    too_long = api.request("POST", f"/reviews/{rid}/links", body={"email": GUEST, "expires_in_hours": 24 * 31})
    assert too_long.status == 422


def test_a_password_protected_link_needs_its_password(api: Api) -> None:
    rid = _review(api, _asset(api, "locked"))["review_id"]
    token = _link(api, rid, password="correct horse")
    missing = _share(api, f"/share/{token}")
    assert missing.status == 401 and missing.json()["error"]["code"] == "password_required"
    assert _share(api, f"/share/{token}", headers={"x-share-password": "wrong horse"}).status == 401
    assert _share(api, f"/share/{token}", headers={"x-share-password": "correct horse"}).status == 200


def test_a_link_answers_429_past_its_rate(limited_api: Api) -> None:
    api = limited_api
    rid = _review(api, _asset(api, "busy"))["review_id"]
    token, other = _link(api, rid), _link(api, rid)
    statuses = [_share(api, f"/share/{token}").status for _ in range(7)]
    assert statuses == [200] * 5 + [429] * 2
    refused = _share(api, f"/share/{token}")
    assert refused.headers["retry-after"] == "60"
    assert _share(api, f"/share/{other}").status == 200  # per link
    # The counters are upserts; each names its type as a save would (the audit's stream consumer needs it).
    counters = [
        item
        for item in api.aws.dynamodb.scan(TableName=TABLES["Library"])["Items"]
        if item["sk"]["S"].startswith("rate#")
    ]
    assert len(counters) == 2 and all(item["type"] == {"S": "share_rate"} for item in counters)


def test_every_access_is_logged_for_the_owner(api: Api) -> None:
    rid = _review(api, _asset(api, "logged"))["review_id"]
    token = _link(api, rid)
    _share(api, f"/share/{token}", headers={"user-agent": "Browser/1"})
    _share(api, f"/share/{token}/items/1/rendition", query={"name": "thumbnail"})
    log = _ok(api.request("GET", f"/reviews/{rid}/access"))["items"]
    assert [entry["viewed"] for entry in log] == ["item 1 thumbnail", "session"]
    assert all(len(entry["client_hash"]) == 32 for entry in log)
    assert api.request("GET", f"/reviews/{rid}/access", claims=_as(api, LEAD)).status == 403


# --- decisions -----------------------------------------------------------------------------------


def _version_status(api: Api, asset_id: str) -> str:
    return str(_ok(api.request("GET", f"/assets/{asset_id}/versions/1"))["status"])


def test_any_lead_a_leads_approval_approves_the_version_and_changes_requested_revokes_it(api: Api) -> None:
    asset = _asset(api, "lead-rule")
    rid = _review(api, asset, reviewers=[{"user_id": LEAD["user"]}, {"user_id": EDITOR["user"]}, {"email": GUEST}])[
        "review_id"
    ]
    path = f"/reviews/{rid}/items/1/decision"
    decided = _ok(api.request("POST", path, body={"verdict": "approved"}, claims=_as(api, EDITOR)))
    assert decided["items"][0]["decisions"][0]["reviewer"] == "user:user-editor"
    assert _version_status(api, asset) == "draft"  # an editor is no lead

    token = _link(api, rid)
    _ok(_share(api, f"/share/{token}/items/1/decision", "POST", body={"verdict": "approved"}))
    assert _version_status(api, asset) == "draft"  # nor is an outside reviewer

    body = {"verdict": "approved", "note": "Lovely"}
    approved = _ok(api.request("POST", path, body=body, claims=_as(api, LEAD)))
    assert approved["items"][0]["status"] == "approved" and approved["items"][0]["approved_by_review"] is True
    history = _ok(api.request("GET", f"/assets/{asset}/versions/1/reviews"))["items"]
    assert [(h["action"], h["by"], h["role"]) for h in history] == [("approve", "user-lead", "shoot_lead")]
    assert len(approved["items"][0]["decisions"]) == 3  # each reviewer's apart

    _ok(api.request("POST", path, body={"verdict": "changes_requested", "note": "Darker"}, claims=_as(api, LEAD)))
    assert _version_status(api, asset) == "draft"
    assert api.request("POST", path, body={"verdict": "approved"}).status == 403  # the owner is no named reviewer
    assert api.request("POST", path, body={"verdict": "approved"}, claims=api.as_user("user-other")).status == 404


def test_all_reviewers_every_invited_reviewer_must_approve(limited_api: Api) -> None:
    api = limited_api
    asset = _asset(api, "all-rule")
    review = _review(api, asset)
    assert review["rule"] == "all_reviewers"
    rid = review["review_id"]
    _ok(api.request("POST", f"/reviews/{rid}/items/1/decision", body={"verdict": "approved"}, claims=_as(api, LEAD)))
    assert _version_status(api, asset) == "draft"
    token = _link(api, rid)
    shared = _ok(_share(api, f"/share/{token}/items/1/decision", "POST", body={"verdict": "approved", "note": "ok"}))
    assert shared["items"][0]["my_decision"]["verdict"] == "approved"
    assert _version_status(api, asset) == "approved"
    history = _ok(api.request("GET", f"/assets/{asset}/versions/1/reviews"))["items"]
    assert history[-1]["by"] == f"email:{GUEST}" and history[-1]["role"] is None


def test_deleting_a_review_takes_its_links_with_it(api: Api) -> None:
    rid = _review(api, _asset(api, "deleted"))["review_id"]
    token = _link(api, rid)
    _ok(api.request("DELETE", f"/reviews/{rid}"), 204)
    assert api.request("GET", f"/reviews/{rid}").status == 404
    assert _share(api, f"/share/{token}").status == 404


def test_the_sample_open_share_event_is_answered_without_an_authorizer(api: Api) -> None:
    """events/api/open_share.json, as API Gateway hands a share route (no authorizer) to the function."""
    from dam.adapters.dynamodb.reviews import ReviewRepository
    from dam.domain.reviews import token_hash
    from functions.api.handler import handler
    from tests.support import LambdaContext, load_event, to_response

    rid = _review(api, _asset(api, "sample"))["review_id"]
    event = load_event("api/open_share.json")
    assert "authorizer" not in event["requestContext"] and "authorization" not in event["headers"]
    token = event["pathParameters"]["token"]
    assert to_response(handler(load_event("api/open_share.json"), LambdaContext())).status == 404
    # The sample's token made into a link of the review, as POST /reviews/{id}/links stores one: by its hash.
    made = ReviewRepository().links("ws-studio", rid)
    _link(api, rid)
    (link,) = ReviewRepository().links("ws-studio", rid)[len(made) :]
    ReviewRepository().put_link(link.model_copy(update={"token_hash": token_hash(token), "link_id": "lnk-sample"}))

    response = to_response(handler(load_event("api/open_share.json"), LambdaContext()))
    assert response.status == 200, response.body
    assert response.json()["reviewer_email"] == GUEST and len(response.json()["items"]) == 1


def test_the_outside_reviewer_comments_on_a_region_of_a_shared_version_and_the_lead_reads_it(api: Api) -> None:
    """Through the link, with no token: the comment is the link's reviewer's (a guest known by email), on exactly
    the version the review shows; the workspace sees it there, and an altered token comments on nothing."""
    rid = _review(api, _asset(api, "take-1"), _asset(api, "take-2"))["review_id"]
    token = _link(api, rid)
    region = {"shape": "rectangle", "x": 10, "y": 20, "width": 30, "height": 15}
    posted = _share(
        api,
        f"/share/{token}/items/2/comments",
        "POST",
        body={"body": "The sky is too green here", "pin": {"region": region}},
    )
    assert posted.status == 201, posted.body
    comment = posted.json()
    assert comment["author"]["kind"] == "guest" and comment["author"]["id"] == GUEST
    assert comment["pin"]["region"] == region

    shared = _share(api, f"/share/{token}/items/2/comments")
    assert [c["comment_id"] for c in shared.json()["items"]] == [comment["comment_id"]]
    assert _share(api, f"/share/{token}/items/1/comments").json()["items"] == []  # the other take: none
    lead = api.request("GET", "/assets/take-2/versions/1/comments", claims=_as(api, LEAD)).json()["items"]
    assert [(c["comment_id"], c["body"]) for c in lead] == [(comment["comment_id"], "The sky is too green here")]

    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    refused = _share(api, f"/share/{altered}/items/2/comments", "POST", body={"body": "sneaky"})
    assert refused.status == 404
    assert len(api.request("GET", "/assets/take-2/versions/1/comments").json()["items"]) == 1
