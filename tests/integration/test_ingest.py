"""The upload notification moves an asset to `uploaded`: once, whatever S3 replays."""

from __future__ import annotations

import json

from functions.ingest.handler import handler
from tests.conftest import MEDIA_BUCKET, Api
from tests.support import LambdaContext, load_event, sqs_s3_event


def _start(api: Api, filename: str = "a.png", size: int = 10) -> dict:
    created = api.request(
        "POST",
        "/uploads",
        body={"filename": filename, "content_type": "image/png", "size": size, "asset_type": "image"},
    )
    assert created.status == 201
    return created.json()


def test_the_notification_marks_the_asset_uploaded_with_the_real_size(api: Api) -> None:
    created = _start(api, size=10)
    key = created["upload"]["fields"]["key"]
    api.aws.s3.put_object(Bucket=MEDIA_BUCKET, Key=key, Body=b"0123456789")

    result = api.notify(key, 10)

    assert result == {"batchItemFailures": []}
    asset = api.request("GET", f"/assets/{created['asset']['asset_id']}").json()
    assert asset["status"] == "uploaded"
    assert asset["metadata"]["etag"] == "etag"


def test_replayed_and_duplicate_notifications_change_nothing(api: Api) -> None:
    created = _start(api)
    key = created["upload"]["fields"]["key"]
    api.notify(key, 10, message_id="m-1")
    version = api.request("GET", f"/assets/{created['asset']['asset_id']}").json()["version"]

    api.notify(key, 10, message_id="m-1")  # replay
    api.notify(key, 10, message_id="m-2")  # the second event of a multipart upload

    after = api.request("GET", f"/assets/{created['asset']['asset_id']}").json()
    assert after["version"] == version
    assert len(api.request("GET", "/assets").json()["items"]) == 1


def test_unknown_keys_s3_test_events_and_deleted_assets_are_ignored(api: Api) -> None:
    created = _start(api)
    key = created["upload"]["fields"]["key"]
    api.request("DELETE", f"/assets/{created['asset']['asset_id']}")

    assert api.notify(key, 10) == {"batchItemFailures": []}
    assert api.notify("somewhere/else.png", 10) == {"batchItemFailures": []}
    test_event = load_event("sqs/s3_object_created.json")
    test_event["Records"][0]["body"] = json.dumps(load_event("sqs/s3_test_event_body.json"))
    assert handler(test_event, LambdaContext()) == {"batchItemFailures": []}
    assert api.request("GET", "/assets").json()["items"] == []


def test_a_broken_message_fails_alone_and_the_rest_of_the_batch_lands(api: Api) -> None:
    created = _start(api)
    good = sqs_s3_event(MEDIA_BUCKET, created["upload"]["fields"]["key"], 10, message_id="good")
    broken = sqs_s3_event(MEDIA_BUCKET, "x", 1, message_id="broken")
    broken["Records"][0]["body"] = "{truncated"
    event = {"Records": [broken["Records"][0], good["Records"][0]]}

    result = handler(event, LambdaContext())

    assert result == {"batchItemFailures": [{"itemIdentifier": "broken"}]}
    assert api.request("GET", f"/assets/{created['asset']['asset_id']}").json()["status"] == "uploaded"
