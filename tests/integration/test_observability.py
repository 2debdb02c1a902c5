"""One search in CloudWatch Logs Insights shows an asset's whole life: every line of the API request that
starts its upload, the dispatcher, each pipeline step and the indexer carries the asset's id and the request's
correlation id. The pipeline and the search route write their business metrics as EMF documents."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import MEDIA_BUCKET, Api, to_response
from tests.integration.conftest import wait_until_processed
from tests.integration.test_search import StreamFeed, search  # noqa: F401 (fixture)
from tests.support import LambdaContext, api_event
from tests.unit.imaging import corpus
from tests.unit.test_observability import emf_lines, json_documents, metric, value

REQUEST_ID = "req-observability-1"
LIFE = ("dam-api", "dam-ingest", "dam-pipeline", "dam-indexer")


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """What the functions log at INFO, as deployed (the tests run them at WARNING)."""
    from functions.api.handler import logger as api
    from functions.indexer.handler import logger as indexer
    from functions.ingest.handler import logger as ingest
    from functions.pipeline.handlers import logger as pipeline

    written = io.StringIO()
    loggers = (api, ingest, pipeline, indexer)
    before = [(logger.log_level, logger.registered_handler.stream) for logger in loggers]  # type: ignore[attr-defined]
    for logger in loggers:
        logger.setLevel("INFO")
        logger.registered_handler.setStream(written)  # type: ignore[attr-defined]
    yield written
    for logger, (level, stream) in zip(loggers, before, strict=True):
        logger.setLevel(level)
        logger.registered_handler.setStream(stream)  # type: ignore[attr-defined]


def log_lines(output: str) -> list[dict[str, Any]]:
    """The structured log lines (JSON with a `service`) among captured output."""
    return [line for line in json_documents(output) if "service" in line and "_aws" not in line]


def upload(api: Api, filename: str, content_type: str, data: bytes, request_id: str) -> str:
    """An upload whose API request has the id `request_id` (API Gateway's requestContext.requestId)."""
    from functions.api.handler import handler

    body = {"filename": filename, "content_type": content_type, "size": len(data), "asset_type": "image"}
    event = api_event("POST", "/uploads", body=body, claims=api.claims)
    event["requestContext"]["requestId"] = request_id
    created = to_response(handler(event, LambdaContext()))
    assert created.status == 201, created.body
    key = created.json()["upload"]["fields"]["key"]
    api.aws.s3.put_object(Bucket=MEDIA_BUCKET, Key=key, Body=data, ContentType=content_type)
    api.notify(key, len(data))
    return str(created.json()["asset"]["asset_id"])


def test_every_line_of_an_assets_life_carries_its_id_and_the_requests_correlation_id(
    search: tuple[Api, StreamFeed],  # noqa: F811
    logs: io.StringIO,
) -> None:
    api, stream = search
    asset_id = upload(api, "poster.png", "image/png", corpus.png_photo(64, 48), REQUEST_ID)
    assert wait_until_processed(api, asset_id)["status"] == "ready"
    stream.drain()

    lines = log_lines(logs.getvalue())
    life = [line for line in lines if line.get("asset_id") == asset_id]
    # The query the README gives: filter asset_id = "…" finds every function on the path.
    assert {line["service"] for line in life} == set(LIFE)
    assert all(line.get("correlation_id") == REQUEST_ID for line in life), life
    assert [line["message"] for line in life if line["service"] == "dam-api"] == ["upload started"]
    steps = {line["step"] for line in life if line["service"] == "dam-pipeline"}
    assert {"register", "renditions", "analyze", "embed", "finalize"} <= steps
    # Every line the pipeline and the indexer wrote while handling this asset names it.
    for line in lines:
        if line["service"] in ("dam-pipeline", "dam-indexer") and line.get("correlation_id") == REQUEST_ID:
            assert line["asset_id"] == asset_id


def test_a_reprocess_is_its_requests_and_is_logged_under_it(
    search: tuple[Api, StreamFeed],  # noqa: F811
    logs: io.StringIO,
) -> None:
    from functions.api.handler import handler

    api, stream = search
    asset_id = upload(api, "poster.png", "image/png", corpus.png_photo(64, 48), REQUEST_ID)
    assert wait_until_processed(api, asset_id)["status"] == "ready"
    event = api_event("POST", f"/assets/{asset_id}/reprocess", claims=api.claims)
    event["requestContext"]["requestId"] = "req-reprocess-2"
    assert to_response(handler(event, LambdaContext())).status == 202
    assert wait_until_processed(api, asset_id)["status"] == "ready"
    stream.drain()

    rerun = [line for line in log_lines(logs.getvalue()) if line.get("correlation_id") == "req-reprocess-2"]
    assert {line["service"] for line in rerun} >= {"dam-pipeline", "dam-indexer"}
    assert {line["asset_id"] for line in rerun} == {asset_id}


def test_the_pipeline_counts_processed_and_rejected_assets_and_search_records_its_latency(
    search: tuple[Api, StreamFeed],  # noqa: F811
    capfd: pytest.CaptureFixture[str],
) -> None:
    api, stream = search
    ready = upload(api, "poster.png", "image/png", corpus.png_photo(64, 48), "req-metrics-1")
    rejected = upload(api, "fake.png", "image/png", b"%PDF-1.7 not a picture at all", "req-metrics-2")
    assert wait_until_processed(api, ready)["status"] == "ready"
    assert wait_until_processed(api, rejected)["status"] == "rejected"
    stream.drain()
    assert api.request("GET", "/search", query={"q": "poster"}).status == 200

    documents = emf_lines(capfd.readouterr().out)
    by_name = {name: document for document in documents for name in metric(document)[2]}
    processed = by_name["AssetsProcessed"]
    assert metric(processed)[:2] == ("DAM", [["media_type"]])
    assert processed["media_type"] == "image"
    assert value(processed, "AssetsProcessed") == 1
    assert metric(processed)[2]["ProcessingTime"] == "Milliseconds"
    assert 0 < value(processed, "ProcessingTime") < 120_000
    refused = by_name["AssetsRejected"]
    assert metric(refused)[1] == [["reason"]]
    assert refused["reason"] == "type_mismatch"
    assert metric(by_name["AnalysisLatency"])[1] == [["model"]]
    searched = by_name["SearchLatency"]
    assert (metric(searched)[1], searched["mode"]) == ([["mode"]], "hybrid")
