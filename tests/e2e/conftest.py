"""The local stack for end-to-end tests: started once per session on free ports in a temporary data dir.

By default it runs as `dam local` in a child process, so nothing in the test process (mock_aws resetting
moto's global state, handlers already imported with the integration tests' settings, monkeypatched
environment) can reach into it. Set DAM_E2E_IN_PROCESS=1 to run it in the test process instead, e.g. to
put a breakpoint in a handler (then run the e2e tests on their own: one stack per process).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from dam_local.stack import LocalStack, LocalStackProcess

E2E_DIR = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack | LocalStackProcess]:
    """A running stack: `api_url`, `moto_url`, `token(user, workspace, role, clients)`, `client(service)`."""
    data_dir = tmp_path_factory.mktemp("dam-local")
    stack: LocalStack | LocalStackProcess
    if os.environ.get("DAM_E2E_IN_PROCESS") == "1":
        stack = LocalStack(port=0, moto_port=0, data_dir=data_dir)
    else:
        stack = LocalStackProcess(data_dir)
    with stack:
        yield stack
