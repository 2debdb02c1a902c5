"""Property-based fuzzing of the committed OpenAPI document against the running local stack.

Given the document we publish, when Schemathesis sends a few generated requests to every route with a
valid token, then nothing answers 5xx and every response matches what the document says it returns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

OPENAPI = Path(__file__).resolve().parents[2] / "openapi.json"


# The base URL is given per call: the stack starts on free ports.
schema = schemathesis.openapi.from_path(OPENAPI)


@schema.parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_route_answers_5xx_or_breaks_its_schema(case: Any, local_stack: Any) -> None:
    # An admin reaches every route's logic; the permission matrix covers the other roles.
    token = local_stack.token("fuzz-admin", "ws-fuzz", "admin")
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}  # not a generated one
    case.call_and_validate(
        base_url=local_stack.api_url,
        checks=[not_a_server_error, response_schema_conformance],
    )
