"""A local stand-in for Cognito: issues and verifies ID tokens shaped like Cognito's.

Cognito signs with RS256 and API Gateway fetches its JWKS; locally one HS256 secret kept in the data
dir (`signing-key`, mode 0600) does both jobs, so `dam token` in another terminal mints tokens the
running stack accepts. The claims are Cognito's: `sub`, `custom:workspace`, `cognito:groups`,
`custom:clients`, `iss`, `aud`, `exp`, `iat`, `token_use`.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jwt

from dam.api.identity import EXTERNAL_GROUP

ISSUER = "https://cognito-idp.local/dam-local"
AUDIENCE = "dam-local-app"
ALGORITHM = "HS256"
KEY_FILE = "signing-key"
DEFAULT_TTL_SECONDS = 3600

VIEWER = "viewer"  # no Cognito group at all: may browse, changes nothing shared
ROLES = (VIEWER, "editor", "shoot_lead", "post_lead", "power_user", "admin")


class InvalidToken(Exception):
    """The token is missing, malformed, badly signed, expired or for another issuer/audience."""


def signing_key(data_dir: Path) -> bytes:
    """The stack's secret, created on first use (0600) and then read by every process using the stack."""
    path = data_dir / KEY_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Written aside, then hard-linked into place: the key file appears complete or not at all, and
        # when two processes race, the link fails for the second one and both read the winner's key.
        fd, temporary = tempfile.mkstemp(prefix=f".{KEY_FILE}-", dir=data_dir)  # mode 0600
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    key = path.read_text().strip()
    if not key:
        raise InvalidToken(f"{path} is empty: delete it to create a new key")
    return key.encode()


def issue_token(
    key: bytes,
    *,
    user: str,
    workspace: str,
    role: str,
    clients: Sequence[str] = (),
    external: bool = False,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    now: float | None = None,
) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "sub": user,
        "cognito:username": user,
        "custom:workspace": workspace,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "token_use": "id",
        "auth_time": issued,
        "iat": issued,
        "exp": issued + ttl_seconds,
        "jti": str(uuid.uuid4()),
    }
    # Cognito leaves out what is not set: no groups for a viewer, no clients for an internal user.
    groups = ([role] if role != VIEWER else []) + ([EXTERNAL_GROUP] if external else [])
    if groups:
        claims["cognito:groups"] = groups
    if clients:
        claims["custom:clients"] = ",".join(clients)
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def verify_token(key: bytes, token: str) -> dict[str, Any]:
    """The token's claims if API Gateway's JWT authorizer would accept it; InvalidToken if not."""
    try:
        return jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "iss", "aud"]},
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from error
