"""Step Functions task entry points: a state's input in, the service step's JSON-able output out.

Each pipeline Lambda imports one function from here. Only what a step needs is built: the register
step never loads the embedding model.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from dam.services.processing import ProcessingRequest, ProcessingService
from dam.settings import PipelineSettings


@cache
def settings() -> PipelineSettings:
    return PipelineSettings()  # values come from the environment


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

        return BedrockImageAnalyzer(_bedrock(config), model_id=config.analysis_model_id)
    if config.analyzer == "local":
        from dam.adapters.local_analysis import LocalImageAnalyzer

        return LocalImageAnalyzer(ocr=config.ocr)
    return None


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
    return service(with_analyzer=True).analyze(ProcessingRequest.from_event(event))


def embed(event: dict[str, Any]) -> dict[str, Any]:
    analyzed = event.get("analyzed") or {}
    return service(with_embedder=True).embed(
        ProcessingRequest.from_event(event), analyzed.get("analysis"), analyzed.get("document_text")
    )


def finalize(event: dict[str, Any]) -> dict[str, Any]:
    return service().finalize(ProcessingRequest.from_event(event), event["results"])


def record_failure(event: dict[str, Any]) -> dict[str, Any]:
    error = event.get("error") or {}
    return service().record_failure(
        ProcessingRequest.from_event(event), str(error.get("Error", "Unknown")), error.get("Cause")
    )
