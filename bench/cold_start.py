"""Cold start: how long importing the API handler takes, against a bare `import boto3`.

Each figure is the median of fresh interpreters (`python -X importtime`, cumulative microseconds of the
top-level imports). "api + 1st request" imports the handler and serves a real first request, a gallery page
(GET /assets), from a moto server in this process: everything that request imports is counted (its route
module, the services it builds, the settings, the SDK clients). Goal: that costs at most 2x boto3 alone.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RUNS = 9
# A fresh Lambda instance's first event: the handler module, then GET /assets as API Gateway sends it.
FIRST_REQUEST = """
import json, sys
import functions.api.handler
class Context:
    function_name, memory_limit_in_mb, aws_request_id = "dam-api", 1024, "r-1"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:dam-api"
answer = functions.api.handler.handler(json.loads(sys.argv[1]), Context())
assert answer["statusCode"] == 200, answer
"""
TARGETS = {
    "boto3": "import boto3",
    "api handler": "import functions.api.handler",
    "ingest handler": "import functions.ingest.handler",
    "api + 1st request": FIRST_REQUEST,
    # What the X-Ray SDK (Powertools Tracer, which patches botocore) would add to that: the tracing decision.
    "  ... + Tracer": FIRST_REQUEST
    + "from aws_lambda_powertools import Tracer; Tracer(service='dam-api', disabled=True)",
    "pipeline handlers": "import functions.pipeline.handlers",
}


def gallery_event() -> str:
    from tests.support import api_claims, api_event

    return json.dumps(api_event("GET", "/assets", claims=api_claims()))


def moto_world() -> tuple[Any, dict[str, str]]:
    """A moto server with the tables and the bucket; the environment an API function would have."""
    import boto3
    from moto.server import ThreadedMotoServer

    from dam.adapters.dynamodb.schema import table_specs

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request on the figures
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    environment = {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
        "DAM_ENDPOINT_URL": endpoint,
        "DAM_ASSETS_TABLE": "cold-assets",
        "DAM_LIBRARY_TABLE": "cold-library",
        "DAM_MEDIA_BUCKET": "cold-media",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    names = {"Assets": "cold-assets", "Library": "cold-library"}
    dynamodb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x",
                            aws_secret_access_key="x")  # fmt: skip
    for spec in table_specs():
        if spec.logical_name in names:
            dynamodb.create_table(**spec.create_table_kwargs(names[spec.logical_name]))
    return server, environment


def import_micros(statement: str, event: str, environment: dict[str, str]) -> tuple[int, list[tuple[int, str]]]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement, event],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, **environment},
    )
    rows = []
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self_us, cumulative, name = line.removeprefix("import time:").split("|")
        rows.append((int(cumulative), name[1:]))  # the name's indent is its depth in the import tree
    top_level = [r for r in rows if not r[1].startswith(" ")]
    return sum(c for c, _ in top_level), sorted(rows, reverse=True)


def compile_project() -> None:
    """Bytecode for every module of ours first, as the deployed layers ship it: with PYTHONDONTWRITEBYTECODE set
    (as on this machine), an edited module would otherwise be compiled from source in every timed run."""
    import compileall

    for folder in ("layers/dam/dam", "functions"):
        compileall.compile_dir(ROOT / folder, quiet=1)


def main() -> None:
    compile_project()
    event = gallery_event()
    server, environment = moto_world()
    medians: dict[str, float] = {}
    heaviest: dict[str, list[tuple[int, str]]] = {}
    samples: dict[str, list[int]] = {label: [] for label in TARGETS}
    rows_of: dict[str, list[tuple[int, str]]] = {}
    try:
        for _ in range(RUNS):  # interleaved, so a busy moment of the machine spreads over every target
            for label, statement in TARGETS.items():
                total, rows_of[label] = import_micros(statement, event, environment)
                samples[label].append(total)
    finally:
        server.stop()
    for label, rows in rows_of.items():
        medians[label] = statistics.median(samples[label]) / 1000
        heaviest[label] = [r for r in rows if not r[1].startswith(" ")][:8]
    print(f"{'module':<18} {'import ms (median of ' + str(RUNS) + ')':>26} {'x boto3':>8}")
    for label, ms in medians.items():
        print(f"{label:<18} {ms:>26.1f} {ms / medians['boto3']:>8.2f}")
    print("\nheaviest top-level imports of the API's cold start and first request (cumulative ms):")
    for cumulative, name in heaviest["api + 1st request"]:
        print(f"  {name.strip():<30} {cumulative / 1000:8.1f}")


if __name__ == "__main__":
    main()
