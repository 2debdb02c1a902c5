"""Presigned URLs name the host a browser can use directly: the bucket's regional endpoint on AWS, moto's server
locally. Presigning makes no call, so these run offline."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from dam.adapters.s3.storage import ObjectStorage, s3_client

BUCKET = "dam-dev-media-1a2b3c"


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def _storage(region: str, endpoint_url: str | None = None) -> ObjectStorage:
    return ObjectStorage(s3_client(region, endpoint_url), BUCKET)


@pytest.mark.parametrize("region", ["eu-west-1", "ap-east-1"])  # ap-east-1 is an opt-in region
def test_uploads_and_downloads_are_signed_for_the_regional_virtual_hosted_endpoint(region: str) -> None:
    # Given a bucket outside us-east-1
    storage = _storage(region)
    # When the API presigns an upload and a download
    post = storage.presign_post("assets/a1/original", "image/jpeg", 1024, 900)
    get = storage.presign_get("assets/a1/original", 900)
    # Then both go straight to the regional host (the global one redirects new buckets with a 307)
    expected = f"{BUCKET}.s3.{region}.amazonaws.com"
    assert urlsplit(post.url).hostname == expected
    assert urlsplit(get).hostname == expected
    assert f"/{region}/s3/aws4_request" in post.fields["x-amz-credential"]


def test_the_local_stack_signs_path_style_for_motos_server() -> None:
    storage = _storage("us-east-1", "http://127.0.0.1:4566")
    post = storage.presign_post("assets/a1/original", "image/png", 10, 60)
    get = storage.presign_get("assets/a1/original", 60)
    assert post.url == f"http://127.0.0.1:4566/{BUCKET}"
    assert urlsplit(get).netloc == "127.0.0.1:4566"
    assert urlsplit(get).path == f"/{BUCKET}/assets/a1/original"
