"""Peak memory of the extracting function for a bulk import, the whole path as the ingest Lambda runs it:
ranged GETs over S3 (moto's server, in its own process), the walk, 50 photos converted and written as
children (records in DynamoDB, originals in S3), every other entry read and skipped. Goal: flat, independent
of the archive's size.

Each archive size is extracted in a fresh process, so its peak RSS is its own. Run:
python -m bench.import_memory_s3 [MB ...]   (default: 200 1024)
"""

from __future__ import annotations

import io
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILLER = 4 * 1024 * 1024  # entries of noise that are not images: read whole, then skipped
PHOTOS = 50


def _photo(index: int) -> bytes:
    from PIL import Image

    noise = Image.effect_noise((2400, 1600), 30 + index % 40)
    out = io.BytesIO()
    Image.merge("RGB", (noise, noise.rotate(180), noise.transpose(Image.Transpose.FLIP_TOP_BOTTOM))).save(
        out, "JPEG", quality=85
    )
    return out.getvalue()


def _build(path: str, megabytes: int) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for index in range(PHOTOS):
            archive.writestr(f"shoot/IMG_{index:04d}.jpg", _photo(index))
        index = 0
        while os.path.getsize(path) < megabytes * 1024 * 1024:
            archive.writestr(f"raw/scan-{index:05d}.bin", os.urandom(FILLER))
            index += 1


def _environment(endpoint: str) -> dict[str, str]:
    from dam_local.resources import Names, table_env_var

    names = Names()
    env = {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "DAM_ENDPOINT_URL": endpoint,
        "DAM_MEDIA_BUCKET": names.media_bucket,
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    return env | {table_env_var(logical): names.table(logical) for logical in ("Assets", "Library")}


def _extract(import_id: str, key: str, size: int) -> None:
    from dam.services.ingest import ObjectCreated
    from functions.ingest.handler import import_service

    started = time.perf_counter()
    service = import_service()
    service.archive_landed(ObjectCreated(bucket=os.environ["DAM_MEDIA_BUCKET"], key=key, size=size))
    bulk = service._imports.get("ws-bench", import_id)
    assert bulk is not None
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    counts = {o: sum(1 for item in bulk.items if item.outcome.value == o) for o in ("queued", "skipped", "over_limit")}
    print(
        f"{size / 1024**2:7.0f} MB archive, {bulk.total} entries: {counts}, status {bulk.status.value}, "
        f"peak RSS {peak_mb:6.1f} MB, {time.perf_counter() - started:5.1f} s"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(megabytes: int) -> None:
    import boto3

    from dam.domain.identity import Caller, Role
    from dam_local.resources import Names, create_tables

    port = _free_port()
    moto = subprocess.Popen(
        [sys.executable, "-c", f"from moto.server import main; main(['-p', '{port}'])"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        endpoint = f"http://127.0.0.1:{port}"
        env = _environment(endpoint)
        os.environ.update(env)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        create_tables(boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1"), Names())
        s3.create_bucket(Bucket=env["DAM_MEDIA_BUCKET"])
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "archive.zip")
            _build(path, megabytes)
            size = os.path.getsize(path)
            from dam.services.imports import NewImport
            from functions.ingest.handler import import_service

            caller = Caller(user_id="bench", workspace_id="ws-bench", role=Role.EDITOR)
            bulk, _post = import_service().start(caller, NewImport(filename="shoot.zip", size=size))
            s3.upload_file(path, env["DAM_MEDIA_BUCKET"], bulk.archive_key)
        subprocess.run(
            [sys.executable, "-m", "bench.import_memory_s3", "--extract", bulk.import_id, bulk.archive_key, str(size)],
            check=True,
            cwd=ROOT,
            env=os.environ | env,
        )
    finally:
        moto.terminate()
        moto.wait()


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--extract":
        _extract(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    if len(sys.argv) == 3 and sys.argv[1] == "--size":
        _run(int(sys.argv[2]))
        return
    for megabytes in [int(arg) for arg in sys.argv[1:]] or [200, 1024]:
        # A process per size: the services are built once per process, bound to that run's moto server.
        subprocess.run([sys.executable, "-m", "bench.import_memory_s3", "--size", str(megabytes)], check=True, cwd=ROOT)


if __name__ == "__main__":
    main()
