"""GET /clients: the clients the upload form offers. Staff get every client the workspace's folders, collections
and projects name; an external user gets their own clients only; another workspace's never appear."""

from __future__ import annotations

from tests.conftest import Api
from tests.integration.library_support import ok
from tests.support import api_claims


def _clients(api: Api, claims: dict[str, str]) -> list[str]:
    return [c["client_id"] for c in ok(api.request("GET", "/clients", claims=claims))["items"]]


def test_staff_see_every_client_the_workspace_names_and_external_users_their_own(api: Api) -> None:
    admin = api_claims("ana", "ws-studio", "admin")
    ok(api.request("POST", "/folders", body={"name": "Acme shoots", "client_id": "acme"}, claims=admin), 201)
    ok(api.request("POST", "/folders", body={"name": "Shared"}, claims=admin), 201)
    ok(api.request("POST", "/collections", body={"name": "Globex picks", "client_id": "globex"}, claims=admin), 201)
    project = {"name": "Initech launch", "reference": "INI1", "client_id": "initech"}
    ok(api.request("POST", "/projects", body=project, claims=admin), 201)
    ok(api.request("POST", "/folders", body={"name": "Acme again", "client_id": "acme"}, claims=admin), 201)
    rival = api_claims("rex", "ws-rival", "admin")
    ok(api.request("POST", "/folders", body={"name": "Umbrella", "client_id": "umbrella"}, claims=rival), 201)

    for role in ("admin", "editor", None):  # staff may file under any client, a viewer sees the same list
        assert _clients(api, api_claims("sam", "ws-studio", role)) == ["acme", "globex", "initech"]
    assert _clients(api, rival) == ["umbrella"]
    # An external user: their own clients, in their claim's order (the first is their uploads' default).
    external = api_claims("eve", "ws-studio", "editor", ["globex", "hooli"])
    assert _clients(api, external) == ["globex", "hooli"]


def test_a_new_workspace_has_no_clients(api: Api) -> None:
    assert _clients(api, api_claims("new", "ws-empty", "admin")) == []
