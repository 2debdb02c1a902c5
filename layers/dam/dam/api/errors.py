"""Every error the API answers, mapped to HTTP in this one place."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from dam.api.identity import Unauthenticated
from dam.api.models import DeleteInProgress, ErrorDetail, ErrorField, ErrorResponse, UnauthorizedResponse
from dam.domain.assistant import AssistantReplyInvalid, AssistantUnavailable
from dam.domain.errors import Conflict, DomainError, Forbidden, InvalidCursor, InvalidInput, NotFound
from dam.domain.library import INLINE_CLEANUP_LIMIT, CleanupStarted
from dam.domain.reviews import LinkGone, PasswordRequired, RateLimited

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

logger = Logger(service="dam-api")

STATUS_BY_ERROR: dict[type[DomainError], int] = {
    Unauthenticated: 401,
    PasswordRequired: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    InvalidCursor: 400,  # before InvalidInput, its base: the first match wins
    InvalidInput: 422,
    AssistantReplyInvalid: 422,
    RateLimited: 429,
    AssistantUnavailable: 503,
}
# Seconds a rate-limited share link asks the client to wait (its counter is per minute).
RETRY_AFTER_SECONDS = 60


def _error_response(app: APIGatewayHttpResolver, status: int, detail: ErrorDetail) -> Response[Any]:
    detail.request_id = app.current_event.request_context.request_id
    return Response(
        status_code=status,
        content_type="application/json",
        body=ErrorResponse(error=detail).model_dump(mode="json"),
    )


def _encoded_body() -> ErrorDetail:
    # Built per refusal, not at import: the first instance builds the model's validator (~20 ms of cold start).
    return ErrorDetail(code="unsupported_media_type", message="send the body uncompressed (no Content-Encoding)")


def content_encoding(headers: Mapping[str, str] | None) -> str | None:
    """The request's content coding, if any: bodies are plain JSON, so any coding but identity is refused."""
    value = (headers or {}).get("content-encoding", "").strip().lower()
    return value if value and value != "identity" else None


def body_is_json(body: str, *, base64_encoded: bool) -> bool:
    try:
        raw = base64.b64decode(body, validate=True) if base64_encoded else body.encode()
        json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # binascii.Error, UnicodeDecodeError, JSONDecodeError, digit limits
        return False
    return True


