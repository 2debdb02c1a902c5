"""The local stack's data on disk, so a library survives a restart (moto keeps everything in memory).

A snapshot thread reads moto's backends in this process (never the HTTP traffic, whatever sits in front
of moto) about once a second and writes what changed: every table's items as DynamoDB JSON in one file
(replaced atomically) and every object of the media bucket as one file each, with a manifest. At start the
objects are put back before the bucket's upload notification exists (so nothing is processed twice) and
the items before the stream poller starts (so the search index is rebuilt from the table). A hard kill
loses at most the last second; the table is read before the objects in every round, so every object the
saved table names was saved too, and objects whose asset is not in the table are not restored.

Layout under `<data dir>/state/`: `tables.json` ({table name: [item, ...]}), `objects.json`
({key: {file, etag, version_id, content_type, metadata}}) and `objects/<sha-256 of the key>`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import shutil
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger("dam_local.persistence")

STATE_DIR = "state"
TABLES_FILE = "tables.json"
OBJECTS_FILE = "objects.json"
OBJECTS_DIR = "objects"
SNAPSHOT_SECONDS = 1.0
USER_METADATA = "x-amz-meta-"
ASSET_KEY_PREFIX = "assets/"  # assets/<workspace>/<asset id>/...


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)


def _asset_id_of_key(key: str) -> str | None:
    parts = key.split("/")
    return parts[2] if key.startswith(ASSET_KEY_PREFIX) and len(parts) > 3 else None


@dataclass(frozen=True)
class SavedObject:
    key: str
    file: Path
    content_type: str | None
    metadata: dict[str, str]
    version_id: str | None = None  # the bucket is versioned: records and links name this version


class SavedState:
    """What a previous run left in the data dir."""

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / STATE_DIR
        self.tables: dict[str, list[dict[str, Any]]] = {}
        self.objects: dict[str, dict[str, Any]] = {}
        if (self.root / TABLES_FILE).exists():
            self.tables = json.loads((self.root / TABLES_FILE).read_text())
        if (self.root / OBJECTS_FILE).exists():
            self.objects = json.loads((self.root / OBJECTS_FILE).read_text())

    @property
    def empty(self) -> bool:
        return not self.tables and not self.objects

    def items(self, table_name: str) -> list[dict[str, Any]]:
        return self.tables.get(table_name, [])

    def objects_to_restore(self, assets_table: str) -> Iterable[SavedObject]:
        """Objects whose asset the saved table still holds (others are leftovers of the last seconds)."""
        known = {item.get("asset_id", {}).get("S") for item in self.items(assets_table)}
        for key, entry in self.objects.items():
            asset_id = _asset_id_of_key(key)
            path = self.root / OBJECTS_DIR / entry["file"]
            if (asset_id is None or asset_id in known) and path.exists():
                yield SavedObject(
                    key, path, entry.get("content_type"), entry.get("metadata") or {}, entry.get("version_id")
                )


def remove_search_index(data_dir: Path, search_file: str) -> None:
    """The embedded index with its SQLite side files (a WAL left beside a new file would corrupt it)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        (data_dir / f"{search_file}{suffix}").unlink(missing_ok=True)


def reset(data_dir: Path, search_file: str) -> None:
    """`dam local --reset`: forget the library (the signing key stays, so tokens keep working)."""
    shutil.rmtree(data_dir / STATE_DIR, ignore_errors=True)
    remove_search_index(data_dir, search_file)
    (data_dir / "demo-seeded").unlink(missing_ok=True)


def restore_items(account_id: str, region: str, table_names: Iterable[str], state: SavedState) -> int:
    """Put the saved items back through moto's backend (streams record them, so the indexer sees each)."""
    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends[account_id][region]
    restored = 0
    for table_name in table_names:
        for item in state.items(table_name):
            backend.put_item(table_name, item)
            restored += 1
    return restored


def restore_objects(s3: Any, account_id: str, bucket: str, objects: Iterable[SavedObject]) -> int:
    """Put the objects back under the version ids they had: the pipeline pins every read and link to the
    version it checked, so a restored object with a new id would be a swapped original to it."""
    from moto.s3.models import s3_backends

    restored = 0
    for saved in objects:
        extra: dict[str, Any] = {"Metadata": saved.metadata}
        if saved.content_type:
            extra["ContentType"] = saved.content_type
        s3.put_object(Bucket=bucket, Key=saved.key, Body=saved.file.read_bytes(), **extra)
        if saved.version_id and saved.version_id != "null":
            (fake_key,) = s3_backends[account_id]["global"].buckets[bucket].keys.getlist(saved.key)
            fake_key._version_id = saved.version_id
        restored += 1
    return restored


