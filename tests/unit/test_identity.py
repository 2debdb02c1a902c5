import pytest

from dam.api.identity import Unauthenticated, caller_from_claims
from dam.domain.identity import Role


def test_claims_as_api_gateway_formats_them() -> None:
    caller = caller_from_claims(
        {"sub": "u1", "custom:workspace": "ws", "cognito:groups": "[editor admin]", "custom:clients": "acme,zen"}
    )
    assert caller.user_id == "u1" and caller.workspace_id == "ws"
    assert caller.role is Role.ADMIN  # the most capable group wins
    assert caller.client_ids == ("acme", "zen") and caller.is_external


def test_claims_as_native_lists_and_no_groups_mean_a_viewer() -> None:
    caller = caller_from_claims({"sub": "u1", "custom:workspace": "ws", "cognito:groups": ["post_lead"]})
    assert caller.role is Role.POST_LEAD and not caller.is_external
    viewer = caller_from_claims({"sub": "u2", "custom:workspace": "ws", "cognito:groups": "[some-other-group]"})
    assert viewer.role is None


@pytest.mark.parametrize(
    "claims", [None, {}, {"sub": "u"}, {"custom:workspace": "ws"}, {"sub": " ", "custom:workspace": "w"}]
)
def test_missing_subject_or_workspace_is_unauthenticated(claims) -> None:
    with pytest.raises(Unauthenticated):
        caller_from_claims(claims)


def test_the_external_group_marks_an_external_user_who_with_no_clients_sees_shared_things_only() -> None:
    caller = caller_from_claims({"sub": "u1", "custom:workspace": "ws", "cognito:groups": "[editor external]"})
    assert caller.role is Role.EDITOR and caller.is_external and caller.client_ids == ()
    assert caller.sees_client(None) and not caller.sees_client("acme")
    assert not caller.changes_client(None) and not caller.changes_client("acme")


def test_a_clients_claim_without_the_marker_still_limits_the_user() -> None:
    caller = caller_from_claims({"sub": "u1", "custom:workspace": "ws", "custom:clients": "acme"})
    assert caller.is_external and caller.sees_client("acme") and not caller.sees_client("zen")
    assert caller.changes_client("acme") and not caller.changes_client(None)


@pytest.mark.parametrize("clients", ['["acme","zen"]', "acme,,zen", "acme;zen", ",", "acme zen", "[acme,zen]"])
def test_a_malformed_clients_claim_is_refused(clients: str) -> None:
    with pytest.raises(Unauthenticated, match="malformed"):
        caller_from_claims({"sub": "u1", "custom:workspace": "ws", "custom:clients": clients})
