"""A version's original goes through the real state machine into that version's own renditions; the asset
(and so search) shows the active version's results and switches on promote."""

from __future__ import annotations

from tests.conftest import Api
from tests.integration.conftest import wait_until_processed
from tests.integration.version_support import new_version, wait_for_version
from tests.unit.imaging import corpus


def test_a_version_is_processed_into_its_own_renditions_and_promote_switches_the_asset(pipeline: Api) -> None:
    asset = pipeline.upload("hero.jpg", "image/jpeg", corpus.jpeg_photo(800, 600))
    asset_id = asset["asset_id"]
    first = wait_until_processed(pipeline, asset_id)
    assert first["status"] == "ready", first["status_reason"]

    second_bytes = corpus.png_alpha()
    body = {"filename": "hero.png", "content_type": "image/png", "size": len(second_bytes)}
    created = pipeline.request("POST", f"/assets/{asset_id}/versions", body=body)
    key = created.json()["upload"]["fields"]["key"]
    pipeline.aws.s3.put_object(Bucket="dam-test-media", Key=key, Body=second_bytes, ContentType="image/png")
    pipeline.notify(key, len(second_bytes), message_id="m-v2")
    v2 = wait_for_version(pipeline, asset_id, 2)

    assert v2["file_status"] == "ready", v2["file_status_reason"]
    assert {"thumbnail", "preview"} <= set(v2["renditions"])
    assert all(f"/{asset_id}/v2/renditions/" in r["url"] for r in v2["renditions"].values())
    assert v2["metadata"]["format"] == "PNG" and v2["checksum_sha256"] != first["checksum_sha256"]
    # The asset still shows version 1: its renditions and its type.
    still = pipeline.request("GET", f"/assets/{asset_id}").json()
    assert still["content_type"] == "image/jpeg" and still["checksum_sha256"] == first["checksum_sha256"]
    assert "/v2/" not in still["renditions"]["thumbnail"]["url"]

    promoted = pipeline.request("POST", f"/assets/{asset_id}/versions/2/promote").json()

    assert promoted["active_version"] == 2 and promoted["status"] == "ready"
    assert promoted["content_type"] == "image/png" and promoted["checksum_sha256"] == v2["checksum_sha256"]
    assert f"/{asset_id}/v2/renditions/" in promoted["renditions"]["thumbnail"]["url"]
    assert promoted["search_context"]
    # Version 1 keeps its own renditions.
    v1 = pipeline.request("GET", f"/assets/{asset_id}/versions/1").json()
    assert v1["renditions"] and all("/v2/" not in r["url"] for r in v1["renditions"].values())


def test_a_replayed_notification_of_a_version_starts_no_second_run(pipeline: Api) -> None:
    from tests.integration.conftest import executions

    asset_id = pipeline.upload("hero.png", "image/png", corpus.png_alpha())["asset_id"]
    wait_until_processed(pipeline, asset_id)
    version = new_version(pipeline, asset_id, corpus.png_alpha())
    wait_for_version(pipeline, asset_id, version["number"])
    key = f"assets/ws-studio/{asset_id}/v2/original"
    before = len(executions(_arn()))
    outcome = pipeline.notify(key, len(corpus.png_alpha()), message_id="m-again")
    assert outcome == {"batchItemFailures": []}
    assert len(executions(_arn())) == before


def _arn() -> str:
    import os

    return os.environ["DAM_STATE_MACHINE_ARN"]
