"""`dam upload`, the parts that need no network: which files go, what each one is, the journal that makes
a run resumable, what to do with a file an earlier run already handled, the progress lines and the summary.

The HTTP side (`dam_local.upload_http`) asks these. A file is known by the SHA-256 of its bytes: the
journal (one per API, under the dam home) maps it to the asset an earlier run created, so a run
interrupted anywhere (Ctrl-C, a kill, a lost connection) is simply run again, and a file whose asset is
already there is skipped, whatever its name or folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

from dam.domain.formats import MediaType, extension_of, format_for_extension

CHUNK = 1024**2
JOURNAL_DIR = "uploads"
# Statuses after which an asset changes no more on its own.
FINISHED = frozenset({"ready", "failed", "rejected"})
BROKEN = frozenset({"failed", "rejected"})
# Steps too short to report on their own line when the output is not a terminal.
QUIET_STATES = frozenset({"hashing", "starting"})
ASSET_TYPES = ("character", "product", "background", "logo", "image", "video", "audio", "document")


class UploadError(Exception):
    """Something about the command or a file that the user must fix (shown without a traceback)."""


# --- which files, and what each is ------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalFile:
    path: Path
    label: str  # as shown and reported: relative to the folder it was found in, with that folder's name
    size: int


def _hidden(name: str) -> bool:
    return name.startswith(".")


def discover(paths: Sequence[Path | str]) -> list[LocalFile]:
    """The files named and those in the folders named (recursively, in name order), each once. Hidden files
    and folders (`.DS_Store`, `.git/`) inside a folder are left out; a file named explicitly is taken."""
    found: dict[Path, LocalFile] = {}

    def add(path: Path, label: str) -> None:
        resolved = path.resolve()
        if resolved not in found and path.is_file():
            found[resolved] = LocalFile(path, label, path.stat().st_size)

    for given in map(Path, paths):
        if given.is_dir():
            root = given.resolve()
            for folder, dirs, files in os.walk(root):
                dirs[:] = sorted(d for d in dirs if not _hidden(d))
                for name in sorted(files):
                    if not _hidden(name):
                        path = Path(folder) / name
                        add(path, (Path(root.name) / path.relative_to(root)).as_posix())
        elif given.is_file():
            add(given, given.name)
        else:
            raise UploadError(f"{given}: no such file or folder")
    return list(found.values())


@dataclass(frozen=True)
class FileKind:
    content_type: str
    asset_type: str


def asset_type_for(media_type: MediaType) -> str:
    """As the web app decides: images, videos and audio are what they are; everything else a document."""
    return media_type.value if media_type in (MediaType.IMAGE, MediaType.VIDEO, MediaType.AUDIO) else "document"


def kind_of(path: Path, asset_type: str | None = None) -> FileKind:
    """The content type from the extension, or from the bytes when there is none; the asset type given, or
    the one the media kind suggests. Raises UploadError for a format the DAM does not take."""
    ext = extension_of(path.name)
    fmt = format_for_extension(ext) if ext else None
    if ext and fmt is None:
        raise UploadError(f"files ending .{ext} are not a supported format")
    if fmt is None:
        from dam.domain.errors import DomainError
        from dam.imaging.sniff import sniff

        try:
            fmt = sniff(path)
        except DomainError as error:
            raise UploadError(str(error)) from error
    return FileKind(fmt.content_type, asset_type or asset_type_for(fmt.media_type))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- the journal ----------------------------------------------------------------------------------------------


def journal_path(home: Path, api_url: str) -> Path:
    """One journal per API (the local stack and each deployment keep their own), in the dam home."""
    key = hashlib.sha256(api_url.rstrip("/").encode()).hexdigest()[:16]
    return home / JOURNAL_DIR / f"{key}.jsonl"


class Journal:
    """What earlier runs did, by file checksum: one JSON line per change, written through to disk before the
    next step, so a run killed at any point leaves every asset it created on record. Lines for one checksum
    merge, later ones winning; `compact` rewrites the file with one line each."""

    def __init__(self, path: Path, api_url: str) -> None:
        self.path = path
        self.api_url = api_url
        self._lock = threading.Lock()
        self._entries: dict[str, dict[str, Any]] = {}
        if path.exists():
            for line in path.read_text().splitlines():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by a kill: the step after it never happened
                if isinstance(record, dict) and isinstance(record.get("checksum"), str):
                    self._entries.setdefault(record["checksum"], {}).update(record)

    def get(self, checksum: str) -> dict[str, Any] | None:
        with self._lock:
            entry = self._entries.get(checksum)
            return dict(entry) if entry else None

    def record(self, checksum: str, **fields: Any) -> None:
        line = {"checksum": checksum, **fields, "at": round(time.time(), 3)}
        with self._lock:
            self._entries.setdefault(checksum, {}).update(line)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a") as handle:
                handle.write(json.dumps(line) + "\n")
                handle.flush()
                os.fsync(handle.fileno())

    def compact(self) -> None:
        with self._lock:
            if not self._entries:
                return
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text("".join(json.dumps(entry) + "\n" for entry in self._entries.values()))
            temporary.replace(self.path)


# --- what to do with each file ---------------------------------------------------------------------------------


class Result(StrEnum):
    READY = "ready"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Outcome:
    label: str
    result: Result
    detail: str = ""
    asset_id: str | None = None


class Step(StrEnum):
    UPLOAD = "upload"  # nothing on record (or the asset is gone): ask the server, then upload
    RESTART = "restart"  # an asset whose bytes never landed: abort it, then upload anew
    WAIT = "wait"  # the bytes landed; processing goes on: wait for it


@dataclass(frozen=True)
class Resume:
    step: Step
    outcome: Outcome | None = None  # set when the file needs nothing more


def resume(label: str, asset: dict[str, Any] | None) -> Resume:
    """What to do with a file the journal names asset `asset` for (as `GET /assets/{id}` answers; None: 404).
    A finished asset is not uploaded again: ready is skipped, failed is reported with the reason it failed."""
    if asset is None:
        return Resume(Step.UPLOAD)
    status, asset_id = str(asset.get("status")), str(asset.get("asset_id"))
    if status == "pending_upload":
        return Resume(Step.RESTART)
    if status == "ready":
        return Resume(Step.WAIT, Outcome(label, Result.SKIPPED, "already uploaded", asset_id))
    if status in BROKEN:
        reason = asset.get("status_reason") or status
        return Resume(Step.WAIT, Outcome(label, Result.FAILED, f"{reason} (an earlier run)", asset_id))
    return Resume(Step.WAIT)


def copies_within(files: Sequence[LocalFile], checksums: dict[str, str]) -> list[Outcome]:
    """Files of this run with the same bytes as one before them (`checksums`: label → SHA-256): skipped."""
    first: dict[str, str] = {}
    copies = []
    for file in files:
        checksum = checksums.get(file.label)
        if checksum is None:
            continue
        original = first.setdefault(checksum, file.label)
        if original != file.label:
            copies.append(Outcome(file.label, Result.SKIPPED, f"same bytes as {original}"))
    return copies


def duplicate_among(label: str, assets: Iterable[dict[str, Any]]) -> Outcome | None:
    """A skip when the workspace already holds these bytes in an asset that did not fail."""
    for asset in assets:
        if asset.get("status") not in BROKEN:
            return Outcome(label, Result.SKIPPED, "duplicate of an asset in the workspace", str(asset["asset_id"]))
    return None


def finished(label: str, asset: dict[str, Any]) -> Outcome:
    """The outcome of an asset that reached a final status."""
    asset_id = str(asset["asset_id"])
    if asset.get("status") == "ready":
        duplicate_of = asset.get("duplicate_of")
        return Outcome(label, Result.READY, f"same bytes as {duplicate_of}" if duplicate_of else "", asset_id)
    return Outcome(label, Result.FAILED, str(asset.get("status_reason") or asset.get("status")), asset_id)


def import_outcomes(label: str, bulk: dict[str, Any]) -> tuple[Outcome, list[Outcome]]:
    """An import (as `GET /imports/{id}` answers) as the archive's line and one outcome per entry, named
    `archive.zip/entry`; a refused archive is one failure with its reason, and no entries."""
    if bulk["status"] == "failed":
        return Outcome(label, Result.FAILED, str(bulk.get("status_reason") or "the archive was refused")), []
    counts = (
        f"{bulk['total']} files: {bulk['ready']} ready, {bulk['failed']} failed, {bulk['skipped']} skipped, "
        f"{bulk['over_limit']} over the limit"
    )
    results = {"ready": Result.READY, "failed": Result.FAILED}
    entries = []
    for item in bulk["items"]:
        outcome, detail = item["outcome"], item.get("reason_text") or item.get("reason") or ""
        if outcome == "queued":  # still processing when the run stopped waiting
            outcome, detail = "failed", "still processing: run again to follow"
        entries.append(
            Outcome(f"{label}/{item['name']}", results.get(outcome, Result.SKIPPED), detail, item.get("asset_id"))
        )
    return Outcome(label, Result.FAILED if bulk["status"] != "done" else Result.READY, counts), entries


# --- progress ----------------------------------------------------------------------------------------------------


def human_bytes(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError  # unreachable


def bar(done: float, total: float, width: int = 24) -> str:
    filled = width if total <= 0 else min(width, int(width * done / total))
    return "#" * filled + "." * (width - filled)


@dataclass
class _Line:
    label: str
    size: int
    sent: int = 0
    state: str = "queued"


@dataclass
class Progress:
    """Per file (bytes, then processing) and overall, on `stream` (stderr). On a terminal the lines of the
    files in flight are redrawn in place; elsewhere (a log, CI) each change of state is one plain line."""

    stream: TextIO
    total_files: int
    total_bytes: int
    tty: bool = False
    _active: dict[str, _Line] = field(default_factory=dict)
    _done_files: int = 0
    _done_bytes: int = 0
    _drawn: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def state(self, label: str, state: str, size: int = 0) -> None:
        with self._lock:
            line = self._active.setdefault(label, _Line(label, size))
            line.state = state
            if not self.tty and state not in QUIET_STATES:
                self._print(f"{label}: {state} ({human_bytes(line.size)})")

    def sent(self, label: str, count: int) -> None:
        with self._lock:
            line = self._active.get(label)
            if line is not None:
                line.sent += count
                self._done_bytes += count

    def finish(self, outcome: Outcome, size: int) -> None:
        with self._lock:
            line = self._active.pop(outcome.label, None)
            self._done_files += 1
            if line is None or line.sent == 0:
                self._done_bytes += size  # skipped: its bytes count as done
            detail = f" ({outcome.detail})" if outcome.detail else ""
            self._print(f"[{self._done_files}/{self.total_files}] {outcome.label}: {outcome.result.value}{detail}")

    def overall(self) -> str:
        return (
            f"[{bar(self._done_bytes, self.total_bytes)}] {self._done_files}/{self.total_files} files, "
            f"{human_bytes(self._done_bytes)} of {human_bytes(self.total_bytes)}"
        )

    def render(self) -> None:
        """Redraw the lines in flight and the overall bar (terminal only; called a few times a second)."""
        if not self.tty:
            return
        with self._lock:
            lines = [
                f"  {line.label[-40:]:<40} [{bar(line.sent, line.size, 16)}] {line.state}"
                for line in list(self._active.values())[:12]
            ]
            self._erase()
            self.stream.write("".join(f"{text}\x1b[K\n" for text in [*lines, self.overall()]))
            self.stream.flush()
            self._drawn = len(lines) + 1

    def _erase(self) -> None:
        if self._drawn:
            self.stream.write(f"\x1b[{self._drawn}F\x1b[J")
            self._drawn = 0

    def _print(self, text: str) -> None:
        if self.tty:
            self._erase()
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        with self._lock:
            if self.tty:
                self._erase()
            self.stream.write(self.overall() + "\n")
            self.stream.flush()


# --- the summary -------------------------------------------------------------------------------------------------


def summary_table(outcomes: Sequence[Outcome]) -> str:
    """One row per file, failures first (with their reasons), then the totals."""
    order = {Result.FAILED: 0, Result.READY: 1, Result.SKIPPED: 2}
    rows = sorted(outcomes, key=lambda o: (order[o.result], o.label))
    header = ("RESULT", "FILE", "ASSET", "DETAIL")
    table = [header, *[(o.result.value, o.label, o.asset_id or "-", o.detail) for o in rows]]
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    lines = ["  ".join([*(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])), row[3]]).rstrip() for row in table]
    counts = {result: sum(1 for o in outcomes if o.result is result) for result in Result}
    lines.append(
        f"{counts[Result.READY]} ready, {counts[Result.FAILED]} failed, {counts[Result.SKIPPED]} skipped "
        f"(of {len(outcomes)} files)"
    )
    return "\n".join(lines)


def exit_code(outcomes: Sequence[Outcome]) -> int:
    return 1 if any(o.result is Result.FAILED for o in outcomes) else 0
