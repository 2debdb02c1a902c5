"""Large files go up in parts (S3 multipart): presigned part URLs, complete with the parts' ETags, abort."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from functions.ingest.handler import handler as ingest
from tests.conftest import ASSETS_TABLE, MEDIA_BUCKET, TABLES, Api
from tests.integration.conftest import executions, wait_until_processed
from tests.support import LambdaContext, api_claims, sqs_s3_event
from tests.unit.imaging import corpus

MIB = 1024**2
COMPLETED = "ObjectCreated:CompleteMultipartUpload"


@pytest.fixture
def parts_api(api: Api) -> Iterator[Api]:
    """The API with a 5 MiB multipart threshold and part size, so a 12 MiB file goes up in three parts."""
    from dam.api.context import build_services, use_services
    from dam.settings import ApiSettings

    settings = ApiSettings.from_environment(
        assets_table=ASSETS_TABLE,
        library_table=TABLES["Library"],
        media_bucket=MEDIA_BUCKET,
        max_upload_bytes=50 * MIB,
        multipart_threshold_bytes=5 * MIB,
        multipart_part_bytes=5 * MIB,
        state_machine_arn=os.environ.get("DAM_STATE_MACHINE_ARN"),
    )
    use_services(build_services(settings))
    yield api
    use_services(None)


@pytest.fixture
def parts_pipeline(pipeline_env: str, parts_api: Api) -> Api:
    return parts_api


def _big_jpeg(size: int = 12 * MIB) -> bytes:
    """A real photo padded past the threshold (decoders stop at the JPEG's end-of-image marker)."""
    photo = corpus.jpeg_photo(1600, 1200)
    return photo + os.urandom(size - len(photo))


def _start(api: Api, data: bytes, **extra: Any) -> dict[str, Any]:
    body = {"filename": "big.jpg", "content_type": "image/jpeg", "size": len(data), "asset_type": "image", **extra}
    created = api.request("POST", "/uploads", body=body)
    assert created.status == 201, created.body
    return created.json()


def _put_parts(plan: dict[str, Any], data: bytes) -> list[dict[str, Any]]:
    """PUT each part to its presigned URL, as a client does; the ETag header names the part."""
    size = plan["part_size"]
    parts = []
    for part in plan["parts"]:
        number = part["part_number"]
        answer = requests.put(part["url"], data=data[(number - 1) * size : number * size], timeout=30)
        assert answer.status_code == 200, answer.text
        parts.append({"part_number": number, "etag": answer.headers["ETag"]})
    return parts


def _announce(api: Api, asset: dict[str, Any], message_id: str) -> None:
    key = asset["original_key"]
    head = api.aws.s3.head_object(Bucket=MEDIA_BUCKET, Key=key)
    event = sqs_s3_event(MEDIA_BUCKET, key, head["ContentLength"], etag=head["ETag"].strip('"'), event_name=COMPLETED)
    event["Records"][0]["messageId"] = message_id
    assert ingest(event, LambdaContext()) == {"batchItemFailures": []}


def test_a_large_file_goes_up_in_parts_and_reaches_ready_once(parts_pipeline: Api, pipeline_env: str) -> None:
    api = parts_pipeline
    data = _big_jpeg()
    created = _start(api, data, checksum_sha256=hashlib.sha256(data).hexdigest())
    plan = created["multipart"]
    assert created["upload"] is None
    assert (plan["part_size"], plan["part_count"], len(plan["parts"])) == (5 * MIB, 3, 3)
    asset_id = created["asset"]["asset_id"]
    parts = _put_parts(plan, data)

    done = api.request("POST", f"/uploads/{asset_id}/complete", body={"parts": parts})
    assert done.status == 200, done.body
    asset = _original_of(api, asset_id)
    _announce(api, asset, "m-1")
    _announce(api, asset, "m-1")  # replayed
    _announce(api, asset, "m-2")  # delivered twice

    ready = wait_until_processed(api, asset_id)
    assert ready["status"] == "ready", ready["status_reason"]
    assert ready["checksum_sha256"] == hashlib.sha256(data).hexdigest()
    assert ready["size"] == len(data) and {"thumbnail", "preview"} <= set(ready["renditions"])
    assert len(executions(pipeline_env)) == 1


def _original_of(api: Api, asset_id: str) -> dict[str, Any]:
    from dam.adapters.dynamodb.assets import AssetRepository

    stored = AssetRepository().get(asset_id)
    assert stored is not None
    return {"original_key": stored.original_key}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda parts: [parts[1], parts[0], parts[2]], "ascending"),
        (lambda parts: parts[:2], "part 3 is missing"),
        (lambda parts: [parts[0], {**parts[1], "etag": '"0" '}, parts[2]], "ETag does not match"),
        (lambda parts: [parts[0], parts[0], parts[1], parts[2]], "once"),
    ],
    ids=["out-of-order", "missing", "wrong-etag", "repeated"],
)
def test_a_wrong_part_list_is_refused_and_the_upload_can_still_complete(
    parts_api: Api, change: Any, message: str
) -> None:
    data = _big_jpeg()
    created = _start(parts_api, data)
    asset_id = created["asset"]["asset_id"]
    parts = _put_parts(created["multipart"], data)

    refused = parts_api.request("POST", f"/uploads/{asset_id}/complete", body={"parts": change(parts)})

    assert refused.status == 422, refused.body
    assert message in refused.body
    assert parts_api.request("POST", f"/uploads/{asset_id}/complete", body={"parts": parts}).status == 200
    stored = parts_api.aws.s3.get_object(Bucket=MEDIA_BUCKET, Key=_original_of(parts_api, asset_id)["original_key"])
    assert stored["Body"].read() == data


