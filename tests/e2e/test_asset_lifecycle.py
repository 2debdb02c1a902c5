"""A newcomer's walk over real HTTP on the local stack: token → upload a real photo → it becomes ready
by itself → find it → look at its thumbnail → download it → rename → delete → gone."""

from __future__ import annotations

import io
import time
from typing import Any

import requests
from PIL import Image

from tests.unit.imaging import corpus


def _wait_until_processed(api: str, asset_id: str, headers: dict[str, str], timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        asset = requests.get(f"{api}/assets/{asset_id}", headers=headers, timeout=10).json()
        if asset["status"] in ("ready", "failed", "rejected") or time.monotonic() > deadline:
            return asset
        time.sleep(0.1)


def test_an_uploaded_photo_becomes_ready_findable_downloadable_and_deletable(local_stack: Any) -> None:
    api = local_stack.api_url
    headers = {"Authorization": f"Bearer {local_stack.token('maya', 'ws-e2e', 'power_user')}"}
    photo = corpus.jpeg_photo(2400, 1600, camera=True)

    # Start the upload and send the bytes exactly as a browser would, to the presigned POST.
    created = requests.post(
        f"{api}/uploads",
        json={
            "filename": "IMG_2847.jpg",
            "content_type": "image/jpeg",
            "size": len(photo),
            "asset_type": "product",
            "name": "Hero shot",
        },
        headers=headers,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    asset_id = created.json()["asset"]["asset_id"]
    upload = created.json()["upload"]
    sent = requests.post(
        upload["url"], data=upload["fields"], files={"file": ("IMG_2847.jpg", photo, "image/jpeg")}, timeout=30
    )
    assert sent.status_code in (200, 204), sent.text

    asset = _wait_until_processed(api, asset_id, headers)
    assert asset["status"] == "ready", asset["status_reason"]
    assert asset["progress"] == "complete"
    assert asset["metadata"]["width"] == 2400 and asset["metadata"]["height"] == 1600
    assert asset["placeholder"] and asset["analysis"]["colors"]

    # The thumbnail link serves an image of the promised size.
    thumbnail = asset["renditions"]["thumbnail"]
    image = Image.open(io.BytesIO(requests.get(thumbnail["url"], timeout=10).content))
    assert image.size == (thumbnail["width"], thumbnail["height"]) == (320, 213)

    listed = requests.get(f"{api}/assets", params={"media_type": "image"}, headers=headers, timeout=10).json()
    assert [item["asset_id"] for item in listed["items"]] == [asset_id]
    assert listed["items"][0]["thumbnail"]["url"]

    download = requests.get(f"{api}/assets/{asset_id}/download", headers=headers, allow_redirects=False, timeout=10)
    assert download.status_code == 302
    original = requests.get(download.headers["location"], timeout=10)
    assert original.content == photo
    assert 'filename="Hero shot.jpg"' in original.headers["content-disposition"]

    renamed = requests.patch(
        f"{api}/assets/{asset_id}", json={"name": "Hero shot, final", "tags": ["hero"]}, headers=headers, timeout=10
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Hero shot, final"

    other_workspace = {"Authorization": f"Bearer {local_stack.token('eve', 'ws-other', 'admin')}"}
    assert requests.get(f"{api}/assets/{asset_id}", headers=other_workspace, timeout=10).status_code == 404

    permanently = {"permanent": "true"}
    deleted = requests.delete(f"{api}/assets/{asset_id}", params=permanently, headers=headers, timeout=10)
    assert deleted.status_code == 204
    assert requests.get(f"{api}/assets/{asset_id}", headers=headers, timeout=10).status_code == 404
    assert requests.get(thumbnail["url"], timeout=10).status_code in (403, 404)  # S3 hides missing keys
    s3 = local_stack.client("s3")
    bucket = upload["url"].rstrip("/").rsplit("/", 1)[-1]
    assert s3.list_objects_v2(Bucket=bucket, Prefix=f"assets/ws-e2e/{asset_id}/").get("KeyCount", 0) == 0
