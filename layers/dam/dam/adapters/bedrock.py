"""Image analysis and text embeddings on Amazon Bedrock.

The bedrock-runtime client is passed in (boto3 is not imported here). Throttling-like errors become
`Throttled`, which the state machine retries with backoff; give the client few SDK retries
(e.g. `Config(retries={"mode": "standard", "max_attempts": 2})`) so the two do not multiply.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal, NoReturn, TypeVar

from botocore.exceptions import ClientError
from pydantic import ValidationError

from dam.domain.analysis import MAX_COLORS, AnalysisInvalid, ImageAnalysis, PropType
from dam.domain.errors import Throttled

if TYPE_CHECKING:
    from mypy_boto3_bedrock_runtime import BedrockRuntimeClient
    from mypy_boto3_bedrock_runtime.type_defs import ConverseResponseTypeDef, MessageUnionTypeDef

# Claude Haiku 4.5: Anthropic's current small model with image input on Bedrock (3.5 Haiku has no
# image input there, and 3 Haiku is end-of-life). On-demand use goes through an inference profile.
DEFAULT_VISION_MODEL_ID = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
DEFAULT_EMBEDDING_MODEL_ID = "amazon.titan-embed-text-v2:0"
TITAN_V2_DIMENSIONS = (256, 512, 1024)
TITAN_V2_MAX_CHARS = 50_000  # the model's documented input limit (also 8,192 tokens)
CONVERSE_MAX_IMAGE_BYTES = 3_750_000  # Converse's limit for one image

THROTTLING_CODES = frozenset(
    {"ThrottlingException", "ServiceUnavailableException", "ModelNotReadyException", "TooManyRequestsException"}
)

ImageFormat = Literal["jpeg", "png", "webp", "gif"]

_FORMAT_BY_CONTENT_TYPE: dict[str, ImageFormat] = {
    "image/jpeg": "jpeg",
    "image/jpg": "jpeg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
}


def _raise_mapped(error: ClientError, operation: str) -> NoReturn:
    code = str(error.response.get("Error", {}).get("Code", ""))
    if code in THROTTLING_CODES:
        raise Throttled(f"Bedrock {operation} was throttled ({code}); retry later") from error
    raise error


def image_format(image: bytes, content_type: str) -> ImageFormat:
    """Converse's image format, from the bytes' signature first (a mislabelled preview still works)."""
    if image.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if image.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if image[:4] == b"RIFF" and image[8:12] == b"WEBP":
        return "webp"
    if image[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    fmt = _FORMAT_BY_CONTENT_TYPE.get(content_type.split(";", 1)[0].strip().lower())
    if fmt is None:
        raise ValueError(f"Bedrock image analysis takes JPEG, PNG, WebP or GIF, not {content_type!r}")
    return fmt


# --- the analysis prompt ----------------------------------------------------------------------------

SYSTEM_PROMPT = (
    "You catalogue images for a film and TV production's library of props, costumes and set dressing. "
    "Describe only what is visible; never guess brands or text you cannot read. "
    "Reply with one JSON object and nothing else."
)

_PROP_TYPES = ", ".join(f'"{p.value}"' for p in PropType)

INSTRUCTIONS = f"""Analyse the image and reply with a JSON object with exactly these fields:
{{
  "description": string, 1-3 plain-English sentences (at most 600 characters) saying what the image shows,
  "objects": array of strings, the specific physical items visible, most prominent first (at most 15),
  "brands": array of strings, brand or franchise names visible (logos, packaging, characters); [] if none,
  "themes": array of strings, conceptual themes such as "medieval", "christmas" or "sci-fi" (at most 8),
  "colors": array of 1 to {MAX_COLORS} strings, the dominant colours as common colour names,
  "prop_type": one of {_PROP_TYPES},
  "text_in_image": array of strings, legible text exactly as written; [] if none
}}
Use lowercase for objects, themes and colors. prop_type: Costume is worn, Hand Prop is held or used by an
actor, Set Dressing furnishes a scene, Branded Merch carries a brand, Food is edible; otherwise Other."""


def build_prompt(*, hint: str | None, context: str | None) -> str:
    parts = [INSTRUCTIONS]
    if context and context.strip():
        parts.append(
            "What the uploader already knows about this asset (it may help with names; it does not override "
            f"what you see):\n<context>\n{context.strip()}\n</context>"
        )
    if hint and hint.strip():
        parts.append(
            "CORRECTION FROM A HUMAN REVIEWER. A previous analysis of this image got something wrong. This "
            "correction is authoritative: where it conflicts with what you would otherwise conclude, follow "
            "the correction, and reflect it in the description, the tags and prop_type.\n"
            f"<correction>\n{hint.strip()}\n</correction>"
        )
    return "\n\n".join(parts)


def json_objects(text: str) -> Iterator[dict[str, Any]]:
    """The JSON objects in a text, in order, skipping whatever lies between them (fences, prose)."""
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start != -1:
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
            continue
        yield value  # decoding from a "{" always gives an object
        start = text.find("{", end)


def first_json_object(text: str) -> dict[str, Any]:
    """The first JSON object in a reply, tolerating ```json fences and prose around it."""
    for value in json_objects(text):
        return value
    raise ValueError("the reply contains no JSON object")


def _reply_text(response: ConverseResponseTypeDef) -> str:
    message = response.get("output", {}).get("message", {})
    return "".join(block.get("text", "") for block in message.get("content", []))


def _problem(error: Exception) -> str:
    """A short account of what was wrong, to feed back to the model and to show a user."""
    if isinstance(error, ValidationError):
        text = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'reply'}: {e['msg']}" for e in error.errors(include_url=False)
        )
    else:
        text = str(error)
    return text[:500]


Parsed = TypeVar("Parsed")


def converse_until_valid(
    converse: Callable[[list[MessageUnionTypeDef]], tuple[str, str]],
    messages: list[MessageUnionTypeDef],
    parse: Callable[[str], Parsed],
    *,
    attempts: int,
    cut_off: str,
) -> tuple[Parsed | None, str]:
    """The first reply `parse` accepts, each invalid one fed back in the same conversation; else (None, why)."""
    problem = ""
    for attempt in range(attempts):
        reply, stop_reason = converse(messages)
        try:
            return parse(reply), ""
        except (ValueError, ValidationError) as error:
            problem = _problem(error)
        if stop_reason == "max_tokens":  # cut off mid-JSON: asking again unchanged would cut it off again
            problem += f" (the reply was cut off at {cut_off})"
        if attempt + 1 < attempts:
            messages.append({"role": "assistant", "content": [{"text": reply or "(empty reply)"}]})
            feedback = (
                f"That reply was not valid: {problem}. Reply again with only the corrected JSON object, "
                "with exactly the fields asked for."
            )
            messages.append({"role": "user", "content": [{"text": feedback}]})
    return None, problem


class BedrockImageAnalyzer:
    """Claude vision through the Converse API, answering JSON validated by `ImageAnalysis`.

    One retry on an invalid reply, with the problem fed back in the same conversation; a second
    invalid reply raises `AnalysisInvalid`.
    """

    def __init__(
        self,
        client: BedrockRuntimeClient,
        model_id: str = DEFAULT_VISION_MODEL_ID,
        *,
        max_tokens: int = 1024,
        attempts: int = 2,
    ) -> None:
        self._client = client
        self.model_id = model_id
        self._max_tokens = max_tokens
        self._attempts = max(1, attempts)
        # Tokens of the last `analyze` (every attempt), for the metrics: {"input": n, "output": n}.
        self.last_usage: dict[str, int] = {}

    def analyze(
        self,
        image: bytes,
        content_type: str,
        *,
        hint: str | None = None,
        context: str | None = None,
        original_size: tuple[int, int] | None = None,  # the model describes what it sees, not pixel counts
    ) -> ImageAnalysis:
        if not image:
            raise ValueError("no image bytes to analyse")
        if len(image) > CONVERSE_MAX_IMAGE_BYTES:
            raise ValueError(f"the analysis image is {len(image)} bytes; Converse takes at most 3.75 MB")
        fmt = image_format(image, content_type)
        self.last_usage = {"input": 0, "output": 0}
        messages: list[MessageUnionTypeDef] = [
            {
                "role": "user",
                "content": [
                    {"image": {"format": fmt, "source": {"bytes": image}}},
                    {"text": build_prompt(hint=hint, context=context)},
                ],
            }
        ]

        def parse(reply: str) -> ImageAnalysis:
            return ImageAnalysis.model_validate({**first_json_object(reply), "source": self.model_id})

        found, problem = converse_until_valid(
            self._converse,
            messages,
            parse,
            attempts=self._attempts,
            cut_off=f"{self._max_tokens} tokens: keep the description shorter",
        )
        if found is not None:
            return found
        raise AnalysisInvalid(f"{self.model_id} gave no valid image analysis in {self._attempts} attempts: {problem}")

    def _converse(self, messages: list[MessageUnionTypeDef]) -> tuple[str, str]:
        try:
            response = self._client.converse(
                modelId=self.model_id,
                messages=messages,
                system=[{"text": SYSTEM_PROMPT}],
                inferenceConfig={"maxTokens": self._max_tokens, "temperature": 0},
            )
        except ClientError as error:
            _raise_mapped(error, "Converse")
        usage = response.get("usage") or {}
        self.last_usage = {
            "input": self.last_usage.get("input", 0) + int(usage.get("inputTokens", 0)),
            "output": self.last_usage.get("output", 0) + int(usage.get("outputTokens", 0)),
        }
        return _reply_text(response), str(response.get("stopReason", ""))


class BedrockTextEmbedder:
    """Titan Text Embeddings V2 through InvokeModel: one call per text (the model has no batch API).
    Titan does not tell queries from documents, so both embed the same way."""

    def __init__(
        self, client: BedrockRuntimeClient, model_id: str = DEFAULT_EMBEDDING_MODEL_ID, dimensions: int = 512
    ) -> None:
        if model_id.startswith("amazon.titan-embed-text-v2") and dimensions not in TITAN_V2_DIMENSIONS:
            raise ValueError(f"Titan Text Embeddings V2 makes {TITAN_V2_DIMENSIONS} dimensions, not {dimensions}")
        self._client = client
        self.model_id = model_id
        self.dimensions = dimensions

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._embed(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._embed(text)

    def _embed(self, text: str) -> list[float]:
        if not text or not text.strip():
            raise ValueError("cannot embed empty text")
        body = {"inputText": text[:TITAN_V2_MAX_CHARS], "dimensions": self.dimensions, "normalize": True}
        try:
            response = self._client.invoke_model(
                modelId=self.model_id,
                body=json.dumps(body),
                contentType="application/json",
                accept="application/json",
            )
        except ClientError as error:
            _raise_mapped(error, "InvokeModel")
        payload = json.loads(response["body"].read())
        vector = [float(x) for x in payload.get("embedding") or []]
        if len(vector) != self.dimensions:
            raise ValueError(f"{self.model_id} returned {len(vector)} dimensions, expected {self.dimensions}")
        return _unit(vector)


def _unit(vector: list[float]) -> list[float]:
    # Titan normalises when asked; this guards the port's promise cheaply (512 floats).
    norm = math.sqrt(sum(x * x for x in vector))
    if norm == 0 or abs(norm - 1.0) < 1e-6:
        return vector
    return [x / norm for x in vector]
