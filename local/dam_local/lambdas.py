"""Lambda functions run in-process: the real handler, a real-shaped context, one event at a time.

Lambda never gives one execution environment two events at once, and handlers rely on that (the
Powertools resolver keeps the current event on a module-level app), so each function has a lock:
locally every function behaves like one warm container with reserved concurrency 1.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dam_local.resources import ACCOUNT_ID, DEFAULT_REGION

Handler = Callable[[Any, Any], Any]
logger = logging.getLogger("dam_local.lambda")


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


class LocalFunction:
    def __init__(
        self,
        name: str,
        handler: str | Handler,
        *,
        timeout_seconds: int = 30,
        memory_mb: int = 1024,
        region: str = DEFAULT_REGION,
    ) -> None:
        self.name = name
        self.arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}"
        self.timeout_seconds = timeout_seconds
        self.memory_mb = memory_mb
        self._reference = handler
        self._handler: Handler | None = None if isinstance(handler, str) else handler
        self._lock = threading.Lock()

    def load(self) -> Handler:
        """Import the handler: the cold start, which reads settings from the environment."""
        if self._handler is None:
            assert isinstance(self._reference, str)
            self._handler = load_handler(self._reference)
        return self._handler

    def context(self) -> LambdaContext:
        return LambdaContext(
            function_name=self.name,
            invoked_function_arn=self.arn,
            memory_limit_in_mb=str(self.memory_mb),
            deadline_epoch_ms=int(time.time() * 1000) + self.timeout_seconds * 1000,
            log_group_name=f"/aws/lambda/{self.name}",
            log_stream_name=f"{time.strftime('%Y/%m/%d')}/[$LATEST]local",
        )

    def invoke(self, event: Any) -> Any:
        """Run the handler; errors propagate, as a failed invocation does to its caller."""
        handler = self.load()
        with self._lock:
            context = self.context()
            started = time.monotonic()
            try:
                return handler(event, context)
            finally:
                elapsed = time.monotonic() - started
                if elapsed > self.timeout_seconds:
                    # A thread cannot be stopped; on AWS this invocation would have timed out.
                    logger.warning("%s ran %.1f s, over its %d s timeout", self.name, elapsed, self.timeout_seconds)
