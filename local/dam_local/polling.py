"""A background thread that polls an event source and hands batches to a local function, the way
Lambda's event source mappings do. Subclasses say how to poll once."""

from __future__ import annotations

import logging
import threading
import time

logger = logging.getLogger("dam_local.polling")


class Poller:
    idle_seconds = 0.2  # between empty polls of sources that do not long-poll

    def __init__(self, name: str, stop_timeout: float) -> None:
        self._stop = threading.Event()
        self._stop_timeout = stop_timeout
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        # What a thread dump of the stack reports (SIGUSR1): a stalled or lagging poller shows here.
        self.polls = self.arrived = self.failures = 0
        self.last_poll_at: float | None = None

    def status(self) -> str:
        ago = "never" if self.last_poll_at is None else f"{time.monotonic() - self.last_poll_at:.1f} s ago"
        return (
            f"{self._thread.name}: alive={self._thread.is_alive()} polls={self.polls} records={self.arrived} "
            f"failures={self.failures} last poll ended {ago}"
        )

    def start(self) -> None:
        self._thread.start()

    def request_stop(self) -> None:
        """Let the current poll finish in the background while other parts shut down."""
        self._stop.set()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self._stop_timeout)

    def poll_once(self) -> int:
        """Poll once, deliver what arrived; returns how many records arrived."""
        raise NotImplementedError

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                arrived = self.poll_once()
                self.polls, self.arrived, self.last_poll_at = self.polls + 1, self.arrived + arrived, time.monotonic()
                if arrived == 0 and self.idle_seconds:
                    self._stop.wait(self.idle_seconds)
            except Exception:
                if self._stop.is_set():
                    return  # moto went away during shutdown
                self.failures += 1
                logger.exception("%s failed", self._thread.name)
                self._stop.wait(1)
