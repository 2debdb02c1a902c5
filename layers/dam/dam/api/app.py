"""The API resolver: routes from dam.api.routes, errors from dam.api.errors, OpenAPI from both."""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from dam.api import context
from dam.api.errors import refuse_encoded_bodies, register_error_handlers
from dam.api.models import UnauthorizedResponse
from dam.api.permissions import enforce, public, undeclared
from dam.observability import use_actor

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

API_TITLE = "Asset Library API"
API_VERSION = "0.1.0"

# Every response: browsers never sniff a JSON body into something they would run, and nothing the API
# answers (signed links that work for minutes, private records) is kept by a cache.
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


# The route modules (dam.api.routes.*), in the order their routes are matched, with the paths each one serves:
# `*` is one path segment, a trailing `/**` anything below or nothing. A module is imported when a request first
# reaches one of its paths: a Lambda instance's cold start pays for the routes its first request needs, not for
# all of them (a gallery page imports one module, not the six under /assets). A test keeps this table true.
ROUTE_MODULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "assets",
        (
            "/assets",
            "/assets/*",
            "/assets/*/download",
            "/assets/*/reanalyze",
            "/assets/*/reprocess",
            "/assets/*/restore",
            "/uploads",
        ),
    ),
    ("search", ("/search", "/assets/*/similar")),
    (
        "library",
        (
            "/assets/chips",
            "/assets/*/archive",
            "/assets/*/unarchive",
            "/assets/*/favorite",
            "/assets/*/brands/*",
            "/assets/*/usages/**",
        ),
    ),
    ("folders", ("/folders/**",)),
    ("clients", ("/clients/**",)),
    ("collections", ("/collections/**",)),
    ("brands", ("/brands/**",)),
    ("versions", ("/assets/*/compare", "/assets/*/versions/**")),
    ("comments", ("/assets/*/comments", "/assets/*/versions/*/comments/**", "/comments/**")),
    ("lineage", ("/assets/*/lineage", "/generation-inputs/**")),
    ("projects", ("/projects/**", "/stories/**", "/scenes/**", "/shots/**")),
    ("concepts", ("/projects/*/concepts", "/concepts/**")),
    ("uploads", ("/uploads/*/**",)),
    ("imports", ("/imports/**",)),
    ("assistant", ("/assistant/**",)),
    ("reviews", ("/reviews/**",)),
    ("share", ("/share/**",)),
    ("trash", ("/trash/**",)),
    ("audit", ("/audit/**",)),
)


def route_pattern(paths: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for a module's paths; a trailing slash is let through (looser than the router: safe)."""
    parts = [re.escape(path).replace(r"/\*\*", "(?:/.*)?").replace(r"\*", "[^/]+") for path in paths]
    return re.compile(f"^(?:{'|'.join(parts)})/?$")


_ROUTE_PATTERNS = tuple((module, route_pattern(paths)) for module, paths in ROUTE_MODULES)


class ApiResolver(APIGatewayHttpResolver):
    _included: set[str]

    def include_routes_for(self, path: str) -> None:
        """Include the route modules that serve the path (the $default stage adds no prefix)."""
        self._include(module for module, pattern in _ROUTE_PATTERNS if pattern.match(path))

    def include_all_routes(self) -> None:
        self._include(module for module, _ in ROUTE_MODULES)

    def _include(self, modules: Any) -> None:
        included = self.__dict__.setdefault("_included", set())
        for module in modules:
            if module not in included:
                included.add(module)
                self.include_router(importlib.import_module(f"dam.api.routes.{module}").router)
                # Every route declares who may call it (dam.api.permissions): a route without a policy never runs.
                if unguarded := undeclared(self):
                    raise RuntimeError(f"routes without a declared policy: {', '.join(unguarded)}")

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        path = event.get("rawPath") or event.get("requestContext", {}).get("http", {}).get("path") or "/"
        self.include_routes_for(str(path))
        use_actor(None)  # until the route's policy check names the caller (dam.api.permissions.enforce)
        try:
            result = super().resolve(event, context)
        finally:
            use_actor(None)  # work after the request (another function in this process) is not the caller's
        headers = result.setdefault("headers", {})
        present = {name.lower() for name in headers}
        headers.update({name: value for name, value in SECURITY_HEADERS.items() if name.lower() not in present})
        return result


app = ApiResolver(enable_validation=True)
context.attach(app)
register_error_handlers(app)
app.use([refuse_encoded_bodies, enforce])


def openapi_document() -> dict[str, Any]:
    # Imported here: the OpenAPI models cost ~150 ms to import and only this route needs them.
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    app.include_all_routes()
    document: dict[str, Any] = json.loads(
        app.get_openapi_json_schema(
            title=API_TITLE,
            version=API_VERSION,
            description="Upload, organise and find creative assets. Every route but /health, /openapi.json and "
            "the share links' /share/{token}… needs a bearer token (a Cognito ID token on AWS; `dam token` locally).",
            security_schemes={"bearer": HTTPBearer(bearerFormat="JWT")},
            security=[{"bearer": []}],
        )
    )
    _name_operations(document)
    for path, operations in document["paths"].items():
        # The outside reviewer's share routes carry the link's token in their path instead of a bearer token.
        if path in ("/openapi.json", "/health") or path.startswith("/share/"):
            for operation in operations.values():
                operation["security"] = []
    # Powertools gives a route returning Response[None] a JSON `null` body; a 204 has no body at all.
    for operations in document["paths"].values():
        for operation in operations.values():
            operation["responses"].get("204", {}).pop("content", None)
            _document_gateway_answers(operation)
    document["components"]["schemas"]["UnauthorizedResponse"] = UnauthorizedResponse.model_json_schema()
    return document


def _name_operations(document: dict[str, Any]) -> None:
    """Each operation is named after its route function in camelCase (`listAssets`), not Powertools' default
    `list_assets_assets_get`: the name a typed client calls it by."""
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            suffix = re.sub(r"\W", "_", path) + "_" + method
            function = operation["operationId"].removesuffix(suffix)
            head, *rest = function.split("_")
            operation["operationId"] = head + "".join(word.capitalize() for word in rest)


def _document_gateway_answers(operation: dict[str, Any]) -> None:
    """What a route can answer before its code runs: API Gateway's 401 (missing or bad token), 404 for a path
    no route matches, and 415 for a body sent compressed or not as JSON."""
    responses = operation["responses"]
    if operation.get("security") != []:
        responses["401"] = {
            "description": "Missing or invalid token (API Gateway's own answer)",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UnauthorizedResponse"}}},
        }
    if any(parameter.get("in") == "path" for parameter in operation.get("parameters", [])):
        # An id no route pattern matches (a space, a control character) is no route at all.
        responses.setdefault(
            "404",
            {
                "description": "No such route (an id with characters no id has)",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
            },
        )
    if "requestBody" in operation:
        responses.setdefault(
            "415",
            {
                "description": "The body is not plain JSON (another content type, or a Content-Encoding)",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
            },
        )


@app.get("/openapi.json", summary="This API's OpenAPI document", tags=["Meta"])
@public
def get_openapi() -> dict[str, Any]:
    return openapi_document()


@app.get("/health", summary="Liveness check", tags=["Meta"])
@public
def health() -> dict[str, str]:
    return {"status": "ok"}


if _unguarded := undeclared(app):
    raise RuntimeError(f"routes without a declared policy: {', '.join(_unguarded)}")
