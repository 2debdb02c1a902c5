"""Where the local stack keeps its signing key and data, and how to run `dam`: both independent of the
current directory, so a command printed once works pasted anywhere, without activating the venv."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

HOME_ENV = "DAM_HOME"
# local/dam_local/home.py → the repository (the package is installed editable, from the clone).
REPO_ROOT = Path(__file__).resolve().parents[2]


def default_home() -> Path:
    """`$DAM_HOME` if set, else `<repo>/.dam`: the same folder whichever directory a command runs in."""
    configured = os.environ.get(HOME_ENV)
    return Path(configured).expanduser().resolve() if configured else REPO_ROOT / ".dam"


def data_dir_or_default(data_dir: Path | str | None) -> Path:
    return Path(data_dir).expanduser().resolve() if data_dir is not None else default_home()


def dam_command() -> str:
    """This install's `dam`, by absolute path (the venv's script; `python -m dam_local` without one)."""
    script = Path(sys.executable).parent / "dam"
    parts = [str(script)] if script.exists() else [sys.executable, "-m", "dam_local"]
    return shlex.join(parts)


def running_api_url(data_dir: Path) -> str | None:
    """The API of the `dam local` running on this data dir (from the file it writes once ready), if any."""
    import json

    from dam_local.stack import READY_FILE

    ready = data_dir / READY_FILE
    return str(json.loads(ready.read_text())["api_url"]) if ready.exists() else None
