"""`dam upload` without the network: which files go, what each is, the journal a rerun resumes from, what a
rerun does with each file, the progress lines and the summary."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from dam_local.upload import (
    Journal,
    LocalFile,
    Outcome,
    Progress,
    Result,
    Step,
    UploadError,
    copies_within,
    discover,
    duplicate_among,
    exit_code,
    finished,
    import_outcomes,
    journal_path,
    kind_of,
    resume,
    sha256_of,
    summary_table,
)
from tests.unit.imaging import corpus


def _tree(root: Path) -> None:
    for name, data in {
        "b.jpg": b"b",
        "a.png": b"a",
        "sub/c.jpg": b"c",
        "sub/deeper/d.mp4": b"d",
        ".DS_Store": b"x",
        ".git/config": b"x",
        "sub/.hidden.jpg": b"x",
    }.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def test_a_folder_is_walked_recursively_in_name_order_without_hidden_files(tmp_path: Path) -> None:
    _tree(tmp_path / "shoot")

    files = discover([tmp_path / "shoot"])

    assert [f.label for f in files] == ["shoot/a.png", "shoot/b.jpg", "shoot/sub/c.jpg", "shoot/sub/deeper/d.mp4"]
    assert all(f.size == 1 for f in files)


def test_files_named_twice_or_inside_a_folder_named_too_go_once_and_a_hidden_file_named_goes(tmp_path: Path) -> None:
    _tree(tmp_path / "shoot")
    hidden = tmp_path / "shoot" / ".DS_Store"

    files = discover([tmp_path / "shoot" / "b.jpg", tmp_path / "shoot", tmp_path / "shoot" / "b.jpg", hidden])

    assert [f.label for f in files] == [
        "b.jpg",
        "shoot/a.png",
        "shoot/sub/c.jpg",
        "shoot/sub/deeper/d.mp4",
        ".DS_Store",
    ]


def test_a_path_that_does_not_exist_is_refused_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(UploadError, match=r"missing\.jpg: no such file or folder"):
        discover([tmp_path / "missing.jpg"])


def test_the_kind_comes_from_the_extension_or_the_bytes_and_the_type_may_be_forced(tmp_path: Path) -> None:
    photo, clip, scan, binary = tmp_path / "a.JPG", tmp_path / "b.mov", tmp_path / "scan", tmp_path / "tool.exe"
    photo.write_bytes(corpus.jpeg_photo(20, 10))
    clip.write_bytes(b"x")
    scan.write_bytes(corpus.png_photo(20, 10))  # no extension: the bytes tell
    binary.write_bytes(b"MZ")

    assert (kind_of(photo).content_type, kind_of(photo).asset_type) == ("image/jpeg", "image")
    assert (kind_of(clip).content_type, kind_of(clip).asset_type) == ("video/quicktime", "video")
    assert (kind_of(scan).content_type, kind_of(scan).asset_type) == ("image/png", "image")
    assert kind_of(photo, "product").asset_type == "product"
    csv = tmp_path / "list.csv"
    csv.write_text("a,b\n")
    assert kind_of(csv).asset_type == "document"
    with pytest.raises(UploadError, match=r"\.exe are not a supported format"):
        kind_of(binary)


def test_the_journal_survives_a_kill_and_merges_the_steps_of_each_file(tmp_path: Path) -> None:
    path = journal_path(tmp_path, "http://127.0.0.1:8000/")
    journal = Journal(path, "http://127.0.0.1:8000")
    journal.record("c1", asset_id="a1", label="x.jpg", state="started")
    journal.record("c1", state="sent")
    journal.record("c2", asset_id="a2", state="started")
    with path.open("a") as handle:
        handle.write('{"checksum": "c2", "state": "re')  # the process died mid-line

    again = Journal(path, "http://127.0.0.1:8000")

    first, second = again.get("c1"), again.get("c2")
    assert first is not None and (first["asset_id"], first["label"], first["state"]) == ("a1", "x.jpg", "sent")
    assert second is not None and second["state"] == "started"
    assert again.get("c3") is None
    again.compact()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["checksum"] for line in lines] == ["c1", "c2"]


def test_each_api_has_its_own_journal(tmp_path: Path) -> None:
    local = journal_path(tmp_path, "http://127.0.0.1:8000")
    assert local == journal_path(tmp_path, "http://127.0.0.1:8000/")
    assert local != journal_path(tmp_path, "https://dam.example.com")
    assert local.parent == tmp_path / "uploads"


def test_the_checksum_is_the_sha256_of_the_whole_file(tmp_path: Path) -> None:
    import hashlib

    data = bytes(range(256)) * 10_000
    (tmp_path / "f").write_bytes(data)
    assert sha256_of(tmp_path / "f") == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("asset", "step", "result", "detail"),
    [
        (None, Step.UPLOAD, None, None),  # deleted since, or another workspace: upload it
        ({"asset_id": "a", "status": "pending_upload"}, Step.RESTART, None, None),
        ({"asset_id": "a", "status": "uploaded"}, Step.WAIT, None, None),
        ({"asset_id": "a", "status": "processing"}, Step.WAIT, None, None),
        ({"asset_id": "a", "status": "ready"}, Step.WAIT, Result.SKIPPED, "already uploaded"),
        ({"asset_id": "a", "status": "failed", "status_reason": "damaged"}, Step.WAIT, Result.FAILED, "damaged"),
        ({"asset_id": "a", "status": "rejected", "status_reason": "empty"}, Step.WAIT, Result.FAILED, "empty"),
    ],
)
def test_a_file_an_earlier_run_handled_is_resumed_from_where_its_asset_stands(
    asset: dict[str, str] | None, step: Step, result: Result | None, detail: str | None
) -> None:
    plan = resume("x.jpg", asset)
    assert plan.step is step
    if result is None:
        assert plan.outcome is None
    else:
        assert plan.outcome is not None and plan.outcome.result is result and plan.outcome.asset_id == "a"
        assert detail is not None and detail in plan.outcome.detail


def test_a_duplicate_is_an_asset_with_the_same_bytes_that_did_not_fail() -> None:
    assert duplicate_among("x.jpg", []) is None
    assert duplicate_among("x.jpg", [{"asset_id": "f", "status": "failed"}]) is None
    skip = duplicate_among("x.jpg", [{"asset_id": "f", "status": "rejected"}, {"asset_id": "r", "status": "ready"}])
    assert skip is not None and (skip.result, skip.asset_id) == (Result.SKIPPED, "r")


def test_a_finished_asset_is_ready_or_failed_with_its_reason() -> None:
    assert finished("x", {"asset_id": "a", "status": "ready"}) == Outcome("x", Result.READY, "", "a")
    failed = finished("x", {"asset_id": "a", "status": "failed", "status_reason": "SHA-256 differs"})
    assert (failed.result, failed.detail) == (Result.FAILED, "SHA-256 differs")


def test_the_summary_lists_failures_first_with_reasons_then_totals_and_the_exit_status_tells_failure() -> None:
    outcomes = [
        Outcome("b.jpg", Result.READY, "", "a1"),
        Outcome("c.jpg", Result.SKIPPED, "already uploaded", "a2"),
        Outcome("a.exe", Result.FAILED, "files ending .exe are not a supported format"),
    ]

    table = summary_table(outcomes).splitlines()

    assert table[0].split() == ["RESULT", "FILE", "ASSET", "DETAIL"]
    assert table[1].startswith("failed") and table[1].endswith("files ending .exe are not a supported format")
    assert table[2].split() == ["ready", "b.jpg", "a1"]
    assert table[3].split()[:3] == ["skipped", "c.jpg", "a2"]
    assert table[-1] == "1 ready, 1 failed, 1 skipped (of 3 files)"
    assert exit_code(outcomes) == 1
    assert exit_code(outcomes[:2]) == 0


def test_without_a_terminal_progress_is_one_plain_line_per_step_and_an_overall_count() -> None:
    stream = io.StringIO()
    progress = Progress(stream, total_files=2, total_bytes=3_000_000)
    progress.state("a.jpg", "hashing", 2_000_000)
    progress.state("a.jpg", "uploading")
    progress.sent("a.jpg", 2_000_000)
    progress.state("a.jpg", "processing")
    progress.finish(Outcome("a.jpg", Result.READY, "", "x"), 2_000_000)
    progress.finish(Outcome("b.jpg", Result.SKIPPED, "already uploaded", "y"), 1_000_000)
    progress.render()  # a no-op without a terminal
    progress.close()

    assert stream.getvalue().splitlines() == [
        "a.jpg: uploading (2.0 MB)",
        "a.jpg: processing (2.0 MB)",
        "[1/2] a.jpg: ready",
        "[2/2] b.jpg: skipped (already uploaded)",
        "[########################] 2/2 files, 3.0 MB of 3.0 MB",
    ]


def test_on_a_terminal_the_lines_in_flight_are_redrawn_in_place() -> None:
    stream = io.StringIO()
    progress = Progress(stream, total_files=1, total_bytes=100, tty=True)
    progress.state("a.jpg", "uploading", 100)
    progress.sent("a.jpg", 50)
    progress.render()
    progress.render()

    drawn = stream.getvalue()
    assert drawn.count("a.jpg") == 2 and "[########........] uploading" in drawn
    assert "\x1b[2F\x1b[J" in drawn  # the second frame replaces the first


def test_an_import_is_a_line_per_archive_entry_and_a_refused_archive_one_failure() -> None:
    bulk = {
        "status": "done",
        "total": 3,
        "ready": 1,
        "failed": 0,
        "skipped": 2,
        "over_limit": 0,
        "items": [
            {"name": "a.jpg", "outcome": "ready", "asset_id": "a1"},
            {"name": "a copy.jpg", "outcome": "skipped", "reason": "duplicate_in_archive", "reason_text": "twice"},
            {"name": "notes.txt", "outcome": "skipped", "reason": "not_an_image"},
        ],
    }
    archive, entries = import_outcomes("shoot.zip", bulk)
    assert archive.result is Result.READY and archive.detail.startswith("3 files: 1 ready")
    assert [(e.label, e.result, e.detail) for e in entries] == [
        ("shoot.zip/a.jpg", Result.READY, ""),
        ("shoot.zip/a copy.jpg", Result.SKIPPED, "twice"),
        ("shoot.zip/notes.txt", Result.SKIPPED, "not_an_image"),
    ]
    refused, none = import_outcomes("bomb.zip", {**bulk, "status": "failed", "status_reason": "a zip bomb"})
    assert (refused.result, refused.detail, none) == (Result.FAILED, "a zip bomb", [])


def test_local_file_labels_are_what_the_summary_shows(tmp_path: Path) -> None:
    (tmp_path / "x.jpg").write_bytes(b"1")
    assert discover([tmp_path / "x.jpg"]) == [LocalFile(tmp_path / "x.jpg", "x.jpg", 1)]


def test_of_several_copies_in_one_run_the_first_goes_and_the_others_are_skipped(tmp_path: Path) -> None:
    files = [LocalFile(tmp_path / n, n, 1) for n in ("a/1.jpg", "a/2.jpg", "b/copy of 1.jpg", "b/unreadable.jpg")]
    checksums = {"a/1.jpg": "x", "a/2.jpg": "y", "b/copy of 1.jpg": "x"}

    assert copies_within(files, checksums) == [Outcome("b/copy of 1.jpg", Result.SKIPPED, "same bytes as a/1.jpg")]
