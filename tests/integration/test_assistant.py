"""The assistant's routes through the real API handler: drafts come back, nothing is written, the offline
adapter says what it needs, and a model's invalid reply is the caller's clear 422, never a 5xx."""

from __future__ import annotations

import json

import pytest

from dam.adapters.bedrock_assistant import BedrockWritingAssistant
from dam.api.context import services
from dam.domain.assistant import MAX_TEXT_CHARS
from dam.services.assistant import AssistantService
from tests.conftest import ASSETS_TABLE, TABLES, Api
from tests.unit.assistant.screenplay import EXCERPT, HEADINGS, LAMP_ROOM
from tests.unit.assistant.test_bedrock_assistant import BRIEF, Bedrock


def _items(api: Api) -> int:
    return sum(api.aws.dynamodb.scan(TableName=t)["Count"] for t in (ASSETS_TABLE, TABLES["Library"]))


def test_an_editor_gets_scene_and_shot_drafts_and_nothing_is_written(api: Api) -> None:
    editor = api.as_user(role="editor")
    before = _items(api)

    scenes = api.request("POST", "/assistant/scenes", body={"story": EXCERPT}, claims=editor)
    shots = api.request("POST", "/assistant/shots", body={"scene": LAMP_ROOM}, claims=editor)

    assert scenes.status == 200, scenes.body
    assert [s["heading"] for s in scenes.json()["scenes"]] == HEADINGS
    assert shots.status == 200, shots.body
    assert len(shots.json()["shots"]) == 3
    assert _items(api) == before


def test_offline_a_brief_answers_503_that_a_model_is_needed(api: Api) -> None:
    response = api.request("POST", "/assistant/brief", body={"idea": "a heist in a lighthouse"})

    assert response.status == 503
    error = response.json()["error"]
    assert error["code"] == "assistant_unavailable"
    assert "the assistant needs a configured model" in error["message"]


def test_prose_without_scene_headings_answers_503_offline(api: Api) -> None:
    response = api.request("POST", "/assistant/scenes", body={"story": "Mara keeps the light. A ship is lost."})

    assert response.status == 503
    assert "scene headings" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("role", "clients"), [(None, None), ("editor", ["client-a"])], ids=["viewer", "external editor"]
)
def test_viewers_and_external_users_may_not_use_the_assistant(api: Api, role: str | None, clients) -> None:
    response = api.request(
        "POST", "/assistant/scenes", body={"story": EXCERPT}, claims=api.as_user(role=role, clients=clients)
    )

    assert response.status == 403
    assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(
    "body",
    [{}, {"story": ""}, {"story": "   "}, {"story": "x" * (MAX_TEXT_CHARS + 1)}, {"story": "a\x00b"}, {"story": 12}],
    ids=["missing", "empty", "blank", "too long", "control character", "not text"],
)
def test_bad_input_is_refused_with_422(api: Api, body: dict) -> None:
    response = api.request("POST", "/assistant/scenes", body=body)

    assert response.status == 422, response.body
    assert response.json()["error"]["code"] == "validation_error"


@pytest.fixture
def bedrock(api: Api):
    fake = Bedrock()
    built = services()
    previous = built.assistant
    built.assistant = AssistantService(BedrockWritingAssistant(fake.client))
    with fake.stub:
        yield fake
    built.assistant = previous


def test_with_a_model_a_brief_is_drafted(api: Api, bedrock: Bedrock) -> None:
    bedrock.reply(json.dumps(BRIEF))

    response = api.request("POST", "/assistant/brief", body={"idea": "a lighthouse keeper's daughter"})

    assert response.status == 200, response.body
    assert response.json()["draft"]["visual_direction"].startswith("Cold blue dawns")


def test_a_models_invalid_replies_answer_a_clear_422(api: Api, bedrock: Bedrock) -> None:
    bedrock.reply("not json")
    bedrock.reply('{"title": "x"}')

    response = api.request("POST", "/assistant/brief", body={"idea": "an idea"})

    assert response.status == 422
    error = response.json()["error"]
    assert error["code"] == "assistant_reply_invalid"
    assert "try again" in error["message"]


def test_a_throttled_model_answers_503_busy(api: Api, bedrock: Bedrock) -> None:
    bedrock.stub.add_client_error("converse", service_error_code="ThrottlingException", http_status_code=429)

    response = api.request("POST", "/assistant/brief", body={"idea": "an idea"})

    assert response.status == 503
    assert response.json()["error"]["code"] == "assistant_busy"
