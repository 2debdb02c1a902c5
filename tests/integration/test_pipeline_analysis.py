"""Analysis through the state machine: throttling is retried with backoff, a failure keeps the renditions
and says why, and "retry analysis" with a hint completes the asset without touching its renditions.

The Bedrock adapter is the real one; only its client is stubbed (botocore's Stubber), at the edge where
nothing real can run here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from tests.conftest import MEDIA_BUCKET, Api
from tests.integration.conftest import wait_until_processed
from tests.unit.imaging import corpus

MODEL_REPLY = {
    "description": "A prop sword with a leather-wrapped grip lying on a workbench.",
    "objects": ["sword", "workbench"],
    "brands": [],
    "themes": ["medieval", "props"],
    "colors": ["silver", "brown"],
    "prop_type": "Hand Prop",
}


def _converse_response(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": json.dumps(payload)}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 1200, "outputTokens": 90, "totalTokens": 1290},
        "metrics": {"latencyMs": 850},
    }


class FakeBedrock:
    """A real bedrock-runtime client whose answers are queued by the test; it records what was sent."""

    def __init__(self) -> None:
        self.client = boto3.client("bedrock-runtime", region_name="us-east-1")
        self.stubber = Stubber(self.client)
        self.requests: list[dict[str, Any]] = []
        # Parameters are recorded as they are built: the stubber answers before any request is made.
        self.client.meta.events.register("before-parameter-build.bedrock-runtime.Converse", self._record)
        self.stubber.activate()

    def _record(self, params: dict[str, Any], **_: Any) -> None:
        self.requests.append(params)

    def throttle(self, times: int) -> None:
        for _ in range(times):
            self.stubber.add_client_error("converse", "ThrottlingException", "Too many requests", 429)

    def fail(self) -> None:
        self.stubber.add_client_error("converse", "ValidationException", "The model rejected the image", 400)

    def answer(self, payload: dict[str, Any] = MODEL_REPLY) -> None:
        self.stubber.add_response("converse", _converse_response(payload))


@pytest.fixture
def bedrock(pipeline_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBedrock]:
    from dam import tasks

    fake = FakeBedrock()
    monkeypatch.setenv("DAM_ANALYZER", "bedrock")
    monkeypatch.setattr(tasks, "_bedrock", lambda config: fake.client)
    tasks.settings.cache_clear()
    tasks.service.cache_clear()
    yield fake
    tasks.service.cache_clear()


def test_analysis_that_is_throttled_twice_is_retried_and_ends_ready(pipeline: Api, bedrock: FakeBedrock) -> None:
    bedrock.throttle(2)
    bedrock.answer()

    asset = pipeline.upload("sword.jpg", "image/jpeg", corpus.jpeg_photo(800, 600))
    done = wait_until_processed(pipeline, asset["asset_id"])

    assert done["status"] == "ready", done["status_reason"]
    assert done["analysis"]["objects"] == ["sword", "workbench"]
    assert done["analysis"]["prop_type"] == "Hand Prop"
    assert "sword" in done["search_context"]
    assert len(bedrock.requests) == 3
    bedrock.stubber.assert_no_pending_responses()


def test_failed_analysis_keeps_the_renditions_and_retry_with_a_hint_completes_it(
    pipeline: Api, bedrock: FakeBedrock
) -> None:
    bedrock.fail()
    asset = pipeline.upload("sword.jpg", "image/jpeg", corpus.jpeg_photo(800, 600))
    failed = wait_until_processed(pipeline, asset["asset_id"])
    assert failed["status"] == "failed"
    assert failed["status_reason"].startswith("Analysis failed")
    assert "rejected the image" in failed["status_reason"]
    assert {"thumbnail", "preview"} <= set(failed["renditions"]), "the thumbnails still show"
    thumbnail_key = f"assets/ws-studio/{asset['asset_id']}/renditions/thumbnail.webp"
    before = pipeline.aws.s3.head_object(Bucket=MEDIA_BUCKET, Key=thumbnail_key)

    bedrock.answer()
    hint = "This is a prop sword, not a real one"
    started = pipeline.request("POST", f"/assets/{asset['asset_id']}/reanalyze", body={"hint": hint})
    assert started.status == 202, started.body
    assert started.json()["status"] == "processing"
    done = wait_until_processed(pipeline, asset["asset_id"])

    assert done["status"] == "ready", done["status_reason"]
    assert done["analysis"]["description"] == MODEL_REPLY["description"]
    sent = json.dumps(bedrock.requests[-1]["messages"], default=lambda value: "<image bytes>")
    assert hint in sent, "the human hint reaches the model"
    after = pipeline.aws.s3.head_object(Bucket=MEDIA_BUCKET, Key=thumbnail_key)
    assert (after["ETag"], after["LastModified"]) == (before["ETag"], before["LastModified"])
    assert set(done["renditions"]) == set(failed["renditions"])


def test_reprocess_runs_everything_again_and_reruns_are_refused_while_one_is_under_way(pipeline: Api) -> None:
    asset = pipeline.upload("a.png", "image/png", corpus.png_photo(300, 200))
    assert wait_until_processed(pipeline, asset["asset_id"])["status"] == "ready"

    started = pipeline.request("POST", f"/assets/{asset['asset_id']}/reprocess")
    assert started.status == 202
    busy = pipeline.request("POST", f"/assets/{asset['asset_id']}/reanalyze")
    assert busy.status == 409
    assert wait_until_processed(pipeline, asset["asset_id"])["status"] == "ready"
    assert pipeline.request("POST", "/assets/nope/reprocess").status == 404
    long_hint = pipeline.request("POST", f"/assets/{asset['asset_id']}/reanalyze", body={"hint": "x" * 2001})
    assert long_hint.status == 422
