"""An original can't be swapped after its checks: the checked bytes are the only bytes ever served.

S3 keeps every version of an original (the bucket is versioned); the pipeline records the version it
checked and pins every later read and link to it. Bytes written at the key afterwards (a presigned POST
can be used again until it expires) are removed, and the asset counts them.
"""

from __future__ import annotations

import hashlib
import time
from urllib.parse import parse_qs, unquote, urlparse

from tests.conftest import MEDIA_BUCKET, Api
from tests.integration.conftest import executions, wait_until_processed
from tests.support import LambdaContext, sqs_s3_event
from tests.unit.imaging import corpus


def _served(api: Api, url: str) -> bytes:
    """What a browser following the signed link would get (moto in-process: read the same version)."""
    parsed = urlparse(url)
    key = unquote(parsed.path.removeprefix(f"/{MEDIA_BUCKET}").removeprefix("/"))
    version = parse_qs(parsed.query).get("versionId", [None])[0]
    assert version, f"the link is not pinned to a version: {url}"
    return api.aws.s3.get_object(Bucket=MEDIA_BUCKET, Key=key, VersionId=version)["Body"].read()


def _notify(key: str, size: int, etag: str) -> None:
    """S3's notification of the second POST, as moto sends it (an ETag, no version id)."""
    from functions.ingest.handler import handler

    handler(sqs_s3_event(MEDIA_BUCKET, key, size, etag=etag, message_id="second-post"), LambdaContext())


def test_other_bytes_posted_after_the_checks_are_removed_and_the_download_serves_the_checked_ones(
    pipeline: Api, pipeline_env: str
) -> None:
    first = corpus.jpeg_photo(640, 480)
    asset = pipeline.upload("hero.jpg", "image/jpeg", first)
    done = wait_until_processed(pipeline, asset["asset_id"])
    assert done["status"] == "ready", done["status_reason"]
    key = f"assets/ws-studio/{asset['asset_id']}/original"

    # The same form again, other bytes of the same size and type (what S3 itself would accept).
    swapped = corpus.jpeg_photo(480, 640)
    written = pipeline.aws.s3.put_object(Bucket=MEDIA_BUCKET, Key=key, Body=swapped, ContentType="image/jpeg")
    _notify(key, len(swapped), written["ETag"].strip('"'))
    deadline = time.monotonic() + 30
    while any(run["status"] == "RUNNING" for run in executions(pipeline_env)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [run["status"] for run in executions(pipeline_env)] == ["SUCCEEDED", "SUCCEEDED"]

    after = pipeline.request("GET", f"/assets/{asset['asset_id']}").json()
    assert after["status"] == "ready" and after["discarded_uploads"] == 1
    assert after["checksum_sha256"] == hashlib.sha256(first).hexdigest()
    assert _served(pipeline, after["original"]["url"]) == first
    download = pipeline.request("GET", f"/assets/{asset['asset_id']}/download")
    assert _served(pipeline, download.headers["location"]) == first
    for rendition in after["renditions"].values():
        assert _served(pipeline, rendition["url"])
    versions = pipeline.aws.s3.list_object_versions(Bucket=MEDIA_BUCKET, Prefix=key)["Versions"]
    assert [v["Size"] for v in versions] == [len(first)], "the later upload is cleaned up"


def test_a_stored_object_of_another_size_than_declared_is_rejected_with_the_reason(pipeline: Api) -> None:
    body = {"filename": "tiny.png", "content_type": "image/png", "size": 100, "asset_type": "image"}
    created = pipeline.request("POST", "/uploads", body=body).json()
    key = created["upload"]["fields"]["key"]
    data = corpus.png_alpha()
    big = data + b"\0" * max(0, 240_512 - len(data))
    pipeline.aws.s3.put_object(Bucket=MEDIA_BUCKET, Key=key, Body=big, ContentType="image/png")
    pipeline.notify(key, len(big))

    done = wait_until_processed(pipeline, created["asset"]["asset_id"])
    assert done["status"] == "rejected"
    assert "240512 bytes" in done["status_reason"] and "declared 100" in done["status_reason"]


def test_delete_removes_every_stored_version_of_the_original(pipeline: Api) -> None:
    asset = pipeline.upload("a.jpg", "image/jpeg", corpus.jpeg_photo(64, 64))
    wait_until_processed(pipeline, asset["asset_id"])
    key = f"assets/ws-studio/{asset['asset_id']}/original"
    pipeline.aws.s3.put_object(Bucket=MEDIA_BUCKET, Key=key, Body=b"later")

    assert pipeline.request("DELETE", f"/assets/{asset['asset_id']}", query={"permanent": "true"}).status == 204
    listing = pipeline.aws.s3.list_object_versions(Bucket=MEDIA_BUCKET, Prefix=f"assets/ws-studio/{asset['asset_id']}/")
    assert not listing.get("Versions") and not listing.get("DeleteMarkers")
