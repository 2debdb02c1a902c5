"""`dam upload` over HTTP: several files at once through `POST /uploads` (a presigned POST, or parts for a
large file), each followed until it is `ready` or `failed`; ZIPs through `POST /imports`.

The decisions (what a file is, what an earlier run left, the summary) are `dam_local.upload`'s.
"""

from __future__ import annotations

import os
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from dam_local.upload import (
    CHUNK,
    FINISHED,
    Journal,
    LocalFile,
    Outcome,
    Progress,
    Result,
    Step,
    UploadError,
    copies_within,
    duplicate_among,
    finished,
    import_outcomes,
    kind_of,
    resume,
    sha256_of,
)

# Test hook: end the process abruptly (as `kill -9` would) once this many files' bytes were sent.
CRASH_AFTER_ENV = "DAM_UPLOAD_CRASH_AFTER"
CRASH_AFTER_PARTS_ENV = "DAM_UPLOAD_CRASH_AFTER_PARTS"  # … or once this many parts were sent
CRASH_AFTER_CREATES_ENV = "DAM_UPLOAD_CRASH_AFTER_CREATES"  # … or once this many assets were made, unrecorded
# The journal's state of a file whose multipart upload began: a later run resumes it rather than starting anew.
PARTS_STARTED = "parts"
CREATING = "creating"  # POST /uploads sent with the entry's Idempotency-Key; its answer may be lost
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
# What a POST to the API may be retried on: refusals before any work (a retried 5xx could create twice).
RETRIED_CREATE_STATUSES = frozenset({429, 503})
ATTEMPTS = 4
POLL_SECONDS = 0.5
IMPORT_DONE = frozenset({"done", "failed"})


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _message(answer: requests.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return f"HTTP {answer.status_code}: {answer.text[:200]}"
    if isinstance(body, dict):
        text = body.get("message") or body.get("detail") or body
        fields = body.get("fields")
        if isinstance(fields, list) and fields:
            text = f"{text}: " + "; ".join(str(f.get("message", f)) if isinstance(f, dict) else str(f) for f in fields)
        return f"HTTP {answer.status_code}: {text}"
    return f"HTTP {answer.status_code}: {body}"


class Api:
    """The DAM API with a bearer token; one connection pool per thread; transient failures retried."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        session: requests.Session = self._local.session
        return session

    def send(self, method: str, url: str, *, expect: tuple[int, ...], **kwargs: Any) -> requests.Response:
        """One request, retried with backoff on connection errors and 429/5xx (a POST to the API without an
        Idempotency-Key only on 429 and 503); ApiError for other answers."""
        timeout = kwargs.pop("timeout", 60)
        # A create is retried on any 5xx only with an Idempotency-Key: the retry can't make a second one.
        replayable = "Idempotency-Key" in kwargs.get("headers", {})
        creates = method == "POST" and url.startswith(self.url) and not replayable
        retried = RETRIED_CREATE_STATUSES if creates else RETRIED_STATUSES
        for attempt in range(ATTEMPTS):
            try:
                answer = self.session.request(method, url, timeout=timeout, **kwargs)
            except requests.ConnectionError as error:
                if attempt == ATTEMPTS - 1:
                    raise ApiError(0, f"cannot reach {url.split('?', maxsplit=1)[0]}: {error}") from error
            else:
                if answer.status_code in expect:
                    return answer
                if answer.status_code not in retried or attempt == ATTEMPTS - 1:
                    raise ApiError(answer.status_code, _message(answer))
            time.sleep(0.5 * 2**attempt)
        raise AssertionError  # unreachable

    def call(self, method: str, path: str, *, expect: tuple[int, ...] = (200,), **kwargs: Any) -> Any:
        headers = {**self._headers, **kwargs.pop("headers", {})}
        answer = self.send(method, self.url + path, expect=expect, headers=headers, **kwargs)
        return answer.json() if answer.content else None

    def asset(self, asset_id: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self.call("GET", f"/assets/{asset_id}")
        except ApiError as error:
            if error.status == 404:
                return None
            raise
        return found

    def with_checksum(self, checksum: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.call("GET", "/assets", params={"checksum": checksum})["items"]
        return items

    def abort(self, asset_id: str) -> None:
        """Drop a pending asset (204); gone already (404) or landed meanwhile (409) is fine too."""
        self.call("DELETE", f"/uploads/{asset_id}", expect=(204, 404, 409))


class _FormBody:
    """A presigned POST's multipart/form-data body, streamed from the file (never all in memory), with a
    length (S3 refuses chunked uploads) and a callback per chunk sent."""

    def __init__(self, fields: dict[str, str], file: LocalFile, content_type: str, sent: Callable[[int], None]):
        self.boundary = secrets.token_hex(16)
        head = b"".join(
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in fields.items()
        )
        filename = file.path.name.replace('"', "")
        head += (
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        self.head, self.tail = head, f"\r\n--{self.boundary}--\r\n".encode()
        self.file, self._sent = file, sent

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return len(self.head) + self.file.size + len(self.tail)

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        yield from _chunks(self.file.path, 0, self.file.size, self._sent)
        yield self.tail


def post_form(api: Api, upload: dict[str, Any], file: LocalFile, content_type: str, progress: Progress) -> None:
    """Send the file's bytes with the presigned POST `upload` (`url`, `fields`)."""
    form = _FormBody(upload["fields"], file, content_type, lambda n: progress.sent(file.label, n))
    headers = {"Content-Type": form.content_type}
    api.send("POST", upload["url"], data=form, headers=headers, expect=(200, 201, 204), timeout=600)


def _chunks(path: Path, offset: int, length: int, sent: Callable[[int], None]) -> Iterator[bytes]:
    with path.open("rb") as handle:
        handle.seek(offset)
        left = length
        while left > 0 and (chunk := handle.read(min(CHUNK, left))):
            left -= len(chunk)
            yield chunk
            sent(len(chunk))


class _Part:
    """One part's bytes, streamed, with a length."""

    def __init__(self, path: Path, offset: int, length: int, sent: Callable[[int], None]) -> None:
        self.path, self.offset, self.length, self._sent = path, offset, length, sent

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[bytes]:
        return _chunks(self.path, self.offset, self.length, self._sent)


@dataclass(frozen=True)
class Options:
    folder_id: str | None = None
    project_id: str | None = None
    asset_type: str | None = None
    parallel: int = 4
    timeout_seconds: float = 900


@dataclass
class _Waiting:
    file: LocalFile
    checksum: str
    asset_id: str


def _crash() -> None:
    """End the process abruptly, as `kill -9` would (the test hooks above)."""
    sys.stderr.flush()
    os._exit(137)


class Uploader:
    """Runs one `dam upload`: hashes, skips, uploads (`parallel` at once) and follows every file."""

    def __init__(self, api: Api, journal: Journal, options: Options, progress: Progress) -> None:
        self.api, self.journal, self.options, self.progress = api, journal, options, progress
        self._lock = threading.Lock()
        self._sent_files = 0
        crash, crash_parts = os.environ.get(CRASH_AFTER_ENV), os.environ.get(CRASH_AFTER_PARTS_ENV)
        self._crash_after = int(crash) if crash else None
        self._crash_after_parts = int(crash_parts) if crash_parts else None
        self._sent_parts = 0
        creates = os.environ.get(CRASH_AFTER_CREATES_ENV)
        self._crash_after_creates = int(creates) if creates else None
        self._creates = 0

    # --- one file, up to its bytes having landed -------------------------------------------------------------

    def _sent_one(self) -> None:
        with self._lock:
            self._sent_files += 1
            if self._crash_after is not None and self._sent_files >= self._crash_after:
                _crash()

    def _sent_part(self) -> None:
        with self._lock:
            self._sent_parts += 1
            if self._crash_after_parts is not None and self._sent_parts >= self._crash_after_parts:
                _crash()

    def _created_one(self) -> None:
        with self._lock:
            self._creates += 1
            if self._crash_after_creates is not None and self._creates >= self._crash_after_creates:
                _crash()

    def _hash(self, file: LocalFile) -> str | Outcome:
        self.progress.state(file.label, "hashing", file.size)
        try:
            return sha256_of(file.path)
        except OSError as error:
            return Outcome(file.label, Result.FAILED, f"cannot read the file: {error}")

    def _prepare(self, file: LocalFile, checksum: str) -> Outcome | _Waiting:
        entry = self.journal.get(checksum)
        if entry and entry.get("asset_id"):
            plan = resume(file.label, self.api.asset(str(entry["asset_id"])))
            if plan.outcome is not None:
                return plan.outcome
            if plan.step is Step.WAIT:
                return _Waiting(file, checksum, str(entry["asset_id"]))
            if plan.step is Step.RESTART:
                if entry.get("state") == PARTS_STARTED:
                    resumed = self._resume_parts(file, checksum, str(entry["asset_id"]))
                    if resumed is not None:
                        return resumed
                self.api.abort(str(entry["asset_id"]))
                self.journal.record(checksum, asset_id=None, state="aborted", idempotency_key=None)
        else:
            duplicate = duplicate_among(file.label, self.api.with_checksum(checksum))
            if duplicate is not None:
                return duplicate
            if entry and entry.get("state") == CREATING and entry.get("idempotency_key"):
                # Killed before the answer was on record: the same key gets the asset that request made.
                return self._upload(file, checksum, str(entry["idempotency_key"]))
        return self._upload(file, checksum)

    def _upload(self, file: LocalFile, checksum: str, key: str | None = None) -> Outcome | _Waiting:
        try:
            kind = kind_of(file.path, self.options.asset_type)
        except UploadError as error:
            return Outcome(file.label, Result.FAILED, str(error))
        body = {
            "filename": file.path.name,
            "content_type": kind.content_type,
            "size": file.size,
            "asset_type": kind.asset_type,
            "checksum_sha256": checksum,
            **({"folder_id": self.options.folder_id} if self.options.folder_id else {}),
            **({"project_id": self.options.project_id} if self.options.project_id else {}),
        }
        self.progress.state(file.label, "starting", file.size)
        key = key or secrets.token_hex(16)
        self.journal.record(checksum, label=file.label, state=CREATING, idempotency_key=key)
        headers = {"Idempotency-Key": key}
        created = self.api.call("POST", "/uploads", json=body, expect=(200, 201), headers=headers)
        self._created_one()
        asset_id = str(created["asset"]["asset_id"])
        self.journal.record(checksum, asset_id=asset_id, label=file.label, state="started")
        if created.get("upload") is None and created.get("multipart") is None:
            return self._sent(file, checksum, asset_id)  # a retry whose bytes had landed: follow it
        self.progress.state(file.label, "uploading")
        if created.get("multipart"):
            # Parts stay where they landed if this run stops or fails: the next run sends only the others.
            self.journal.record(checksum, state=PARTS_STARTED)
            self._send_parts(file, asset_id, created["multipart"])
        else:
            try:
                post_form(self.api, created["upload"], file, kind.content_type, self.progress)
            except (ApiError, OSError):
                self.api.abort(asset_id)  # nothing half-sent stays behind; a later run starts this file anew
                self.journal.record(checksum, asset_id=None, state="aborted", idempotency_key=None)
                raise
        return self._sent(file, checksum, asset_id)

    def _sent(self, file: LocalFile, checksum: str, asset_id: str) -> _Waiting:
        self.journal.record(checksum, state="sent")
        self._sent_one()
        return _Waiting(file, checksum, asset_id)

    def _resume_parts(self, file: LocalFile, checksum: str, asset_id: str) -> _Waiting | None:
        """Finish a multipart upload an earlier run began: the parts storage already holds are not sent again.
        None when there is nothing to resume (it was aborted, completed or is gone): the file starts anew."""
        try:
            plan = self.api.call("GET", f"/uploads/{asset_id}/parts")
        except ApiError as error:
            if error.status in (404, 409):
                return None
            raise
        received = {int(p["part_number"]): str(p["etag"]) for p in plan["parts"]}
        self.progress.state(file.label, f"resuming ({len(received)} of {plan['part_count']} parts there)", file.size)
        self._send_parts(file, asset_id, {**plan, "parts": []}, received)
        return self._sent(file, checksum, asset_id)

    def _send_parts(
        self, file: LocalFile, asset_id: str, plan: dict[str, Any], received: dict[int, str] | None = None
    ) -> None:
        urls = {p["part_number"]: p["url"] for p in plan["parts"]}
        size, count, parts = int(plan["part_size"]), int(plan["part_count"]), []
        received = received or {}
        for number in range(1, count + 1):
            offset = (number - 1) * size
            length = min(size, file.size - offset)
            if number in received:
                parts.append({"part_number": number, "etag": received[number]})
                self.progress.sent(file.label, length)
                continue
            if number not in urls:
                missing = [n for n in range(number, count + 1) if n not in received]
                more = self.api.call("POST", f"/uploads/{asset_id}/parts", json={"part_numbers": missing[:100]})
                urls.update({p["part_number"]: p["url"] for p in more["parts"]})
            answer = self.api.send(
                "PUT",
                urls[number],
                data=_Part(file.path, offset, length, lambda n: self.progress.sent(file.label, n)),
                expect=(200,),
                timeout=600,
            )
            parts.append({"part_number": number, "etag": answer.headers["ETag"]})
            self._sent_part()
        self.api.call("POST", f"/uploads/{asset_id}/complete", json={"parts": parts}, timeout=300)

    def _prepare_safely(self, file: LocalFile, checksum: str) -> Outcome | _Waiting:
        try:
            return self._prepare(file, checksum)
        except ApiError as error:
            return Outcome(file.label, Result.FAILED, str(error))
        except OSError as error:
            return Outcome(file.label, Result.FAILED, f"cannot read the file: {error}")

    # --- the run -------------------------------------------------------------------------------------------------

    def run(self, files: list[LocalFile]) -> list[Outcome]:
        """Every file's outcome. On Ctrl-C no new file starts and KeyboardInterrupt goes up at once: what was
        sent is in the journal, and running the same command again picks up from there."""
        outcomes: list[Outcome] = []
        waiting: list[_Waiting] = []
        sizes = {f.label: f.size for f in files}

        def settle(outcome: Outcome) -> None:
            outcomes.append(outcome)
            self.progress.finish(outcome, sizes[outcome.label])

        pool = ThreadPoolExecutor(max_workers=max(1, self.options.parallel), thread_name_prefix="upload")
        try:
            # All hashed first, so of several copies of one file in the run the first (in name order) goes.
            hashed = list(pool.map(self._hash, files))
            checksums = {f.label: h for f, h in zip(files, hashed, strict=True) if isinstance(h, str)}
            for outcome in [h for h in hashed if isinstance(h, Outcome)] + copies_within(files, checksums):
                settle(outcome)
            settled = {o.label for o in outcomes}
            pending: set[Future[Outcome | _Waiting]] = {
                pool.submit(self._prepare_safely, f, checksums[f.label])
                for f in files
                if f.label in checksums and f.label not in settled
            }
            deadline, polled = None, 0.0
            while pending or waiting:
                done, pending = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
                for future in done:
                    result = future.result()
                    if isinstance(result, Outcome):
                        settle(result)
                    else:
                        self.progress.state(result.file.label, "processing")
                        waiting.append(result)
                if not pending:
                    deadline = deadline or time.monotonic() + self.options.timeout_seconds
                    time.sleep(max(0.0, polled + POLL_SECONDS - time.monotonic()))
                if time.monotonic() >= polled + POLL_SECONDS:
                    out_of_time = deadline is not None and time.monotonic() > deadline
                    waiting = self._poll(waiting, settle, out_of_time=out_of_time)
                    polled = time.monotonic()
                self.progress.render()
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        self.journal.compact()
        return outcomes

    def _poll(self, waiting: list[_Waiting], settle: Callable[[Outcome], None], *, out_of_time: bool) -> list[_Waiting]:
        still: list[_Waiting] = []
        for item in waiting:
            try:
                asset = self.api.asset(item.asset_id)
            except ApiError:
                asset = {"asset_id": item.asset_id, "status": "unknown"}
            if asset is None:
                settle(Outcome(item.file.label, Result.FAILED, "the asset was deleted meanwhile", item.asset_id))
            elif asset.get("status") in FINISHED:
                self.journal.record(item.checksum, asset_id=item.asset_id, state=str(asset["status"]))
                settle(finished(item.file.label, asset))
            elif out_of_time:
                reason = f"still {asset.get('status')} after {self.options.timeout_seconds:.0f} s: run again to follow"
                settle(Outcome(item.file.label, Result.FAILED, reason, item.asset_id))
            else:
                still.append(item)
        return still


# --- ZIPs: POST /imports -------------------------------------------------------------------------------------------


class Importer:
    """`dam upload --zip`: each archive through `POST /imports`, followed until its images are processed;
    an archive an earlier run sent (same checksum, its import not refused) is followed, not sent again."""

    def __init__(self, api: Api, journal: Journal, options: Options, progress: Progress) -> None:
        self.api, self.journal, self.options, self.progress = api, journal, options, progress

    def run(self, files: list[LocalFile]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for file in files:
            try:
                outcomes += self._one(file)
            except ApiError as error:
                outcome = Outcome(file.label, Result.FAILED, str(error))
                self.progress.finish(outcome, file.size)
                outcomes.append(outcome)
        self.journal.compact()
        return outcomes

    def _one(self, file: LocalFile) -> list[Outcome]:
        self.progress.state(file.label, "hashing", file.size)
        checksum = sha256_of(file.path)
        entry = self.journal.get(checksum)
        bulk = self._earlier(str(entry["import_id"])) if entry and entry.get("import_id") else None
        if bulk is None:
            bulk = self._send(file, checksum)
        deadline = time.monotonic() + self.options.timeout_seconds
        while bulk["status"] not in IMPORT_DONE and time.monotonic() < deadline:
            counts = f"{bulk['ready'] + bulk['failed']}/{bulk['queued']} processed" if bulk["queued"] else ""
            self.progress.state(file.label, f"{bulk['status']} {counts}".strip())
            self.progress.render()
            time.sleep(POLL_SECONDS)
            bulk = self.api.call("GET", f"/imports/{bulk['import_id']}")
        self.journal.record(checksum, import_id=bulk["import_id"], state=bulk["status"])
        return self._outcomes(file, bulk)

    def _earlier(self, import_id: str) -> dict[str, Any] | None:
        try:
            bulk: dict[str, Any] = self.api.call("GET", f"/imports/{import_id}")
        except ApiError as error:
            if error.status == 404:
                return None
            raise
        return None if bulk["status"] == "pending_upload" else bulk

    def _send(self, file: LocalFile, checksum: str) -> dict[str, Any]:
        body: dict[str, Any] = {"filename": file.path.name, "size": file.size}
        for name, value in (
            ("folder_id", self.options.folder_id),
            ("project_id", self.options.project_id),
            ("asset_type", self.options.asset_type),
        ):
            if value:
                body[name] = value
        started = self.api.call("POST", "/imports", json=body, expect=(201,))
        bulk: dict[str, Any] = started["import"]
        self.journal.record(checksum, import_id=bulk["import_id"], label=file.label, state="started")
        self.progress.state(file.label, "uploading")
        post_form(self.api, started["upload"], file, "application/zip", self.progress)
        self.journal.record(checksum, state="sent")
        return bulk

    def _outcomes(self, file: LocalFile, bulk: dict[str, Any]) -> list[Outcome]:
        archive, entries = import_outcomes(file.label, bulk)
        self.progress.finish(archive, file.size)
        return entries or [archive]


# --- the command ---------------------------------------------------------------------------------------------------


def _local_target(data_dir: Path, token: str | None, user: str, workspace: str) -> tuple[str, str]:
    """The running `dam local` of this data dir, and a token for it (an editor's, unless one was given)."""
    from dam_local.home import running_api_url
    from dam_local.tokens import issue_token, signing_key

    url = running_api_url(data_dir)
    if url is None:
        raise UploadError(
            f"no running local stack found in {data_dir}: start `dam local`, or pass --api URL and --token"
        )
    return url, token or issue_token(signing_key(data_dir), user=user, workspace=workspace, role="editor")


def _folder_id(api: Api, folder: str) -> str:
    """`--folder` is a folder's id or its exact name (one folder of that name among those you see)."""
    try:
        return str(api.call("GET", f"/folders/{folder}")["folder_id"])
    except ApiError as error:
        if error.status not in (404, 422):
            raise UploadError(f"cannot look up folder {folder!r}: {error}") from error
    named = [f for f in api.call("GET", "/folders")["items"] if f["name"] == folder]
    if len(named) != 1:
        listed = ", ".join(f["folder_id"] for f in named)
        raise UploadError(
            f"no folder with id or name {folder!r}"
            if not named
            else f"{len(named)} folders are named {folder!r} ({listed}): pass the id"
        )
    return str(named[0]["folder_id"])


def upload_command(
    paths: list[Path],
    *,
    api_url: str | None,
    token: str | None,
    home: Path,
    options: Options,
    as_zip: bool = False,
    user: str = "cli",
    workspace: str = "studio",
) -> int:
    """`dam upload`: the summary on stdout, progress on stderr; 1 when any file failed, 2 for a usage error,
    130 when interrupted (run it again to resume)."""
    from dataclasses import replace

    from dam_local.upload import discover, exit_code, journal_path, summary_table

    try:
        if api_url is None:
            api_url, token = _local_target(home, token, user, workspace)
        elif not token:
            raise UploadError("--api needs a token: pass --token or set DAM_TOKEN")
        files = discover(paths)
        if as_zip:
            not_zip = [f.label for f in files if not f.path.name.lower().endswith(".zip")]
            if not_zip:
                raise UploadError(f"--zip takes .zip files only, not {', '.join(not_zip[:3])}")
        api = Api(api_url, token)
        if options.folder_id:
            options = replace(options, folder_id=_folder_id(api, options.folder_id))
    except (UploadError, ApiError) as error:
        print(f"dam upload: {error}", file=sys.stderr)
        return 2
    if not files:
        print("dam upload: no files to upload", file=sys.stderr)
        return 0
    journal = Journal(journal_path(home, api_url), api_url)
    progress = Progress(sys.stderr, len(files), sum(f.size for f in files), tty=sys.stderr.isatty())
    runner = Importer(api, journal, options, progress) if as_zip else Uploader(api, journal, options, progress)
    try:
        outcomes = runner.run(files)
    except KeyboardInterrupt:
        print("\ndam upload: interrupted; run the same command again to resume", file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(130)  # workers mid-request are abandoned: the journal already holds what they did
    progress.close()
    print(summary_table(outcomes), flush=True)
    return exit_code(outcomes)
