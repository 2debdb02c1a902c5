"""Over real HTTP on the local stack: a presigned POST can't be bent, and a reused one can't swap an original.

The local stack checks the POST policy in front of moto's S3 the way S3 does (signature, expiry, key,
content type, content-length range) and answers S3's error XML; bytes posted again with the same form after
the checks are removed, so the download still serves the checked bytes.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

import requests

from tests.unit.imaging import corpus


def _start(api: str, headers: dict[str, str], data: bytes, filename: str = "a.jpg") -> dict[str, Any]:
    body = {"filename": filename, "content_type": "image/jpeg", "size": len(data), "asset_type": "image"}
    created = requests.post(f"{api}/uploads", json=body, headers=headers, timeout=10)
    assert created.status_code == 201, created.text
    return dict(created.json())


def _post(upload: dict[str, Any], data: bytes, content_type: str = "image/jpeg", **fields: str) -> requests.Response:
    form = {**upload["fields"], **fields}
    return requests.post(upload["url"], data=form, files={"file": ("f", data, content_type)}, timeout=30)


def _wait(api: str, asset_id: str, headers: dict[str, str], timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        asset = requests.get(f"{api}/assets/{asset_id}", headers=headers, timeout=10).json()
        if asset["status"] in ("ready", "failed", "rejected") or time.monotonic() > deadline:
            return dict(asset)
        time.sleep(0.1)


def test_a_form_bent_to_another_key_size_or_type_is_refused_like_s3_does(local_stack: Any) -> None:
    api = local_stack.api_url
    ours = {"Authorization": f"Bearer {local_stack.token('maya', 'ws-ours', 'editor')}"}
    theirs = {"Authorization": f"Bearer {local_stack.token('rita', 'ws-theirs', 'editor')}"}
    photo = corpus.jpeg_photo(320, 240)
    victim = _start(api, theirs, photo)
    assert _post(victim["upload"], photo).status_code in (200, 204)
    attack = _start(api, ours, photo)

    other_key = _post(attack["upload"], photo, key=victim["upload"]["fields"]["key"])
    assert other_key.status_code == 403 and "<Code>AccessDenied</Code>" in other_key.text
    too_big = _post(attack["upload"], photo + b"\0" * 1000)
    assert too_big.status_code == 400 and "<Code>EntityTooLarge</Code>" in too_big.text
    html = _post(attack["upload"], photo, content_type="text/html", **{"Content-Type": "text/html"})
    assert html.status_code == 403 and "<Code>AccessDenied</Code>" in html.text
    forged = _post(attack["upload"], photo, **{"x-amz-signature": "0" * 64})
    assert forged.status_code == 403 and "SignatureDoesNotMatch" in forged.text

    done = _wait(api, victim["asset"]["asset_id"], theirs)
    assert done["status"] == "ready" and done["checksum_sha256"] == hashlib.sha256(photo).hexdigest()


def test_a_reused_form_cannot_swap_the_checked_original(local_stack: Any) -> None:
    api = local_stack.api_url
    headers = {"Authorization": f"Bearer {local_stack.token('maya', 'ws-swap', 'editor')}"}
    first = corpus.jpeg_photo(640, 480)
    started = _start(api, headers, first)
    asset_id = started["asset"]["asset_id"]
    assert _post(started["upload"], first).status_code in (200, 204)
    assert _wait(api, asset_id, headers)["status"] == "ready"

    # The same form again with other bytes of the very same size and type: S3 itself would accept this.
    other = bytearray(first)
    other[-3] ^= 0xFF
    assert _post(started["upload"], bytes(other)).status_code in (200, 204)
    deadline = time.monotonic() + 30
    asset = requests.get(f"{api}/assets/{asset_id}", headers=headers, timeout=10).json()
    while asset["discarded_uploads"] == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
        asset = requests.get(f"{api}/assets/{asset_id}", headers=headers, timeout=10).json()

    assert asset["status"] == "ready" and asset["discarded_uploads"] == 1
    download = requests.get(f"{api}/assets/{asset_id}/download", headers=headers, timeout=10, allow_redirects=False)
    served = requests.get(download.headers["location"], timeout=10).content
    assert served == first and hashlib.sha256(served).hexdigest() == asset["checksum_sha256"]
