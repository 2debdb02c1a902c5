"""Peak memory of a bulk import's archive walk, at two archive sizes: it should stay flat.

Each size runs in its own process (peak RSS is per process). The archive holds 4 MB entries that barely
compress, read through a plain seekable file here (the import reads through the ranged S3 reader, which
holds one 1 MB block). Run: python -m bench.import_memory [MB ...]
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile

ENTRY = 4 * 1024 * 1024


def _build(path: str, megabytes: int) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for index in range(megabytes * 1024 * 1024 // ENTRY):
            zf.writestr(f"scan-{index:04d}.bin", os.urandom(ENTRY))


def _walk(path: str) -> None:
    from dam.imaging.zip_import import WalkLimits, walk

    started = time.perf_counter()
    size = os.path.getsize(path)
    with open(path, "rb") as archive:
        listing = walk(archive, size, WalkLimits(max_total_bytes=4 * 1024**3))
        read = sum(len(entry.data or b"") for entry in listing.entries)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{size / 1024**2:7.0f} MB archive: {read / 1024**2:7.0f} MB read, peak RSS {peak_mb:6.1f} MB, "
        f"{time.perf_counter() - started:5.1f} s"
    )


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--walk":
        _walk(sys.argv[2])
        return
    for megabytes in [int(arg) for arg in sys.argv[1:]] or [100, 400]:
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "archive.zip")
            _build(path, megabytes)
            subprocess.run([sys.executable, "-m", "bench.import_memory", "--walk", path], check=True)


if __name__ == "__main__":
    main()
