"""API Gateway HTTP API, locally: real HTTP in, payload format 2.0 events to the API function, HTTP out.

What it copies from API Gateway, because handler code can tell the difference:
- the route table (public routes, the JWT-authorized catch-all) and the JWT authorizer's answers:
  401 `{"message":"Unauthorized"}` without invoking the function;
- claims as API Gateway hands them over: every value a string, arrays as "[a b]", numbers as text;
- header names lower-cased, repeats joined with ",", the `Cookie` header moved to `cookies`;
  `rawPath` and `queryStringParameters` decoded, `rawQueryString` as sent, repeated parameters
  joined with ","; absent parts (`queryStringParameters`, `cookies`, `body`) left out, not null;
- bodies that are not text (by content type, or any content encoding) base64-encoded;
- the response: `statusCode`/`headers`/`cookies`/`body`/`isBase64Encoded`, or any other value sent
  as a 200 JSON body; a raised error or a malformed response is a 500 `Internal Server Error`;
- the 6 MB Lambda payload limit both ways and the 10 MB request limit.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.security import safe_join
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.utils import send_file
from werkzeug.wrappers import Request, Response

from dam_local.resources import ACCOUNT_ID, ROUTES, Route
from dam_local.tokens import InvalidToken, verify_token

logger = logging.getLogger("dam_local.gateway")

Invoke = Callable[[dict[str, Any]], Any]

MAX_REQUEST_BYTES = 10 * 1024 * 1024  # API Gateway HTTP API
MAX_LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024  # synchronous invoke, request and response
TEXT_TYPES = ("application/json", "application/xml", "application/javascript", "application/graphql")

# The API's CORS configuration (stacks/api.py): API Gateway answers preflights itself, before any authorizer,
# names only a configured origin, and replaces whatever CORS headers the function sent with its own.
CORS_ALLOWED_ORIGINS = ("http://localhost:5173",)  # stacks/config.py's default `allowed_origins`
CORS_ALLOW_HEADERS = "authorization,content-type,idempotency-key,if-match,x-share-password"
CORS_ALLOW_METHODS = "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT"
CORS_EXPOSE_HEADERS = "etag"
CORS_MAX_AGE_SECONDS = 3600


@dataclass(frozen=True)
class ApiConfig:
    api_id: str = "local"
    account_id: str = ACCOUNT_ID
    stage: str = "$default"
    routes: tuple[Route, ...] = ROUTES
    allowed_origins: tuple[str, ...] = CORS_ALLOWED_ORIGINS

    def allows_origin(self, origin: str | None) -> bool:
        return bool(origin) and (origin in self.allowed_origins or "*" in self.allowed_origins)


def format_claim(value: Any) -> str:
    """A claim value the way API Gateway renders it (Go's %v: "[a b]", "map[k:v]", "true")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return "[" + " ".join(format_claim(item) for item in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{format_claim(v)}" for k, v in sorted(value.items())) + "]"
    return str(value)


def format_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    return {name: format_claim(value) for name, value in claims.items() if value is not None}


def bearer_token(authorization: str | None) -> str | None:
    """API Gateway takes the Authorization header with or without the "Bearer " prefix."""
    if not authorization:
        return None
    scheme, _, rest = authorization.strip().partition(" ")
    token = rest.strip() if scheme.lower() == "bearer" else authorization.strip()
    return token or None


def is_text(content_type: str | None, content_encoding: str | None) -> bool:
    if content_encoding:
        return False
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type.startswith("text/") or media_type in TEXT_TYPES or media_type.endswith(("+json", "+xml"))


def request_id() -> str:
    return base64.b64encode(os.urandom(10)).decode()


def build_event(
    request: Request,
    body: bytes,
    *,
    route: Route,
    claims: Mapping[str, Any] | None,
    api: ApiConfig,
    now: datetime | None = None,
    aws_request_id: str | None = None,
) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    source_ip = request.remote_addr or "127.0.0.1"
    user_agent = request.headers.get("User-Agent", "")
    host = request.host or "localhost"

    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        key = name.lower()
        if key == "cookie":
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    forwarded = headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = f"{forwarded}, {source_ip}" if forwarded else source_ip
    headers["x-forwarded-proto"] = request.scheme  # API Gateway's own view of the connection wins
    headers["x-forwarded-port"] = str(request.server[1]) if request.server else "80"
    epoch_ms = int(now.timestamp() * 1000)
    headers.setdefault("x-amzn-trace-id", f"Root=1-{int(now.timestamp()):08x}-{os.urandom(12).hex()}")

    raw_query = request.environ.get("QUERY_STRING", "")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": request.path,
        "rawQueryString": raw_query,
        "headers": headers,
    }
    cookies = [c.strip() for c in request.headers.get("Cookie", "").split(";") if c.strip()]
    if cookies:
        event["cookies"] = cookies
    params: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        params[key] = f"{params[key]},{value}" if key in params else value
    if params:
        event["queryStringParameters"] = params

    context: dict[str, Any] = {
        "accountId": api.account_id,
        "apiId": api.api_id,
        "domainName": host,
        "domainPrefix": host.split(".", 1)[0].split(":", 1)[0],
        "http": {
            "method": request.method,
            "path": request.path,
            "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "sourceIp": source_ip,
            "userAgent": user_agent,
        },
        "requestId": aws_request_id or request_id(),
        "routeKey": route.route_key,
        "stage": api.stage,
        "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": epoch_ms,
    }
    if claims is not None:
        context["authorizer"] = {"jwt": {"claims": format_claims(claims), "scopes": None}}
    event["requestContext"] = context

    text = is_text(request.content_type, request.headers.get("Content-Encoding"))
    if body and text:
        try:
            event["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            text = False
    if body and not text:
        event["body"] = base64.b64encode(body).decode()
    event["isBase64Encoded"] = bool(body) and not text
    return event


def _json_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    return Response(json.dumps({"message": message}), status, headers, content_type="application/json")


def lambda_result_to_response(result: Any) -> Response:
    """Interpret a payload format 2.0 Lambda result as API Gateway does."""
    if not (isinstance(result, dict) and "statusCode" in result):
        return Response(json.dumps(result), 200, content_type="application/json")
    status = result["statusCode"]
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise ValueError(f"statusCode must be an HTTP status, got {status!r}")
    response = Response(status=status)
    response.headers.clear()  # no default content type: only what the function set
    for name, value in (result.get("headers") or {}).items():
        response.headers.add(name, str(value))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        response.headers.remove(name)
        for value in values:
            response.headers.add(name, str(value))
    for cookie in result.get("cookies") or []:
        response.headers.add("Set-Cookie", str(cookie))
    body = result.get("body")
    if body is None:
        response.set_data(b"")
    elif result.get("isBase64Encoded"):
        response.set_data(base64.b64decode(body))
    else:
        response.set_data(body if isinstance(body, str) else json.dumps(body))
    return response


def api_prefixes(openapi_document: Path) -> frozenset[str]:
    """The first path segments the API answers (`assets`, `search`, …): the web app never shadows them."""
    paths = json.loads(openapi_document.read_text())["paths"]
    return frozenset(path.strip("/").split("/", 1)[0] for path in paths)


@dataclass(frozen=True)
class WebApp:
    """The built web app (web/dist) at `/`, as CloudFront serves it: its files, else index.html (client routes)."""

    root: Path
    api_prefixes: frozenset[str]

    def serves(self, method: str, path: str) -> bool:
        return method in ("GET", "HEAD") and path.strip("/").split("/", 1)[0] not in self.api_prefixes

    def response(self, request: Request) -> Response:
        relative = request.path.lstrip("/")
        found = safe_join(str(self.root), relative) if relative else None
        if found is None or not Path(found).is_file():
            found = str(self.root / "index.html")
        response = send_file(found, request.environ, max_age=None)
        # Vite fingerprints what it puts in static/; index.html must be asked for again to find new builds.
        response.headers["Cache-Control"] = (
            "public, max-age=31536000, immutable" if relative.startswith("static/") else "no-cache"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


class Gateway:
    """The WSGI application: route, authorize, invoke, respond (and serve the web app, when built)."""

    def __init__(
        self, invoke: Invoke, signing_key: bytes, api: ApiConfig | None = None, web: WebApp | None = None
    ) -> None:
        self.invoke = invoke
        self.signing_key = signing_key
        self.api = api or ApiConfig()
        self.web = web

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        started = time.monotonic()
        aws_request_id = request_id()
        response = self.handle(request, aws_request_id)
        response.headers["apigw-requestid"] = aws_request_id
        origin = request.headers.get("Origin")
        if self.api.allows_origin(origin):
            response.headers["Access-Control-Allow-Origin"] = str(origin)
            response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSE_HEADERS
            response.headers.add("Vary", "Origin")
        logger.info(
            "%s %s %d %.0f ms",
            request.method,
            request.full_path.rstrip("?"),
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        return response(environ, start_response)

    def route(self, method: str, path: str) -> Route | None:
        return next((route for route in self.api.routes if route.matches(method, path)), None)

    def handle(self, request: Request, aws_request_id: str) -> Response:
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            if not self.api.allows_origin(request.headers.get("Origin")):
                return Response(status=204)  # no CORS headers: the browser refuses the real request
            return Response(
                status=204,
                headers={
                    "Access-Control-Allow-Methods": CORS_ALLOW_METHODS,
                    "Access-Control-Allow-Headers": CORS_ALLOW_HEADERS,
                    "Access-Control-Max-Age": str(CORS_MAX_AGE_SECONDS),
                },
            )
        if self.web is not None and self.web.serves(request.method, request.path):
            return self.web.response(request)
        route = self.route(request.method, request.path)
        if route is None:
            return _json_response(404, "Not Found")
        claims = None
        if route.authorized:
            token = bearer_token(request.headers.get("Authorization"))
            if token is None:
                return _json_response(401, "Unauthorized", {"www-authenticate": "Bearer"})
            try:
                claims = verify_token(self.signing_key, token)
            except InvalidToken as error:
                challenge = f'Bearer scope="" error="invalid_token" error_description="{error}"'
                return _json_response(401, "Unauthorized", {"www-authenticate": challenge})

        if (request.content_length or 0) > MAX_REQUEST_BYTES:
            return _json_response(413, "Request Entity Too Large")
        body = request.get_data()
        event = build_event(request, body, route=route, claims=claims, api=self.api, aws_request_id=aws_request_id)
        if len(json.dumps(event)) > MAX_LAMBDA_PAYLOAD_BYTES:
            return _json_response(413, "Request Entity Too Large")
        try:
            result = self.invoke(event)
            if len(json.dumps(result)) > MAX_LAMBDA_PAYLOAD_BYTES:
                raise ValueError("the response is over Lambda's 6 MB payload limit")
            response = lambda_result_to_response(result)
            for name in {name for name, _ in response.headers if name.lower().startswith("access-control-")}:
                del response.headers[name]  # the gateway's CORS configuration decides, not the function
            return response
        except Exception:
            logger.exception("the API function failed on %s %s", request.method, request.path)
            return _json_response(500, "Internal Server Error")


class _RequestHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """The gateway logs each request itself, with its duration."""


class GatewayServer:
    """A threaded HTTP server for the gateway, on its own thread."""

    def __init__(self, app: Gateway, host: str, port: int) -> None:
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True, request_handler=_RequestHandler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="dam-gateway", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self._server.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
