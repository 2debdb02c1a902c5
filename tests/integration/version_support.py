"""Helpers for the version tests: upload a version through its presigned POST, follow a download."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlparse

from tests.conftest import MEDIA_BUCKET, Api


def new_version(
    api: Api, asset_id: str, data: bytes, *, claims: dict[str, str] | None = None, **extra: Any
) -> dict[str, Any]:
    """Start a version upload, put its bytes where the presigned POST points and deliver the notification."""
    body = {"filename": "take.png", "content_type": "image/png", "size": len(data), **extra}
    created = api.request("POST", f"/assets/{asset_id}/versions", body=body, claims=claims or api.claims)
    assert created.status == 201, created.body
    key = created.json()["upload"]["fields"]["key"]
    api.aws.s3.put_object(Bucket=MEDIA_BUCKET, Key=key, Body=data, ContentType="image/png")
    api.notify(key, len(data))
    version: dict[str, Any] = created.json()["version"]
    return version


def downloaded(api: Api, path: str, **query: str) -> bytes:
    """Follow a download redirect to the object it names and read its bytes."""
    response = api.request("GET", path, query=query or None)
    assert response.status == 302, response.body
    url = urlparse(response.headers["location"])
    key = unquote(url.path.lstrip("/")).removeprefix(f"{MEDIA_BUCKET}/")
    body: bytes = api.aws.s3.get_object(Bucket=MEDIA_BUCKET, Key=key)["Body"].read()
    return body


def versions(api: Api, asset_id: str) -> dict[str, Any]:
    response = api.request("GET", f"/assets/{asset_id}/versions")
    assert response.status == 200, response.body
    listed: dict[str, Any] = response.json()
    return listed


def wait_for_version(api: Api, asset_id: str, number: int, timeout: float = 60) -> dict[str, Any]:
    import time

    deadline = time.monotonic() + timeout
    while True:
        response = api.request("GET", f"/assets/{asset_id}/versions/{number}")
        version: dict[str, Any] = response.json()
        if version.get("file_status") in {"ready", "failed", "rejected"} or time.monotonic() > deadline:
            return version
        time.sleep(0.05)
