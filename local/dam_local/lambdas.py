"""Lambda functions run locally: the real handler, a real-shaped context, one event at a time per environment.

Lambda never gives one execution environment two events at once, and handlers rely on that (the
Powertools resolver keeps the current event on a module-level app). Every function has one environment in
this process (imported at the stack's start: the first event never waits for anything else to load); a
function given `workers` also gets up to that many environments in worker processes (`dam_local.worker`),
started one at a time when events find every environment busy, so that several events run at once, as Lambda
scales out to more containers. A worker imports the handler once and keeps what it loads (models) like a warm
container; an event goes to an idle worker first (no shared GIL with moto and the API), to the in-process
environment when none is idle.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from dam_local.aws_calls import running
from dam_local.resources import ACCOUNT_ID, DEFAULT_REGION

Handler = Callable[[Any, Any], Any]
logger = logging.getLogger("dam_local.lambda")
# One line an invocation at DEBUG (`DAM_LOCAL_TIMINGS=1 dam local`): function, environment, wait, run, start.
TIMING_LOG = "%s in %s: waited %.3f s, ran %.3f s from %.3f"
TIMING_PATTERN = r"(\S+) in (\S+): waited ([\d.]+) s, ran ([\d.]+) s from ([\d.]+)"
# An invocation still running after this long is logged as a warning (each one once).
SLOW_INVOCATION_SECONDS = 60.0
WORKER_POLL_SECONDS = 5.0


@dataclass
class LambdaContext:
    """The attributes of the Python runtime's context object (memory arrives as a string there too)."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: str
    deadline_epoch_ms: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""
    identity: Any = None
    client_context: Any = None
    tenant_id: str | None = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.deadline_epoch_ms - int(time.time() * 1000))


def load_handler(reference: str) -> Handler:
    """`package.module:function` (or `package.module.function`) → the callable."""
    module_name, sep, attribute = reference.partition(":")
    if not sep:
        module_name, _, attribute = reference.rpartition(".")
    handler = getattr(importlib.import_module(module_name), attribute)
    if not callable(handler):
        raise TypeError(f"{reference} is not callable")
    return handler


class FunctionError(Exception):
    """A handler's exception raised in a worker process: `error_type` is its class name (what Retry and Catch
    match), the message its message."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def error_type(error: BaseException) -> str:
    """The `errorType` Lambda reports for a handler's exception."""
    return error.error_type if isinstance(error, FunctionError) else type(error).__name__


def child_python_path(path: list[str]) -> str:
    """This process's sys.path as a worker's PYTHONPATH, so it imports the same code wherever that came from,
    without package directories: OpenCV's import puts its own package directory on sys.path for a moment (in
    another thread here), and a child given that would import cv2/typing as the standard library's typing."""
    return os.pathsep.join(p for p in list(path) if p and not os.path.isfile(os.path.join(p, "__init__.py")))


class _Worker:
    """One execution environment in its own process (see `dam_local.worker`)."""

    def __init__(self, reference: str) -> None:
        ours, theirs = socket.socketpair()
        env = {**os.environ, "PYTHONPATH": child_python_path(sys.path)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dam_local.worker", reference, str(theirs.fileno()), str(os.getpid())],
            pass_fds=(theirs.fileno(),),
            env=env,
        )
        theirs.close()
        self.connection = Connection(ours.detach())
        self.broken = False

    def wait_ready(self) -> None:
        reply = self.connection.recv()  # EOFError: the import failed (the worker printed why)
        if reply != ("ready",):
            raise RuntimeError(f"unexpected first message from a worker: {reply!r}")

    def invoke(self, event: Any, context: LambdaContext) -> Any:
        try:
            self.connection.send((event, context))
            self._wait_for_reply(context)
            reply = self.connection.recv()
        except (EOFError, OSError) as error:
            self.broken = True  # its exit may not be reaped yet: never hand it another event
            raise FunctionError("Runtime.ExitError", f"the execution environment exited: {error}") from error
        if reply[0] == "ok":
            return reply[1]
        raise FunctionError(reply[1], reply[2])

    def _wait_for_reply(self, context: LambdaContext) -> None:
        """Until the reply is there: one warning once the event has run a while (a stuck step shows in the log at
        any level), and at the function's timeout the process is ended, as Lambda ends a timed-out invocation,
        so the state machine's Catch records the failure instead of the run waiting forever."""
        started = time.monotonic()
        timeout = max(0.0, context.get_remaining_time_in_millis() / 1000)
        warned = False
        while not self.connection.poll(min(WORKER_POLL_SECONDS, max(0.0, started + timeout - time.monotonic()))):
            elapsed = time.monotonic() - started
            if elapsed >= timeout:
                self.broken = True
                self.process.kill()
                self.process.wait()
                logger.warning(
                    "%s timed out after %.0f s in worker-%d: it was ended",
                    context.function_name,
                    elapsed,
                    self.process.pid,
                )
                raise FunctionError("Sandbox.Timedout", f"Task timed out after {elapsed:.2f} seconds")
            if not warned and elapsed >= SLOW_INVOCATION_SECONDS:
                warned = True
                logger.warning(
                    "%s has run %.0f s in worker-%d (request %s)",
                    context.function_name,
                    elapsed,
                    self.process.pid,
                    context.aws_request_id,
                )

    @property
    def alive(self) -> bool:
        return not self.broken and self.process.poll() is None

    def stop(self, timeout_seconds: float = 2) -> None:
        with contextlib.suppress(OSError):
            self.connection.send(None)
        try:
            self.process.wait(timeout=timeout_seconds)
        except subprocess.TimeoutExpired:  # still busy with an event: the stack is going away anyway
            self.process.kill()
            self.process.wait()
        # Closed once the process is gone: an event still waiting on it gets EOF (Runtime.ExitError), not a
        # connection closed under its feet.
        self.connection.close()


