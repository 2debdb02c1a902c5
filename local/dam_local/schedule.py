"""EventBridge's schedule, locally: a message sent to a queue at a fixed rate (the first at start), where the
function that consumes the queue on AWS consumes it here too. The trash's expiry sweep runs this way."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dam_local.polling import Poller

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

# As stacks/library_worker.py deploys it: `{"sweep": "trash"}` every hour.
TRASH_SWEEP = {"sweep": "trash"}
TRASH_SWEEP_SECONDS = 3600
SWEEP_SECONDS_VARIABLE = "DAM_LOCAL_TRASH_SWEEP_SECONDS"


def sweep_interval(environ: Mapping[str, str] = os.environ) -> float:
    """Seconds between trash sweeps (`DAM_LOCAL_TRASH_SWEEP_SECONDS`, default an hour, as deployed)."""
    value = environ.get(SWEEP_SECONDS_VARIABLE)
    seconds = float(value) if value else TRASH_SWEEP_SECONDS
    if seconds <= 0:
        raise ValueError(f"{SWEEP_SECONDS_VARIABLE} must be a positive number of seconds, got {value!r}")
    return seconds


class Schedule(Poller):
    idle_seconds = 0.5

    def __init__(
        self, sqs: SQSClient, queue_url: str, message: Mapping[str, Any], every_seconds: float, *, name: str
    ) -> None:
        super().__init__(name, stop_timeout=5)
        self._sqs = sqs
        self._url = queue_url
        self._body = json.dumps(dict(message))
        self._every = every_seconds
        self._next = time.monotonic()  # the first at start: what came due while the stack was down goes now
        self.sent = 0

    def poll_once(self) -> int:
        now = time.monotonic()
        if now >= self._next:
            self._sqs.send_message(QueueUrl=self._url, MessageBody=self._body)
            self.sent += 1
            self._next = now + self._every
        return 0
