"""Property-based fuzzing of the committed OpenAPI document against the running local stack.

Given the document we publish, when Schemathesis sends the document's examples, its coverage cases (every
boundary and wrong type of each parameter and body field) and generated requests to every route with a
valid token, then nothing answers 5xx, every status is one the operation documents, and every response
matches its documented schema. Each operation is its own test with its own node id
(`test_…[GET /assets][admin]`), so `pytest -n 2 --dist loadfile` runs and counts every one. The document
has no `links`, so there is no stateful phase.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

OPENAPI = Path(__file__).resolve().parents[2] / "openapi.json"
PHASES = {name: {"enabled": True} for name in ("examples", "coverage", "fuzzing")} | {"stateful": {"enabled": False}}

# The base URL is given per call: the stack starts on free ports.
schema = schemathesis.openapi.from_path(OPENAPI, config=SchemathesisConfig.from_dict({"phases": PHASES}))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Schemathesis gives every operation's test the function's node id (pytest 9 builds ids from parameters),
    # and xdist runs one test per id: a parameter makes each operation's id its own.
    if "role" in metafunc.fixturenames:
        metafunc.parametrize("role", ["admin"])  # reaches every route's logic; the permission matrix covers the rest


@schemathesis.check
def not_a_server_error_but_the_offline_assistant(ctx: Any, response: Any, case: Any) -> bool | None:
    """The local stack has no model: the assistant's documented 503 "needs a configured model" is its answer."""
    if case.path.startswith("/assistant/") and response.status_code == 503:
        assert response.json()["error"]["code"] == "assistant_unavailable"
        return None
    return not_a_server_error(ctx, response, case)


@schema.parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_route_answers_5xx_or_breaks_its_schema(case: Any, local_stack: Any, role: str) -> None:
    token = local_stack.token(f"fuzz-{role}", "ws-fuzz", role)
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}  # not a generated one
    case.call_and_validate(
        base_url=local_stack.api_url,
        checks=[not_a_server_error_but_the_offline_assistant, status_code_conformance, response_schema_conformance],
    )


def test_the_document_has_no_links_for_a_stateful_phase() -> None:
    # If routes ever declare OpenAPI links, add `schema.as_state_machine()` as a stateful test here.
    assert '"links"' not in OPENAPI.read_text()
