"""Photos uploaded together are processed together: the heavy pipeline steps run in several execution
environments at once (worker processes of the local stack), one event at a time each, and a step failing in
one execution leaves the others alone.

Overlap is read from what the stack recorded for each invocation (which environment ran it, from when and for
how long: `DAM_LOCAL_TIMINGS=1`), not from wall-clock thresholds, so a busy machine makes the test slower, not
flaky. (The executions' histories can't tell: moto stamps a task's start before it waits for an environment.)
"""

from __future__ import annotations

import itertools
import os
import re
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from PIL import ImageDraw

from dam_local.lambdas import TIMING_PATTERN
from dam_local.stack import LocalStackProcess
from tests.e2e.test_library_walk import Client
from tests.e2e.test_search_walk import _eventually
from tests.unit.imaging.corpus import _save, photo_image

WORKSPACE = "ws-parallel"
PHOTOS = 4
HEAVY = ("register", "renditions", "analyze")
Interval = tuple[float, float]


def _photo(index: int) -> bytes:
    image = photo_image(2400, 1600)
    ImageDraw.Draw(image).rectangle((index * 100, 0, index * 100 + 80, 400), fill=(index * 40 % 256, 200, 40))
    return _save(image, "JPEG", quality=90)


def _upload(client: Client, name: str, data: bytes) -> str:
    created = client.call(
        "POST",
        "/uploads",
        201,
        json={"filename": name, "content_type": "image/jpeg", "size": len(data), "asset_type": "image"},
    )
    upload = created["upload"]
    sent = requests.post(upload["url"], data=upload["fields"], files={"file": (name, data)}, timeout=60)
    assert sent.status_code in (200, 204), sent.text
    return str(created["asset"]["asset_id"])


def _photos(start: int) -> dict[str, bytes]:
    return {f"IMG_{index}.jpg": _photo(index) for index in range(start, start + PHOTOS)}


def _upload_together(client: Client, files: dict[str, bytes]) -> dict[str, str]:
    """Name → asset id, every file posted at the same time."""
    with ThreadPoolExecutor(len(files)) as pool:
        futures = {name: pool.submit(_upload, client, name, data) for name, data in files.items()}
        return {name: future.result() for name, future in futures.items()}


def _wait_settled(client: Client, asset_ids: list[str]) -> None:
    def settled() -> bool:
        statuses = [client.call("GET", f"/assets/{asset_id}", 200)["status"] for asset_id in asset_ids]
        return all(status in ("ready", "failed", "rejected") for status in statuses)

    assert _eventually(settled, timeout=240)


def _runs(log: str) -> dict[str, dict[str, list[Interval]]]:
    """Step → environment → when each of its invocations ran there."""
    runs: dict[str, dict[str, list[Interval]]] = defaultdict(lambda: defaultdict(list))
    for function, environment, _, ran, started in re.findall(TIMING_PATTERN, log):
        runs[function.rsplit("-", 1)[-1]][environment].append((float(started), float(started) + float(ran)))
    return runs


def _failed_errors(stack: LocalStackProcess, asset_id: str) -> list[str]:
    """The `error` of every failed Lambda task in the asset's execution: what Retry and Catch match."""
    sfn = stack.client("stepfunctions")
    machine = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    errors = []
    for execution in sfn.list_executions(stateMachineArn=machine)["executions"]:
        if asset_id in sfn.describe_execution(executionArn=execution["executionArn"])["input"]:
            events = sfn.get_execution_history(executionArn=execution["executionArn"], maxResults=1000)["events"]
            errors += [
                e["lambdaFunctionFailedEventDetails"]["error"] for e in events if e["type"] == "LambdaFunctionFailed"
            ]
    return errors


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _overlap(a: Interval, b: Interval) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def test_photos_uploaded_together_run_their_heavy_steps_at_the_same_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAM_LOCAL_TIMINGS", "1")
    monkeypatch.delenv("DAM_LOCAL_WORKERS", raising=False)
    with LocalStackProcess(tmp_path, timeout_seconds=120) as stack:
        client = Client(stack.api_url, stack.token("ana", WORKSPACE, "editor"))
        broken = b"\xff\xd8\xff\xe0" + b"not really a JPEG" * 100  # the type says JPEG, the bytes don't decode
        # First wave: events find the one environment busy, so each heavy step starts worker processes.
        first = _upload_together(client, {**_photos(0), "broken.jpg": broken})
        broken_id = first.pop("broken.jpg")
        _wait_settled(client, [*first.values(), broken_id])
        for step in HEAVY:
            stack.wait_for_log(f"dam-local-{step}: worker process", timeout_seconds=120)
        second = _upload_together(client, _photos(PHOTOS))
        ids = [*first.values(), *second.values()]
        _wait_settled(client, ids)
        # The broken photo failed alone, with its exception's class name as the error Step Functions matched.
        assert [client.call("GET", f"/assets/{asset_id}", 200)["status"] for asset_id in ids] == ["ready"] * len(ids)
        assert client.call("GET", f"/assets/{broken_id}", 200)["status"] == "failed"
        assert "ContentUnreadable" in _failed_errors(stack, broken_id)
        runs = _runs(stack.log())

    # Two invocations of one heavy step ran at the same time, in different environments; never two in one.
    overlapping = {
        step
        for step in HEAVY
        for first, first_runs in runs[step].items()
        for second, second_runs in runs[step].items()
        if first < second and any(_overlap(a, b) for a in first_runs for b in second_runs)
    }
    assert overlapping, dict(runs)
    # The stack's stop ended its worker processes.
    workers = {int(name.split("-")[1]) for step in HEAVY for name in runs[step] if name.startswith("worker-")}
    assert workers and not [pid for pid in workers if _alive(pid)]
    for step in HEAVY:  # the broken photo stopped at its registration
        assert sum(map(len, runs[step].values())) == 2 * PHOTOS + (step == "register"), (step, dict(runs[step]))
        for environment, intervals in runs[step].items():
            ordered = sorted(intervals)
            assert all(a[1] <= b[0] + 0.002 for a, b in itertools.pairwise(ordered)), (step, environment, ordered)