def test_a_part_not_uploaded_is_refused(parts_api: Api) -> None:
    data = _big_jpeg()
    created = _start(parts_api, data)
    plan = created["multipart"]
    parts = _put_parts({**plan, "parts": plan["parts"][:2]}, data)

    refused = parts_api.request(
        "POST",
        f"/uploads/{created['asset']['asset_id']}/complete",
        body={"parts": [*parts, {"part_number": 3, "etag": parts[0]["etag"]}]},
    )

    assert refused.status == 422 and "part 3 was not uploaded" in refused.body


def test_more_part_urls_come_in_batches_within_the_upload(parts_api: Api) -> None:
    created = _start(parts_api, _big_jpeg())
    asset_id = created["asset"]["asset_id"]

    more = parts_api.request("POST", f"/uploads/{asset_id}/parts", body={"part_numbers": [3, 2]})
    outside = parts_api.request("POST", f"/uploads/{asset_id}/parts", body={"part_numbers": [4]})

    assert more.status == 200, more.body
    assert [p["part_number"] for p in more.json()["parts"]] == [2, 3]
    assert outside.status == 422 and "part 4 is not in this upload" in outside.body


def test_the_parts_received_so_far_are_listed_so_an_interrupted_upload_sends_only_the_rest(parts_api: Api) -> None:
    data = _big_jpeg()
    created = _start(parts_api, data)
    asset_id = created["asset"]["asset_id"]
    plan = created["multipart"]
    assert parts_api.request("GET", f"/uploads/{asset_id}/parts").json()["parts"] == []
    first = _put_parts({**plan, "parts": [plan["parts"][1]]}, data)  # part 2 landed, then the client stopped

    listed = parts_api.request("GET", f"/uploads/{asset_id}/parts")

    assert listed.status == 200, listed.body
    body = listed.json()
    assert (body["upload_id"], body["part_size"], body["part_count"]) == (plan["upload_id"], 5 * MIB, 3)
    assert body["parts"] == first
    rest = _put_parts({**plan, "parts": [plan["parts"][0], plan["parts"][2]]}, data)
    every = sorted([*rest, *body["parts"]], key=lambda part: part["part_number"])
    assert parts_api.request("POST", f"/uploads/{asset_id}/complete", body={"parts": every}).status == 200
    assert parts_api.request("GET", f"/uploads/{asset_id}/parts").status == 409  # finished: nothing to resume
    other = parts_api.request("GET", f"/uploads/{asset_id}/parts", claims=api_claims(workspace="ws-other"))
    assert other.status == 404


def test_an_aborted_upload_leaves_nothing_behind(parts_api: Api) -> None:
    data = _big_jpeg()
    created = _start(parts_api, data)
    asset_id = created["asset"]["asset_id"]
    _put_parts({**created["multipart"], "parts": created["multipart"]["parts"][:1]}, data)

    aborted = parts_api.request("DELETE", f"/uploads/{asset_id}")

    assert aborted.status == 204, aborted.body
    assert parts_api.request("GET", f"/assets/{asset_id}").status == 404
    assert parts_api.aws.s3.list_multipart_uploads(Bucket=MEDIA_BUCKET).get("Uploads", []) == []
    assert parts_api.aws.objects() == []
    assert (
        parts_api.request(
            "POST", f"/uploads/{asset_id}/complete", body={"parts": [{"part_number": 1, "etag": "e"}]}
        ).status
        == 404
    )


def test_a_landed_upload_cannot_be_aborted_and_a_small_one_has_no_parts(parts_api: Api) -> None:
    small = parts_api.upload("small.jpg", "image/jpeg", corpus.jpeg_photo(64, 64))

    assert parts_api.request("DELETE", f"/uploads/{small['asset_id']}").status == 409
    parts = parts_api.request("POST", f"/uploads/{small['asset_id']}/parts", body={"part_numbers": [1]})
    assert parts.status == 409 and "not uploaded in parts" in parts.body


def test_a_checksum_that_does_not_match_the_bytes_fails_the_asset_with_the_reason(parts_pipeline: Api) -> None:
    data = corpus.jpeg_photo(320, 240)
    asset = parts_pipeline.upload("photo.jpg", "image/jpeg", data, checksum_sha256="ab" * 32)

    done = wait_until_processed(parts_pipeline, asset["asset_id"])

    assert done["status"] == "failed"
    assert "SHA-256" in done["status_reason"] and "ab" * 32 in done["status_reason"]
    assert hashlib.sha256(data).hexdigest() in done["status_reason"]
