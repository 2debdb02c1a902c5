"""Bulk import on the local stack: a ZIP of 50 distinct camera-sized photos (2400 × 1600 JPEGs, ~1 MB each)
from the presigned POST to all 50 children `ready` (goal: under 60 s on 2 cores).

Starts `dam local` in a child process; prints when the extraction finished, when the first child and when the
last child were ready.
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PHOTOS = 50


def _archive() -> bytes:
    from PIL import Image, ImageFilter

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # JPEGs don't deflate
        for index in range(PHOTOS):
            noise = Image.effect_noise((2400, 1600), 40 + index).filter(ImageFilter.GaussianBlur(2))
            photo = Image.merge("RGB", (noise, noise.rotate(180), noise.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
            out = io.BytesIO()
            photo.save(out, "JPEG", quality=88)
            archive.writestr(f"shoot/IMG_{index:04d}.jpg", out.getvalue())
    return buffer.getvalue()


def main() -> None:
    from dam_local.stack import LocalStackProcess

    archive = _archive()
    with tempfile.TemporaryDirectory() as data_dir, LocalStackProcess(data_dir) as stack:
        api = stack.api_url
        headers = {"Authorization": f"Bearer {stack.token('bench', 'ws-bench', 'editor')}"}
        created = requests.post(
            f"{api}/imports", json={"filename": "shoot.zip", "size": len(archive)}, headers=headers, timeout=30
        ).json()
        upload, import_id = created["upload"], created["import"]["import_id"]
        started = time.perf_counter()
        requests.post(upload["url"], data=upload["fields"], files={"file": ("shoot.zip", archive)}, timeout=120)
        extracted = first_ready = None
        while time.perf_counter() - started < 600:
            bulk = requests.get(f"{api}/imports/{import_id}", headers=headers, timeout=30).json()
            now = time.perf_counter() - started
            if extracted is None and bulk["status"] not in ("pending_upload", "extracting"):
                extracted = now
            if first_ready is None and bulk["ready"]:
                first_ready = now
            if bulk["status"] in ("done", "failed"):
                break
            time.sleep(0.2)
        total = time.perf_counter() - started
        print(f"archive: {len(archive) / 1e6:.1f} MB, {PHOTOS} photos of 2400 x 1600")
        print(f"extracted after {extracted or total:.1f} s; first child ready after {first_ready or total:.1f} s")
        print(f"{bulk['status']}: {bulk['ready']} ready, {bulk['failed']} failed after {total:.1f} s (goal: 60 s)")


if __name__ == "__main__":
    main()
