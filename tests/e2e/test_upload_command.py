"""`dam upload` against the running local stack, as a user runs it: a folder of photos, killed half-way and run
again, ends with each file as exactly one ready asset; a ZIP goes through bulk import; a broken file fails
with its reason and a non-zero exit status."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import requests
from PIL import Image

from dam_local.upload_http import CRASH_AFTER_CREATES_ENV, CRASH_AFTER_ENV
from tests.unit.imaging import corpus

PHOTOS = 6
TIMEOUT = 600


def _photo(seed: int) -> bytes:
    """A real JPEG of a few MB: a picture under heavy grain, which JPEG cannot squeeze away."""
    image = corpus.photo_image(2400, 1600)
    grain = Image.effect_noise((2400, 1600), 90 + seed).convert("RGB")
    buffer = io.BytesIO()
    Image.blend(image, grain, 0.5).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def _shoot(root: Path) -> dict[str, bytes]:
    """A folder as a camera card leaves it: photos in sub-folders, a copy of one, and hidden clutter."""
    files = {f"day{i % 2 + 1}/IMG_{i:04d}.jpg": _photo(i) for i in range(PHOTOS)}
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    (root / "day2" / "copy of IMG_0000.jpg").write_bytes(files["day1/IMG_0000.jpg"])
    (root / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    return files


def _dam_upload(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dam_local", "upload", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


def _rows(summary: str) -> dict[str, list[str]]:
    """The summary table as file → [result, asset, detail…]."""
    rows = {}
    for line in summary.splitlines()[1:-1]:
        result, rest = line.split(maxsplit=1)
        label, _, tail = rest.partition("  ")
        rows[label.strip()] = [result, *tail.split()]
    return rows


def _assets(api: str, token: str) -> list[dict[str, Any]]:
    answer = requests.get(f"{api}/assets", params={"limit": "100"}, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_a_folder_killed_half_way_and_uploaded_again_becomes_each_file_once(local_stack: Any, tmp_path: Path) -> None:
    files = _shoot(tmp_path / "shoot")
    workspace = "ws-upload-resume"
    # Without --api: the running `dam local` of the data dir, as an editor of --workspace; from any directory.
    target = ["--data-dir", str(local_stack.data_dir), "--workspace", workspace, "--parallel", "2"]

    killed = _dam_upload(str(tmp_path / "shoot"), *target, env={CRASH_AFTER_ENV: "3"}, cwd=tmp_path)
    assert killed.returncode == 137, killed.stderr
    assert "RESULT" not in killed.stdout  # no summary: it died, as under `kill -9`

    resumed = _dam_upload(str(tmp_path / "shoot"), *target, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    rows = _rows(resumed.stdout)
    assert set(rows) == {f"shoot/{name}" for name in files} | {"shoot/day2/copy of IMG_0000.jpg"}
    assert rows["shoot/day2/copy of IMG_0000.jpg"][0] == "skipped"
    earlier = [label for label, row in rows.items() if row[0] == "skipped" and "already" in row]
    assert [row[0] for label, row in rows.items() if "copy" not in label].count("ready") == PHOTOS - len(earlier)
    totals = f"{PHOTOS - len(earlier)} ready, 0 failed, {len(earlier) + 1} skipped (of {PHOTOS + 1} files)"
    assert resumed.stdout.splitlines()[-1] == totals

    token = local_stack.token("cli", workspace, "editor")
    assets = _assets(local_stack.api_url, token)
    assert sorted(a["name"] for a in assets) == sorted(Path(name).name for name in files)
    assert all(a["status"] == "ready" for a in assets)
    for name, data in files.items():
        found = requests.get(
            f"{local_stack.api_url}/assets",
            params={"checksum": hashlib.sha256(data).hexdigest()},
            headers={"Authorization": f"Bearer {token}"},
        ).json()["items"]
        assert [a["asset_id"] for a in found] == [rows[f"shoot/{name}"][1]]

    again = _dam_upload(str(tmp_path / "shoot"), *target)
    assert again.returncode == 0
    assert again.stdout.splitlines()[-1] == f"0 ready, 0 failed, {PHOTOS + 1} skipped (of {PHOTOS + 1} files)"
    assert len(_assets(local_stack.api_url, token)) == PHOTOS


def test_a_run_killed_between_making_an_asset_and_writing_it_down_does_not_make_it_twice(
    local_stack: Any, tmp_path: Path
) -> None:
    # The asset exists on the server but not in the journal: the retry's Idempotency-Key finds it again.
    for i in range(3):
        (tmp_path / "card" / f"frame_{i}.png").parent.mkdir(exist_ok=True)
        (tmp_path / "card" / f"frame_{i}.png").write_bytes(corpus.png_photo(64 + i, 48))
    workspace = "ws-upload-unrecorded"
    target = ["--data-dir", str(local_stack.data_dir), "--workspace", workspace, "--parallel", "1"]

    killed = _dam_upload(str(tmp_path / "card"), *target, env={CRASH_AFTER_CREATES_ENV: "2"}, cwd=tmp_path)
    assert killed.returncode == 137, killed.stderr
    resumed = _dam_upload(str(tmp_path / "card"), *target, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    rows = _rows(resumed.stdout)
    assert rows["card/frame_1.png"][0] == rows["card/frame_2.png"][0] == "ready"  # the unrecorded one, the new one
    assert rows["card/frame_0.png"][0] in ("ready", "skipped")  # skipped if it was ready before this run

    assets = _assets(local_stack.api_url, local_stack.token("cli", workspace, "editor"))
    assert sorted(a["name"] for a in assets) == ["frame_0.png", "frame_1.png", "frame_2.png"]
    assert all(a["status"] == "ready" for a in assets)


def test_ctrl_c_stops_a_run_that_the_same_command_then_finishes(local_stack: Any, tmp_path: Path) -> None:
    import signal
    import time

    photos = {f"IMG_{i:04d}.jpg": _photo(100 + i) for i in range(3)}
    for name, data in photos.items():
        (tmp_path / "card" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "card" / name).write_bytes(data)
    token = local_stack.token("maya", "ws-upload-interrupt", "editor")
    home = tmp_path / "home"
    command = [sys.executable, "-m", "dam_local", "upload", str(tmp_path / "card"), "--parallel", "1"]
    command += ["--api", local_stack.api_url, "--token", token, "--data-dir", str(home)]

    running = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list(home.glob("uploads/*.jsonl")) and time.monotonic() < deadline and running.poll() is None:
        time.sleep(0.05)  # until the first asset is on record
    running.send_signal(signal.SIGINT)
    out, err = running.communicate(timeout=60)
    assert running.returncode == 130, out + err
    assert "interrupted; run the same command again to resume" in err and "RESULT" not in out

    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert {row[0] for row in _rows(done.stdout).values()} <= {"ready", "skipped"}
    assets = _assets(local_stack.api_url, token)
    assert sorted(a["name"] for a in assets) == sorted(photos) and {a["status"] for a in assets} == {"ready"}


def test_a_zip_goes_through_bulk_import_and_its_counts_are_shown(local_stack: Any, tmp_path: Path) -> None:
    archive = tmp_path / "card.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("a.jpg", corpus.jpeg_photo(800, 600))
        zipped.writestr("b.png", corpus.png_photo(400, 300))
        zipped.writestr("again/a.jpg", corpus.jpeg_photo(800, 600))
        zipped.writestr("notes.txt", "not a picture")
    token = local_stack.token("maya", "ws-upload-zip", "editor")
    target = ["--api", local_stack.api_url, "--token", token, "--data-dir", str(tmp_path / "home")]

    done = _dam_upload(str(archive), "--zip", *target)

    assert done.returncode == 0, done.stdout + done.stderr
    rows = _rows(done.stdout)
    assert {label: row[0] for label, row in rows.items()} == {
        "card.zip/a.jpg": "ready",
        "card.zip/b.png": "ready",
        "card.zip/again/a.jpg": "skipped",
        "card.zip/notes.txt": "skipped",
    }
    assert "card.zip: ready (4 files: 2 ready, 0 failed, 2 skipped, 0 over the limit)" in done.stderr
    assert len(_assets(local_stack.api_url, token)) == 2

    again = _dam_upload(str(archive), "--zip", *target)  # followed from the journal, not sent again
    assert again.returncode == 0 and _rows(again.stdout) == rows
    assert len(_assets(local_stack.api_url, token)) == 2
    assert _dam_upload(str(tmp_path / "card.zip"), str(Path(__file__)), "--zip", *target).returncode == 2


def test_a_file_the_pipeline_refuses_fails_with_its_reason_and_the_exit_status_says_so(
    local_stack: Any, tmp_path: Path
) -> None:
    (tmp_path / "cut.jpg").write_bytes(corpus.jpeg_photo(800, 600)[:600])  # a JPEG cut short
    (tmp_path / "fine.png").write_bytes(corpus.png_photo(300, 200))
    token = local_stack.token("maya", "ws-upload-fail", "editor")

    target = ["--api", local_stack.api_url, "--token", token, "--data-dir", str(tmp_path / "home")]

    done = _dam_upload(str(tmp_path / "cut.jpg"), str(tmp_path / "fine.png"), *target)

    assert done.returncode == 1, done.stdout + done.stderr
    rows = _rows(done.stdout)
    assert rows["fine.png"][0] == "ready"
    assert rows["cut.jpg"][0] == "failed" and len(rows["cut.jpg"]) > 2  # with the pipeline's reason
    assert done.stdout.splitlines()[1].startswith("failed")  # failures first


def test_the_readmes_dam_upload_commands_work_pasted_in_another_directory(local_stack: Any, tmp_path: Path) -> None:
    from dam_local.home import REPO_ROOT
    from tests.e2e.test_readme import README_CLONE, _as_a_newcomer, _readme_block

    block = _readme_block("bash", "`dam upload PATH…` does all of this").replace(README_CLONE, str(REPO_ROOT))
    (tmp_path / "shoot" / "day1").mkdir(parents=True)
    (tmp_path / "shoot" / "day1" / "IMG_0100.jpg").write_bytes(corpus.jpeg_photo(1200, 800))
    with zipfile.ZipFile(tmp_path / "card.zip", "w") as zipped:
        zipped.writestr("IMG_0200.png", corpus.png_photo(500, 400))

    done = subprocess.run(
        ["bash", "-ec", block],
        check=False,
        cwd=tmp_path,
        env=_as_a_newcomer(tmp_path, local_stack.data_dir),  # $DAM_HOME: the running stack's data dir
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    folder, archive = done.stdout.split("RESULT")[1:]
    assert _rows("RESULT" + folder)["shoot/day1/IMG_0100.jpg"][0] == "ready"
    assert _rows("RESULT" + archive)["card.zip/IMG_0200.png"][0] == "ready"
    names = {a["name"] for a in _assets(local_stack.api_url, local_stack.token("cli", "studio", "editor"))}
    assert names == {"IMG_0100.jpg", "IMG_0200.png"}
