"""The whole backend on 127.0.0.1: moto's server, the resources, the functions, the gateway, the poller.

`LocalStack` runs it in this process (what `dam local` does). `LocalStackProcess` runs `dam local` as
a child process with the same interface: tests use it so that nothing in the test process (mock_aws
resetting moto's global state, handlers already imported with other settings, environment patches)
can reach into the stack.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from dam_local.diagnostics import DUMP_ENDS, DUMP_STARTS
from dam_local.home import data_dir_or_default
from dam_local.persistence import (
    SavedState,
    Snapshotter,
    remove_search_index,
    reset,
    restore_items,
    restore_objects,
)
from dam_local.resources import ACCOUNT_ID, DEFAULT_REGION, LocalResources, Names, Queue, create_resources
from dam_local.tokens import issue_token, signing_key

if TYPE_CHECKING:
    from dam_local.executions import ExecutionWatcher
    from dam_local.gateway import GatewayServer, WebApp
    from dam_local.lambdas import LocalFunction
    from dam_local.notifications import SqsPoller
    from dam_local.polling import Poller
    from dam_local.schedule import Schedule
    from dam_local.streams import StreamPoller

API_HANDLER = "functions.api.handler:handler"
INGEST_HANDLER = "functions.ingest.handler:handler"
INDEXER_HANDLER = "functions.indexer.handler:handler"
LIBRARY_WORKER_HANDLER = "functions.library_worker.handler:handler"
AUDIT_HANDLER = "functions.audit.handler:handler"
# The tables whose streams the audit function reads, as on AWS (stacks/audit.py).
AUDITED_TABLES = ("Assets", "Library")
SEARCH_FILE = "search.sqlite"
READY_FILE = "stack.json"
CATCH_UP_SECONDS = 120
REPO_ROOT = Path(__file__).resolve().parents[2]
WEB_DIST = REPO_ROOT / "web" / "dist"  # `make web` builds it
MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}}
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# Real credentials in the developer's shell must never pair with the dummy keys or win over them.
CLEARED_ENV = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE")

_started_in_this_process = False


class StackError(RuntimeError):
    pass


class _StackAccess:
    """What a client of a running stack needs: tokens it accepts and AWS clients for its moto server."""

    data_dir: Path
    region: str

    @property
    def moto_url(self) -> str:
        raise NotImplementedError

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def token(self, user: str, workspace: str, role: str = "editor", clients: Sequence[str] = ()) -> str:
        """A bearer token this stack accepts (see `dam token`)."""
        return issue_token(signing_key(self.data_dir), user=user, workspace=workspace, role=role, clients=clients)

    def client(self, service: str) -> Any:
        """A boto3 client for moto's server (path-style S3, dummy credentials)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.moto_url,
            region_name=self.region,
            aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )


