"""The processing pipeline in-process: moto runs the very state machine CDK deploys (the exported ASL),
and its Lambda tasks run the real handlers (routed by the local stack's hook)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import REGION, Api, Aws

TERMINAL = {"ready", "failed", "rejected"}


@pytest.fixture
def pipeline_env(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Creates the pipeline's functions and state machine in moto; yields the state machine ARN."""
    import boto3
    from moto.awslambda import models

    from dam import tasks
    from dam_local.pipeline import create_pipeline, pipeline_functions, route_lambda_invocations
    from dam_local.resources import Names
    from tests.conftest import ASSETS_TABLE, MEDIA_BUCKET, TABLES

    names = Names()  # the exported definition names the local stack's functions
    arn = create_pipeline(
        boto3.client("iam", region_name=REGION),
        boto3.client("lambda", region_name=REGION),
        boto3.client("stepfunctions", region_name=REGION),
        names,
    )
    for name, value in {
        "DAM_ASSETS_TABLE": ASSETS_TABLE,
        "DAM_LIBRARY_TABLE": TABLES["Library"],
        "DAM_MEDIA_BUCKET": MEDIA_BUCKET,
        "DAM_STATE_MACHINE_ARN": arn,
        "DAM_MAX_UPLOAD_BYTES": str(50 * 1024**2),
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(models.LambdaFunction, "_invoke_lambda", models.LambdaFunction._invoke_lambda)
    route_lambda_invocations(pipeline_functions(names, REGION))
    tasks.settings.cache_clear()
    tasks.service.cache_clear()
    yield arn
    tasks.settings.cache_clear()
    tasks.service.cache_clear()


@pytest.fixture
def pipeline(pipeline_env: str, api: Api) -> Api:
    return api


def wait_until_processed(api: Api, asset_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        asset = api.request("GET", f"/assets/{asset_id}").json()
        if asset["status"] in TERMINAL or time.monotonic() > deadline:
            return asset
        time.sleep(0.05)


def executions(state_machine_arn: str) -> list[dict[str, Any]]:
    import boto3

    sfn = boto3.client("stepfunctions", region_name=REGION)
    return sfn.list_executions(stateMachineArn=state_machine_arn)["executions"]
