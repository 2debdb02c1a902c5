"""Cold start: how long importing the API handler takes, against a bare `import boto3`.

Each figure is the median of fresh interpreters (`python -X importtime`, cumulative microseconds of the
top-level import). Goal: the handler costs at most 2x boto3 alone. Prints figures; asserts nothing.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 7
TARGETS = {
    "boto3": "import boto3",
    "api handler": "import functions.api.handler",
    "ingest handler": "import functions.ingest.handler",
    # What a first gallery request (GET /assets) adds: its route modules, and the SDK and the record models
    # imported when services are built.
    "api + 1st request": "import functions.api.handler, boto3, dam.adapters.dynamodb.assets, dam.adapters.s3.storage"
    "; functions.api.handler.app.include_routes_for('/assets')",
    # What the X-Ray SDK (Powertools Tracer, which patches botocore) would add to that: the tracing decision.
    "  ... + Tracer": "import functions.api.handler, boto3, dam.adapters.dynamodb.assets, dam.adapters.s3.storage"
    "; functions.api.handler.app.include_routes_for('/assets')"
    "; from aws_lambda_powertools import Tracer; Tracer(service='dam-api', disabled=True)",
    "pipeline handlers": "import functions.pipeline.handlers",
}


def import_micros(statement: str) -> tuple[int, list[tuple[int, str]]]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    rows = []
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self_us, cumulative, name = line.removeprefix("import time:").split("|")
        rows.append((int(cumulative), name[1:]))  # the name's indent is its depth in the import tree
    top_level = [r for r in rows if not r[1].startswith(" ")]
    return sum(c for c, _ in top_level), sorted(rows, reverse=True)


def main() -> None:
    medians: dict[str, float] = {}
    heaviest: dict[str, list[tuple[int, str]]] = {}
    for label, statement in TARGETS.items():
        samples = []
        for _ in range(RUNS):
            total, rows = import_micros(statement)
            samples.append(total)
        medians[label] = statistics.median(samples) / 1000
        heaviest[label] = [r for r in rows if not r[1].startswith(" ")][:8]
    print(f"{'module':<18} {'import ms (median of ' + str(RUNS) + ')':>26} {'x boto3':>8}")
    for label, ms in medians.items():
        print(f"{label:<18} {ms:>26.1f} {ms / medians['boto3']:>8.2f}")
    print("\nheaviest top-level packages under the API handler (cumulative ms):")
    for cumulative, name in heaviest["api handler"]:
        print(f"  {name.strip():<30} {cumulative / 1000:8.1f}")


if __name__ == "__main__":
    main()
