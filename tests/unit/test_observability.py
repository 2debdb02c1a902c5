"""Business metrics are CloudWatch embedded metric format (EMF) lines, with the names and dimensions the
dashboard and README name; rejections are counted by a small fixed set of reasons."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from dam import observability as obs
from dam.adapters.bedrock import BedrockImageAnalyzer, json_objects
from dam.domain.rejections import KINDS, rejection_kind
from dam.tasks import MeteredAnalyzer
from tests.unit.analysis.test_bedrock import PNG, REPLY, Bedrock, bedrock  # noqa: F401 (fixture)


def json_documents(output: str) -> Iterator[dict[str, Any]]:
    """The JSON objects among captured output. Functions running in threads of one test process can write
    at once, so two documents may share a line (`{…}{…}`); a Lambda runs one invocation at a time, so a
    deployed function's lines never mix."""
    for line in output.splitlines():
        yield from json_objects(line)


def emf_lines(output: str) -> list[dict[str, Any]]:
    """The EMF documents among captured stdout lines."""
    return [document for document in json_documents(output) if "_aws" in document]


def value(document: dict[str, Any], name: str) -> float:
    """A metric's value (EMF allows one value or a list of them)."""
    found = document[name]
    if isinstance(found, list):
        (found,) = found
    return float(found)


def metric(document: dict[str, Any]) -> tuple[str, list[list[str]], dict[str, str]]:
    """(namespace, dimension sets, units by metric name) of one EMF document."""
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    units = {m["Name"]: m["Unit"] for m in directive["Metrics"]}
    return directive["Namespace"], directive["Dimensions"], units


def test_a_metric_is_one_emf_document_with_its_dimensions(capsys: pytest.CaptureFixture[str]) -> None:
    obs.emit({obs.ASSETS_PROCESSED: (1, "Count"), obs.PROCESSING_TIME: (1234.5, "Milliseconds")}, media_type="image")

    (document,) = emf_lines(capsys.readouterr().out)
    namespace, dimensions, units = metric(document)
    assert namespace == "DAM"
    assert dimensions == [["media_type"]]
    assert units == {"AssetsProcessed": "Count", "ProcessingTime": "Milliseconds"}
    assert document["media_type"] == "image"
    assert value(document, "AssetsProcessed") == 1
    assert value(document, "ProcessingTime") == 1234.5
    assert isinstance(document["_aws"]["Timestamp"], int)


def test_metrics_can_be_switched_off(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    obs.count(obs.ASSETS_REJECTED, reason="empty")
    assert emf_lines(capsys.readouterr().out) == []


def test_timed_records_milliseconds_when_the_block_completes(capsys: pytest.CaptureFixture[str]) -> None:
    with obs.timed(obs.SEARCH_LATENCY, mode="hybrid"):
        pass
    with pytest.raises(ValueError), obs.timed(obs.SEARCH_LATENCY, mode="hybrid"):
        raise ValueError("a failed search is an error, not a latency")

    (document,) = emf_lines(capsys.readouterr().out)
    assert metric(document)[1:] == ([["mode"]], {"SearchLatency": "Milliseconds"})
    assert document["mode"] == "hybrid"
    assert 0 <= value(document, "SearchLatency") < 1000


def test_the_vision_models_latency_and_tokens_are_recorded_by_model(
    bedrock: Bedrock,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    bedrock.reply("not json at all")  # the first answer is invalid: its tokens count too
    bedrock.reply(json.dumps(REPLY))
    analyzer = MeteredAnalyzer(BedrockImageAnalyzer(bedrock.client, model_id="vision-model"))

    analyzer.analyze(PNG, "image/png")

    (document,) = emf_lines(capsys.readouterr().out)
    namespace, dimensions, units = metric(document)
    assert (namespace, dimensions) == ("DAM", [["model"]])
    assert units == {
        "AnalysisLatency": "Milliseconds",
        "AnalysisInputTokens": "Count",
        "AnalysisOutputTokens": "Count",
    }
    assert document["model"] == "vision-model"
    assert (value(document, "AnalysisInputTokens"), value(document, "AnalysisOutputTokens")) == (3000, 240)
    assert value(document, "AnalysisLatency") >= 0


@pytest.mark.parametrize(
    ("reason", "kind"),
    [
        ("The upload could not be found in storage; upload the file again.", "missing"),
        ("The file is empty (0 bytes).", "empty"),
        ("The file is 10 bytes, but the upload declared 12 bytes.", "declared_size"),
        ("The file is 99 bytes; the limit is 10.", "too_large"),
        ("The SVG is 12.0 MB; SVGs up to 10 MB are accepted.", "too_large"),
        ("The image is 40000 × 10 pixels; the largest side allowed is 30,000 pixels.", "too_many_pixels"),
        ("The file says it is a JPEG image but its bytes are a PDF document.", "type_mismatch"),
        ("This file's format isn't recognised. Supported formats: PNG.", "unsupported"),
        ("The SVG declares XML entities or external references, which aren't allowed in uploads.", "unsafe_svg"),
        ("The archive would expand 900 times its size, which is how zip bombs look; …", "zip_bomb"),
        ("The GLB file is truncated: its header says 1,000 bytes but the file has 10.", "damaged"),
        ("Something nobody foresaw.", "other"),
        (None, "other"),
    ],
)
def test_rejections_are_counted_by_a_fixed_set_of_reasons(reason: str | None, kind: str) -> None:
    assert rejection_kind(reason) == kind
    assert kind in KINDS
