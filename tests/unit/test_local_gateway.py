"""The local API Gateway: HTTP requests → payload format 2.0 events, and Lambda results → HTTP.

A fake function records the events; werkzeug's test client drives the WSGI app without a socket.
"""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

import pytest
from werkzeug.test import Client

from dam_local.gateway import ApiConfig, Gateway, bearer_token, format_claim, lambda_result_to_response
from dam_local.resources import ACCOUNT_ID
from dam_local.tokens import issue_token

KEY = b"k" * 64


class FakeFunction:
    def __init__(self, result: Any = None, error: Exception | None = None) -> None:
        self.events: list[dict[str, Any]] = []
        self.result = result if result is not None else {"statusCode": 200, "body": "{}"}
        self.error = error

    def __call__(self, event: dict[str, Any]) -> Any:
        self.events.append(event)
        if self.error:
            raise self.error
        return self.result

    @property
    def event(self) -> dict[str, Any]:
        assert len(self.events) == 1, f"expected one invocation, got {len(self.events)}"
        return self.events[0]


def _client(function: FakeFunction) -> Client:
    return Client(Gateway(function, KEY, ApiConfig(api_id="localapi")), use_cookies=False)


def _auth(role: str = "editor", clients: tuple[str, ...] = (), **overrides: Any) -> dict[str, str]:
    token = issue_token(KEY, user="maya", workspace="ws-studio", role=role, clients=clients, **overrides)
    return {"Authorization": f"Bearer {token}"}


# --- the JWT authorizer --------------------------------------------------------------------------


def test_a_request_without_a_token_is_refused_like_api_gateway_without_invoking() -> None:
    function = FakeFunction()
    response = _client(function).get("/assets")
    assert response.status_code == 401
    assert response.get_json() == {"message": "Unauthorized"}
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["apigw-requestid"]
    assert function.events == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": "Bearer " + issue_token(b"x" * 64, user="u", workspace="w", role="admin")},
        _auth(now=time.time() - 7200),  # expired an hour ago
        {"Authorization": "Bearer "},
    ],
    ids=["garbage", "other-key", "expired", "empty"],
)
def test_invalid_tokens_are_refused(headers: dict[str, str]) -> None:
    function = FakeFunction()
    response = _client(function).get("/assets", headers=headers)
    assert response.status_code == 401
    assert response.get_json() == {"message": "Unauthorized"}
    assert function.events == []


def test_unsigned_tokens_are_refused() -> None:
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(json.dumps({"sub": "u", "exp": 9999999999}).encode()).rstrip(b"=")
    function = FakeFunction()
    response = _client(function).get("/assets", headers={"Authorization": f"Bearer {header}.{payload.decode()}."})
    assert response.status_code == 401
    assert function.events == []


def test_public_routes_need_no_token_and_carry_no_authorizer() -> None:
    function = FakeFunction()
    assert _client(function).get("/health", headers=_auth()).status_code == 200
    event = function.event
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "GET /health"
    assert "authorizer" not in event["requestContext"]
    assert _client(FakeFunction()).get("/openapi.json").status_code == 200


def test_share_link_routes_need_no_token_and_match_one_segment_per_parameter() -> None:
    function = FakeFunction()
    client = _client(function)
    assert client.get("/share/tok3n").status_code == 200
    assert client.get("/share/tok3n/items/2/rendition").status_code == 200
    assert client.post("/share/tok3n/items/2/decision", json={"verdict": "approved"}).status_code == 200
    assert client.post("/share/tok3n/items/2/comments", json={"body": "warmer"}).status_code == 200
    assert client.get("/share/tok3n/items/2/comments").status_code == 200
    assert [e["routeKey"] for e in function.events] == [
        "GET /share/{token}",
        "GET /share/{token}/items/{position}/rendition",
        "POST /share/{token}/items/{position}/decision",
        "POST /share/{token}/items/{position}/comments",
        "GET /share/{token}/items/{position}/comments",
    ]
    assert all("authorizer" not in e["requestContext"] for e in function.events)
    # Any other shape under /share/ (or another method) meets the authorizer, as on AWS.
    others = (("GET", "/share/"), ("GET", "/share/a/b"), ("DELETE", "/share/t"), ("GET", "/share//items/1/rendition"))
    for method, path in others:
        assert client.open(path, method=method).status_code == 401, (method, path)
    assert len(function.events) == 5


def test_only_the_public_method_is_public() -> None:
    function = FakeFunction()
    assert _client(function).post("/health").status_code == 401
    assert function.events == []


def test_the_bearer_prefix_is_optional_as_in_api_gateway() -> None:
    token = _auth()["Authorization"].removeprefix("Bearer ")
    assert bearer_token(token) == token
    assert bearer_token(f"bearer {token}") == token
    assert bearer_token(None) is None
    function = FakeFunction()
    assert _client(function).get("/assets", headers={"Authorization": token}).status_code == 200


