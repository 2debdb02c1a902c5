"""Test helpers: real-shaped API Gateway v2 events from events/, and a Lambda context."""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

EVENTS = Path(__file__).resolve().parent.parent / "events"


@cache
def _event_file(relative: str) -> dict[str, Any]:
    return json.loads((EVENTS / relative).read_text())


def load_event(relative: str) -> dict[str, Any]:
    return copy.deepcopy(_event_file(relative))


def api_claims(
    user: str = "user-maya",
    workspace: str = "ws-studio",
    role: str | None = "admin",
    clients: list[str] | None = None,
    external: bool = False,
) -> dict[str, str]:
    """Claims as API Gateway's JWT authorizer hands them over: every value a string, arrays as "[a b]".
    An admin unless told otherwise: feature tests are about features; tests/integration/test_permissions.py
    covers every role. A user with clients is in the `external` group, as an administrator sets them up."""
    claims = dict(load_event("api/get_asset.json")["requestContext"]["authorizer"]["jwt"]["claims"])
    claims.update({"sub": user, "custom:workspace": workspace, "cognito:username": user})
    claims.pop("cognito:groups", None)
    groups = ([role] if role else []) + (["external"] if external or clients else [])
    if groups:
        claims["cognito:groups"] = f"[{' '.join(groups)}]"
    if clients:
        claims["custom:clients"] = ",".join(clients)
    return claims


def api_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    claims: dict[str, str] | None = None,
) -> dict[str, Any]:
    event = load_event("api/get_asset.json")
    event["rawPath"] = path
    event["requestContext"]["http"].update(method=method, path=path)
    event["pathParameters"] = {"proxy": path.lstrip("/")}
    event["rawQueryString"] = urlencode(query or {})
    event["queryStringParameters"] = dict(query) if query else None
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
        event["headers"]["content-type"] = "application/json"
    event["headers"].update(headers or {})
    if claims is None:
        event["requestContext"].pop("authorizer", None)
    else:
        event["requestContext"]["authorizer"]["jwt"]["claims"] = claims
    return event


@dataclass
class LambdaContext:
    function_name: str = "dam-test"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:dam-test"
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def to_response(raw: dict[str, Any]) -> ApiResponse:
    body = raw.get("body") or ""
    if raw.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    return ApiResponse(
        status=raw["statusCode"], headers={k.lower(): v for k, v in raw.get("headers", {}).items()}, body=body
    )


def sqs_s3_event(
    bucket: str,
    key: str,
    size: int,
    etag: str = "etag",
    event_name: str = "ObjectCreated:Post",
    message_id: str = "m-1",
) -> dict[str, Any]:
    """The upload queue's event for one S3 notification, from events/sqs (key URL-encoded, as S3 sends it)."""
    from urllib.parse import quote_plus

    event = load_event("sqs/s3_object_created.json")
    record = event["Records"][0]
    notification = json.loads(record["body"])
    s3 = notification["Records"][0]["s3"]
    notification["Records"][0]["eventName"] = event_name
    s3["bucket"]["name"] = bucket
    s3["object"].update(key=quote_plus(key, safe="/"), size=size, eTag=etag)
    record["body"] = json.dumps(notification)
    record["messageId"] = message_id
    return event
