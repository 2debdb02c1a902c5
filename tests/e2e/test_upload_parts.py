"""`dam upload` of a file large enough to go up in parts, killed after its first part: the same command again
sends only the parts storage does not hold yet, completes the upload and ends with one ready asset whose
SHA-256 is the file's."""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from dam_local.stack import LocalStackProcess
from dam_local.upload_http import CRASH_AFTER_PARTS_ENV
from tests.e2e.test_upload_command import _dam_upload, _rows

MIB = 1024 * 1024
PART_BYTES = 5 * MIB  # S3's smallest part, and the smallest threshold the settings accept


@pytest.fixture(scope="module")
def parts_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    """A stack whose uploads over 5 MiB go up in 5 MiB parts (the default threshold is 100 MiB)."""
    saved = {name: os.environ.get(name) for name in ("DAM_MULTIPART_THRESHOLD_BYTES", "DAM_MULTIPART_PART_BYTES")}
    os.environ.update({name: str(PART_BYTES) for name in saved})
    try:
        with LocalStackProcess(tmp_path_factory.mktemp("dam-parts")) as stack:
            yield stack
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _field_notes(path: Path) -> bytes:
    """12 MiB of text (three parts): lines of words, as a long log or transcript is."""
    rng = random.Random(7)
    words = ["harbour", "dawn", "crane", "boat", "tide", "gull", "rope", "mist", "pier", "lamp"]
    lines, size = [], 0
    while size < 12 * MIB:
        line = " ".join(rng.choice(words) for _ in range(12)) + f" {rng.random():.12f}\n"
        lines.append(line)
        size += len(line)
    data = "".join(lines).encode()
    path.write_bytes(data)
    return data


def test_a_large_file_killed_after_one_part_is_finished_without_sending_that_part_again(
    parts_stack: LocalStackProcess, tmp_path: Path
) -> None:
    data = _field_notes(tmp_path / "field-notes.txt")
    parts = -(-len(data) // PART_BYTES)
    assert parts == 3
    workspace = "ws-upload-parts"
    target = ["--data-dir", str(parts_stack.data_dir), "--workspace", workspace]

    killed = _dam_upload(str(tmp_path / "field-notes.txt"), *target, env={CRASH_AFTER_PARTS_ENV: "1"}, cwd=tmp_path)
    assert killed.returncode == 137, killed.stdout + killed.stderr

    # Were the first part sent again, this run would die at its third PUT.
    resumed = _dam_upload(
        str(tmp_path / "field-notes.txt"), *target, env={CRASH_AFTER_PARTS_ENV: str(parts)}, cwd=tmp_path
    )
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"field-notes.txt: resuming (1 of {parts} parts there)" in resumed.stderr + resumed.stdout
    (row,) = _rows(resumed.stdout).values()
    assert row[0] == "ready", row

    token = parts_stack.token("cli", workspace, "editor")
    found: list[dict[str, Any]] = requests.get(
        f"{parts_stack.api_url}/assets",
        params={"checksum": hashlib.sha256(data).hexdigest()},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()["items"]
    assert [a["asset_id"] for a in found] == [row[1]]
    asset = requests.get(
        f"{parts_stack.api_url}/assets/{row[1]}", headers={"Authorization": f"Bearer {token}"}, timeout=30
    ).json()
    assert (asset["status"], asset["size"]) == ("ready", len(data))