class LocalStack(_StackAccess):
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        moto_port: int = 0,
        data_dir: Path | str | None = None,  # None: $DAM_HOME, else <repo>/.dam
        region: str = DEFAULT_REGION,
        names: Names | None = None,
        api_handler: str = API_HANDLER,
        ingest_handler: str = INGEST_HANDLER,
        reset: bool = False,
        web_dir: Path | None = WEB_DIST,
    ) -> None:
        self.host = host
        self.web_dir = web_dir
        self.port = port
        self.moto_port = moto_port
        self.data_dir = data_dir_or_default(data_dir)
        self.region = region
        self.names = names or Names()
        self.api_handler = api_handler
        self.ingest_handler = ingest_handler
        self.reset = reset
        self.restored_items = 0
        self.recovered: list[str] = []
        self.resources: LocalResources | None = None
        self._snapshotter: Snapshotter | None = None
        self.functions: dict[str, LocalFunction] = {}
        self.startup_seconds = 0.0
        self._moto: Any = None
        self._gateway: GatewayServer | None = None
        self._poller: SqsPoller | None = None
        self._library_poller: SqsPoller | None = None
        self._sweep_schedule: Schedule | None = None
        self._stream_poller: StreamPoller | None = None
        self._execution_watcher: ExecutionWatcher | None = None
        self._audit_pollers: list[StreamPoller] = []
        self._saved_env: dict[str, str | None] = {}

    @property
    def api_url(self) -> str:
        if self._gateway is None:
            raise StackError("the stack is not running")
        return self._gateway.url

    @property
    def moto_url(self) -> str:
        if self._moto is None:
            raise StackError("the stack is not running")
        host, port = self._moto.get_host_and_port()
        return f"http://{host}:{port}"

    def start(self) -> Self:
        global _started_in_this_process  # noqa: PLW0603
        if _started_in_this_process:
            # Handlers read their settings once, at import; a second stack would need a fresh process.
            raise StackError("one local stack per process: start another one in a new process")
        _started_in_this_process = True
        started = time.monotonic()
        from dam_local.aws_calls import install_from_environment

        install_from_environment()  # `make aws-calls` records what each function calls (off by default)
        key = signing_key(self.data_dir)  # first, so `dam token` works as soon as the URL is printed
        (self.data_dir / READY_FILE).unlink(missing_ok=True)
        if self.reset:
            reset(self.data_dir, SEARCH_FILE)
        saved = SavedState(self.data_dir)
        # Search is derived from the table: rebuilt from the restored items through the stream at every start,
        # so it can never disagree with the table (even after a hard kill saved the two at different moments).
        remove_search_index(self.data_dir, SEARCH_FILE)
        try:
            self._start_moto()
            s3 = self.client("s3")
            self.resources = create_resources(
                s3,
                self.client("sqs"),
                self.client("dynamodb"),
                self.names,
                fill_bucket=lambda bucket: restore_objects(
                    s3, ACCOUNT_ID, bucket, saved.objects_to_restore(self._assets_table)
                ),
            )
            self.restored_items = restore_items(ACCOUNT_ID, self.region, self.resources.tables.values(), saved)
            self._set_environment(self.resources)
            self._create_pipeline()
            self._start_functions(key)
            self._catch_up(s3)
            self._snapshotter = Snapshotter(
                self.data_dir, ACCOUNT_ID, self.region, self.resources.tables.values(), self.resources.media_bucket
            )
            self._snapshotter.start()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        self._write_ready_file()
        return self

    @property
    def _assets_table(self) -> str:
        return self.names.table("Assets")

    def _catch_up(self, s3: Any) -> None:
        """Before the stack says it is ready: search holds every restored asset, and assets whose processing
        the last stop cut short run again."""
        assert self._stream_poller is not None and self.resources is not None
        if self.restored_items and not self._stream_poller.caught_up.wait(CATCH_UP_SECONDS):
            raise StackError(f"the search index did not catch up with the table within {CATCH_UP_SECONDS} s")
        if self.restored_items:
            from dam.adapters.dynamodb.assets import AssetRepository
            from dam_local.recovery import recover_interrupted
            from functions.ingest.handler import ingest_service

            service = ingest_service()  # binds the tables, as the ingest function did at its cold start
            self.recovered = recover_interrupted(AssetRepository(), service, s3, self.resources.media_bucket)

    def _start_moto(self) -> None:
        from moto.server import ThreadedMotoServer

        from dam_local.atomic import roll_back_transactions_in_place, serialise_dynamodb
        from dam_local.moto_fast import speed_up_moto
        from dam_local.post_policy import PostPolicyCheck

        serialise_dynamodb()  # the threaded server applies each DynamoDB request alone, as DynamoDB does
        roll_back_transactions_in_place()  # a cancelled transaction leaves the tables' streams readable
        speed_up_moto()  # the same answers, sooner
        self._moto = ThreadedMotoServer(ip_address=self.host, port=self.moto_port, verbose=False)
        self._moto.start()
        # moto enforces no POST policy: browser uploads are checked first, with the credentials the API signs with.
        server = self._moto._server
        server.app = PostPolicyCheck(server.app, secret=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])
        # moto's Step Functions interpreter calls back into the server at localhost:$MOTO_PORT.
        self._setenv("MOTO_PORT", str(self._moto.get_host_and_port()[1]))
        request = urllib.request.Request(
            f"{self.moto_url}/moto-api/config",
            data=json.dumps(MOTO_CONFIG).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10):
            pass

    def _set_environment(self, resources: LocalResources) -> None:
        """What CDK sets on the functions, before any handler is imported (settings load at cold start)."""
        for name in CLEARED_ENV:
            self._setenv(name, None)
        env = {
            **DUMMY_CREDENTIALS,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "DAM_ENDPOINT_URL": self.moto_url,
            "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here
            "POWERTOOLS_METRICS_DISABLED": "true",  # no CloudWatch to read the EMF lines
            "DAM_OCR": "true",  # the local analyzer reads text in images (bundled PP-OCR weights)
            # The embedded search engine: one file the indexer writes and the API reads.
            "DAM_SEARCH_ENGINE": "embedded",
            "DAM_SEARCH_PATH": str((self.data_dir / SEARCH_FILE).resolve()),
            **resources.environment(),
        }
        for name, value in env.items():
            self._setenv(name, value)

    def _create_pipeline(self) -> None:
        from dam_local.pipeline import create_pipeline

        arn = create_pipeline(self.client("iam"), self.client("lambda"), self.client("stepfunctions"), self.names)
        self._setenv("DAM_STATE_MACHINE_ARN", arn)

    def _setenv(self, name: str, value: str | None) -> None:
        self._saved_env.setdefault(name, os.environ.get(name))
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value

    def _start_functions(self, key: bytes) -> None:
        from dam_local.executions import ExecutionWatcher
        from dam_local.gateway import Gateway, GatewayServer
        from dam_local.lambdas import LocalFunction
        from dam_local.notifications import SqsPoller
        from dam_local.schedule import TRASH_SWEEP, Schedule, sweep_interval
        from dam_local.streams import StreamPoller

        assert self.resources is not None
        api = LocalFunction(self.names.function("api"), self.api_handler, timeout_seconds=29, region=self.region)
        ingest = LocalFunction(
            self.names.function("ingest"), self.ingest_handler, timeout_seconds=60, region=self.region
        )
        from dam_local.pipeline import pipeline_functions, route_lambda_invocations, worker_count

        steps = pipeline_functions(self.names, self.region, worker_count())
        route_lambda_invocations(steps)
        indexer = LocalFunction(self.names.function("indexer"), INDEXER_HANDLER, timeout_seconds=60, region=self.region)
        worker = LocalFunction(
            self.names.function("library-worker"), LIBRARY_WORKER_HANDLER, timeout_seconds=120, region=self.region
        )
        audit = LocalFunction(self.names.function("audit"), AUDIT_HANDLER, timeout_seconds=60, region=self.region)
        self.functions = {
            "api": api,
            "ingest": ingest,
            "indexer": indexer,
            "library-worker": worker,
            "audit": audit,
            **steps,
        }
        for function in self.functions.values():
            function.load()  # import errors surface now, not on the first request
        from dam_local.warm import warm_in_background

        warm_in_background()  # the first upload finds its services and models loaded
        queue = self.resources.upload_queue
        self._poller = SqsPoller(
            self.client("sqs"), queue.url, queue.arn, self.region, ingest.invoke, name="upload-poller"
        )
        self._poller.start()
        if self.resources.library_queue is not None:  # big deletes' per-asset work, as on AWS
            cleanup = self.resources.library_queue
            self._library_poller = SqsPoller(
                self.client("sqs"), cleanup.url, cleanup.arn, self.region, worker.invoke, name="library-poller"
            )
            self._library_poller.start()
            # The trash's expiry, on the schedule EventBridge keeps on AWS.
            self._sweep_schedule = Schedule(
                self.client("sqs"), cleanup.url, TRASH_SWEEP, sweep_interval(), name="trash-sweep-schedule"
            )
            self._sweep_schedule.start()
        self._stream_poller = StreamPoller(
            self.client("dynamodbstreams"),
            self._assets_stream_arn(),
            self.region,
            indexer.invoke,
            name="stream-poller",
            dead_letter=self._indexer_dead_letter(),
        )
        self._stream_poller.start()
        # Runs that end outside their own Catch (timed out, stopped) reach RecordFailure as on AWS, via EventBridge.
        self._execution_watcher = ExecutionWatcher(
            self.client("stepfunctions"),
            os.environ["DAM_STATE_MACHINE_ARN"],
            self.region,
            steps[self.names.function("record_failure")].invoke,
        )
        self._execution_watcher.start()
        # The audit log: both tables' streams → the audit function, the same code as on AWS. From what is new
        # (the items restored at this start are the same items again, already in the restored audit table).
        for logical in AUDITED_TABLES:
            poller = StreamPoller(
                self.client("dynamodbstreams"),
                self._stream_arn(logical),
                self.region,
                audit.invoke,
                name=f"audit-{logical.lower()}-poller",
                dead_letter=self._dead_letter(self.resources.audit_dlq),
            )
            poller.skip_to_latest()
            poller.start()
            self._audit_pollers.append(poller)
        self._gateway = GatewayServer(Gateway(api.invoke, key, web=self.web_app()), self.host, self.port)
        self._gateway.start()

    def web_app(self) -> WebApp | None:
        """The built web app, or None (the API still runs; the banner says how to build it)."""
        from dam_local.gateway import WebApp, api_prefixes

        if self.web_dir is None or not (self.web_dir / "index.html").is_file():
            return None
        return WebApp(self.web_dir, api_prefixes(REPO_ROOT / "openapi.json"))

    def _indexer_dead_letter(self) -> Callable[[dict[str, Any]], None] | None:
        assert self.resources is not None
        return self._dead_letter(self.resources.indexer_dlq)

    def _dead_letter(self, queue: Queue | None) -> Callable[[dict[str, Any]], None] | None:
        sqs = self.client("sqs")
        if queue is None:
            return None
        url = queue.url
        return lambda message: sqs.send_message(QueueUrl=url, MessageBody=json.dumps(message))

    def _assets_stream_arn(self) -> str:
        return self._stream_arn("Assets")

    def _stream_arn(self, logical_name: str) -> str:
        assert self.resources is not None
        table = self.client("dynamodb").describe_table(TableName=self.resources.tables[logical_name])["Table"]
        return str(table["LatestStreamArn"])

    def _write_ready_file(self) -> None:
        """Where a process that did not start the stack (tests, scripts) finds it, once it is ready."""
        assert self.resources is not None
        info = {
            "pid": os.getpid(),
            "api_url": self.api_url,
            "moto_url": self.moto_url,
            "region": self.region,
            "environment": self.resources.environment(),
            "upload_queue_url": self.resources.upload_queue.url,
            "upload_dlq_url": self.resources.upload_dlq.url,
            "indexer_dlq_url": self.resources.indexer_dlq.url if self.resources.indexer_dlq else None,
            "library_dlq_url": self.resources.library_dlq.url if self.resources.library_dlq else None,
            "audit_dlq_url": self.resources.audit_dlq.url if self.resources.audit_dlq else None,
        }
        path = self.data_dir / READY_FILE
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(info, indent=2) + "\n")
        temporary.replace(path)

    def pollers(self) -> list[Poller]:
        running = (
            self._poller,
            self._library_poller,
            self._sweep_schedule,
            self._stream_poller,
            self._execution_watcher,
            *self._audit_pollers,
        )
        return [poller for poller in running if poller is not None]

    def stop(self) -> None:
        (self.data_dir / READY_FILE).unlink(missing_ok=True)
        pollers = self.pollers()
        for poller in pollers:
            poller.request_stop()
        if self._gateway is not None:
            self._gateway.stop()
            self._gateway = None
        for function in self.functions.values():
            function.stop()  # the worker processes; an execution still running fails over to this process
        if self._snapshotter is not None:
            self._snapshotter.stop()  # while moto still answers: the last changes are saved too
            self._snapshotter = None
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        for poller in pollers:
            poller.stop()  # its last poll ended meanwhile
        self._poller = self._library_poller = self._stream_poller = self._execution_watcher = None
        self._sweep_schedule = None
        self._audit_pollers = []
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()


