"""The API resolver: routes from dam.api.routes, errors from dam.api.errors, OpenAPI from both."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from dam.api import context
from dam.api.errors import register_error_handlers
from dam.api.permissions import enforce, public, undeclared
from dam.api.routes import assets, brands, collections, folders, library, lineage, search, versions

API_TITLE = "Asset Library API"
API_VERSION = "0.1.0"

app = APIGatewayHttpResolver(enable_validation=True)
context.attach(app)
register_error_handlers(app)
app.use([enforce])
app.include_router(assets.router)
app.include_router(search.router)
app.include_router(library.router)
app.include_router(folders.router)
app.include_router(collections.router)
app.include_router(brands.router)
app.include_router(versions.router)
app.include_router(lineage.router)


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
    for path in ("/openapi.json", "/health"):
        for operation in document["paths"].get(path, {}).values():
            operation["security"] = []
    # Powertools gives a route returning Response[None] a JSON `null` body; a 204 has no body at all.
    for operations in document["paths"].values():
        for operation in operations.values():
            operation["responses"].get("204", {}).pop("content", None)
    return document


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
