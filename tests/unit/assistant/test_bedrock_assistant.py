"""The Bedrock writing assistant on a real bedrock-runtime client with a Stubber: botocore checks each request
against Converse's service model (modelId, messages, system, inferenceConfig), and nothing leaves the process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from dam.adapters.bedrock_assistant import DEFAULT_ASSISTANT_MODEL_ID, BedrockWritingAssistant
from dam.domain.assistant import AssistantReplyInvalid, AssistantUnavailable
from dam.domain.errors import Throttled
from dam.services.assistant_ports import WritingAssistant

BRIEF = {
    "title": "The Last Light",
    "summary": "A lighthouse keeper's daughter keeps the lamp lit after the service is shut down.",
    "visual_direction": "Cold blue dawns, sodium lamps, 35 mm grain, long lenses on the coast.",
    "tone": "Quiet, stubborn, hopeful.",
    "references": ["The Lighthouse (2019)", "Andrew Wyeth"],
}


class Bedrock:
    def __init__(self) -> None:
        self.client = boto3.client(
            "bedrock-runtime", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
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
            "usage": {"inputTokens": 400, "outputTokens": 300, "totalTokens": 700},
            "metrics": {"latencyMs": 1200},
        }
        self.stub.add_response("converse", response, expected)


@pytest.fixture
def bedrock() -> Iterator[Bedrock]:
    fake = Bedrock()
    with fake.stub:
        yield fake
        fake.stub.assert_no_pending_responses()


def _text(call: dict[str, Any], message: int = 0) -> str:
    return "".join(block.get("text", "") for block in call["messages"][message]["content"])


def test_the_adapter_satisfies_the_port(bedrock: Bedrock) -> None:
    assert isinstance(BedrockWritingAssistant(bedrock.client), WritingAssistant)


def test_a_brief_request_has_converses_documented_shape_and_the_reply_is_parsed(bedrock: Bedrock) -> None:
    expected = {
        "modelId": DEFAULT_ASSISTANT_MODEL_ID,
        "messages": [{"role": "user", "content": [{"text": ANY}]}],
        "system": [{"text": ANY}],
        "inferenceConfig": {"maxTokens": 4096, "temperature": 0.7},
    }
    bedrock.reply("Here is your brief:\n```json\n" + json.dumps(BRIEF) + "\n```", expected)

    draft = BedrockWritingAssistant(bedrock.client).brief("a lighthouse keeper's daughter keeps the lamp lit")

    assert draft.title == "The Last Light"
    assert draft.references == ["The Lighthouse (2019)", "Andrew Wyeth"]
    prompt = _text(bedrock.calls[0])
    assert "visual_direction" in prompt
    assert "<idea>\na lighthouse keeper's daughter keeps the lamp lit\n</idea>" in prompt


def test_scenes_and_shots_are_parsed_in_order(bedrock: Bedrock) -> None:
    scenes = {
        "scenes": [
            {"title": "The climb", "description": "Mara climbs to the light.", "mood_notes": "Cold, windy."},
            {"title": "The lamp", "description": "She lights it.", "mood_notes": "Warm.", "heading": "INT. LAMP ROOM"},
        ]
    }
    shots = {"shots": [{"title": "Wide", "description": "A lighthouse at dawn.", "camera_notes": "wide, static"}]}
    bedrock.reply(json.dumps(scenes))
    bedrock.reply(json.dumps(shots))
    assistant = BedrockWritingAssistant(bedrock.client)

    assert [s.title for s in assistant.scenes("Mara climbs. She lights it.")] == ["The climb", "The lamp"]
    assert assistant.shots("INT. LAMP ROOM\n\nShe lights it.")[0].camera_notes == "wide, static"
    assert "<story>" in _text(bedrock.calls[0]) and "<scene>" in _text(bedrock.calls[1])


def test_malformed_json_is_fed_back_once_and_a_valid_second_reply_wins(bedrock: Bedrock) -> None:
    bedrock.reply('{"title": "The Last Light", "summary": ')  # cut off mid-object
    bedrock.reply(json.dumps(BRIEF))

    draft = BedrockWritingAssistant(bedrock.client).brief("an idea")

    assert draft.tone == "Quiet, stubborn, hopeful."
    retry = bedrock.calls[1]["messages"]
    assert [m["role"] for m in retry] == ["user", "assistant", "user"]
    assert "not valid" in _text(bedrock.calls[1], 2)


def test_two_invalid_replies_raise_a_clear_error_naming_what_was_wrong(bedrock: Bedrock) -> None:
    bedrock.reply("I'd love to help! What kind of story is it?")  # no JSON at all
    bedrock.reply(json.dumps({"scenes": [{"title": "", "description": "x"}]}))  # a blank title

    with pytest.raises(AssistantReplyInvalid, match=r"no valid story draft in 2 attempts \(scenes\.0\.title"):
        BedrockWritingAssistant(bedrock.client).scenes("a story")


def test_an_empty_scene_list_is_invalid(bedrock: Bedrock) -> None:
    bedrock.reply(json.dumps({"shots": []}))

    with pytest.raises(AssistantReplyInvalid):
        BedrockWritingAssistant(bedrock.client, attempts=1).shots("a scene")


def test_throttling_becomes_throttled(bedrock: Bedrock) -> None:
    bedrock.stub.add_client_error("converse", service_error_code="ThrottlingException", http_status_code=429)

    with pytest.raises(Throttled):
        BedrockWritingAssistant(bedrock.client).brief("an idea")


@pytest.mark.parametrize(
    ("code", "status"),
    [("AccessDeniedException", 403), ("ValidationException", 400), ("ResourceNotFoundException", 404)],
)
def test_a_refused_or_misconfigured_model_is_unavailable_with_its_reason(
    bedrock: Bedrock, code: str, status: int
) -> None:
    bedrock.stub.add_client_error(
        "converse", service_error_code=code, service_message="no access to this model", http_status_code=status
    )

    with pytest.raises(AssistantUnavailable, match=f"{code}: no access to this model"):
        BedrockWritingAssistant(bedrock.client).brief("an idea")
