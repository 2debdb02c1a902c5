"""Every `dam` command the README's Deploy and Restoring data sections print parses with `dam`'s own command
line, so the documented options cannot drift from the real ones."""

from __future__ import annotations

import re
import shlex

import pytest

from dam_local.cli import _parser
from dam_local.home import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()


def _dam_commands(section: str) -> list[list[str]]:
    text = README[README.index(f"## {section}") :]
    text = text[: text.index("\n## ", 1)]
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line.replace("$(", "$( ").replace(")", " )"), comments=True)
            words = words[: words.index(")")] if ")" in words else words  # the command inside `$(…)`
            if ".venv/bin/dam" in words:
                commands.append(words[words.index(".venv/bin/dam") + 1 :])
    return commands


@pytest.mark.parametrize("section", ["Deploy", "Restoring data"])
def test_the_readmes_dam_commands_parse(section: str) -> None:
    commands = _dam_commands(section)
    assert commands, f"no dam command in {section}"
    for words in commands:
        _parser().parse_args(words)  # argparse exits (2) on an unknown option or a missing one


def test_the_deploy_section_runs_admin_and_smoke_and_the_restore_section_copy_and_reindex() -> None:
    deploy = {tuple(words[:2]) for words in _dam_commands("Deploy")}
    assert {("admin", "create-user"), ("admin", "token"), ("admin", "add-to-group"), ("admin", "list-users")} <= deploy
    assert "smoke" in {words[0] for words in _dam_commands("Deploy")}
    assert [words[0] for words in _dam_commands("Restoring data")] == ["copy-table", "reindex"]
