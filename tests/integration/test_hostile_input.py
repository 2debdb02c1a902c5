"""Bad input gets a 4xx in the documented error shape, never a 5xx, and one asset can't break a workspace."""

from __future__ import annotations

import base64
import gzip

import pytest

from tests.conftest import Api
from tests.support import ApiResponse, LambdaContext, api_claims, api_event, to_response


def _raw(method: str, path: str, body: bytes, headers: dict[str, str] | None = None) -> ApiResponse:
    """A request whose body is bytes, as API Gateway hands over a body it can't pass as text."""
    from functions.api.handler import handler

    event = api_event(method, path, claims=api_claims())
    event["headers"].update({"content-type": "application/json", **(headers or {})})
    event["body"] = base64.b64encode(body).decode()
    event["isBase64Encoded"] = True
    return to_response(handler(event, LambdaContext()))


def _fields(response: ApiResponse) -> list[str]:
    return [field["path"] for field in response.json()["error"]["fields"]]


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/folders"), ("POST", "/brands"), ("POST", "/collections"), ("PATCH", "/folders/f-1")],
)
def test_a_body_that_is_not_utf8_is_a_422_in_the_error_shape(api: Api, method: str, path: str) -> None:
    response = _raw(method, path, b"\xe9")
    assert response.status == 422, response.body
    assert response.json()["error"]["code"] == "validation_error"
    assert _fields(response) == ["body"]


def test_a_number_too_long_to_parse_is_a_422(api: Api) -> None:
    body = b'{"filename": "a.jpg", "content_type": "image/jpeg", "asset_type": "image", "size": ' + b"9" * 5000 + b"}"
    assert _raw("POST", "/uploads", body).status == 422


@pytest.mark.parametrize("payload", [gzip.compress(b'{"name": "x"}'), b'{"name": "plain but labelled gzip"}'])
def test_a_compressed_body_is_a_415(api: Api, payload: bytes) -> None:
    response = _raw("POST", "/collections", payload, {"content-encoding": "gzip"})
    assert response.status == 415, response.body
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert api.request("GET", "/collections").json()["items"] == []  # nothing was created


def test_every_response_says_nosniff_and_no_store(api: Api) -> None:
    upload = api.request(
        "POST", "/uploads", body={"filename": "a.jpg", "content_type": "image/jpeg", "size": 3, "asset_type": "image"}
    )
    for response in (upload, api.request("GET", "/assets"), api.request("GET", "/assets/nope")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"
