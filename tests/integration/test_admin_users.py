"""`dam admin` against moto's Cognito: the users it invites carry the claims the API reads, and a bad
command line is one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from dam.api.identity import EXTERNAL_GROUP, caller_from_claims
from dam.domain.identity import Caller, Role
from dam_local.cli import main
from tests.conftest import REGION


@pytest.fixture
def pool(aws_credentials: None) -> Iterator[tuple[Any, str]]:
    """A pool shaped as stacks/auth.py makes it: email sign-in, the two custom attributes, every group."""
    with mock_aws():
        cognito = boto3.client("cognito-idp", region_name=REGION)
        pool_id = cognito.create_user_pool(
            PoolName="dam-test",
            UsernameAttributes=["email"],
            Schema=[
                {"Name": "workspace", "AttributeDataType": "String", "Mutable": False},
                {"Name": "clients", "AttributeDataType": "String", "Mutable": True},
            ],
        )["UserPool"]["Id"]
        for group in (*(role.value for role in Role), EXTERNAL_GROUP):
            cognito.create_group(UserPoolId=pool_id, GroupName=group)
        yield cognito, pool_id


def _claims(cognito: Any, pool_id: str, email: str) -> dict[str, Any]:
    """What the pool's ID token would carry: the user's attributes and `cognito:groups`."""
    user = cognito.admin_get_user(UserPoolId=pool_id, Username=email)
    claims: dict[str, Any] = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    groups = [g["GroupName"] for g in cognito.admin_list_groups_for_user(UserPoolId=pool_id, Username=email)["Groups"]]
    if groups:
        claims["cognito:groups"] = groups
    return claims


def _dam(pool_id: str, *args: str) -> int:
    command, *rest = args
    return main(["admin", command, *rest, "--user-pool-id", pool_id, "--region", REGION])


def test_the_first_admin_gets_the_workspace_and_the_admin_group(
    pool: tuple[Any, str], capsys: pytest.CaptureFixture[str]
) -> None:
    cognito, pool_id = pool
    assert _dam(pool_id, "create-user", "ana@example.com", "--group", "admin", "--workspace", "studio") == 0
    assert "invited ana@example.com" in capsys.readouterr().out

    claims = _claims(cognito, pool_id, "ana@example.com")
    assert claims["email"] == "ana@example.com"
    caller = caller_from_claims(claims)
    assert caller == Caller(user_id=claims["sub"], workspace_id="studio", role=Role.ADMIN)
    status = cognito.admin_get_user(UserPoolId=pool_id, Username="ana@example.com")["UserStatus"]
    assert status == "FORCE_CHANGE_PASSWORD"  # invited: signs in with the emailed temporary password


def test_a_client_user_is_external_and_limited_to_their_clients(pool: tuple[Any, str]) -> None:
    cognito, pool_id = pool
    args = ("create-user", "kim@example.com", "--group", "editor", "--workspace", "studio")
    assert _dam(pool_id, *args, "--client", "acme", "--client", "globex") == 0

    caller = caller_from_claims(_claims(cognito, pool_id, "kim@example.com"))
    assert (caller.role, caller.client_ids, caller.external) == (Role.EDITOR, ("acme", "globex"), True)
    assert caller.sees_client("acme") and not caller.sees_client("initech")


def test_a_viewer_joins_no_group_and_may_be_promoted_later(
    pool: tuple[Any, str], capsys: pytest.CaptureFixture[str]
) -> None:
    cognito, pool_id = pool
    assert _dam(pool_id, "create-user", "val@example.com", "--group", "viewer", "--workspace", "studio") == 0
    assert caller_from_claims(_claims(cognito, pool_id, "val@example.com")).role is None

    assert _dam(pool_id, "add-to-group", "val@example.com", "--group", "post_lead") == 0
    assert caller_from_claims(_claims(cognito, pool_id, "val@example.com")).role is Role.POST_LEAD

    capsys.readouterr()
    assert _dam(pool_id, "list-users") == 0
    (header, row) = capsys.readouterr().out.splitlines()
    assert header.split() == ["email", "workspace", "clients", "groups", "status"]
    assert row.split() == ["val@example.com", "studio", "-", "post_lead", "FORCE_CHANGE_PASSWORD"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("create-user", "a@example.com", "--group", "lead", "--workspace", "studio"), "invalid choice: 'lead'"),
        (("create-user", "a@example.com", "--group", "editor"), "the following arguments are required: --workspace"),
        (("create-user", "a@example.com", "--workspace", "studio"), "the following arguments are required: --group"),
    ],
    ids=["unknown-group", "no-workspace", "no-group"],
)
def test_a_bad_command_line_is_a_usage_error(
    pool: tuple[Any, str], capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    _, pool_id = pool
    with pytest.raises(SystemExit) as exit_info:
        _dam(pool_id, *args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("create-user", "not-an-email", "--group", "editor", "--workspace", "studio"), "is not an email address"),
        (("create-user", "a@example.com", "--group", "editor", "--workspace", "  "), "--workspace needs 1 to 64"),
        (("create-user", "a@example.com", "--group", "editor", "--group", "admin", "--workspace", "s"), "one role"),
        (("create-user", "a@example.com", "--group", "editor", "--workspace", "s", "--client", "a b"), "--client"),
        (("add-to-group", "nobody@example.com", "--group", "editor"), "UserNotFoundException"),
    ],
    ids=["email", "blank-workspace", "two-roles", "bad-client", "no-such-user"],
)
def test_a_refusal_is_one_line_and_exit_1_and_creates_nobody(
    pool: tuple[Any, str], capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    cognito, pool_id = pool
    assert _dam(pool_id, *args) == 1
    err = capsys.readouterr().err
    assert err.startswith("dam admin: ") and message in err and err.count("\n") == 1
    assert cognito.list_users(UserPoolId=pool_id)["Users"] == []


def test_inviting_someone_twice_or_into_a_missing_pool_says_why(
    pool: tuple[Any, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, pool_id = pool
    args = ("create-user", "ana@example.com", "--group", "admin", "--workspace", "studio")
    assert _dam(pool_id, *args) == 0
    assert _dam(pool_id, *args) == 1
    assert "UsernameExistsException" in capsys.readouterr().err
    assert _dam(f"{REGION}_missing", *args) == 1
    assert "ResourceNotFoundException" in capsys.readouterr().err


def _claims_of(token: str) -> dict[str, Any]:
    import base64
    import json

    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_an_invited_user_signs_in_sets_a_password_and_gets_a_token_the_api_reads(
    pool: tuple[Any, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cognito, pool_id = pool
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="web",
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    assert _dam(pool_id, "create-user", "ana@example.com", "--group", "admin", "--workspace", "studio") == 0
    # Cognito emailed a temporary password; here one we know.
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username="ana@example.com", Password="Emailed-temp-1", Permanent=False
    )
    capsys.readouterr()

    monkeypatch.setenv("DAM_PASSWORD", "Emailed-temp-1")
    monkeypatch.setenv("DAM_NEW_PASSWORD", "Chosen-by-ana-2")
    assert _dam(pool_id, "token", "ana@example.com", "--client-id", client_id) == 0
    first = capsys.readouterr()
    assert "first time" in first.err
    caller = caller_from_claims(_claims_of(first.out.strip()))
    assert (caller.workspace_id, caller.role) == ("studio", Role.ADMIN)

    monkeypatch.setenv("DAM_PASSWORD", "Chosen-by-ana-2")  # from now on the chosen one, with no challenge
    assert _dam(pool_id, "token", "ana@example.com", "--client-id", client_id) == 0
    assert _claims_of(capsys.readouterr().out.strip())["email"] == "ana@example.com"

    monkeypatch.setenv("DAM_PASSWORD", "wrong")
    assert _dam(pool_id, "token", "ana@example.com", "--client-id", client_id) == 1
    refused = capsys.readouterr()
    assert refused.out == "" and refused.err.count("\n") == 1 and "NotAuthorizedException" in refused.err

    monkeypatch.delenv("DAM_PASSWORD")
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert _dam(pool_id, "token", "ana@example.com", "--client-id", client_id) == 1
    assert "set DAM_PASSWORD" in capsys.readouterr().err
