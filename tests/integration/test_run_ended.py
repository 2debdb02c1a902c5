"""A run that ends outside its own Catch (it timed out, or someone stopped it) still ends its asset: Step Functions'
status change event reaches RecordFailure (on AWS through an EventBridge rule, locally through the execution
watcher), so the asset is `failed` with a reason and can be retried, never `queued` or `analyzing` forever."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from dam_local.executions import ExecutionWatcher
from dam_local.lambdas import LocalFunction
from tests.conftest import REGION, Api
from tests.integration.conftest import wait_until_processed
from tests.support import LambdaContext, load_event
from tests.unit.imaging import corpus

RECORD_FAILURE = "functions.pipeline.handlers:record_failure"


def _hanging_machine(name: str, timeout_seconds: int | None = None) -> str:
    """A run that never gets anywhere, standing in for a step that hangs: the run's own Catch never runs."""
    definition: dict[str, Any] = {"StartAt": "Hang", "States": {"Hang": {"Type": "Wait", "Seconds": 600, "End": True}}}
    if timeout_seconds:
        definition["TimeoutSeconds"] = timeout_seconds
    sfn = boto3.client("stepfunctions", region_name=REGION)
    role = "arn:aws:iam::123456789012:role/pipeline"
    return sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=role)["stateMachineArn"]


def _watcher(state_machine_arn: str) -> ExecutionWatcher:
    record_failure = LocalFunction("dam-local-record-failure", RECORD_FAILURE)
    return ExecutionWatcher(
        boto3.client("stepfunctions", region_name=REGION), state_machine_arn, REGION, record_failure.invoke
    )


def _deliver(watcher: ExecutionWatcher, count: int, timeout: float = 20) -> None:
    deadline, delivered = time.monotonic() + timeout, 0
    while delivered < count and time.monotonic() < deadline:
        delivered += watcher.poll_once()
        time.sleep(0.2)
    assert delivered == count
    assert watcher.poll_once() == 0  # each run's end is delivered once


@pytest.fixture
def runs_hang(pipeline: Api, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Uploads' runs start on a machine that hangs (the API's re-runs still use the real pipeline)."""
    from functions.ingest.handler import ingest_service

    hanging = _hanging_machine("hangs", timeout_seconds=1)
    monkeypatch.setenv("DAM_STATE_MACHINE_ARN", hanging)
    ingest_service.cache_clear()
    yield hanging
    ingest_service.cache_clear()


def _status(api: Api, asset_id: str) -> tuple[str, str, str | None]:
    asset = api.request("GET", f"/assets/{asset_id}").json()
    return asset["status"], asset["progress"], asset["status_reason"]


def test_a_run_that_times_out_fails_its_asset_with_a_reason_and_a_retry_makes_it_ready(
    pipeline: Api, runs_hang: str
) -> None:
    asset = pipeline.upload("stuck.jpg", "image/jpeg", corpus.jpeg_photo(300, 200))
    assert _status(pipeline, asset["asset_id"])[0] == "uploaded"

    _deliver(_watcher(runs_hang), 1)

    assert _status(pipeline, asset["asset_id"]) == (
        "failed",
        "failed",
        "Processing took too long. Try again, or upload a smaller file.",
    )
    assert pipeline.request("POST", f"/assets/{asset['asset_id']}/reprocess").status == 202
    assert wait_until_processed(pipeline, asset["asset_id"])["status"] == "ready"


def test_a_stopped_run_fails_its_asset_and_runs_that_ended_through_their_catch_keep_their_reason(
    pipeline: Api, pipeline_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.ingest.handler import ingest_service

    # Bytes damaged on the way (not the declared SHA-256): the real run ends FAILED after RecordFailure said why.
    damaged = pipeline.upload("damaged.jpg", "image/jpeg", corpus.jpeg_photo(300, 200), checksum_sha256="0" * 64)
    assert wait_until_processed(pipeline, damaged["asset_id"])["status"] == "failed"
    reason = _status(pipeline, damaged["asset_id"])[2]
    assert reason and "damaged on the way" in reason
    _deliver(_watcher(pipeline_env), 1)
    assert _status(pipeline, damaged["asset_id"]) == ("failed", "failed", reason)

    stopped_machine = _hanging_machine("hangs-until-stopped")
    monkeypatch.setenv("DAM_STATE_MACHINE_ARN", stopped_machine)
    ingest_service.cache_clear()
    asset = pipeline.upload("stopped.jpg", "image/jpeg", corpus.jpeg_photo(300, 200))
    sfn = boto3.client("stepfunctions", region_name=REGION)
    (run,) = sfn.list_executions(stateMachineArn=stopped_machine)["executions"]
    sfn.stop_execution(executionArn=run["executionArn"], error="Operator", cause="stopped by hand")

    _deliver(_watcher(stopped_machine), 1)
    assert _status(pipeline, asset["asset_id"]) == (
        "failed",
        "failed",
        "Processing was stopped before it finished. Try again.",
    )
    ingest_service.cache_clear()


def test_a_run_for_bytes_since_replaced_or_for_a_ready_asset_changes_nothing(pipeline: Api) -> None:
    from functions.pipeline.handlers import record_failure

    ready = pipeline.upload("fine.jpg", "image/jpeg", corpus.jpeg_photo(300, 200))
    assert wait_until_processed(pipeline, ready["asset_id"])["status"] == "ready"
    event = _sample_for(ready["asset_id"])
    assert record_failure(event, LambdaContext()) == {"status": "unchanged"}
    assert _status(pipeline, ready["asset_id"])[0] == "ready"


def test_the_sample_event_and_events_that_are_not_our_runs_are_handled_without_an_error(pipeline: Api) -> None:
    """events/eventbridge/run_timed_out.json, as EventBridge hands it to RecordFailure."""
    from functions.pipeline.handlers import record_failure

    sample = load_event("eventbridge/run_timed_out.json")
    assert record_failure(sample, LambdaContext()) == {"status": "gone"}  # no such asset here
    for odd_input in (None, "not json", "[1, 2]", "{}", json.dumps({"asset_id": 7})):
        event = {**sample, "detail": {**sample["detail"], "input": odd_input}}
        assert record_failure(event, LambdaContext())["status"] in ("ignored", "gone")


def _sample_for(asset_id: str) -> dict[str, Any]:
    sample = load_event("eventbridge/run_timed_out.json")
    run_input = json.loads(sample["detail"]["input"])
    run_input.update(asset_id=asset_id, key=f"assets/ws-studio/{asset_id}/original")
    return {**sample, "detail": {**sample["detail"], "input": json.dumps(run_input)}}