class Snapshotter:
    """Writes moto's tables and the media bucket to the data dir as they change."""

    def __init__(self, data_dir: Path, account_id: str, region: str, tables: Iterable[str], bucket: str) -> None:
        self.root = data_dir / STATE_DIR
        self._account_id = account_id
        self._region = region
        self._tables = list(tables)
        self._bucket = bucket
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="snapshotter", daemon=True)
        self._written_tables: bytes | None = None
        self._written_objects: dict[str, dict[str, Any]] = {}

    def start(self) -> None:
        (self.root / OBJECTS_DIR).mkdir(parents=True, exist_ok=True)
        if (self.root / OBJECTS_FILE).exists():
            self._written_objects = json.loads((self.root / OBJECTS_FILE).read_text())
        self._thread.start()

    def stop(self) -> None:
        """The last snapshot, while moto is still up (a clean stop loses nothing)."""
        self._stop.set()
        self._thread.join(timeout=10)
        self.snapshot()

    def _run(self) -> None:
        while not self._stop.wait(SNAPSHOT_SECONDS):
            try:
                self.snapshot()
            except Exception:
                logger.exception("saving the local data failed; trying again in a second")

    def snapshot(self) -> None:
        """Table first, then objects: every object the saved items name was saved too. On disk: new objects
        and their manifest entries, then the items, then removals, so a kill at any point leaves a saved
        table whose objects are all there."""
        with self._lock:
            tables = self._read_tables()
            objects = self._read_objects()
            self._save_new_objects(objects)
            encoded = json.dumps(tables, separators=(",", ":"), default=_wire_json).encode()
            if encoded != self._written_tables:
                _write_atomically(self.root / TABLES_FILE, encoded)
                self._written_tables = encoded
            self._forget_removed_objects(objects)

    def _read_tables(self) -> dict[str, list[dict[str, Any]]]:
        from moto.dynamodb.models import dynamodb_backends

        from dam_local.atomic import dynamodb_lock

        backend = dynamodb_backends[self._account_id][self._region]
        tables = {}
        # Under moto's request lock: a transaction's items are saved all or none, as DynamoDB applies them.
        with dynamodb_lock():
            for name in self._tables:
                tables[name] = [item.to_json()["Attributes"] for item in backend.tables[name].all_items()]
        return tables

    def _read_objects(self) -> dict[str, Any]:
        from moto.s3.models import s3_backends

        bucket = s3_backends[self._account_id]["global"].buckets[self._bucket]
        return _retry_while_changing(lambda: dict(bucket.keys.items()))

    def _save_new_objects(self, objects: dict[str, Any]) -> None:
        written = dict(self._written_objects)
        for key, fake_key in objects.items():
            known = written.get(key, {})
            if (known.get("etag"), known.get("version_id")) == (fake_key.etag, fake_key.version_id):
                continue
            file = hashlib.sha256(key.encode()).hexdigest()
            _write_atomically(self.root / OBJECTS_DIR / file, fake_key.value)
            headers = {name.lower(): str(value) for name, value in (fake_key.metadata or {}).items()}
            written[key] = {
                "file": file,
                "etag": fake_key.etag,
                "version_id": fake_key.version_id,
                "content_type": headers.get("content-type"),
                "metadata": {
                    name.removeprefix(USER_METADATA): value
                    for name, value in headers.items()
                    if name.startswith(USER_METADATA)
                },
            }
        self._write_manifest(written)

    def _forget_removed_objects(self, objects: dict[str, Any]) -> None:
        written = {key: entry for key, entry in self._written_objects.items() if key in objects}
        removed = [entry["file"] for key, entry in self._written_objects.items() if key not in objects]
        self._write_manifest(written)
        for file in removed:
            (self.root / OBJECTS_DIR / file).unlink(missing_ok=True)

    def _write_manifest(self, written: dict[str, dict[str, Any]]) -> None:
        if written != self._written_objects:
            _write_atomically(self.root / OBJECTS_FILE, json.dumps(written).encode())
            self._written_objects = written


def _wire_json(value: object) -> str:
    """Binary attributes as DynamoDB's wire format writes them (base64), which put_item takes back."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _retry_while_changing(read: Any, attempts: int = 20) -> Any:
    """moto's dicts change under a concurrent request; reading again a moment later succeeds."""
    for _ in range(attempts - 1):
        try:
            return read()
        except RuntimeError:  # dictionary changed size during iteration
            continue
    return read()
