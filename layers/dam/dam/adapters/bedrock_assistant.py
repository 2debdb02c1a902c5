"""The writing assistant on Amazon Bedrock, through the Converse API (which needs bedrock:InvokeModel).

Each action asks for one JSON object, validated by the domain's draft models; an invalid reply is fed back
once in the same conversation, and a second one raises `AssistantReplyInvalid` (the API's 422, never a 5xx).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from botocore.exceptions import ClientError
from pydantic import BaseModel

from dam.adapters.bedrock import _raise_mapped, _reply_text, converse_until_valid, first_json_object
from dam.domain.assistant import (
    MAX_DRAFTS,
    AssistantReplyInvalid,
    AssistantUnavailable,
    BriefDraft,
    SceneBreakdown,
    SceneDraft,
    ShotDraft,
    ShotPlan,
)

if TYPE_CHECKING:
    from mypy_boto3_bedrock_runtime import BedrockRuntimeClient
    from mypy_boto3_bedrock_runtime.type_defs import MessageUnionTypeDef

DEFAULT_ASSISTANT_MODEL_ID = "us.anthropic.claude-haiku-4-5-20251001-v1:0"

SYSTEM_PROMPT = (
    "You are a development assistant for a film, animation and advertising studio. You help writers and "
    "directors turn ideas into production documents. Work only from what you are given; where you add, add "
    "what serves it. Reply with one JSON object and nothing else."
)

BRIEF_INSTRUCTIONS = """Refine this rough idea into a creative brief.
Reply with a JSON object with exactly these fields:
{
  "title": string, a working title (at most 80 characters),
  "summary": string, the idea in 2-4 sentences,
  "visual_direction": string, the look: palette, light, composition, texture, camera style,
  "tone": string, the mood and voice in 1-3 sentences,
  "references": array of at most 8 strings, films, artists, photographers or styles to look at
}"""

SCENES_INSTRUCTIONS = f"""Break this story into its scenes, in order. A scene groups what shares a location, a time or a
narrative beat. Reply with a JSON object with exactly this field:
{{
  "scenes": array of 1 to {MAX_DRAFTS} objects, each with
    "title": string, a short name for the scene (at most 80 characters),
    "description": string, what happens, in 1-4 sentences,
    "mood_notes": string, the scene's mood, light and sound in a sentence or two,
    "heading": string or null, a screenplay slug line such as "INT. KITCHEN - NIGHT"
}}"""

SHOTS_INSTRUCTIONS = f"""Plan the shots for this scene, in order. Each description must work on its own as a prompt for
an image or video generation model: who and what is in frame, the setting, the light, the action, the style.
Reply with a JSON object with exactly this field:
{{
  "shots": array of 1 to {MAX_DRAFTS} objects, each with
    "title": string, a short name for the shot (at most 80 characters),
    "description": string, the shot as a self-contained generation prompt (1-4 sentences),
    "camera_notes": string, framing, angle, lens and movement (for example "low-angle wide, slow push-in")
}}"""

# Errors that come from the account or the model's configuration (no access, no subscription, a wrong id),
# not from the text: the API answers 503 with the reason, never a 500.
MISCONFIGURED_CODES = frozenset(
    {"AccessDeniedException", "ValidationException", "ResourceNotFoundException", "UnrecognizedClientException"}
)

Reply = TypeVar("Reply", bound=BaseModel)


class BedrockWritingAssistant:
    """The `WritingAssistant` on a Bedrock text model."""

    def __init__(
        self,
        client: BedrockRuntimeClient,
        model_id: str = DEFAULT_ASSISTANT_MODEL_ID,
        *,
        max_tokens: int = 4096,
        attempts: int = 2,
    ) -> None:
        self._client = client
        self.model_id = model_id
        self._max_tokens = max_tokens
        self._attempts = max(1, attempts)

    def brief(self, idea: str) -> BriefDraft:
        return self._ask(BRIEF_INSTRUCTIONS, "idea", idea, BriefDraft)

    def scenes(self, story: str) -> list[SceneDraft]:
        return list(self._ask(SCENES_INSTRUCTIONS, "story", story, SceneBreakdown).scenes)

    def shots(self, scene: str) -> list[ShotDraft]:
        return list(self._ask(SHOTS_INSTRUCTIONS, "scene", scene, ShotPlan).shots)

    def _ask(self, instructions: str, tag: str, text: str, model: type[Reply]) -> Reply:
        messages: list[MessageUnionTypeDef] = [
            {"role": "user", "content": [{"text": f"{instructions}\n\n<{tag}>\n{text.strip()}\n</{tag}>"}]}
        ]
        found, problem = converse_until_valid(
            self._converse,
            messages,
            lambda reply: model.model_validate(first_json_object(reply)),
            attempts=self._attempts,
            cut_off=f"{self._max_tokens} tokens: write less",
        )
        if found is not None:
            return found
        raise AssistantReplyInvalid(
            f"the model ({self.model_id}) gave no valid {tag} draft in {self._attempts} attempts ({problem}); "
            "try again, or reword the text"
        )

    def _converse(self, messages: list[MessageUnionTypeDef]) -> tuple[str, str]:
        try:
            response = self._client.converse(
                modelId=self.model_id,
                messages=messages,
                system=[{"text": SYSTEM_PROMPT}],
                inferenceConfig={"maxTokens": self._max_tokens, "temperature": 0.7},
            )
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in MISCONFIGURED_CODES:
                # The model refused the account or the request: nothing the user typed can fix it.
                message = error.response.get("Error", {}).get("Message", "")
                raise AssistantUnavailable(
                    f"the assistant's model ({self.model_id}) refused the request ({code}: {message}); "
                    "an operator can run `dam doctor --aws` to see why"
                ) from error
            _raise_mapped(error, "Converse")
        return _reply_text(response), str(response.get("stopReason", ""))
