"""Which AWS actions, on which resources, each Lambda function makes: the evidence for least privilege.

Off unless `DAM_RECORD_AWS_CALLS=<path>` is set (`make aws-calls`). Then every botocore client made after
`install_from_environment()` reports each call (and each presigned URL or POST, which a browser later uses
with the function's credentials) through botocore's `before-parameter-build` event. A call counts for the
function running at that moment:

- the local stack's functions (`LocalFunction.invoke`, and `dam_local.worker` in worker processes) name it in
  `RUNNING`, a context variable;
- a test that calls a handler directly is recognised by the handler's frame on the stack;
- a thread started while a function runs (boto3's transfer threads of `download_file`) counts for it too.

Calls outside any function (test setup, the local stack's pollers: on AWS the event source mappings make those)
are not recorded. Each record is the IAM action the call needs (HeadObject needs s3:GetObject, a transaction
each item's action, a call with a VersionId the `…Version` action) and the resource it needs it on, with
resource names replaced by `${<construct path>}` of the CDK stack (`${Storage/Assets}`) and ids in S3 keys by
`*`: the same in every run, so the committed record (tests/infra/aws_calls.json) changes only when the code's
calls do. Every process merges what it saw into the one file under a lock, as soon as it sees something new.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import sys
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

ENV = "DAM_RECORD_AWS_CALLS"
# Handler reference (as the local stack names it) → the function's construct path in the CDK stack.
PIPELINE_STEPS = ("register", "renditions", "analyze", "embed", "finalize", "record_failure")
FUNCTIONS: dict[str, str] = {
    "functions.api.handler:handler": "Api/Handler",
    "functions.ingest.handler:handler": "Ingest/Handler",
    "functions.indexer.handler:handler": "Search/Indexer",
    "functions.library_worker.handler:handler": "LibraryWorker/Handler",
    "functions.audit.handler:handler": "Audit/Handler",
    **{f"functions.pipeline.handlers:{step}": f"Pipeline/{step.title().replace('_', '')}" for step in PIPELINE_STEPS},
}
# Name suffixes of the local stack's and the tests' resources (`dam-local-media`, `dam-test-assets`) → paths.
BUCKETS = {"media": "Storage/Media"}
TABLES = {"assets": "Storage/Assets", "library": "Storage/Library", "audit": "Storage/Audit"}
QUEUES = {
    "library-cleanup": "LibraryWorker/Cleanups",
    "uploads": "Ingest/Uploads",
    "indexer-dlq": "Search/IndexerDeadLetters",
    "audit-dlq": "Audit/DeadLetters",
}
STATE_MACHINE = "Pipeline/StateMachine"
# Path segments of S3 keys that are ids: the workspace and asset (or import) after the top-level prefix.
ID_SEGMENTS = 2

RUNNING: ContextVar[str | None] = ContextVar("dam_running_function", default=None)
Call = tuple[str, str, str]  # (IAM action, resource, the SDK call that needed it)


@contextlib.contextmanager
def running(handler_reference: object) -> Iterator[None]:
    """What the local stack wraps an invocation in: calls made meanwhile count for that function."""
    function = FUNCTIONS.get(handler_reference) if isinstance(handler_reference, str) else None
    token = RUNNING.set(function)
    try:
        yield
    finally:
        RUNNING.reset(token)


def current_function() -> str | None:
    """The function running in this thread: the context variable, else a handler's frame, else the function
    that was running where this thread was started."""
    named = RUNNING.get()
    if named is not None:
        return named
    found = _function_on_stack()
    if found is not None:
        return found
    return getattr(threading.current_thread(), "_dam_function", None)


def _started_by_moto() -> bool:
    frame = sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__", "").startswith(("threading", "concurrent.")):
        frame = frame.f_back  # type: ignore[assignment]
    return frame is not None and str(frame.f_globals.get("__name__", "")).startswith("moto")


def _function_on_stack() -> str | None:
    frame = sys._getframe(1)
    while frame is not None:
        reference = f"{frame.f_globals.get('__name__')}:{frame.f_code.co_name}"
        if reference in FUNCTIONS:
            return FUNCTIONS[reference]
        frame = frame.f_back  # type: ignore[assignment]
    return None


# --- normalisation -------------------------------------------------------------------------------------


def _by_suffix(name: str, known: dict[str, str]) -> str:
    for suffix, path in sorted(known.items(), key=lambda item: -len(item[0])):
        if name == suffix or name.endswith(f"-{suffix}"):
            return f"${{{path}}}"
    return name  # unknown: kept as it is, so the comparison shows it


def table_arn(name: str, index: str | None = None) -> str:
    arn = _by_suffix(name, TABLES)
    return f"{arn}/index/{index}" if index else arn


def bucket_arn(name: str) -> str:
    return _by_suffix(name, BUCKETS)


def key_pattern(key: str) -> str:
    """`assets/ws-1/0af3…/v2/renditions/thumb.webp` → `assets/*/*/v*/renditions/thumb.webp`."""
    parts = key.split("/")
    for position in range(1, min(len(parts), 1 + ID_SEGMENTS)):
        if parts[position]:
            parts[position] = "*"
    return "/".join(re.sub(r"^v\d+$", "v*", part) for part in parts)


def object_arn(bucket: str, key: str) -> str:
    return f"{bucket_arn(bucket)}/{key_pattern(key)}"


def queue_arn(url: str) -> str:
    return _by_suffix(url.rstrip("/").rsplit("/", 1)[-1], QUEUES)


# --- calls → (action, resource) ---------------------------------------------------------------------------

S3_OBJECT_ACTIONS = {
    "GetObject": "s3:GetObject",
    "HeadObject": "s3:GetObject",
    "PutObject": "s3:PutObject",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "AbortMultipartUpload": "s3:AbortMultipartUpload",
    "ListParts": "s3:ListMultipartUploadParts",
    "DeleteObject": "s3:DeleteObject",
    "GetObjectTagging": "s3:GetObjectTagging",
}
# A version named: the `…Version` action (IAM checks s3:GetObjectVersion for a GET with versionId).
VERSIONED = {"s3:GetObject": "s3:GetObjectVersion", "s3:DeleteObject": "s3:DeleteObjectVersion"}
S3_BUCKET_ACTIONS = {
    "ListObjectsV2": "s3:ListBucket",
    "ListObjects": "s3:ListBucket",
    "ListObjectVersions": "s3:ListBucketVersions",
    "ListMultipartUploads": "s3:ListBucketMultipartUploads",
}
TRANSACT_ITEM_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Get": "dynamodb:GetItem",
}


def needs(service: str, operation: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """The (IAM action, resource) pairs one call needs."""
    if service == "s3":
        return _s3(operation, params)
    if service == "dynamodb":
        return _dynamodb(operation, params)
    if service == "sqs":
        action = "sqs:SendMessage" if operation == "SendMessageBatch" else f"sqs:{operation}"
        return [(action, queue_arn(str(params.get("QueueUrl", "*"))))]
    if service == "states":
        arn = params.get("stateMachineArn")
        return [(f"states:{operation}", f"${{{STATE_MACHINE}}}" if arn else str(params.get("executionArn", "*")))]
    if service == "bedrock" and operation in {"Converse", "InvokeModel", "ConverseStream"}:
        return [("bedrock:InvokeModel", f"model/{params.get('modelId', '*')}")]
    return [(f"{service}:{operation}", "*")]


def _s3(operation: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    bucket = str(params.get("Bucket", ""))
    if operation in S3_BUCKET_ACTIONS:
        prefix = key_pattern(str(params.get("Prefix", "")))
        return [(S3_BUCKET_ACTIONS[operation], f"{bucket_arn(bucket)}?prefix={prefix}")]
    if operation == "DeleteObjects":
        objects = params.get("Delete", {}).get("Objects", [])
        return [
            ("s3:DeleteObjectVersion" if item.get("VersionId") else "s3:DeleteObject", object_arn(bucket, item["Key"]))
            for item in objects
        ]
    if operation == "CopyObject":
        source = params.get("CopySource")
        found: list[tuple[str, str]] = [("s3:PutObject", object_arn(bucket, str(params["Key"])))]
        if isinstance(source, dict):
            action = "s3:GetObjectVersion" if source.get("VersionId") else "s3:GetObject"
            found.append((action, object_arn(str(source["Bucket"]), str(source["Key"]))))
        return found
    action = S3_OBJECT_ACTIONS.get(operation, f"s3:{operation}")
    if params.get("VersionId"):
        action = VERSIONED.get(action, action)
    return [(action, object_arn(bucket, str(params.get("Key", ""))))]


def _dynamodb(operation: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    if operation in {"TransactWriteItems", "TransactGetItems"}:
        return [
            (TRANSACT_ITEM_ACTIONS[kind], table_arn(str(body["TableName"])))
            for item in params.get("TransactItems", [])
            for kind, body in item.items()
        ]
    if operation in {"BatchWriteItem", "BatchGetItem"}:
        return [(f"dynamodb:{operation}", table_arn(name)) for name in params.get("RequestItems", {})]
    return [(f"dynamodb:{operation}", table_arn(str(params.get("TableName", "*")), params.get("IndexName")))]


# --- the recorder -----------------------------------------------------------------------------------------


class Recorder:
    """What this process saw, merged into the file at `path` (shared with other processes) when it grows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: dict[str, set[Call]] = {}
        self._lock = threading.Lock()

    def record(
        self, function: str, service: str, operation: str, params: dict[str, Any], *, presigned: bool = False
    ) -> None:
        call = f"{service}:{operation}" + (" (presigned)" if presigned else "")
        new = {(action, resource, call) for action, resource in needs(service, operation, params)}
        with self._lock:
            known = self.seen.setdefault(function, set())
            if new <= known:
                return
            known |= new
            self._merge()

    def _merge(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        directory = os.open(self.path.parent, os.O_RDONLY)  # the lock: no stray file beside the record
        try:
            fcntl.flock(directory, fcntl.LOCK_EX)
            merged = {
                name: {(entry["action"], entry["resource"], entry["call"]) for entry in calls}
                for name, calls in read(self.path).items()
            }
            for function, calls in self.seen.items():
                merged.setdefault(function, set()).update(calls)
            temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(render(merged))
            temporary.replace(self.path)
        finally:
            os.close(directory)  # releases the lock


def read(path: Path) -> dict[str, list[dict[str, str]]]:
    """The record: function → its calls, each {"action", "resource", "call"}."""
    if not path.exists():
        return {}
    data: dict[str, list[dict[str, str]]] = json.loads(path.read_text())
    return data


def render(record: dict[str, set[Any]]) -> str:
    document = {
        function: [{"action": a, "resource": r, "call": c} for a, r, c in sorted(calls)]
        for function, calls in sorted(record.items())
    }
    return json.dumps(document, indent=2) + "\n"


_recorder: Recorder | None = None


def install_from_environment() -> Recorder | None:
    """Start recording into $DAM_RECORD_AWS_CALLS (once a process); nothing when it is unset."""
    global _recorder  # noqa: PLW0603
    target = os.environ.get(ENV)
    if not target or _recorder is not None:
        return _recorder
    _recorder = Recorder(Path(target).resolve())
    _patch_clients(_recorder)
    _patch_threads()
    return _recorder


def attach(client: Any, recorder: Recorder) -> None:
    """Report this client's calls (and presigned URLs and POSTs) to the recorder."""
    service = client.meta.service_model.signing_name

    def before_parameter_build(params: dict[str, Any], model: Any, context: Any = None, **_: Any) -> None:
        function = current_function()
        presigned = bool(context and context.get("is_presign_request"))
        # A presigned POST names its bucket through CreateBucket's parameters; the wrapper below records it.
        if function is not None and not (presigned and model.name == "CreateBucket"):
            recorder.record(function, service, model.name, params, presigned=presigned)

    client.meta.events.register("before-parameter-build", before_parameter_build)
    if hasattr(client, "generate_presigned_post"):  # its event names only the bucket: the key is here
        presign_post = client.generate_presigned_post

        def generate_presigned_post(Bucket: str, Key: str, *rest: Any, **options: Any) -> Any:  # noqa: N803
            function = current_function()
            if function is not None:
                recorder.record(function, "s3", "PutObject", {"Bucket": Bucket, "Key": Key}, presigned=True)
            return presign_post(Bucket, Key, *rest, **options)

        client.generate_presigned_post = generate_presigned_post


def _patch_clients(recorder: Recorder) -> None:
    from botocore.session import Session

    original = Session.create_client

    def create_client(self: Session, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        attach(client, recorder)
        return client

    Session.create_client = create_client  # type: ignore[method-assign]


def _patch_threads() -> None:
    original = threading.Thread.__init__

    def init(self: threading.Thread, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        # Not a thread moto starts (in-process Step Functions runs a state machine in one): its own calls are
        # moto's, and the steps it invokes name themselves.
        if not _started_by_moto():
            self._dam_function = current_function()  # type: ignore[attr-defined]

    threading.Thread.__init__ = init  # type: ignore[method-assign]
