"""What keeping the local library on disk costs: one snapshot round (moto's tables and bucket → the data
dir) and one restore, for a library of N assets with 384-d embeddings and a few files each (moto in-process).

Goal: an unchanged round well under the 1 s snapshot interval; a restart restores in seconds. Prints.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.update({"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"})

ASSETS = int(os.environ.get("BENCH_ASSETS", "1000"))
FILES_PER_ASSET = 3  # original, thumbnail, preview
FILE_BYTES = 40_000


def main() -> None:
    import boto3
    from moto import mock_aws

    from dam_local.persistence import SavedState, Snapshotter, restore_items, restore_objects
    from dam_local.resources import ACCOUNT_ID, DEFAULT_REGION, Names, create_tables

    names = Names(prefix="bench")
    with mock_aws(), tempfile.TemporaryDirectory() as data_dir:
        dynamodb, s3 = boto3.client("dynamodb"), boto3.client("s3")
        tables = create_tables(dynamodb, names)
        assets_table = tables["Assets"]
        bucket = names.media_bucket
        s3.create_bucket(Bucket=bucket)
        for n in range(ASSETS):
            asset_id = f"{n:032x}"
            dynamodb.put_item(
                TableName=assets_table,
                Item={
                    "asset_id": {"S": asset_id},
                    "workspace_id": {"S": "ws-bench"},
                    "status": {"S": "ready"},
                    "name": {"S": f"asset {n}"},
                    "embedding": {"B": secrets.token_bytes(384 * 4)},
                },
            )
            for name in ("original", "renditions/thumbnail.webp", "renditions/preview.webp")[:FILES_PER_ASSET]:
                s3.put_object(Bucket=bucket, Key=f"assets/ws-bench/{asset_id}/{name}", Body=b"x" * FILE_BYTES)
        snapshotter = Snapshotter(Path(data_dir), ACCOUNT_ID, DEFAULT_REGION, tables.values(), bucket)
        (Path(data_dir) / "state" / "objects").mkdir(parents=True)
        rounds = {}
        started = time.perf_counter()
        snapshotter.snapshot()
        rounds["first snapshot (writes everything)"] = time.perf_counter() - started
        started = time.perf_counter()
        snapshotter.snapshot()
        rounds["unchanged round"] = time.perf_counter() - started
        dynamodb.put_item(TableName=assets_table, Item={"asset_id": {"S": "new"}, "status": {"S": "ready"}})
        started = time.perf_counter()
        snapshotter.snapshot()
        rounds["round after one change"] = time.perf_counter() - started
        saved = SavedState(Path(data_dir))
        tables_size = (Path(data_dir) / "state" / "tables.json").stat().st_size

    with mock_aws():
        dynamodb, s3 = boto3.client("dynamodb"), boto3.client("s3")
        tables = create_tables(dynamodb, names)
        s3.create_bucket(Bucket=bucket)
        started = time.perf_counter()
        restore_objects(s3, bucket, saved.objects_to_restore(tables["Assets"]))
        restore_items(ACCOUNT_ID, DEFAULT_REGION, tables.values(), saved)
        rounds["restore (objects + items)"] = time.perf_counter() - started

    print(
        f"{ASSETS} assets, {ASSETS * FILES_PER_ASSET} objects of {FILE_BYTES // 1000} kB, "
        f"tables.json {tables_size / 1e6:.1f} MB"
    )
    for label, seconds in rounds.items():
        print(f"  {label:<38} {seconds * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
