"""Search indexes the active version: a new version is invisible to search until it is promoted."""

from __future__ import annotations

from tests.conftest import MEDIA_BUCKET, Api
from tests.integration.test_search import StreamFeed, _found, _upload, search  # noqa: F401 - the fixture
from tests.integration.version_support import wait_for_version
from tests.unit.imaging import corpus


def test_search_finds_the_active_versions_content_and_follows_promote(search: tuple[Api, StreamFeed]) -> None:  # noqa: F811
    api, feed = search
    asset_id = _upload(api, "Still life", prompt="a cup of coffee on a wooden table")
    data = corpus.png_photo(64, 48)
    body = {
        "filename": "take.png",
        "content_type": "image/png",
        "size": len(data),
        "generation": {"model": "imagen-4", "prompt": "a red sports car in a garage"},
    }
    created = api.request("POST", f"/assets/{asset_id}/versions", body=body)
    key = created.json()["upload"]["fields"]["key"]
    api.aws.s3.put_object(Bucket=MEDIA_BUCKET, Key=key, Body=data, ContentType="image/png")
    api.notify(key, len(data), message_id="m-v2")
    assert wait_for_version(api, asset_id, 2)["file_status"] == "ready"
    feed.drain()

    assert _found(api, q="coffee", mode="keyword") == [asset_id]
    assert _found(api, q="garage", mode="keyword") == []

    api.request("POST", f"/assets/{asset_id}/versions/2/promote")
    feed.drain()

    assert _found(api, q="garage", mode="keyword") == [asset_id]
    assert _found(api, q="coffee", mode="keyword") == []
