"""`dam doctor --aws`: Bedrock's refusals on a fresh account, answered through botocore's Stubber (the real
client and its request validation, no network), become an explanation an operator can act on."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from dam.adapters.bedrock import DEFAULT_EMBEDDING_MODEL_ID, DEFAULT_VISION_MODEL_ID
from dam_local import cli
from dam_local.doctor import check_analysis_model, check_embedding_model, doctor

CONVERSE_OK = {
    "output": {"message": {"role": "assistant", "content": [{"text": "OK"}]}},
    "stopReason": "max_tokens",
    "usage": {"inputTokens": 9, "outputTokens": 1, "totalTokens": 10},
    "metrics": {"latencyMs": 200},
}
CONVERSE_REQUEST = {
    "modelId": DEFAULT_VISION_MODEL_ID,
    "messages": [{"role": "user", "content": [{"text": "Reply with OK."}]}],
    "inferenceConfig": {"maxTokens": 1},
}


def _embedding() -> dict[str, Any]:
    body = json.dumps({"embedding": [0.0] * 512, "inputTextTokenCount": 1}).encode()
    return {"body": StreamingBody(io.BytesIO(body), len(body)), "contentType": "application/json"}


@pytest.fixture
def bedrock(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Stubber]]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = boto3.client("bedrock-runtime", region_name="eu-central-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _refuse(stubber: Stubber, code: str, message: str, status: int) -> None:
    stubber.add_client_error(
        "converse",
        service_error_code=code,
        service_message=message,
        http_status_code=status,
        expected_params=CONVERSE_REQUEST,
    )


def test_a_model_that_answers_is_ok(bedrock: tuple[Any, Stubber]) -> None:
    client, stubber = bedrock
    stubber.add_response("converse", CONVERSE_OK, CONVERSE_REQUEST)
    finding = check_analysis_model(client)
    assert (finding.ok, finding.detail) == (True, "answered")


@pytest.mark.parametrize(
    ("code", "message", "status", "explains"),
    [
        (
            "ResourceNotFoundException",
            "Model use case details have not been submitted for this account. Fill out the Anthropic use case "
            "details form before using the model.",
            404,
            "use-case form",
        ),
        (
            "AccessDeniedException",
            "Model access is denied due to IAM user or service role is not authorized to perform the required AWS "
            "Marketplace actions (aws-marketplace:ViewSubscriptions, aws-marketplace:Subscribe) to enable access "
            "to this model.",
            403,
            "aws-marketplace:Subscribe",
        ),
        (
            "AccessDeniedException",
            "You don't have access to the model with the specified model ID.",
            403,
            "model access is granted",
        ),
        (
            "ResourceNotFoundException",
            "The provided model identifier is invalid.",
            404,
            "not available in eu-central-1",
        ),
        (
            "ValidationException",
            "Invocation of model ID anthropic.claude-haiku-4-5 with on-demand throughput isn't supported.",
            400,
            "inference profile",
        ),
    ],
)
def test_each_first_use_refusal_is_explained(
    bedrock: tuple[Any, Stubber], code: str, message: str, status: int, explains: str
) -> None:
    client, stubber = bedrock
    _refuse(stubber, code, message, status)
    finding = check_analysis_model(client)
    assert not finding.ok
    assert explains in finding.detail
    assert f"{code}: {message}" in finding.detail  # Bedrock's own words too


def test_throttling_means_the_model_is_usable(bedrock: tuple[Any, Stubber]) -> None:
    client, stubber = bedrock
    _refuse(stubber, "ThrottlingException", "Too many requests, please wait before trying again.", 429)
    assert check_analysis_model(client).ok


def test_the_embedding_check_sends_a_one_word_titan_request(bedrock: tuple[Any, Stubber]) -> None:
    client, stubber = bedrock
    body = json.dumps({"inputText": "ok", "dimensions": 512, "normalize": True})
    stubber.add_response(
        "invoke_model",
        _embedding(),
        {"modelId": DEFAULT_EMBEDDING_MODEL_ID, "body": body, "contentType": "application/json"},
    )
    assert check_embedding_model(client).ok


def test_doctor_reports_every_model_and_fails_when_one_is_refused(
    bedrock: tuple[Any, Stubber], capsys: pytest.CaptureFixture[str]
) -> None:
    client, stubber = bedrock
    _refuse(stubber, "ResourceNotFoundException", "Model use case details have not been submitted.", 404)
    stubber.add_response(
        "invoke_model", _embedding(), {"modelId": DEFAULT_EMBEDDING_MODEL_ID, "body": ANY, "contentType": ANY}
    )
    assert doctor(client) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Bedrock in eu-central-1, with this shell's AWS credentials:"
    assert lines[1].startswith(f"  FAIL image analysis ({DEFAULT_VISION_MODEL_ID}): Anthropic's one-time use-case")
    assert lines[2] == f"  ok   embeddings ({DEFAULT_EMBEDDING_MODEL_ID}): answered"


def test_the_cli_needs_the_aws_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["doctor"]) == 2
    assert "dam doctor --aws" in capsys.readouterr().err