def test_claims_arrive_as_api_gateway_formats_them() -> None:
    function = FakeFunction()
    _client(function).get("/assets", headers=_auth(role="shoot_lead", clients=("acme", "globex")))
    authorizer = function.event["requestContext"]["authorizer"]
    assert authorizer["jwt"]["scopes"] is None
    claims = authorizer["jwt"]["claims"]
    assert all(isinstance(value, str) for value in claims.values())
    assert claims["sub"] == "maya"
    assert claims["custom:workspace"] == "ws-studio"
    assert claims["cognito:groups"] == "[shoot_lead]"
    assert claims["custom:clients"] == "acme,globex"
    assert claims["token_use"] == "id"
    assert re.fullmatch(r"\d{10}", claims["exp"])
    assert int(claims["exp"]) - int(claims["iat"]) == 3600


def test_a_viewer_token_has_no_groups_claim() -> None:
    function = FakeFunction()
    _client(function).get("/assets", headers=_auth(role="viewer"))
    claims = function.event["requestContext"]["authorizer"]["jwt"]["claims"]
    assert "cognito:groups" not in claims
    assert "custom:clients" not in claims


def test_the_library_reads_the_formatted_claims_back() -> None:
    identity = pytest.importorskip("dam.api.identity")
    function = FakeFunction()
    _client(function).get("/assets", headers=_auth(role="post_lead", clients=("acme", "globex")))
    caller = identity.caller_from_claims(function.event["requestContext"]["authorizer"]["jwt"]["claims"])
    assert (caller.user_id, caller.workspace_id, caller.role.value) == ("maya", "ws-studio", "post_lead")
    assert caller.client_ids == ("acme", "globex")


@pytest.mark.parametrize(
    ("value", "formatted"),
    [
        (["editor", "admin"], "[editor admin]"),
        ([], "[]"),
        (1763803600, "1763803600"),
        (1763803600.0, "1763803600"),
        (1.5, "1.5"),
        (True, "true"),
        ({"b": 1, "a": "x"}, "map[a:x b:1]"),
        ("plain", "plain"),
    ],
)
def test_format_claim(value: Any, formatted: str) -> None:
    assert format_claim(value) == formatted


# --- the request event ---------------------------------------------------------------------------


def test_event_envelope_and_request_context() -> None:
    function = FakeFunction()
    _client(function).get("/assets/a%20b", headers={**_auth(), "User-Agent": "pytest/1"})
    event = function.event
    assert event["version"] == "2.0"
    assert event["routeKey"] == "$default"
    assert event["rawPath"] == "/assets/a b"  # HTTP APIs decode the path
    assert event["rawQueryString"] == ""
    assert "queryStringParameters" not in event
    assert "cookies" not in event
    assert "body" not in event
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["accountId"] == ACCOUNT_ID
    assert context["apiId"] == "localapi"
    assert context["stage"] == "$default"
    assert context["routeKey"] == "$default"
    assert context["http"] == {
        "method": "GET",
        "path": "/assets/a b",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "pytest/1",
    }
    assert context["domainName"] == "localhost"
    assert re.fullmatch(r"\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000", context["time"])
    assert abs(context["timeEpoch"] - time.time() * 1000) < 60_000
    assert context["requestId"]


def test_query_strings_raw_and_decoded_with_repeats_comma_joined() -> None:
    function = FakeFunction()
    _client(function).get(
        "/assets?media_type=image&media_type=video&q=red%20car&tag=a%2Cb&empty=&cursor=x%2By", headers=_auth()
    )
    event = function.event
    assert event["rawQueryString"] == "media_type=image&media_type=video&q=red%20car&tag=a%2Cb&empty=&cursor=x%2By"
    assert event["queryStringParameters"] == {
        "media_type": "image,video",
        "q": "red car",
        "tag": "a,b",
        "empty": "",
        "cursor": "x+y",
    }


def test_headers_are_lower_cased_and_cookies_move_to_their_own_field() -> None:
    function = FakeFunction()
    _client(function).get(
        "/assets",
        headers={
            **_auth(),
            "X-Custom-Thing": "Value",
            "Cookie": "theme=dark; session=abc",
            "X-Forwarded-For": "10.1.1.1",
        },
    )
    event = function.event
    headers = event["headers"]
    assert all(name == name.lower() for name in headers)
    assert headers["x-custom-thing"] == "Value"
    assert headers["authorization"].startswith("Bearer ")
    assert "cookie" not in headers
    assert event["cookies"] == ["theme=dark", "session=abc"]
    assert headers["x-forwarded-for"] == "10.1.1.1, 127.0.0.1"  # API Gateway appends the caller
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-amzn-trace-id"].startswith("Root=1-")


