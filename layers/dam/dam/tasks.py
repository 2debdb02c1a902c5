"""Step Functions task entry points: a state's input in, the service step's JSON-able output out.

Each pipeline Lambda imports one function from here. Only what a step needs is built: the register
step never loads the embedding model. The business metrics of a run are recorded here, where a step's
outcome is known (dam.observability names them).
"""

from __future__ import annotations

import time
from functools import cache
from typing import TYPE_CHECKING, Any

from dam import observability as obs
from dam.domain.rejections import rejection_kind
from dam.services.processing import ProcessingRequest, ProcessingService
from dam.settings import PipelineSettings

if TYPE_CHECKING:
    from dam.domain.analysis import ImageAnalysis


@cache
def settings() -> PipelineSettings:
    return PipelineSettings.from_environment()


@cache
def service(*, with_analyzer: bool = False, with_embedder: bool = False) -> ProcessingService:
    from dam.adapters.dynamodb.assets import AssetRepository
    from dam.adapters.dynamodb.models import bind_tables
    from dam.adapters.s3.storage import ObjectStorage, s3_client
    from dam.imaging.limits import ImageLimits
    from dam.services.processing import ProcessingLimits

    config = settings()
    tables = {"Assets": config.assets_table} | ({"Library": config.library_table} if config.library_table else {})
    bind_tables(tables, region=config.region, endpoint_url=config.endpoint_url)
    storage = ObjectStorage(s3_client(config.region, config.endpoint_url), config.media_bucket)
    limits = ProcessingLimits(config.max_upload_bytes, ImageLimits(max_pixels=config.max_pixels))
    return ProcessingService(
        AssetRepository(),
        storage,
        limits,
        analyzer=_analyzer(config) if with_analyzer else None,
        embedder=_embedder(config) if with_embedder else None,
        versions=_versions() if config.library_table else None,
    )


def _versions() -> Any:
    from dam.adapters.dynamodb.versions import VersionRepository

    return VersionRepository()


def _analyzer(config: PipelineSettings) -> Any:
    if config.analyzer == "bedrock":
        from dam.adapters.bedrock import BedrockImageAnalyzer

        return MeteredAnalyzer(BedrockImageAnalyzer(_bedrock(config), model_id=config.analysis_model_id))
    if config.analyzer == "local":
        from dam.adapters.local_analysis import LocalImageAnalyzer

        return MeteredAnalyzer(LocalImageAnalyzer(ocr=config.ocr), model="local")
    return None


class MeteredAnalyzer:
    """An image analyzer whose answers are timed (AnalysisLatency) and, when it reports them, whose tokens
    are counted (AnalysisInputTokens, AnalysisOutputTokens), by model; failed answers count too."""

    def __init__(self, inner: Any, model: str | None = None) -> None:
        self._inner = inner
        self._model = model or str(getattr(inner, "model_id", type(inner).__name__))

    def analyze(self, image: bytes, content_type: str, **options: Any) -> ImageAnalysis:
        started = time.perf_counter()
        try:
            result: ImageAnalysis = self._inner.analyze(image, content_type, **options)
            return result
        finally:
            metrics: dict[str, obs.Metric] = {obs.ANALYSIS_LATENCY: (obs.elapsed_ms(started), "Milliseconds")}
            usage: dict[str, int] = getattr(self._inner, "last_usage", None) or {}
            if usage:
                metrics[obs.ANALYSIS_INPUT_TOKENS] = (usage.get("input", 0), "Count")
                metrics[obs.ANALYSIS_OUTPUT_TOKENS] = (usage.get("output", 0), "Count")
            obs.emit(metrics, model=self._model)


def _embedder(config: PipelineSettings) -> Any:
    if config.embedder == "bedrock":
        from dam.adapters.bedrock import BedrockTextEmbedder

        return BedrockTextEmbedder(
            _bedrock(config), model_id=config.embedding_model_id, dimensions=config.embedding_dimensions
        )
    if config.embedder == "local":
        from dam.adapters.local_analysis import LocalTextEmbedder

        return LocalTextEmbedder()
    return None


def _bedrock(config: PipelineSettings) -> Any:
    import boto3
    from botocore.config import Config

    # Step Functions retries throttling with backoff; SDK retries on top would multiply the wait.
    return boto3.client(
        "bedrock-runtime", region_name=config.region, config=Config(retries={"mode": "standard", "max_attempts": 2})
    )


def register(event: dict[str, Any]) -> dict[str, Any]:
    return service().register(ProcessingRequest.from_event(event))


def renditions(event: dict[str, Any]) -> dict[str, Any]:
    registered = event["register"]
    return service().renditions(ProcessingRequest.from_event(event), registered["format"], registered.get("version_id"))


def analyze(event: dict[str, Any]) -> dict[str, Any]:
    return service(with_analyzer=True).analyze(ProcessingRequest.from_event(event), event.get("made"))


def embed(event: dict[str, Any]) -> dict[str, Any]:
    analyzed = event.get("analyzed") or {}
    return service(with_embedder=True).embed(
        ProcessingRequest.from_event(event), analyzed.get("analysis"), analyzed.get("document_text")
    )


def finalize(event: dict[str, Any]) -> dict[str, Any]:
    # Renditions' output and the analysis' (Embed's, or AnalysisFailed's); a re-analysis has no renditions.
    # A run started before the steps were sequenced still carries its Parallel state's list.
    outputs = event.get("results") or [event.get("made") or {}, event.get("analyzed") or {}]
    result = service().finalize(ProcessingRequest.from_event(event), outputs)
    if result["status"] == "ready":
        media_type = str(result.get("media_type", "unknown"))
        metrics: dict[str, obs.Metric] = {obs.ASSETS_PROCESSED: (1, "Count")}
        started_at = event.get("started_at")  # absent from runs started before it was recorded
        if isinstance(started_at, int | float):
            metrics[obs.PROCESSING_TIME] = (round((time.time() - started_at) * 1000, 1), "Milliseconds")
        obs.emit(metrics, media_type=media_type)
    else:
        obs.count(obs.ASSETS_FAILED, error="AnalysisFailed")
    return result


def record_failure(event: dict[str, Any]) -> dict[str, Any]:
    """The failure of a run: from the run's own Catch, or (an EventBridge event) from Step Functions when the run
    itself ended without reaching it."""
    if event.get("source") == "aws.states":
        return run_ended(event)
    error = event.get("error") or {}
    name = str(error.get("Error", "Unknown"))
    result = service().record_failure(ProcessingRequest.from_event(event), name, error.get("Cause"))
    if result["status"] == "rejected":
        obs.count(obs.ASSETS_REJECTED, reason=rejection_kind(result.get("reason")))
    elif result["status"] == "failed":
        obs.count(obs.ASSETS_FAILED, error=name)
    return result


def run_ended(event: dict[str, Any]) -> dict[str, Any]:
    """A "Step Functions Execution Status Change" event (FAILED, TIMED_OUT or ABORTED) for a pipeline run."""
    import json

    detail = event.get("detail") or {}
    try:
        request = ProcessingRequest.from_event(json.loads(detail.get("input") or "null"))
    except (TypeError, ValueError, AttributeError):
        # Not a run of ours, or an input too large to be included in the event (ours are small).
        return {"status": "ignored", "execution": detail.get("executionArn")}
    result = service().run_ended(request, str(detail.get("status")), detail.get("error"), detail.get("cause"))
    if result["status"] in ("failed", "rejected"):
        obs.count(obs.ASSETS_FAILED, error=str(detail.get("status")))
    return result
