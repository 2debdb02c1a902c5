"""Request and response shapes of the Bedrock adapters, on a real bedrock-runtime client with a Stubber:
botocore validates every request against the service model, and nothing leaves the process."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from dam.adapters.bedrock import (
    DEFAULT_VISION_MODEL_ID,
    THROTTLING_CODES,
    BedrockImageAnalyzer,
    BedrockTextEmbedder,
    first_json_object,
    image_format,
)
from dam.domain.analysis import AnalysisInvalid, PropType
from dam.domain.errors import Throttled
from dam.services.analysis_ports import ImageAnalyzer, TextEmbedder
from tests.unit.analysis.images import encode, red_and_white

PNG = encode(red_and_white())
REPLY = {
    "description": "A red and white banner.",
    "objects": ["banner"],
    "brands": [],
    "themes": ["sale"],
    "colors": ["red", "white"],
    "prop_type": "Set Dressing",
    "text_in_image": [],
}


class Bedrock:
    """A stubbed client and every request's parameters as the adapter passed them."""

    def __init__(self) -> None:
        self.client = boto3.client(
            "bedrock-runtime",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        self.stub = Stubber(self.client)
        self.calls: list[dict[str, Any]] = []
        self.client.meta.events.register("provide-client-params.bedrock-runtime.*", self._record)

    def _record(self, params: dict[str, Any], **_: Any) -> None:
        self.calls.append(params)

    def reply(self, text: str, expected: dict[str, Any] | None = None, stop_reason: str = "end_turn") -> None:
        response = {
            "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
            "stopReason": stop_reason,
            "usage": {"inputTokens": 1500, "outputTokens": 120, "totalTokens": 1620},
            "metrics": {"latencyMs": 900},
        }
        self.stub.add_response("converse", response, expected)

    def embedding(self, vector: list[float]) -> None:
        payload = json.dumps({"embedding": vector, "inputTextTokenCount": 3}).encode()
        response = {"body": StreamingBody(io.BytesIO(payload), len(payload)), "contentType": "application/json"}
        self.stub.add_response("invoke_model", response)


@pytest.fixture
def bedrock() -> Iterator[Bedrock]:
    fake = Bedrock()
    with fake.stub:
        yield fake
        fake.stub.assert_no_pending_responses()


def _prompt(call: dict[str, Any], message: int = 0) -> str:
    return "".join(block.get("text", "") for block in call["messages"][message]["content"])


def test_adapters_satisfy_the_ports(bedrock):
    assert isinstance(BedrockImageAnalyzer(bedrock.client), ImageAnalyzer)
    assert isinstance(BedrockTextEmbedder(bedrock.client), TextEmbedder)


def test_converse_request_has_the_documented_shape(bedrock):
    expected = {
        "modelId": DEFAULT_VISION_MODEL_ID,
        "messages": [
            {"role": "user", "content": [{"image": {"format": "png", "source": {"bytes": PNG}}}, {"text": ANY}]}
        ],
        "system": [{"text": ANY}],
        "inferenceConfig": {"maxTokens": 1024, "temperature": 0},
    }
    bedrock.reply(json.dumps(REPLY), expected)

    analysis = BedrockImageAnalyzer(bedrock.client).analyze(
        PNG, "image/png", hint="this is a prop sword, not a real one", context="Hero sword"
    )

    prompt = _prompt(bedrock.calls[0])
    assert "CORRECTION FROM A HUMAN REVIEWER" in prompt
    assert "this is a prop sword, not a real one" in prompt
    assert "<context>\nHero sword\n</context>" in prompt
    for field in ("description", "objects", "brands", "themes", "colors", "prop_type", "text_in_image"):
        assert f'"{field}"' in prompt
    assert '"Branded Merch"' in prompt
    assert "JSON" in bedrock.calls[0]["system"][0]["text"]
    assert analysis.prop_type is PropType.SET_DRESSING
    assert analysis.colors == ["red", "white"]
    assert analysis.source == DEFAULT_VISION_MODEL_ID


def test_no_hint_means_no_correction_and_the_model_id_is_configurable(bedrock):
    bedrock.reply(json.dumps(REPLY), {"modelId": "global.anthropic.claude-haiku-4-5-20251001-v1:0", **_any_rest()})
    analyzer = BedrockImageAnalyzer(bedrock.client, "global.anthropic.claude-haiku-4-5-20251001-v1:0", max_tokens=600)
    analyzer.analyze(encode(red_and_white().convert("RGB"), "JPEG"), "image/jpeg")
    call = bedrock.calls[0]
    assert call["messages"][0]["content"][0]["image"]["format"] == "jpeg"
    assert call["inferenceConfig"] == {"maxTokens": 600, "temperature": 0}
    assert "CORRECTION" not in _prompt(call)
    assert "<context>" not in _prompt(call)


def _any_rest() -> dict[str, Any]:
    return {"messages": ANY, "system": ANY, "inferenceConfig": ANY}


@pytest.mark.parametrize(
    "reply",
    [
        f"```json\n{json.dumps(REPLY, indent=2)}\n```",
        f"Here is the analysis you asked for:\n{json.dumps(REPLY)}\nLet me know if you need more.",
        f"{{not json}} then {json.dumps(REPLY)}",
    ],
    ids=["fenced", "prose", "false-start"],
)
def test_json_is_found_in_fenced_or_prosy_replies(bedrock, reply):
    bedrock.reply(reply)
    analysis = BedrockImageAnalyzer(bedrock.client).analyze(PNG, "image/png")
    assert analysis.description == "A red and white banner."
    assert len(bedrock.calls) == 1


def test_first_json_object_keeps_braces_inside_strings():
    assert first_json_object('x {"description": "a {curly} sign", "n": {"a": 1}} y') == {
        "description": "a {curly} sign",
        "n": {"a": 1},
    }
    with pytest.raises(ValueError, match="no JSON object"):
        first_json_object("I cannot help with that. [1, 2]")


def test_an_invalid_reply_is_retried_once_with_the_problem_fed_back(bedrock):
    bedrock.reply(json.dumps({**REPLY, "colors": []}))
    bedrock.reply(json.dumps(REPLY))

    analysis = BedrockImageAnalyzer(bedrock.client).analyze(PNG, "image/png")

    assert analysis.colors == ["red", "white"]
    retry = bedrock.calls[1]
    assert [m["role"] for m in retry["messages"]] == ["user", "assistant", "user"]
    assert retry["messages"][0] == bedrock.calls[0]["messages"][0]  # the same image and prompt
    assert json.loads(retry["messages"][1]["content"][0]["text"])["colors"] == []
    feedback = _prompt(retry, 2)
    assert "not valid" in feedback
    assert "colors" in feedback


def test_a_reply_without_json_is_retried_too(bedrock):
    bedrock.reply("I'm sorry, I can't see the image clearly.")
    bedrock.reply(json.dumps(REPLY))
    BedrockImageAnalyzer(bedrock.client).analyze(PNG, "image/png")
    assert "no JSON object" in _prompt(bedrock.calls[1], 2)


def test_a_reply_cut_off_at_the_token_limit_is_told_so(bedrock):
    bedrock.reply(json.dumps(REPLY)[:60], stop_reason="max_tokens")
    bedrock.reply(json.dumps(REPLY))
    BedrockImageAnalyzer(bedrock.client, max_tokens=300).analyze(PNG, "image/png")
    assert "cut off at 300 tokens" in _prompt(bedrock.calls[1], 2)


def test_always_invalid_raises_a_clear_error_after_two_calls(bedrock):
    bedrock.reply("no idea")
    bedrock.reply(json.dumps({"description": ""}))

    with pytest.raises(AnalysisInvalid) as raised:
        BedrockImageAnalyzer(bedrock.client).analyze(PNG, "image/png")

    message = str(raised.value)
    assert DEFAULT_VISION_MODEL_ID in message
    assert "2 attempts" in message
    assert "description" in message
    assert len(bedrock.calls) == 2


@pytest.mark.parametrize("code", sorted(THROTTLING_CODES))
def test_throttling_becomes_throttled(bedrock, code):
    bedrock.stub.add_client_error("converse", service_error_code=code, http_status_code=429)
    with pytest.raises(Throttled) as raised:
        BedrockImageAnalyzer(bedrock.client).analyze(PNG, "image/png")
    assert type(raised.value).__name__ == "Throttled"  # the name the state machine retries on
    assert isinstance(raised.value.__cause__, ClientError)


def test_other_client_errors_propagate(bedrock):
    bedrock.stub.add_client_error("converse", service_error_code="AccessDeniedException", http_status_code=403)
    with pytest.raises(ClientError, match="AccessDenied"):
        BedrockImageAnalyzer(bedrock.client).analyze(PNG, "image/png")


def test_image_format_trusts_the_bytes_before_the_label():
    assert image_format(PNG, "image/jpeg") == "png"
    assert image_format(encode(red_and_white(), "WEBP"), "application/octet-stream") == "webp"
    assert image_format(b"\x00\x01", "image/jpeg; charset=binary") == "jpeg"
    with pytest.raises(ValueError, match="JPEG, PNG, WebP or GIF"):
        image_format(b"\x00\x01", "image/tiff")


def test_oversized_or_empty_images_are_refused_before_any_call(bedrock):
    analyzer = BedrockImageAnalyzer(bedrock.client)
    with pytest.raises(ValueError, match=r"3\.75 MB"):
        analyzer.analyze(b"\xff\xd8\xff" + b"\0" * 3_800_000, "image/jpeg")
    with pytest.raises(ValueError, match="no image"):
        analyzer.analyze(b"", "image/jpeg")
    assert bedrock.calls == []


# --- Titan text embeddings --------------------------------------------------------------------------


def test_titan_request_body_has_the_documented_fields(bedrock):
    bedrock.embedding([0.6, 0.8] + [0.0] * 254)
    bedrock.embedding([0.0, 2.0] + [0.0] * 254)  # not unit length: the adapter normalises

    embedder = BedrockTextEmbedder(bedrock.client, dimensions=256)
    vectors = embedder.embed_documents(["a foam sword", "a red sports car"])

    assert embedder.model_id == "amazon.titan-embed-text-v2:0"
    assert [call["modelId"] for call in bedrock.calls] == ["amazon.titan-embed-text-v2:0"] * 2
    first = bedrock.calls[0]
    assert first["contentType"] == "application/json"
    assert first["accept"] == "application/json"
    assert json.loads(first["body"]) == {"inputText": "a foam sword", "dimensions": 256, "normalize": True}
    assert vectors[0][:2] == [0.6, 0.8]
    assert vectors[1][:2] == [0.0, 1.0]


def test_titan_query_embedding_and_default_dimensions(bedrock):
    bedrock.embedding([1.0] + [0.0] * 511)
    vector = BedrockTextEmbedder(bedrock.client).embed_query("espresso")
    assert len(vector) == 512
    assert json.loads(bedrock.calls[0]["body"])["dimensions"] == 512


def test_titan_wrong_dimensions_are_refused(bedrock):
    with pytest.raises(ValueError, match="256, 512, 1024"):
        BedrockTextEmbedder(bedrock.client, dimensions=384)
    bedrock.embedding([1.0] * 10)
    with pytest.raises(ValueError, match="10 dimensions"):
        BedrockTextEmbedder(bedrock.client).embed_query("x")
    with pytest.raises(ValueError, match="empty"):
        BedrockTextEmbedder(bedrock.client).embed_documents(["  "])


@pytest.mark.parametrize("code", sorted(THROTTLING_CODES))
def test_titan_throttling_becomes_throttled(bedrock, code):
    bedrock.stub.add_client_error("invoke_model", service_error_code=code, http_status_code=429)
    with pytest.raises(Throttled):
        BedrockTextEmbedder(bedrock.client).embed_query("espresso")


def test_titan_validation_errors_propagate(bedrock):
    bedrock.stub.add_client_error("invoke_model", service_error_code="ValidationException", http_status_code=400)
    with pytest.raises(ClientError):
        BedrockTextEmbedder(bedrock.client).embed_query("espresso")