def refuse_encoded_bodies(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """A compressed body that still parsed as JSON (or went to a route without a body) is refused too:
    the API never inflates what a client compressed."""
    if app.current_event.body and content_encoding(app.current_event.headers):
        return _error_response(app, 415, _encoded_body())
    return next_middleware(app)


def _path(location: Any) -> str:
    return ".".join(str(part) for part in location)


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    @app.exception_handler(RequestValidationError)
    def _invalid_request(error: RequestValidationError) -> Response[Any]:
        fields = [
            ErrorField(path=_path(e.get("loc", ())), message=str(e.get("msg", "")), type=e.get("type"))
            for e in error.errors()
        ]
        detail = ErrorDetail(code="validation_error", message="the request is not valid", fields=fields)
        return _error_response(app, 422, detail)

    # Bodies are JSON only. Powertools parses form and multipart bodies itself and fails on malformed ones
    # (a multipart type without a boundary raises ValueError) before any route runs: that is the caller's 415.
    # A JSON body that is not UTF-8, or a number too long to parse, fails in the same place: the caller's 422.
    @app.exception_handler(RequestUnsupportedContentType)
    @app.exception_handler(ValueError)
    @app.exception_handler(RecursionError)  # JSON nested thousands deep
    def _unsupported_media_type(error: Exception) -> Response[Any]:
        event = app.current_event
        content_type = (event.headers or {}).get("content-type", "")
        if event.body and content_encoding(event.headers):
            return _error_response(app, 415, _encoded_body())
        if not event.body:
            return _unexpected(error)
        if content_type.startswith("application/json"):
            if body_is_json(event.body, base64_encoded=bool(event.is_base64_encoded)):
                return _unexpected(error)  # the body was fine: the error is ours
            fields = [ErrorField(path="body", message="the body is not UTF-8 JSON", type="json_invalid")]
            detail = ErrorDetail(code="validation_error", message="the request is not valid", fields=fields)
            return _error_response(app, 422, detail)
        detail = ErrorDetail(code="unsupported_media_type", message="send the body as application/json")
        return _error_response(app, 415, detail)

    @app.exception_handler(Unauthenticated)
    def _unauthenticated(error: Unauthenticated) -> Response[Any]:
        logger.warning("refused the caller's identity", extra={"reason": str(error)})
        return unauthorized()

    @app.exception_handler(LinkGone)
    def _link_gone(_: LinkGone) -> Response[Any]:
        # An expired or revoked share link says so and nothing else: no body, nothing about what it showed.
        return Response(status_code=410)

    @app.exception_handler(DomainError)
    def _domain_error(error: DomainError) -> Response[Any]:
        status = next((s for t, s in STATUS_BY_ERROR.items() if isinstance(error, t)), 400)
        # A field is a body field unless the error names its location ("query.cursor", "header.if-match").
        path = error.field if error.field and "." in error.field else f"body.{error.field}"
        fields = [ErrorField(path=path, message=error.message)] if error.field else []
        # An error about several fields at once (the quality gate's refused inputs) names each.
        fields += [ErrorField(path=f"body.{where}", message=why) for where, why in getattr(error, "problems", ())]
        response = _error_response(app, status, ErrorDetail(code=error.code, message=error.message, fields=fields))
        if isinstance(error, RateLimited):
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[Any]:
        logger.exception("unhandled error")
        detail = ErrorDetail(code="internal_error", message="something went wrong on our side")
        return _error_response(app, 500, detail)

    @app.not_found
    def _no_route(_: Exception) -> Response[Any]:
        detail = ErrorDetail(code="not_found", message="no such route")
        return _error_response(app, 404, detail)


def unauthorized() -> Response[Any]:
    """The 401 the JWT authorizer answers on AWS, byte for byte, so a client sees one shape everywhere."""
    return Response(
        status_code=401,
        content_type="application/json",
        body=UnauthorizedResponse(message="Unauthorized").model_dump(),
        headers={"www-authenticate": "Bearer"},
    )


def route_responses(
    status: int, description: str, model: type[BaseModel] | None, *errors: int
) -> dict[int, OpenAPIResponse]:
    """OpenAPI `responses` for a route: its success (with its body model) and the errors it can answer."""
    success: dict[str, Any] = {"description": description}
    if model is not None:
        success["content"] = {"application/json": {"model": model}}
    return {status: cast(OpenAPIResponse, success), **error_responses(*errors)}


# What the description of each such delete adds.
BIG_DELETE = (
    f"More than {INLINE_CLEANUP_LIMIT} assets to update: 202 with their number, and they are updated in the "
    "background (the lists by this owner show those still to update; see the README)."
)


def delete_responses(*errors: int) -> dict[int, OpenAPIResponse]:
    """A delete that may go on in the background: 204 when done, 202 with what is left to do."""
    return {
        **route_responses(204, "Deleted, with every asset updated", None, *errors),
        **route_responses(
            202,
            f"Deleted; more than {INLINE_CLEANUP_LIMIT} assets named it, and they are being updated in the background",
            DeleteInProgress,
        ),
    }


def deleted(started: CleanupStarted | None) -> Response[Any]:
    """The answer of a delete of a folder, brand or collection."""
    if started is None:
        return Response(status_code=204)
    body = DeleteInProgress(assets_to_update=started.assets_to_update)
    return Response(status_code=202, content_type="application/json", body=body.model_dump_json())


def error_responses(*statuses: int) -> dict[int, OpenAPIResponse]:
    """OpenAPI `responses` entries for the error statuses a route can answer."""
    descriptions = {
        400: "The cursor is not one this list wrote for this query (tampered or from another list)",
        401: "Missing or invalid token",
        403: "Your role does not allow this (you can see it, but not change it)",
        404: "Not found, or not yours to see",
        409: "Conflicts with the asset's current state",
        410: "The share link expired or was revoked (no body)",
        422: "The request is not valid; `fields` says where",
        429: "Too many requests on this share link in a minute; `Retry-After` says when to come back",
        503: "The assistant needs a configured model for this, or its model is busy",
    }
    return {
        status: cast(
            OpenAPIResponse,
            {"description": descriptions[status]}
            if status == 410
            else {"description": descriptions[status], "content": {"application/json": {"model": ErrorResponse}}},
        )
        for status in statuses
    }
