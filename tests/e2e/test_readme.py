"""The README's "Try it" path, run the way a newcomer runs it: pasted into a shell in another directory,
without activating the venv, against a freshly started `make local` (the stack with its demo)."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from dam_local.home import HOME_ENV, REPO_ROOT
from dam_local.stack import LocalStackProcess

README = (REPO_ROOT / "README.md").read_text()
README_CLONE = "/home/you/asset-library"  # the README's example path: the banner prints the real one
README_API = "http://127.0.0.1:8000"
BANNER_END = "Ctrl-C stops it."


def _commands(text: str) -> list[str]:
    """The shell lines of a "Try it" block (the banner's, or the README's copy of it)."""
    block = text[text.index("Try it") : text.index(BANNER_END, text.index("Try it"))]
    return [line.strip() for line in block.splitlines() if line.strip().startswith(("export ", "curl "))]


def _readme_block(language: str, after: str) -> str:
    match = re.search(rf"```{language}\n(.*?)```", README[README.index(after) :], re.S)
    assert match, f"no {language} block after {after!r}"
    return match.group(1)


def _as_a_newcomer(tmp_path: Path, data_dir: Path) -> dict[str, str]:
    """A shell that never activated the venv, in a directory that is not the clone."""
    venv_bin = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p != venv_bin)
    env = {name: value for name, value in os.environ.items() if name != "VIRTUAL_ENV"}
    return {**env, "PATH": path, HOME_ENV: str(data_dir)}


@pytest.fixture(scope="module")
def started(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStackProcess, str]]:
    data_dir = tmp_path_factory.mktemp("dam-readme").resolve()
    # The stack's home is the one every later command finds by itself ($DAM_HOME, else <clone>/.dam).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(HOME_ENV, str(data_dir))
        with LocalStackProcess(data_dir, extra_args=["--demo"], timeout_seconds=120) as stack:
            yield stack, stack.wait_for_log(BANNER_END, timeout_seconds=300)


def _run_shell(lines: list[str], cwd: Path, env: dict[str, str]) -> list[str]:
    """Each curl's output, one a line (the exports set the tokens for the lines after them)."""
    script = "set -e\n" + "\n".join(f"{line}\necho" if line.startswith("curl ") else line for line in lines)
    done = subprocess.run(
        ["bash", "-c", script], check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line]


def _check_try_it_outputs(outputs: list[str]) -> None:
    assets, search, folder = (json.loads(output) for output in outputs[:3])
    assert len(assets["items"]) >= 9 and {item["status"] for item in assets["items"]} == {"ready"}
    assert {item["name"] for item in search["items"]} >= {"neon-alley-dusk.webp", "neon-alley-wide.webp"}
    assert folder["name"] == "Spring campaign"  # the admin's token may create folders (an editor's may not)


def test_the_banners_commands_work_pasted_in_another_directory(
    started: tuple[LocalStackProcess, str], tmp_path: Path
) -> None:
    stack, log = started
    banner = log[log.rindex("DAM local stack ready") :]
    assert "9 demo assets" in banner and "not ready" not in log and "reached" not in log
    lines = _commands(banner)
    assert any("--role editor" in line for line in lines) and any("--role admin" in line for line in lines)
    _check_try_it_outputs(_run_shell(lines, tmp_path, _as_a_newcomer(tmp_path, stack.data_dir)))


def test_the_readmes_try_it_commands_work_pasted_in_another_directory(
    started: tuple[LocalStackProcess, str], tmp_path: Path
) -> None:
    stack, _ = started
    lines = [
        line.replace(README_CLONE, str(REPO_ROOT)).replace(README_API, stack.api_url)
        for line in _commands(_readme_block("", "then prints something like this"))
    ]
    env = _as_a_newcomer(tmp_path, stack.data_dir)
    _check_try_it_outputs(_run_shell(lines, tmp_path, env))
    # and its example of what search finds offline
    search = _readme_block("bash", "### What search finds offline").strip().replace(README_API, stack.api_url)
    token_line = next(line for line in lines if line.startswith("export TOKEN="))
    found = json.loads(_run_shell([token_line, search], tmp_path, env)[0])
    assert [item["name"] for item in found["items"]] == ["desert-temple-concept.png"]


def test_the_readmes_python_example_uploads_a_photo_and_waits_until_it_is_ready(
    started: tuple[LocalStackProcess, str], tmp_path: Path
) -> None:
    stack, _ = started
    (tmp_path / "upload.py").write_text(
        _readme_block("python", "Save this as `upload.py`").replace(README_API, stack.api_url)
    )
    photo = io.BytesIO()
    Image.new("RGB", (800, 600), "#c0ffee").save(photo, "JPEG")
    (tmp_path / "photo.jpg").write_bytes(photo.getvalue())
    # run as the README says: the venv's Python by its path, from the photo's directory
    done = subprocess.run(
        [sys.executable, "upload.py"],
        check=False,
        cwd=tmp_path,
        env=_as_a_newcomer(tmp_path, stack.data_dir),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ready"
