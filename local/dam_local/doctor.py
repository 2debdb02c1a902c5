"""`dam doctor --aws`: asks Bedrock for one tiny answer from each model the pipeline uses, with this shell's AWS
credentials, and says in plain words why a model refuses (so "Analysis failed" on every image has a cause).

Run it once after the first deploy as someone allowed to subscribe through AWS Marketplace: the first call to a
Marketplace model (Anthropic's Claude) subscribes the account. It costs a few input tokens per model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from dam.adapters.bedrock import DEFAULT_EMBEDDING_MODEL_ID, DEFAULT_VISION_MODEL_ID, THROTTLING_CODES

if TYPE_CHECKING:
    from mypy_boto3_bedrock_runtime import BedrockRuntimeClient

CONSOLE_MODEL_ACCESS = "Bedrock console → Model access (or Model catalog)"


@dataclass(frozen=True)
class Finding:
    purpose: str
    model_id: str
    ok: bool
    detail: str

    def line(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        return f"{mark} {self.purpose} ({self.model_id}): {self.detail}"


def check_analysis_model(client: BedrockRuntimeClient, model_id: str = DEFAULT_VISION_MODEL_ID) -> Finding:
    """One Converse turn capped at one output token: what the analyze step calls, minus the image."""
    return _check(
        "image analysis",
        model_id,
        lambda: client.converse(
            modelId=model_id,
            messages=[{"role": "user", "content": [{"text": "Reply with OK."}]}],
            inferenceConfig={"maxTokens": 1},
        ),
        client.meta.region_name,
    )


def check_embedding_model(
    client: BedrockRuntimeClient, model_id: str = DEFAULT_EMBEDDING_MODEL_ID, dimensions: int = 512
) -> Finding:
    body = json.dumps({"inputText": "ok", "dimensions": dimensions, "normalize": True})
    return _check(
        "embeddings",
        model_id,
        lambda: client.invoke_model(modelId=model_id, body=body, contentType="application/json"),
        client.meta.region_name,
    )


def _check(purpose: str, model_id: str, call: Any, region: str) -> Finding:
    try:
        call()
    except NoCredentialsError:
        return Finding(purpose, model_id, False, "no AWS credentials in this shell (set AWS_PROFILE or log in)")
    except ClientError as error:
        return Finding(purpose, model_id, *explain(error, model_id, region))
    except BotoCoreError as error:
        return Finding(purpose, model_id, False, f"could not reach Bedrock in {region}: {error}")
    return Finding(purpose, model_id, True, "answered")


def explain(error: ClientError, model_id: str, region: str) -> tuple[bool, str]:
    """(usable, what it means and what to do) for an error Bedrock answered with."""
    code = str(error.response.get("Error", {}).get("Code", ""))
    message = str(error.response.get("Error", {}).get("Message", ""))
    said = f" Bedrock said: {code}: {message}"
    lowered = message.lower()
    if code in THROTTLING_CODES:
        return True, f"reachable and allowed, but throttled right now (the pipeline retries with backoff).{said}"
    if "use case" in lowered:
        return False, (
            "Anthropic's one-time use-case form has not been submitted for this account: open "
            f"{CONSOLE_MODEL_ACCESS}, choose an Anthropic Claude model, fill in the use-case details, then run "
            f"this again.{said}"
        )
    if code == "AccessDeniedException" and "marketplace" in lowered:
        return False, (
            "the account is not subscribed to this model yet, and these credentials may not subscribe: run this "
            "once as an identity allowed aws-marketplace:Subscribe, aws-marketplace:Unsubscribe and "
            f"aws-marketplace:ViewSubscriptions (the first call subscribes the account).{said}"
        )
    if code == "AccessDeniedException":
        return False, (
            f"these credentials may not invoke {model_id} in {region}: check that model access is granted in "
            f"{CONSOLE_MODEL_ACCESS} and that no IAM policy or SCP denies bedrock:InvokeModel. The deployed "
            f"functions' roles are granted it by the stack.{said}"
        )
    if code == "ResourceNotFoundException":
        return False, (
            f"{model_id} is not available in {region}: check the region (AWS_REGION) and the model or inference "
            f"profile id (`aws bedrock list-inference-profiles`, `aws bedrock list-foundation-models`); deploy "
            f"with `-c analysis_model_id=…` to use another.{said}"
        )
    if code == "ValidationException":
        return False, (
            f"Bedrock refused the request for {model_id}: a model that needs an inference profile (an id starting "
            f"with us., eu. or apac.) was named directly, or the id is wrong for {region}.{said}"
        )
    return False, f"unexpected error.{said}"


def doctor(
    client: BedrockRuntimeClient | None = None,
    *,
    region: str | None = None,
    analysis_model_id: str = DEFAULT_VISION_MODEL_ID,
    embedding_model_id: str = DEFAULT_EMBEDDING_MODEL_ID,
) -> int:
    if client is None:
        import boto3

        client = boto3.client("bedrock-runtime", region_name=region)
    print(f"Bedrock in {client.meta.region_name}, with this shell's AWS credentials:")
    findings = [check_analysis_model(client, analysis_model_id), check_embedding_model(client, embedding_model_id)]
    for finding in findings:
        print(f"  {finding.line()}")
    return 0 if all(finding.ok for finding in findings) else 1
