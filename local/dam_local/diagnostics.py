"""What a running `dam local` is doing, on SIGUSR1: every poller's counters and every thread's stack, printed
to its log. A stalled or lagging poller (a search that never sees an asset) shows which thread waits where."""

from __future__ import annotations

import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

DUMP_STARTS = "thread dump (SIGUSR1):"
DUMP_ENDS = "thread dump ends"


def thread_dump(statuses: Iterable[str]) -> str:
    frames = sys._current_frames()
    lines = [DUMP_STARTS, *(f"  {status}" for status in statuses)]
    for thread in threading.enumerate():
        frame = frames.get(thread.ident) if thread.ident is not None else None
        if frame is not None:
            lines.append(f"--- {thread.name}\n" + "".join(traceback.format_stack(frame)).rstrip())
    lines.append(DUMP_ENDS)
    return "\n".join(lines)


def dump_threads_on_signal(statuses: Callable[[], Iterable[str]]) -> None:
    def dump(signum: int, frame: FrameType | None) -> Any:
        print(thread_dump(statuses()), flush=True)

    signal.signal(signal.SIGUSR1, dump)
