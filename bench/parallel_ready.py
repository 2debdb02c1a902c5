"""Many uploads at once on the local stack: 20 distinct camera-like photos (12 MP JPEGs with EXIF) posted
together through the presigned POST, until every one is `ready` (goal: all within 10 s on 2 cores).

Starts `dam local` in a child process, uploads one warm-up photo first (the model loads, as after any
restart), then the 20 together; prints when the first and the last were ready, the machine load, and per
pipeline function how long invocations waited for an execution environment and ran (from the stack's log).
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PHOTOS = int(os.environ.get("PHOTOS", "20"))
WIDTH, HEIGHT = 4000, 3000  # 12 MP


def _photo(index: int) -> bytes:
    from PIL import ImageDraw

    from tests.unit.imaging.corpus import _exif, _save, photo_image

    image = photo_image(WIDTH, HEIGHT)
    draw = ImageDraw.Draw(image)  # distinct content per photo (no two uploads share a checksum)
    draw.rectangle((index * 150, 0, index * 150 + 120, HEIGHT // 3), fill=(index * 12 % 256, 200, 40))
    return _save(image, "JPEG", quality=90, exif=_exif(None, camera=True).tobytes())


def _upload(api: str, headers: dict[str, str], name: str, photo: bytes) -> str:
    created = requests.post(
        f"{api}/uploads",
        json={"filename": name, "content_type": "image/jpeg", "size": len(photo), "asset_type": "image"},
        headers=headers,
        timeout=30,
    ).json()
    upload = created["upload"]
    requests.post(upload["url"], data=upload["fields"], files={"file": (name, photo)}, timeout=120)
    return str(created["asset"]["asset_id"])


def _wait(api: str, headers: dict[str, str], asset_ids: list[str], started: float) -> dict[str, float]:
    done: dict[str, float] = {}
    while len(done) < len(asset_ids) and time.perf_counter() - started < 300:
        for asset_id in asset_ids:
            if asset_id in done:
                continue
            asset = requests.get(f"{api}/assets/{asset_id}", headers=headers, timeout=30).json()
            if asset["status"] in ("ready", "failed", "rejected"):
                done[asset_id] = time.perf_counter() - started
                if asset["status"] != "ready":
                    print(f"{asset_id}: {asset['status']} {asset.get('status_reason')}")
        time.sleep(0.25)  # polling costs the stack CPU too
    return done


def _tree(root: int) -> dict[int, tuple[float, float]]:
    """The process and its children (Linux /proc): pid → (resident MB, CPU seconds so far)."""
    stats: dict[int, list[str]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            stats[int(stat.parent.name)] = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
    tick = os.sysconf("SC_CLK_TCK")
    page_mb = os.sysconf("SC_PAGE_SIZE") / 1e6
    return {
        pid: (int(fields[21]) * page_mb, (int(fields[11]) + int(fields[12])) / tick)
        for pid, fields in stats.items()
        if pid == root or int(fields[1]) == root
    }


def main() -> None:
    from dam_local.lambdas import TIMING_PATTERN
    from dam_local.stack import LocalStackProcess

    timing = re.compile(TIMING_PATTERN)

    photos = [_photo(index) for index in range(PHOTOS + 1)]
    with tempfile.TemporaryDirectory() as data_dir, LocalStackProcess(data_dir) as stack:
        api = stack.api_url
        headers = {"Authorization": f"Bearer {stack.token('bench', 'ws-bench', 'editor')}"}
        started = time.perf_counter()
        warm = _upload(api, headers, "warm-up.jpg", photos[0])
        warm_seconds = _wait(api, headers, [warm], started)[warm]
        idle_workers = len(_tree(stack.pid)) - 1
        print(f"warm-up photo (first upload after the start): {warm_seconds:.2f} s ({idle_workers} workers)")
        skip = len(timing.findall(stack.log()))
        load = os.getloadavg()
        started = time.perf_counter()
        with ThreadPoolExecutor(PHOTOS) as pool:
            numbers = range(1, PHOTOS + 1)
            asset_ids = list(pool.map(lambda i: _upload(api, headers, f"IMG_{i:04d}.jpg", photos[i]), numbers))
        posted = time.perf_counter() - started
        ready = _wait(api, headers, asset_ids, started)
        times = sorted(ready.values())
        size = statistics.mean(map(len, photos)) / 1e6
        print(f"{PHOTOS} photos of {WIDTH} x {HEIGHT} ({size:.1f} MB each), posted in {posted:.1f} s")
        print(f"first ready after {times[0]:.2f} s, all {len(times)} after {times[-1]:.2f} s (goal: 10 s)")
        print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
        tree = _tree(stack.pid)
        workers = [value for pid, value in tree.items() if pid != stack.pid]
        print(
            f"resident memory: stack {tree[stack.pid][0]:.0f} MB + {len(workers)} worker processes"
            f" {sum(rss for rss, _ in workers):.0f} MB; CPU since the start: stack {tree[stack.pid][1]:.1f} s,"
            f" workers {sum(cpu for _, cpu in workers):.1f} s"
        )
        time.sleep(1)
        log_timings = timing.findall(stack.log())[skip:]
        per_function: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for function, _, waited, ran, _ in log_timings:
            per_function[function].append((float(waited), float(ran)))
        for function, values in sorted(per_function.items()):
            waits, runs = [w for w, _ in values], [r for _, r in values]
            print(
                f"  {function:24} {len(values):3} calls"
                f"  wait median {statistics.median(waits):5.2f} max {max(waits):5.2f} s"
                f"  run median {statistics.median(runs):5.2f} max {max(runs):5.2f} s  (sum {sum(runs):6.1f} s)"
            )


if __name__ == "__main__":
    main()