class LocalFunction:
    def __init__(
        self,
        name: str,
        handler: str | Handler,
        *,
        timeout_seconds: int = 30,
        memory_mb: int = 1024,
        region: str = DEFAULT_REGION,
        workers: int = 0,
    ) -> None:
        self.name = name
        self.arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}"
        self.timeout_seconds = timeout_seconds
        self.memory_mb = memory_mb
        self.workers = workers if isinstance(handler, str) else 0  # a worker imports the handler by name
        self._reference = handler
        self._handler: Handler | None = None if isinstance(handler, str) else handler
        # Idle environments: None is the one in this process, a _Worker one in its own process.
        self._idle: list[_Worker | None] = [None]
        self._workers: list[_Worker] = []
        self._changed = threading.Condition()
        self._stopping = False
        self._starting = False

    def load(self) -> Handler:
        """Import the handler: the cold start, which reads settings from the environment."""
        if self._handler is None:
            assert isinstance(self._reference, str)
            self._handler = load_handler(self._reference)
        return self._handler

    def _scale_out(self) -> None:
        """Called with the lock held by an event that found every environment busy: one more worker process,
        started in the background, while the function has fewer than `workers`. Concurrency grows with demand,
        as on Lambda, and a single upload never waits for (nor competes with) a worker's import."""
        if self._starting or self._stopping or len(self._workers) >= self.workers:
            return
        self._starting = True
        threading.Thread(target=self._start_worker, name=f"{self.name}-scale-out", daemon=True).start()

    def _start_worker(self) -> None:
        assert isinstance(self._reference, str)
        worker: _Worker | None = None
        try:
            worker = _Worker(self._reference)
            worker.wait_ready()
        except (EOFError, OSError, RuntimeError) as error:
            logger.warning("%s: a worker process did not start (%s); events keep running here", self.name, error)
            with self._changed:
                self._starting = False
                self.workers = len(self._workers)  # no retry loop on a broken import
            if worker is not None:
                worker.stop(timeout_seconds=0)
            return
        with self._changed:
            self._starting = False
            stopping = self._stopping
            if not stopping:
                self._workers.append(worker)
                self._idle.append(worker)
                self._changed.notify_all()  # the others still waiting ask for the next one
        if stopping:
            worker.stop()
        else:
            count = len(self._workers)
            logger.info("%s: worker process %d ready (%d of %d)", self.name, worker.process.pid, count, self.workers)

    def stop(self) -> None:
        """End the worker processes (an event still running in one is cut short)."""
        with self._changed:
            self._stopping = True
            workers, self._workers = self._workers, []
            self._idle = [None]
        for worker in workers:
            worker.stop()

    def context(self) -> LambdaContext:
        return LambdaContext(
            function_name=self.name,
            invoked_function_arn=self.arn,
            memory_limit_in_mb=str(self.memory_mb),
            deadline_epoch_ms=int(time.time() * 1000) + self.timeout_seconds * 1000,
            log_group_name=f"/aws/lambda/{self.name}",
            log_stream_name=f"{time.strftime('%Y/%m/%d')}/[$LATEST]local",
        )

    def _acquire(self) -> _Worker | None:
        with self._changed:
            while not self._idle:
                self._scale_out()
                self._changed.wait()
            # A worker first: its CPU-bound work doesn't hold this process's GIL (moto, the API, the pollers).
            environment = next((worker for worker in self._idle if worker is not None), None)
            self._idle.remove(environment)
            return environment

    def _release(self, environment: _Worker | None) -> None:
        with self._changed:
            if environment is None or (environment in self._workers and environment.alive):
                self._idle.append(environment)
                self._changed.notify()
                return
            if environment not in self._workers:
                return  # stopped meanwhile
            # It died (killed, out of memory): its events run elsewhere; the next busy moment starts another.
            self._workers.remove(environment)
        environment.stop(timeout_seconds=1)  # reaps it
        logger.warning("%s: a worker process exited with %s", self.name, environment.process.returncode)

    def invoke(self, event: Any) -> Any:
        """Run the handler in an idle environment; errors propagate, as a failed invocation does to its caller."""
        handler = self.load()
        asked = time.monotonic()
        environment = self._acquire()
        context = self.context()
        started, started_at = time.monotonic(), time.time()
        try:
            if environment is not None:
                return environment.invoke(event, context)
            with running(self._reference):  # what `make aws-calls` attributes this invocation's calls to
                return handler(event, context)
        finally:
            elapsed = time.monotonic() - started
            self._release(environment)
            where = "stack" if environment is None else f"worker-{environment.process.pid}"
            logger.debug(TIMING_LOG, self.name, where, started - asked, elapsed, started_at)
            if elapsed > self.timeout_seconds:
                # A handler cannot be stopped here; on AWS this invocation would have timed out.
                logger.warning("%s ran %.1f s, over its %d s timeout", self.name, elapsed, self.timeout_seconds)