class LocalStackProcess(_StackAccess):
    """`dam local` in a child process; ready when it has written its ready file."""

    def __init__(self, data_dir: Path | str, *, extra_args: Sequence[str] = (), timeout_seconds: float = 90) -> None:
        self.data_dir = Path(data_dir)
        self.extra_args = list(extra_args)
        self.timeout_seconds = timeout_seconds
        self.log_path = self.data_dir / "local.log"
        self.info: dict[str, Any] = {}
        self.region = DEFAULT_REGION
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def api_url(self) -> str:
        return str(self.info["api_url"])

    @property
    def pid(self) -> int:
        return int(self.info["pid"])

    @property
    def moto_url(self) -> str:
        return str(self.info["moto_url"])

    def start(self) -> Self:
        if self._process is not None and self._process.poll() is None:
            raise StackError("this dam local is already running")  # a second start would orphan the first
        self.data_dir.mkdir(parents=True, exist_ok=True)
        ready = self.data_dir / READY_FILE
        ready.unlink(missing_ok=True)
        command = [sys.executable, "-m", "dam_local", "local", "--port", "0", "--moto-port", "0"]
        command += ["--data-dir", str(self.data_dir), *self.extra_args]
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.timeout_seconds
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise StackError(f"dam local exited with {self._process.returncode}:\n{self.log()}")
            if ready.exists():
                info = json.loads(ready.read_text())
                if info.get("pid") == self._process.pid:
                    self.info = info
                    self.region = info["region"]
                    return self
            time.sleep(0.05)
        self.stop()
        raise StackError(f"dam local was not ready within {self.timeout_seconds} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def thread_dump(self, timeout_seconds: float = 15) -> str:
        """The stack's pollers and threads as it prints them on SIGUSR1 ("" when it does not answer)."""
        if self._process is None or self._process.poll() is not None:
            return ""
        before = self.log().count(DUMP_ENDS)
        self._process.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            log = self.log()
            if log.count(DUMP_ENDS) > before:
                start = log.rindex(DUMP_STARTS)
                return log[start : log.index(DUMP_ENDS, start) + len(DUMP_ENDS)]
            time.sleep(0.05)
        return ""

    def wait_for_log(self, text: str, timeout_seconds: float = 120) -> str:
        """The log once it contains `text` (e.g. the banner, printed once the demo data is ready)."""
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if text in (log := self.log()):
                return log
            if self._process is not None and self._process.poll() is not None:
                break
            time.sleep(0.1)
        raise StackError(f"{text!r} did not appear in the log of dam local:\n{self.log()}")

    def kill(self) -> None:
        """A hard kill (SIGKILL): no chance to save anything on the way out."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()

    def stop(self, signum: int = signal.SIGINT) -> None:
        """A clean stop: SIGINT as Ctrl-C (the default) or SIGTERM as a service manager sends."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signum)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
