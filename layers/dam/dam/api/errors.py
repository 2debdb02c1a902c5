"""Every error the API answers, mapped to HTTP in this one place."""

from __future__ import annotations

from typing import Any, cast

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from dam.api.identity import Unauthenticated
from dam.api.models import ErrorDetail, ErrorField, ErrorResponse
from dam.domain.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound

logger = Logger(service="dam-api")

STATUS_BY_ERROR: dict[type[DomainError], int] = {
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 422,
}


def _error_response(app: APIGatewayHttpResolver, status: int, detail: ErrorDetail) -> Response[Any]:
    detail.request_id = app.current_event.request_context.request_id
    return Response(
        status_code=status,
        content_type="application/json",
        body=ErrorResponse(error=detail).model_dump(mode="json"),
    )


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
    @app.exception_handler(RequestUnsupportedContentType)
    @app.exception_handler(ValueError)
    def _unsupported_media_type(error: Exception) -> Response[Any]:
        event = app.current_event
        content_type = (event.headers or {}).get("content-type", "")
        if not event.body or content_type.startswith("application/json"):
            return _unexpected(error)
        detail = ErrorDetail(code="unsupported_media_type", message="send the body as application/json")
        return _error_response(app, 415, detail)

    @app.exception_handler(DomainError)
    def _domain_error(error: DomainError) -> Response[Any]:
        status = next((s for t, s in STATUS_BY_ERROR.items() if isinstance(error, t)), 400)
        # A field is a body field unless the error names its location ("query.cursor", "header.if-match").
        path = error.field if error.field and "." in error.field else f"body.{error.field}"
        fields = [ErrorField(path=path, message=error.message)] if error.field else []
        # An error about several fields at once (the quality gate's refused inputs) names each.
        fields += [ErrorField(path=f"body.{where}", message=why) for where, why in getattr(error, "problems", ())]
        return _error_response(app, status, ErrorDetail(code=error.code, message=error.message, fields=fields))

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[Any]:
        logger.exception("unhandled error")
        detail = ErrorDetail(code="internal_error", message="something went wrong on our side")
        return _error_response(app, 500, detail)

    @app.not_found
    def _no_route(_: Exception) -> Response[Any]:
        detail = ErrorDetail(code="not_found", message="no such route")
        return _error_response(app, 404, detail)


def route_responses(
    status: int, description: str, model: type[BaseModel] | None, *errors: int
) -> dict[int, OpenAPIResponse]:
    """OpenAPI `responses` for a route: its success (with its body model) and the errors it can answer."""
    success: dict[str, Any] = {"description": description}
    if model is not None:
        success["content"] = {"application/json": {"model": model}}
    return {status: cast(OpenAPIResponse, success), **error_responses(*errors)}


def error_responses(*statuses: int) -> dict[int, OpenAPIResponse]:
    """OpenAPI `responses` entries for the error statuses a route can answer."""
    descriptions = {
        401: "Missing or invalid token",
        403: "Your role does not allow this (you can see it, but not change it)",
        404: "Not found, or not yours to see",
        409: "Conflicts with the asset's current state",
        422: "The request is not valid; `fields` says where",
    }
    return {
        status: cast(
            OpenAPIResponse,
            {"description": descriptions[status], "content": {"application/json": {"model": ErrorResponse}}},
        )
        for status in statuses
    }
