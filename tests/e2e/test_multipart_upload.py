"""Over real HTTP on the local stack: a 120 MB file goes up in parts and reaches ready; an abort leaves nothing."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import requests

from tests.unit.imaging import corpus

SIZE = 120 * 1024**2


def _start(api: str, headers: dict[str, str], data: bytes) -> dict[str, Any]:
    body = {
        "filename": "big.jpg",
        "content_type": "image/jpeg",
        "size": len(data),
        "asset_type": "image",
        "checksum_sha256": hashlib.sha256(data).hexdigest(),
    }
    created = requests.post(f"{api}/uploads", json=body, headers=headers, timeout=30)
    assert created.status_code == 201, created.text
    return dict(created.json())


def _put_parts(
    api: str, headers: dict[str, str], asset_id: str, plan: dict[str, Any], data: bytes, upto: int
) -> list[dict[str, Any]]:
    urls = {p["part_number"]: p["url"] for p in plan["parts"]}
    size, parts = plan["part_size"], []
    for number in range(1, upto + 1):
        if number not in urls:
            more = requests.post(
                f"{api}/uploads/{asset_id}/parts", json={"part_numbers": [number]}, headers=headers, timeout=10
            )
            urls[number] = more.json()["parts"][0]["url"]
        answer = requests.put(urls[number], data=data[(number - 1) * size : number * size], timeout=60)
        assert answer.status_code == 200, answer.text
        parts.append({"part_number": number, "etag": answer.headers["ETag"]})
    return parts


def test_a_120_mb_file_goes_up_in_parts_and_reaches_ready(local_stack: Any) -> None:
    import time

    api = local_stack.api_url
    headers = {"Authorization": f"Bearer {local_stack.token('maya', 'ws-big', 'editor')}"}
    photo = corpus.jpeg_photo(1600, 1200)
    data = photo + os.urandom(SIZE - len(photo))  # decoders stop at the JPEG's end-of-image marker
    created = _start(api, headers, data)
    plan, asset_id = created["multipart"], created["asset"]["asset_id"]
    assert created["upload"] is None and plan["part_count"] * plan["part_size"] >= SIZE
    forged = requests.put(plan["parts"][0]["url"].replace("partNumber=1", "partNumber=2"), data=b"x", timeout=10)
    assert forged.status_code == 403 and "SignatureDoesNotMatch" in forged.text

    parts = _put_parts(api, headers, asset_id, plan, data, plan["part_count"])
    done = requests.post(f"{api}/uploads/{asset_id}/complete", json={"parts": parts}, headers=headers, timeout=60)
    assert done.status_code == 200, done.text

    deadline = time.monotonic() + 180
    while (asset := requests.get(f"{api}/assets/{asset_id}", headers=headers, timeout=10).json())["status"] not in (
        "ready", "failed", "rejected"
    ) and time.monotonic() < deadline:  # fmt: skip
        time.sleep(0.5)
    assert asset["status"] == "ready", asset["status_reason"]
    assert asset["size"] == SIZE and asset["checksum_sha256"] == hashlib.sha256(data).hexdigest()


def test_an_aborted_multipart_upload_leaves_nothing_behind(local_stack: Any) -> None:
    api = local_stack.api_url
    headers = {"Authorization": f"Bearer {local_stack.token('maya', 'ws-abort', 'editor')}"}
    data = os.urandom(SIZE)
    created = _start(api, headers, data)
    asset_id = created["asset"]["asset_id"]
    _put_parts(api, headers, asset_id, created["multipart"], data, 2)

    aborted = requests.delete(f"{api}/uploads/{asset_id}", headers=headers, timeout=30)

    assert aborted.status_code == 204, aborted.text
    assert requests.get(f"{api}/assets/{asset_id}", headers=headers, timeout=10).status_code == 404
    assert requests.get(f"{api}/assets", headers=headers, timeout=10).json()["items"] == []
    again = requests.put(created["multipart"]["parts"][0]["url"], data=b"x", timeout=10)
    # S3 answers 404 NoSuchUpload; moto's server fails the same request with a 500: either way no part is taken.
    assert again.status_code in (404, 500)
