"""`dam smoke` against the running local stack, as a user runs it: a subprocess, its table and exit status."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

STEPS = ("upload", "ready", "found by search", "delete", "gone")


def _smoke(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dam_local", "smoke", *args], check=False, capture_output=True, text=True, timeout=180
    )


def _rows(output: str) -> dict[str, str]:
    """step → result, from the table's lines."""
    lines = output.splitlines()
    return {step: line.removeprefix(step).split()[0] for line in lines for step in STEPS if line.startswith(step)}


def test_smoke_passes_against_the_local_stack_found_through_its_data_dir(local_stack: Any) -> None:
    done = _smoke("--data-dir", str(local_stack.data_dir), "--timeout", "60")
    assert done.returncode == 0, done.stdout + done.stderr
    assert _rows(done.stdout) == dict.fromkeys(STEPS, "pass")
    assert done.stdout.rstrip().endswith("PASS")
    assert local_stack.api_url in done.stdout


def test_smoke_with_an_explicit_api_and_token_passes(local_stack: Any) -> None:
    token = local_stack.token("sam", "ws-smoke-explicit", "admin")
    done = _smoke("--api", local_stack.api_url, "--token", token, "--timeout", "60")
    assert done.returncode == 0, done.stdout + done.stderr
    assert set(_rows(done.stdout).values()) == {"pass"}


def test_a_wrong_token_fails_the_first_step_and_exits_non_zero(local_stack: Any) -> None:
    done = _smoke("--api", local_stack.api_url, "--token", "not-a-token", "--timeout", "5")
    assert done.returncode == 1
    assert _rows(done.stdout) == {
        "upload": "FAIL",
        "ready": "skipped",
        "found by search": "skipped",
        "delete": "skipped",
        "gone": "skipped",
    }
    assert "answered 401" in done.stdout
    assert done.stdout.rstrip().endswith("FAIL")
    assert "Traceback" not in done.stderr


def test_a_viewer_may_not_upload_so_the_smoke_fails_with_the_reason(local_stack: Any) -> None:
    token = local_stack.token("vic", "ws-smoke-viewer", "viewer")
    done = _smoke("--api", local_stack.api_url, "--token", token, "--timeout", "5")
    assert done.returncode == 1
    assert _rows(done.stdout)["upload"] == "FAIL"
    assert "answered 403" in done.stdout


def test_without_a_running_stack_it_says_how_to_start_one(tmp_path: Any) -> None:
    done = _smoke("--data-dir", str(tmp_path))
    assert done.returncode == 1
    assert "no running local stack" in done.stderr and "Traceback" not in done.stderr
