"""`dam admin`: invite users into the deployed user pool with the workspace, clients and groups the API reads.

The attribute and group names are the API's own (`dam.api.identity`, `dam.domain.identity.Role`), so a user
made here carries exactly the claims `caller_from_claims` turns into a caller. Every refusal, ours or
Cognito's, is one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from dam.api.identity import CLIENTS_CLAIM, EXTERNAL_GROUP, WORKSPACE_CLAIM, Unauthenticated, caller_from_claims
from dam.domain.identity import Role
from dam_local.tokens import VIEWER

ROLE_GROUPS = tuple(role.value for role in Role)
# What `--group` accepts: a role, `viewer` (no role group: browse only) and the external marker.
GROUP_CHOICES = (VIEWER, *ROLE_GROUPS, EXTERNAL_GROUP)
WORKSPACE_MAX = 64  # the pool's custom:workspace allows 1–64 characters (stacks/auth.py)
CLIENTS_MAX = 2048
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AdminError(Exception):
    """A refusal to explain in one line."""


def add_parser(commands: Any) -> None:
    admin = commands.add_parser(
        "admin",
        help="invite users into the deployed user pool (workspace, clients, groups)",
        description="Manages users of a deployed stack's Cognito user pool with this shell's AWS credentials "
        "(UserPoolId is a stack output).",
    )
    actions = admin.add_subparsers(dest="admin_command", required=True)
    create = actions.add_parser(
        "create-user",
        help="invite a user (Cognito emails a temporary password)",
        description="Creates the user with its workspace (and clients), then adds it to its groups.",
    )
    create.add_argument("email", help="the user's email address (their sign-in name)")
    _group_option(create)
    create.add_argument("--workspace", required=True, help="the workspace the user works in; it never changes")
    create.add_argument(
        "--client",
        action="append",
        default=[],
        help="a client the user is limited to (repeatable); makes the user external",
    )
    _pool_options(create)

    add = actions.add_parser("add-to-group", help="add an existing user to groups")
    add.add_argument("email", help="the user's email address")
    _group_option(add)
    _pool_options(add)

    listing = actions.add_parser("list-users", help="list the pool's users with workspace, clients and groups")
    _pool_options(listing)

    token = actions.add_parser(
        "token",
        help="sign a user in and print their ID token (for curl, `dam smoke`, `dam upload`, the web app)",
        description="Signs in with the user's password through AdminInitiateAuth (this shell's AWS credentials "
        "must allow cognito-idp:AdminInitiateAuth on the pool) and prints the ID token on stdout. A user "
        "signing in the first time sets a new password (the emailed one is temporary). Passwords come from "
        "DAM_PASSWORD and DAM_NEW_PASSWORD or are asked for, never taken as arguments (they'd stay in the "
        "shell's history).",
    )
    token.add_argument("email", help="the user's email address")
    token.add_argument("--client-id", required=True, help="the stack's UserPoolClientId output")
    _pool_options(token)


def _group_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--group",
        action="append",
        required=True,
        choices=GROUP_CHOICES,
        help="the user's role (viewer: no role group) or `external` (repeatable: a role and external)",
    )


def _pool_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user-pool-id", required=True, help="the stack's UserPoolId output")
    parser.add_argument("--region", help="the stack's region (default: the pool id's prefix)")


def run(args: argparse.Namespace) -> int:
    try:
        cognito = _client(args.user_pool_id, args.region)
        if args.admin_command == "create-user":
            pool, groups, clients = args.user_pool_id, args.group, args.client
            create_user(cognito, pool, email=args.email, groups=groups, workspace=args.workspace, clients=clients)
            print(f"invited {args.email} to workspace {args.workspace!r}: {_describe(args.group, args.client)}")
        elif args.admin_command == "add-to-group":
            added = add_to_groups(cognito, args.user_pool_id, email=args.email, groups=args.group)
            print(f"{args.email} is now in {', '.join(added) or 'no role group (viewer)'}")
        elif args.admin_command == "token":
            print(sign_in(cognito, args.user_pool_id, args.client_id, email=args.email, secret=_secret))
        else:
            print(users_table(list_users(cognito, args.user_pool_id)))
    except AdminError as error:
        print(f"dam admin: {error}", file=sys.stderr)
        return 1
    return 0


def _client(user_pool_id: str, region: str | None) -> Any:
    import boto3
    from botocore.exceptions import BotoCoreError

    # A pool id is `<region>_<id>`: the region is known without a profile setting it.
    region = region or (user_pool_id.split("_", 1)[0] if "_" in user_pool_id else None)
    try:
        return boto3.client("cognito-idp", region_name=region)
    except BotoCoreError as error:
        raise AdminError(f"{error} (give --region)") from None


def role_and_groups(groups: Iterable[str], clients: Sequence[str] = ()) -> list[str]:
    """The Cognito groups to join: at most one role, `external` when asked for or implied by clients."""
    chosen = list(dict.fromkeys(groups))
    roles = [g for g in chosen if g in ROLE_GROUPS or g == VIEWER]
    if len(roles) > 1:
        raise AdminError(f"give one role, not {' and '.join(roles)}: the most capable would win anyway")
    unknown = [g for g in chosen if g not in GROUP_CHOICES]
    if unknown:
        raise AdminError(f"unknown group {unknown[0]!r}; choose from {', '.join(GROUP_CHOICES)}")
    joined = [g for g in chosen if g != VIEWER]
    if clients and EXTERNAL_GROUP not in joined:
        joined.append(EXTERNAL_GROUP)  # a user limited to clients is external (as `dam token --client`)
    return joined


def user_attributes(email: str, workspace: str, clients: Sequence[str]) -> list[dict[str, str]]:
    email = email.strip()
    if not _EMAIL.fullmatch(email):
        raise AdminError(f"{email!r} is not an email address")
    workspace = workspace.strip()
    if not workspace or len(workspace) > WORKSPACE_MAX:
        raise AdminError(f"--workspace needs 1 to {WORKSPACE_MAX} characters")
    attributes = [
        {"Name": "email", "Value": email},
        {"Name": "email_verified", "Value": "true"},  # invited by an admin to this address
        {"Name": WORKSPACE_CLAIM, "Value": workspace},
    ]
    if clients:
        value = ",".join(client.strip() for client in clients)
        if len(value) > CLIENTS_MAX:
            raise AdminError(f"the clients take {len(value)} characters; the pool allows {CLIENTS_MAX}")
        attributes.append({"Name": CLIENTS_CLAIM, "Value": value})
    # Refused here exactly as the API would refuse the token (a malformed clients claim is a 401 there).
    claims = {"sub": "check", **{a["Name"]: a["Value"] for a in attributes}}
    try:
        caller_from_claims(claims)
    except Unauthenticated as error:
        raise AdminError(f"--client takes ids of letters, digits and _.:- ({error})") from None
    return attributes


def create_user(
    cognito: Any, user_pool_id: str, *, email: str, groups: Iterable[str], workspace: str, clients: Sequence[str] = ()
) -> None:
    joined = role_and_groups(groups, clients)
    attributes = user_attributes(email, workspace, clients)
    _call(
        cognito.admin_create_user,
        UserPoolId=user_pool_id,
        Username=email.strip(),
        UserAttributes=attributes,
        DesiredDeliveryMediums=["EMAIL"],
    )
    try:
        add_to_groups(cognito, user_pool_id, email=email, groups=joined)
    except AdminError as error:
        hint = "run `dam admin add-to-group`"
        raise AdminError(f"{email} was created but not added to its groups ({error}): {hint}") from None


def add_to_groups(cognito: Any, user_pool_id: str, *, email: str, groups: Iterable[str]) -> list[str]:
    joined = role_and_groups(groups)
    for group in joined:
        _call(cognito.admin_add_user_to_group, UserPoolId=user_pool_id, Username=email.strip(), GroupName=group)
    return joined


def list_users(cognito: Any, user_pool_id: str) -> list[dict[str, str]]:
    """One row per user: email, workspace, clients, groups, status (a page of users per call, then one
    listing per group)."""
    rows: dict[str, dict[str, str]] = {}
    for page in _pages(cognito.list_users, "Users", UserPoolId=user_pool_id):
        attributes = {a["Name"]: a["Value"] for a in page.get("Attributes", [])}
        rows[page["Username"]] = {
            "email": attributes.get("email", page["Username"]),
            "workspace": attributes.get(WORKSPACE_CLAIM, ""),
            "clients": attributes.get(CLIENTS_CLAIM, ""),
            "groups": "",
            "status": page.get("UserStatus", ""),
        }
    for group in (*ROLE_GROUPS, EXTERNAL_GROUP):
        for user in _pages(cognito.list_users_in_group, "Users", UserPoolId=user_pool_id, GroupName=group):
            row = rows.get(user["Username"])
            if row is not None:
                row["groups"] = ",".join(filter(None, (row["groups"], group)))
    return sorted(rows.values(), key=lambda row: row["email"])


# Asks for a password: (environment variable, prompt) -> the password.
SecretReader = Callable[[str, str], str]


def _secret(variable: str, prompt: str) -> str:
    import getpass

    value = os.environ.get(variable)
    if value is None:
        if not sys.stdin.isatty():
            raise AdminError(f"set {variable}: there is no terminal to ask for it")
        value = getpass.getpass(prompt, stream=sys.stderr)
    return value


def sign_in(cognito: Any, user_pool_id: str, client_id: str, *, email: str, secret: SecretReader) -> str:
    """The user's ID token, through ADMIN_USER_PASSWORD_AUTH (the app client allows it; only IAM principals
    granted AdminInitiateAuth can call it), answering a first sign-in's new-password challenge."""
    username = email.strip()
    password = secret("DAM_PASSWORD", f"password for {username}: ")
    reply = _call(
        cognito.admin_initiate_auth,
        UserPoolId=user_pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    challenge = reply.get("ChallengeName")
    if challenge == "NEW_PASSWORD_REQUIRED":
        print(f"{username} signs in for the first time: choose a new password.", file=sys.stderr)
        reply = _call(
            cognito.admin_respond_to_auth_challenge,
            UserPoolId=user_pool_id,
            ClientId=client_id,
            ChallengeName=challenge,
            Session=reply["Session"],
            ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": secret("DAM_NEW_PASSWORD", "new password: ")},
        )
        challenge = reply.get("ChallengeName")
    if challenge:
        raise AdminError(f"Cognito asks for {challenge}, which `dam admin token` does not answer; use the web app")
    return str(reply["AuthenticationResult"]["IdToken"])


def users_table(rows: Sequence[dict[str, str]]) -> str:
    columns = ("email", "workspace", "clients", "groups", "status")
    widths = {c: max([len(c), *(len(row[c] or "-") for row in rows)]) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns)]
    lines += ["  ".join((row[c] or "-").ljust(widths[c]) for c in columns) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def _pages(method: Any, key: str, **kwargs: Any) -> Iterable[dict[str, Any]]:
    token: str | None = None
    while True:
        reply = _call(method, **kwargs, **({"NextToken": token} if token else {}))
        yield from reply.get(key, [])
        token = reply.get("NextToken")
        if not token:
            return


def _describe(groups: Sequence[str], clients: Sequence[str]) -> str:
    joined = role_and_groups(groups, clients)
    text = ", ".join(joined) if joined else "viewer (no role group)"
    return text + (f"; clients {', '.join(clients)}" if clients else "")


def _call(method: Any, **kwargs: Any) -> Any:
    """Cognito's and botocore's refusals (no credentials, no such pool or user, user exists) as one line."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return method(**kwargs)
    except ClientError as error:
        details = error.response.get("Error", {})
        raise AdminError(f"{details.get('Code', 'error')}: {details.get('Message', error)}") from None
    except BotoCoreError as error:
        raise AdminError(str(error)) from None
