"""The local stack over real HTTP: the authorizer answers like API Gateway, and an upload made with plain
curl from the presigned POST goes through the pipeline (S3 notification → SQS → ingest → Step Functions)."""

from __future__ import annotations

import http.client
import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from dam_local.gateway import Gateway, GatewayServer


def test_the_api_refuses_a_request_without_a_token(local_stack: Any) -> None:
    response = requests.get(f"{local_stack.api_url}/assets", timeout=10)
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}


def test_health_is_public(local_stack: Any) -> None:
    assert requests.get(f"{local_stack.api_url}/health", timeout=10).status_code == 200


def test_a_curl_upload_through_the_presigned_post_is_processed(local_stack: Any, tmp_path: Path) -> None:
    content = b"id,shot\n1,SH010\n2,SH020\n"
    path = tmp_path / "shot list.csv"
    path.write_bytes(content)
    headers = {"Authorization": f"Bearer {local_stack.token('maya', 'ws-smoke', 'editor')}"}

    created = requests.post(
        f"{local_stack.api_url}/uploads",
        json={"filename": path.name, "content_type": "text/csv", "size": len(content), "asset_type": "document"},
        headers=headers,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    asset_id = created.json()["asset"]["asset_id"]
    upload = created.json()["upload"]

    form = [arg for name, value in upload["fields"].items() for arg in ("-F", f"{name}={value}")]
    subprocess.run(["curl", "-sf", *form, "-F", f"file=@{path}", upload["url"]], check=True, timeout=30)

    # The notification (not the client) moves it on: uploaded → processing → ready.
    status = None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        reply = requests.get(f"{local_stack.api_url}/assets/{asset_id}", headers=headers, timeout=10)
        assert reply.status_code == 200, reply.text
        status = reply.json()["status"]
        if status in ("ready", "failed", "rejected"):
            break
        time.sleep(0.1)
    assert status == "ready"
    assert reply.json()["renditions"]["preview"]["content_type"] == "application/json"


def test_the_http_server_joins_repeated_headers_with_commas_as_api_gateway_does() -> None:
    """No stack needed: the gateway's own server, a fake function, one raw request on loopback."""
    events: list[dict[str, Any]] = []
    server = GatewayServer(Gateway(events.append, b"k" * 64), "127.0.0.1", 0)
    server.start()
    try:
        connection = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=10)
        connection.putrequest("GET", "/health?tag=a&tag=b")
        connection.putheader("X-Tag", "one")
        connection.putheader("X-Tag", "two")
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 200
        assert json.loads(response.read()) is None  # the fake returned None: a JSON 200, as on AWS
    finally:
        server.stop()
    assert events[0]["headers"]["x-tag"] == "one,two"
    assert events[0]["queryStringParameters"] == {"tag": "a,b"}


def test_the_stack_warms_every_environment_it_runs_without_a_failure(local_stack: Any) -> None:
    """The first upload after a start finds the services and models loaded (dam_local.warm)."""
    from dam_local.warm import WARMED

    if not hasattr(local_stack, "wait_for_log"):
        pytest.skip("the in-process stack logs to the test's own handlers")
    log = local_stack.wait_for_log(WARMED, timeout_seconds=120)
    assert "warming" not in log, [line for line in log.splitlines() if "warming" in line]


def test_sigusr1_prints_every_poller_and_thread_of_the_stack(local_stack: Any) -> None:
    """What a failing e2e wait shows of a stalled poller: its counters and where each thread is."""
    if not hasattr(local_stack, "thread_dump"):
        pytest.skip("the in-process stack has no process of its own to signal")
    dump = local_stack.thread_dump()
    assert dump, f"no dump within the timeout; the log ends:\n{local_stack.log()[-3000:]}"
    statuses = {line.split(":")[0].strip(): line for line in dump.splitlines() if "alive=" in line}
    assert statuses["stream-poller"].split()[1] == "alive=True", dump
    assert {"upload-poller", "audit-assets-poller", "audit-library-poller", "execution-watcher"} <= set(statuses)
    assert "--- stream-poller\n" in dump and "in _run" in dump.split("--- stream-poller\n", 1)[1].split("---")[0]
