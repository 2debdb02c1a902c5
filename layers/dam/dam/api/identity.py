"""The caller, read from the claims API Gateway's JWT authorizer put in the event.

API Gateway hands every claim over as a string: arrays arrive as "[a b]". The local stack formats
them the same way, so this code cannot tell the two apart.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from dam.domain.errors import DomainError
from dam.domain.identity import Caller, Role

WORKSPACE_CLAIM = "custom:workspace"
CLIENTS_CLAIM = "custom:clients"
GROUPS_CLAIM = "cognito:groups"
# The explicit marker of an external (client-side) user: a Cognito group beside the role groups.
EXTERNAL_GROUP = "external"
# A client id as an administrator writes it into `custom:clients` (comma-separated).
_CLIENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")

# When a user is in several groups, the most capable role wins.
_ROLE_PRECEDENCE = (Role.ADMIN, Role.POWER_USER, Role.POST_LEAD, Role.SHOOT_LEAD, Role.EDITOR)


class Unauthenticated(DomainError):
    code = "unauthorized"


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return [part for part in text.replace(",", " ").split() if part]


def caller_from_claims(claims: Mapping[str, Any] | None) -> Caller:
    claims = claims or {}
    user_id = str(claims.get("sub") or "").strip()
    workspace_id = str(claims.get(WORKSPACE_CLAIM) or "").strip()
    if not user_id or not workspace_id:
        raise Unauthenticated("a token with a subject and a workspace is required")
    groups = set(_as_list(claims.get(GROUPS_CLAIM)))
    role = next((r for r in _ROLE_PRECEDENCE if r.value in groups), None)
    return Caller(
        user_id=user_id,
        workspace_id=workspace_id,
        role=role,
        client_ids=_client_ids(claims.get(CLIENTS_CLAIM)),
        external=EXTERNAL_GROUP in groups,
    )


def _client_ids(value: Any) -> tuple[str, ...]:
    """`a,b` (or API Gateway's `[a b]`). Anything else is refused rather than guessed at: a claim read
    wrongly could widen what a user sees."""
    if value is None:
        return ()
    if isinstance(value, list):
        value = ",".join(str(item) for item in value)
    text = str(value).strip()
    parts = text[1:-1].split() if text.startswith("[") and text.endswith("]") else text.split(",")
    clients = tuple(part.strip() for part in parts)
    if text and not all(_CLIENT_ID.fullmatch(client) for client in clients):
        raise Unauthenticated(f"the token's {CLIENTS_CLAIM} claim is malformed; ask an administrator to fix it")
    return clients if text else ()