def test_json_bodies_arrive_as_text() -> None:
    function = FakeFunction()
    _client(function).post("/uploads", json={"filename": "é.png", "size": 3}, headers=_auth())
    event = function.event
    assert event["isBase64Encoded"] is False
    assert json.loads(event["body"]) == {"filename": "é.png", "size": 3}


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("image/png", b"\x89PNG\r\n\x1a\n\x00\xff"),
        ("application/octet-stream", b"abc"),
        ("application/x-www-form-urlencoded", b"a=1&b=2"),  # HTTP APIs base64 forms too
        ("text/plain", b"\xff\xfe not utf-8"),
    ],
)
def test_other_bodies_arrive_base64_encoded(content_type: str, data: bytes) -> None:
    function = FakeFunction()
    _client(function).post("/import", data=data, content_type=content_type, headers=_auth())
    event = function.event
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == data


def test_an_encoded_body_is_binary_whatever_its_type() -> None:
    function = FakeFunction()
    _client(function).post(
        "/uploads",
        data=b"\x1f\x8b...",
        content_type="application/json",
        headers={**_auth(), "Content-Encoding": "gzip"},
    )
    assert function.event["isBase64Encoded"] is True


def test_a_request_over_the_lambda_payload_limit_is_refused() -> None:
    function = FakeFunction()
    response = _client(function).post(
        "/uploads", data=b"x" * (7 * 1024 * 1024), content_type="text/plain", headers=_auth()
    )
    assert response.status_code == 413
    assert function.events == []


def test_cors_preflight_is_answered_by_the_gateway() -> None:
    function = FakeFunction()
    response = _client(function).options(
        "/uploads", headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"}
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"  # a configured one, not *
    allowed = response.headers["Access-Control-Allow-Headers"].split(",")
    assert allowed == ["authorization", "content-type", "idempotency-key", "if-match", "x-share-password"]
    assert function.events == []


def test_cors_names_configured_origins_only_like_the_deployed_api() -> None:
    # The function sends its own CORS header; API Gateway ignores it and answers from its configuration.
    function = FakeFunction({"statusCode": 200, "headers": {"Access-Control-Allow-Origin": "*"}, "body": "{}"})
    client = _client(function)
    stranger = {"Origin": "https://evil.example"}
    preflight = client.options("/assets", headers={**stranger, "Access-Control-Request-Method": "PATCH"})
    assert preflight.status_code == 204
    assert not [name for name, _ in preflight.headers if name.lower().startswith("access-control-")]
    response = client.get("/assets", headers={**stranger, **_auth()})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    allowed = client.get("/assets", headers={"Origin": "http://localhost:5173", **_auth()})
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert allowed.headers["Access-Control-Expose-Headers"] == "etag"
    assert "Origin" in allowed.headers["Vary"]
    other = Client(Gateway(function, KEY, ApiConfig(allowed_origins=("https://dam.example.com",))), use_cookies=False)
    assert (
        "Access-Control-Allow-Origin" not in other.get("/health", headers={"Origin": "http://localhost:5173"}).headers
    )


# --- the response --------------------------------------------------------------------------------


def test_a_full_response_is_written_back() -> None:
    function = FakeFunction(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "application/json", "X-Thing": "1"},
            "cookies": ["a=1; Path=/", "b=2; HttpOnly"],
            "body": '{"ok": true}',
            "isBase64Encoded": False,
        }
    )
    response = _client(function).post("/uploads", json={}, headers=_auth())
    assert response.status_code == 201
    assert response.get_json() == {"ok": True}
    assert response.headers["X-Thing"] == "1"
    assert response.headers.getlist("Set-Cookie") == ["a=1; Path=/", "b=2; HttpOnly"]


def test_a_base64_response_body_is_decoded() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x01"
    function = FakeFunction(
        {
            "statusCode": 200,
            "headers": {"content-type": "image/png"},
            "body": base64.b64encode(png).decode(),
            "isBase64Encoded": True,
        }
    )
    response = _client(function).get("/assets/x/thumbnail", headers=_auth())
    assert response.data == png
    assert response.headers["Content-Type"] == "image/png"


def test_multi_value_headers_are_written_as_repeats() -> None:
    response = lambda_result_to_response(
        {"statusCode": 200, "body": "", "multiValueHeaders": {"Vary": ["Origin", "Accept"]}}
    )
    assert response.headers.getlist("Vary") == ["Origin", "Accept"]


def test_a_result_without_status_code_is_a_json_200() -> None:
    function = FakeFunction({"items": [1, 2]})
    response = _client(function).get("/assets", headers=_auth())
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.get_json() == {"items": [1, 2]}


@pytest.mark.parametrize(
    "function",
    [FakeFunction(error=RuntimeError("boom")), FakeFunction({"statusCode": "two hundred", "body": ""})],
    ids=["raised", "malformed"],
)
def test_a_failed_invocation_is_a_500_like_api_gateway(function: FakeFunction) -> None:
    response = _client(function).get("/assets", headers=_auth())
    assert response.status_code == 500
    assert response.get_json() == {"message": "Internal Server Error"}
