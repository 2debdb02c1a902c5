"""The local POST policy check signs and reads policies exactly as boto3 (and so S3) writes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.config import Config

from dam.adapters.s3.storage import ObjectStorage
from dam_local.post_policy import PolicyRefused, check_post

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
