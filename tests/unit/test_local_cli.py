"""`dam`'s command line: every option explained, one data home whatever the current directory."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dam_local.cli import _parser
from dam_local.home import HOME_ENV, REPO_ROOT, default_home
from dam_local.tokens import verify_token


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("command", sorted(_subcommands(_parser())))
def test_every_option_of_every_command_has_help_text(command: str) -> None:
    parser = _subcommands(_parser())[command]
    unexplained = [
        action.option_strings
        for action in parser._actions
        if action.option_strings and not isinstance(action, argparse._HelpAction) and not action.help
    ]
    assert unexplained == []


def test_the_data_home_is_the_repos_dam_folder_unless_dam_home_says_otherwise(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(HOME_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert default_home() == REPO_ROOT / ".dam"
    assert (REPO_ROOT / "pyproject.toml").exists()
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    assert default_home() == tmp_path / "home"


def test_dam_token_from_another_directory_uses_the_one_signing_key(tmp_path: Path) -> None:
    # Given a data home, and two shells in two different directories
    home = tmp_path / "home"
    env = {**os.environ, HOME_ENV: str(home)}
    tokens = []
    for directory in (tmp_path / "a", tmp_path / "b"):
        directory.mkdir()
        command = [sys.executable, "-m", "dam_local", "token", "--user", "maya", "--workspace", "studio"]
        tokens.append(
            subprocess.run(
                [*command, "--role", "editor"], cwd=directory, env=env, check=True, capture_output=True, text=True
            ).stdout.strip()
        )
    # Then both tokens verify against the home's one key, and no stray key was made where they ran
    key = (home / "signing-key").read_text().strip().encode()
    assert all(verify_token(key, token)["sub"] == "maya" for token in tokens)
    assert not (tmp_path / "a" / ".dam").exists() and not (tmp_path / "b" / ".dam").exists()


def test_the_first_make_local_says_what_it_installs_and_pip_is_not_silenced(tmp_path: Path) -> None:
    # Given no venv yet: what `make local` would run
    planned = subprocess.run(
        ["make", "-n", "-C", str(REPO_ROOT), f"VENV={tmp_path / 'venv'}", "local"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    install = next(i for i, line in enumerate(planned) if "-r requirements.lock" in line)
    # Then it announces the install before it starts, and pip prints its progress
    assert any(line.startswith("echo") and "first run only" in line for line in planned[:install])
    assert "--quiet" not in planned[install] and " -q" not in planned[install]
