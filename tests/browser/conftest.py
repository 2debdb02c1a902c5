"""Browser tests: pytest-playwright driving Debian's chromium against `dam local --demo` serving web/dist.

Without chromium (or without a build of the web app) they skip, except in CI, where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dam_local.stack import WEB_DIST, LocalStackProcess

CHROMIUM = Path(os.environ.get("DAM_CHROMIUM", "/usr/lib/chromium/chromium"))


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"no chromium at {CHROMIUM} (apt-get install chromium)"
    if not (WEB_DIST / "index.html").exists():
        return "the web app is not built (make web)"
    return None


@pytest.fixture(scope="session", autouse=True)
def _browser_available() -> None:
    if problem := _missing():
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": ["--no-sandbox"]}


@pytest.fixture(scope="module")
def web_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    """One stack per module, with the demo library, serving web/dist at its API URL."""
    stack = LocalStackProcess(tmp_path_factory.mktemp("dam-web"), extra_args=["--demo"], timeout_seconds=120)
    with stack:
        stack.wait_for_log("Ctrl-C stops it", timeout_seconds=180)
        yield stack
