"""Handlers for tests/unit/test_local_lambdas.py, imported by name in worker processes as a function's would be."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any


class ContentRejected(Exception):  # a name the state machine's Catch would match
    pass


def hold(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Says it started, then holds its environment until the test releases it."""
    folder = Path(event["folder"])
    (folder / f"started-{os.getpid()}-{time.monotonic_ns()}").touch()
    deadline = time.monotonic() + 60
    while not (folder / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return {"pid": os.getpid(), "function": context.function_name}


def reject(event: dict[str, Any], context: Any) -> None:
    raise ContentRejected(f"not for {context.function_name}")


def exit_now(event: dict[str, Any], context: Any) -> None:
    if os.getpid() != event["stack_pid"]:  # in a worker: the process dies mid-event
        os._exit(3)
