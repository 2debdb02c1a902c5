"""Upload to `ready` on the local stack: a 12-megapixel photo through the presigned POST, the S3
notification, the state machine (register, renditions, local analysis with OCR, embedding) and finalize.

Starts `dam local` in a child process; prints seconds per run. The first run starts right after the stack
is up, while it warms its environments in the background (dam_local.warm); with `--after-warm-up` it waits
for the warm-up first, as a user reading the banner and opening the web app would.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

RUNS = 4


def main() -> None:
    from dam_local.stack import LocalStackProcess
    from dam_local.warm import WARMED
    from tests.unit.imaging.corpus import jpeg_photo

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--after-warm-up", action="store_true", help="wait for the warm-up before the first run")
    args = parser.parse_args()
    photo = jpeg_photo(4240, 2832, camera=True)  # 12 MP
    with tempfile.TemporaryDirectory() as data_dir, LocalStackProcess(data_dir) as stack:
        if args.after_warm_up:
            warmed = next(line for line in stack.wait_for_log(WARMED).splitlines() if WARMED in line)
            print(warmed.split("  ", 1)[-1].strip())
        headers = {"Authorization": f"Bearer {stack.token('bench', 'ws-bench', 'editor')}"}
        timings = []
        for run in range(RUNS):
            created = requests.post(
                f"{stack.api_url}/uploads",
                json={
                    "filename": f"photo-{run}.jpg",
                    "content_type": "image/jpeg",
                    "size": len(photo),
                    "asset_type": "image",
                },
                headers=headers,
                timeout=30,
            ).json()
            started = time.perf_counter()
            upload = created["upload"]
            requests.post(upload["url"], data=upload["fields"], files={"file": ("p.jpg", photo)}, timeout=60)
            while True:
                asset = requests.get(
                    f"{stack.api_url}/assets/{created['asset']['asset_id']}", headers=headers, timeout=30
                ).json()
                if asset["status"] in ("ready", "failed", "rejected"):
                    break
                time.sleep(0.05)
            timings.append(time.perf_counter() - started)
            print(f"run {run + 1}: {timings[-1]:.2f} s -> {asset['status']} ({len(photo) / 1e6:.1f} MB, 12 MP)")
        print(
            f"median of runs 2..{RUNS} (warm): {statistics.median(timings[1:]):.2f} s; first (cold): {timings[0]:.2f} s"
        )


if __name__ == "__main__":
    main()
