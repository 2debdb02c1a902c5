"""Local execution environments: a function with workers runs events at once in several processes, one event
at a time each, reports a handler's exception by class name, survives a worker dying and ends its workers."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from dam_local.lambdas import FunctionError, LocalFunction, child_python_path, error_type
from tests.e2e.test_search_walk import _eventually

HANDLERS = "tests.unit.local_worker_handlers"


def _in_background(function: LocalFunction, event: dict[str, Any]) -> tuple[threading.Thread, list[Any]]:
    results: list[Any] = []
    thread = threading.Thread(target=lambda: results.append(function.invoke(event)), daemon=True)
    thread.start()
    return thread, results


def _started(folder: Path) -> list[str]:
    return [path.name for path in folder.glob("started-*")]


@pytest.fixture
def hold(tmp_path: Path) -> Any:
    function = LocalFunction("dam-local-analyze", f"{HANDLERS}:hold", workers=1)
    yield function
    (tmp_path / "release").touch()
    function.stop()


def test_a_busy_function_starts_a_worker_and_runs_two_events_at_once(hold: LocalFunction, tmp_path: Path) -> None:
    event = {"folder": str(tmp_path)}
    first, first_result = _in_background(hold, event)
    assert _eventually(lambda: len(_started(tmp_path)) == 1)  # in the stack's process: nothing to start first
    second, second_result = _in_background(hold, event)  # finds the environment busy: a worker starts for it
    # Both events are inside a handler at the same time, neither has finished.
    assert _eventually(lambda: len(_started(tmp_path)) == 2), _started(tmp_path)
    assert not first_result and not second_result
    (tmp_path / "release").touch()
    first.join(30), second.join(30)
    pids = {first_result[0]["pid"], second_result[0]["pid"]}
    assert os.getpid() in pids and len(pids) == 2
    assert {first_result[0]["function"], second_result[0]["function"]} == {"dam-local-analyze"}


def test_a_worker_runs_one_event_at_a_time(hold: LocalFunction, tmp_path: Path) -> None:
    """Three events, two environments: the third waits until one of them is free."""
    event = {"folder": str(tmp_path)}
    running = [_in_background(hold, event) for _ in range(3)]
    assert _eventually(lambda: len(_started(tmp_path)) == 2)
    time.sleep(1)  # the third would have started by now if an environment took two events
    assert len(_started(tmp_path)) == 2
    (tmp_path / "release").touch()
    for thread, _ in running:
        thread.join(30)
    assert len(_started(tmp_path)) == 3 and all(result for _, result in running)


def _busy_function(tmp_path: Path, handler: str, timeout_seconds: int = 30) -> LocalFunction:
    """A function whose in-process environment is held by an event, so the next ones go to its worker."""
    function = LocalFunction("dam-local-register", f"{HANDLERS}:{handler}", workers=1, timeout_seconds=timeout_seconds)
    holder = LocalFunction("dam-local-register", f"{HANDLERS}:hold")
    function._handler = holder.load()  # the in-process environment holds; the worker runs `handler`
    _in_background(function, {"folder": str(tmp_path)})
    assert _eventually(lambda: len(_started(tmp_path)) == 1)
    return function


def test_a_handler_error_in_a_worker_keeps_its_class_name(tmp_path: Path) -> None:
    function = _busy_function(tmp_path, "reject")
    try:
        with pytest.raises(FunctionError) as raised:
            function.invoke({"folder": str(tmp_path)})
        assert error_type(raised.value) == "ContentRejected"
        assert str(raised.value) == "not for dam-local-register"
        assert error_type(ValueError("in this process")) == "ValueError"
    finally:
        (tmp_path / "release").touch()
        function.stop()


def test_a_worker_that_dies_fails_its_event_and_the_function_keeps_serving(tmp_path: Path) -> None:
    function = _busy_function(tmp_path, "exit_now")
    try:
        event = {"folder": str(tmp_path), "stack_pid": os.getpid()}
        with pytest.raises(FunctionError) as raised:
            function.invoke(event)
        assert error_type(raised.value) == "Runtime.ExitError"
        (tmp_path / "release").touch()
        assert function.invoke(event) == {"pid": os.getpid(), "function": "dam-local-register"}
    finally:
        (tmp_path / "release").touch()
        function.stop()


def test_an_event_past_the_timeout_is_ended_like_a_timed_out_lambda(tmp_path: Path) -> None:
    """A stuck step must not keep its run waiting forever: the worker is ended at the function's timeout and the
    state machine sees Lambda's timeout error (its Catch records the failure); the function keeps serving."""
    function = _busy_function(tmp_path, "hold", timeout_seconds=2)
    try:
        worker_started = time.monotonic()
        with pytest.raises(FunctionError) as raised:
            function.invoke({"folder": str(tmp_path)})  # holds until released: never, here
        assert error_type(raised.value) == "Sandbox.Timedout"
        assert "timed out after 2" in str(raised.value)
        assert time.monotonic() - worker_started < 20
        (tmp_path / "release").touch()
        assert function.invoke({"folder": str(tmp_path)})["function"] == "dam-local-register"
    finally:
        (tmp_path / "release").touch()
        function.stop()


def test_stop_ends_the_worker_processes(hold: LocalFunction, tmp_path: Path) -> None:
    event = {"folder": str(tmp_path)}
    _in_background(hold, event)
    assert _eventually(lambda: len(_started(tmp_path)) == 1)
    _in_background(hold, event)
    assert _eventually(lambda: len(_started(tmp_path)) == 2)
    workers = list(hold._workers)
    (tmp_path / "release").touch()
    hold.stop()
    assert workers and all(worker.process.poll() is not None for worker in workers)


def test_a_worker_never_gets_a_package_directory_on_its_path(tmp_path: Path) -> None:
    """OpenCV's import has its package directory on sys.path for a moment; a worker started then with that on
    its PYTHONPATH imported cv2/typing as `typing` and never started (the analysis ran one upload at a time)."""
    package = tmp_path / "cv2"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "typing").mkdir()
    assert child_python_path([str(tmp_path), str(package), "", "/nonexistent"]).split(os.pathsep) == [
        str(tmp_path),
        "/nonexistent",
    ]
