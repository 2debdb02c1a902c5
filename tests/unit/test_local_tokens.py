"""Local tokens: the signing key in the data dir, Cognito-shaped claims, what verification refuses."""

from __future__ import annotations

import stat
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jwt
import pytest

from dam_local.cli import main
from dam_local.tokens import AUDIENCE, ISSUER, KEY_FILE, InvalidToken, issue_token, signing_key, verify_token


def test_the_signing_key_is_created_once_private_and_reused(tmp_path: Path) -> None:
    data_dir = tmp_path / ".dam"
    key = signing_key(data_dir)
    assert len(key) >= 32
    assert stat.S_IMODE((data_dir / KEY_FILE).stat().st_mode) == 0o600
    assert signing_key(data_dir) == key


def test_processes_racing_to_create_the_key_agree(tmp_path: Path) -> None:
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: signing_key(tmp_path), range(16)))
    assert len(keys) == 1


def test_an_issued_token_carries_cognito_claims(tmp_path: Path) -> None:
    key = signing_key(tmp_path)
    token = issue_token(key, user="jon", workspace="ws-1", role="admin", clients=("acme", "globex"), ttl_seconds=60)
    claims = verify_token(key, token)
    assert claims["sub"] == "jon"
    assert claims["custom:workspace"] == "ws-1"
    assert claims["cognito:groups"] == ["admin"]
    assert claims["custom:clients"] == "acme,globex"
    assert (claims["iss"], claims["aud"], claims["token_use"]) == (ISSUER, AUDIENCE, "id")
    assert claims["exp"] - claims["iat"] == 60


def test_a_viewer_has_no_groups_and_an_internal_user_no_clients() -> None:
    key = b"k" * 64
    claims = verify_token(key, issue_token(key, user="v", workspace="w", role="viewer"))
    assert "cognito:groups" not in claims
    assert "custom:clients" not in claims


def test_unknown_roles_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown role"):
        issue_token(b"k" * 64, user="u", workspace="w", role="superuser")


def test_verification_refuses_expired_foreign_and_misaddressed_tokens() -> None:
    key = b"k" * 64
    with pytest.raises(InvalidToken):
        verify_token(key, issue_token(key, user="u", workspace="w", role="editor", now=time.time() - 7200))
    with pytest.raises(InvalidToken):
        verify_token(key, issue_token(b"o" * 64, user="u", workspace="w", role="editor"))
    now = int(time.time())
    other_audience = jwt.encode({"iss": ISSUER, "aud": "another-app", "iat": now, "exp": now + 60}, key, "HS256")
    with pytest.raises(InvalidToken):
        verify_token(key, other_audience)
    no_expiry = jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "iat": now}, key, "HS256")
    with pytest.raises(InvalidToken):
        verify_token(key, no_expiry)


def test_dam_token_prints_a_token_the_stack_accepts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = tmp_path / "data"
    args = ["token", "--user", "ana", "--workspace", "studio", "--role", "power_user"]
    assert main([*args, "--client", "acme", "--client", "initech", "--ttl", "120", "--data-dir", str(data_dir)]) == 0
    token = capsys.readouterr().out.strip()
    claims = verify_token(signing_key(data_dir), token)
    assert claims["cognito:groups"] == ["power_user", "external"]  # a client's user is external
    assert claims["custom:clients"] == "acme,initech"
    assert claims["exp"] - claims["iat"] == 120


def test_dam_token_marks_an_external_user_without_clients(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from dam.api.identity import caller_from_claims

    data_dir = tmp_path / "data"
    args = ["token", "--user", "eve", "--workspace", "studio", "--role", "editor", "--external"]
    assert main([*args, "--data-dir", str(data_dir)]) == 0
    caller = caller_from_claims(verify_token(signing_key(data_dir), capsys.readouterr().out.strip()))
    assert caller.is_external and caller.client_ids == () and not caller.sees_client("acme")
