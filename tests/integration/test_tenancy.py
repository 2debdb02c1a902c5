"""Tenancy fails closed: the explicit `external` marker, run collections scoped like assets, malformed claims.

The route × role × owner matrix is in test_permissions.py; these are the cases it cannot express.
"""

from __future__ import annotations

from tests.conftest import Api
from tests.integration.library_support import ok, seed
from tests.support import api_claims

STAFF = api_claims("user-staff", role="editor")
CLIENT_A = api_claims("user-a", role="editor", clients=["client-a"])
NO_CLIENTS = api_claims("user-new", role="editor", external=True)


def _run_upload(api: Api, client: str, run: str, prompt: str) -> dict:
    body = {
        "filename": "out.png",
        "content_type": "image/png",
        "size": 4,
        "asset_type": "generated_content",
        "client_id": client,
        "generation": {"model": "imagen-4", "prompt": prompt, "generation_run_id": run},
    }
    return ok(api.request("POST", "/uploads", body=body, claims=STAFF), 201)["asset"]


def test_another_clients_run_collection_is_invisible_to_an_external_user(api: Api) -> None:
    _run_upload(api, "client-a", "run-a", "a red fox for client A")
    _run_upload(api, "client-b", "run-b", "a secret launch for client B")

    staff_names = {c["name"] for c in ok(api.request("GET", "/collections", claims=STAFF))["items"]}
    assert {"a red fox for client A", "a secret launch for client B"} <= staff_names
    listed = ok(api.request("GET", "/collections", claims=CLIENT_A))["items"]
    assert [(c["name"], c["client_id"]) for c in listed] == [("a red fox for client A", "client-a")]

    from dam.domain.library import run_collection_id

    hidden = run_collection_id("run-b")
    assert api.request("GET", f"/collections/{hidden}", claims=CLIENT_A).status == 404
    assert api.request("GET", f"/collections/{hidden}/assets", claims=CLIENT_A).status == 404
    by_filter = api.request("GET", "/assets", query={"collection": hidden}, claims=CLIENT_A)
    assert by_filter.status == 200 and by_filter.json()["items"] == []


def test_an_external_user_with_no_clients_sees_shared_assets_only_and_adds_nothing(api: Api) -> None:
    seed("shared-1")
    seed("client-a-1", client="client-a")

    listed = ok(api.request("GET", "/assets", claims=NO_CLIENTS))
    assert [a["asset_id"] for a in listed["items"]] == ["shared-1"]
    assert api.request("GET", "/assets/client-a-1", claims=NO_CLIENTS).status == 404
    assert api.request("GET", "/assets/shared-1", claims=NO_CLIENTS).status == 200
    # Nothing of theirs to change: shared things are read-only, and there is no client to upload for.
    assert api.request("PATCH", "/assets/shared-1", body={"name": "mine"}, claims=NO_CLIENTS).status == 403
    upload = {"filename": "a.png", "content_type": "image/png", "size": 4, "asset_type": "image"}
    refused = api.request("POST", "/uploads", body=upload, claims=NO_CLIENTS)
    assert refused.status == 403 and refused.json()["error"]["code"] == "forbidden"


def test_an_external_user_changes_their_clients_things_but_not_shared_ones(api: Api) -> None:
    seed("shared-2")
    seed("theirs", client="client-a")
    studio = ok(api.request("POST", "/collections", body={"name": "Studio picks"}, claims=STAFF), 201)

    assert api.request("PATCH", "/assets/theirs", body={"name": "ok"}, claims=CLIENT_A).status == 200
    for method, path, body in [
        ("PATCH", "/assets/shared-2", {"name": "renamed"}),
        ("POST", "/assets/shared-2/archive", None),
        ("DELETE", "/assets/shared-2", None),
        ("PATCH", f"/collections/{studio['collection_id']}", {"name": "ours now"}),
        ("DELETE", f"/collections/{studio['collection_id']}", None),
    ]:
        response = api.request(method, path, body=body, claims=CLIENT_A)
        assert response.status == 403, (method, path, response.body)
        assert "shared with the whole studio" in response.json()["error"]["message"]
    assert ok(api.request("GET", "/assets/shared-2", claims=STAFF))["name"] == "shared-2.png"

    # A collection they make is their client's, and theirs to curate (with shared assets in it too).
    own = ok(api.request("POST", "/collections", body={"name": "Our picks"}, claims=CLIENT_A), 201)
    assert own["client_id"] == "client-a"
    put = api.request("PUT", f"/collections/{own['collection_id']}/assets/shared-2", claims=CLIENT_A)
    assert put.status == 204


def test_a_malformed_clients_claim_is_refused_like_a_bad_token(api: Api) -> None:
    claims = {**CLIENT_A, "custom:clients": '["client-a", "client-b"]'}
    response = api.request("GET", "/assets", claims=claims)
    # The documented 401 is API Gateway's own body; the reason goes to the log, not to the caller.
    assert (response.status, response.json()) == (401, {"message": "Unauthorized"})


def test_deleting_what_you_cannot_see_or_what_is_gone_answers_404(api: Api) -> None:
    seed("b-only", client="client-b")
    seed("rival", workspace="ws-rival")
    for asset_id in ("b-only", "rival", "never-was"):
        assert api.request("DELETE", f"/assets/{asset_id}", claims=CLIENT_A).status == 404
    assert ok(api.request("GET", "/assets/b-only", claims=STAFF))["asset_id"] == "b-only"
