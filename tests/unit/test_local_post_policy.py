"""The local POST policy check signs and reads policies exactly as boto3 (and so S3) writes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config

from dam.adapters.s3.storage import ObjectStorage
from dam_local.post_policy import PolicyRefused, check_post, check_presigned_part

SECRET = "testing"


def _form(expires_in: int = 900) -> dict[str, str]:
    """The form the API hands out (SigV4, key, exact type and size), signed with the local credentials."""
    s3 = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key=SECRET,
        endpoint_url="http://127.0.0.1:1", config=Config(signature_version="s3v4"),
    )  # fmt: skip
    return ObjectStorage(s3, "media").presign_post("assets/ws/a/original", "image/png", 10, expires_in).fields


def test_a_form_as_signed_passes() -> None:
    check_post(_form(), 10, "media", SECRET, datetime.now(UTC))


def test_an_expired_form_is_refused() -> None:
    with pytest.raises(PolicyRefused, match="Policy expired") as refused:
        check_post(_form(expires_in=60), 10, "media", SECRET, datetime.now(UTC) + timedelta(minutes=2))
    assert (refused.value.status, refused.value.code) == (403, "AccessDenied")


@pytest.mark.parametrize(
    ("change", "size", "code"),
    [
        ({"key": "assets/other/b/original"}, 10, "AccessDenied"),
        ({"Content-Type": "text/html"}, 10, "AccessDenied"),
        ({}, 11, "EntityTooLarge"),
        ({}, 9, "EntityTooSmall"),
        ({"success_action_redirect": "https://evil.example"}, 10, "AccessDenied"),  # a field no condition names
    ],
)
def test_a_bent_form_is_refused_with_s3s_code(change: dict[str, str], size: int, code: str) -> None:
    with pytest.raises(PolicyRefused) as refused:
        check_post({**_form(), **change}, size, "media", SECRET, datetime.now(UTC))
    assert refused.value.code == code
    with pytest.raises(PolicyRefused):
        check_post(_form(), 10, "another-bucket", SECRET, datetime.now(UTC))


# --- presigned part uploads (multipart) ----------------------------------------------------------------


def _part_url(part: int = 1, expires_in: int = 900, key: str = "originals/ws/a/original") -> tuple[str, str, str]:
    """A presigned UploadPart URL as the API hands it out: (path, query, host)."""
    from urllib.parse import urlsplit

    s3 = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key=SECRET,
        endpoint_url="http://127.0.0.1:4566", config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )  # fmt: skip
    url = ObjectStorage(s3, "media").presign_parts(key, "upload-1", [part], expires_in)[0].url
    parts = urlsplit(url)
    return parts.path, parts.query, parts.netloc


def test_a_part_url_as_signed_passes() -> None:
    path, query, host = _part_url()
    check_presigned_part("PUT", path, query, host, SECRET, datetime.now(UTC))


def test_an_expired_part_url_is_refused() -> None:
    path, query, host = _part_url(expires_in=60)
    with pytest.raises(PolicyRefused, match="expired"):
        check_presigned_part("PUT", path, query, host, SECRET, datetime.now(UTC) + timedelta(minutes=2))


@pytest.mark.parametrize(
    "bend",
    [
        lambda p, q, h: (p, q.replace("partNumber=1", "partNumber=2"), h),  # another part
        lambda p, q, h: (p, q.replace("uploadId=upload-1", "uploadId=upload-2"), h),  # another upload
        lambda p, q, h: (p.replace("/ws/a/", "/ws/b/"), q, h),  # another key
        lambda p, q, h: (p, q, h, "testing-wrong"),  # signed with other credentials
    ],
    ids=["part", "upload", "key", "secret"],
)
def test_a_bent_part_url_is_refused(bend: Any) -> None:
    path, query, host, *secret = bend(*_part_url())
    with pytest.raises(PolicyRefused) as refused:
        check_presigned_part("PUT", path, query, host, SECRET if not secret else "other", datetime.now(UTC))
    assert refused.value.code == "SignatureDoesNotMatch"
