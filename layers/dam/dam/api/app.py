"""The API resolver: routes from dam.api.routes, errors from dam.api.errors, OpenAPI from both."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from dam.api import context
from dam.api.errors import refuse_encoded_bodies, register_error_handlers
from dam.api.models import UnauthorizedResponse
from dam.api.permissions import enforce, public, undeclared
from dam.api.routes import (
    assets,
    assistant,
    brands,
    collections,
    concepts,
    folders,
    imports,
    library,
    lineage,
    projects,
    search,
    uploads,
    versions,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

API_TITLE = "Asset Library API"
API_VERSION = "0.1.0"

# Every response: browsers never sniff a JSON body into something they would run, and nothing the API
# answers (signed links that work for minutes, private records) is kept by a cache.
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


class ApiResolver(APIGatewayHttpResolver):
    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        result = super().resolve(event, context)
        headers = result.setdefault("headers", {})
        present = {name.lower() for name in headers}
        headers.update({name: value for name, value in SECURITY_HEADERS.items() if name.lower() not in present})
        return result


app = ApiResolver(enable_validation=True)
context.attach(app)
register_error_handlers(app)
app.use([refuse_encoded_bodies, enforce])
app.include_router(assets.router)
app.include_router(search.router)
app.include_router(library.router)
app.include_router(folders.router)
app.include_router(collections.router)
app.include_router(brands.router)
app.include_router(versions.router)
app.include_router(lineage.router)
app.include_router(projects.router)
app.include_router(concepts.router)
app.include_router(uploads.router)
app.include_router(imports.router)
app.include_router(assistant.router)


def openapi_document() -> dict[str, Any]:
    # Imported here: the OpenAPI models cost ~150 ms to import and only this route needs them.
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    document: dict[str, Any] = json.loads(
        app.get_openapi_json_schema(
            title=API_TITLE,
            version=API_VERSION,
            description="Upload, organise and find creative assets. Every route but /health and /openapi.json "
            "needs a bearer token (a Cognito ID token on AWS; `dam token` locally).",
            security_schemes={"bearer": HTTPBearer(bearerFormat="JWT")},
            security=[{"bearer": []}],
        )
    )
    _name_operations(document)
    for path in ("/openapi.json", "/health"):
        for operation in document["paths"].get(path, {}).values():
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


# Every route declares who may call it (dam.api.permissions): a route without a policy never starts.
if _unguarded := undeclared(app):
    raise RuntimeError(f"routes without a declared policy: {', '.join(_unguarded)}")
