"""One validated settings object per function, read once at cold start from the environment.

Services never read the environment; they receive these values.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from typing import Any, Literal, Self, get_origin

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from dam.domain.trash import DEFAULT_TRASH_DAYS, MAX_TRASH_DAYS

ENV_PREFIX = "DAM_"
_COLLECTIONS = (frozenset, set, list, tuple, dict)


class EnvironmentSettings(BaseModel):
    """Settings read from the environment by `from_environment()`: `DAM_<FIELD>` (any case) or a field's own
    alias choices, a collection written as JSON (`["ws-a"]`). Read here rather than by pydantic-settings:
    that package and the sources it imports (dotenv, argparse, cloud secret stores), none of them used, cost
    ~25 ms of every cold start."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True)

    @classmethod
    def from_environment(cls, **values: Any) -> Self:
        """The environment's values, with those given here winning over them."""
        return cls.model_validate({**environment_values(cls, os.environ), **values})


def environment_values(settings: type[BaseModel], environ: Mapping[str, str]) -> dict[str, Any]:
    """What the environment says for each field of these settings, by field name."""
    by_name = {name.upper(): value for name, value in environ.items()}
    found: dict[str, Any] = {}
    for name, field in settings.model_fields.items():
        alias = field.validation_alias
        names = alias.choices if isinstance(alias, AliasChoices) else [ENV_PREFIX + name]
        value = next((by_name[str(n).upper()] for n in names if str(n).upper() in by_name), None)
        if value is None:
            continue
        if get_origin(field.annotation) in _COLLECTIONS or field.annotation in _COLLECTIONS:
            with contextlib.suppress(ValueError):  # else left as text: validation names the field
                value = json.loads(value)
        found[name] = value
    return found


class AwsSettings(EnvironmentSettings):
    region: str = Field(
        default="us-east-1", validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION", "DAM_REGION")
    )
    # Only the local stack sets this (moto's server); on AWS the SDK finds the real endpoints.
    endpoint_url: str | None = None


class StorageSettings(AwsSettings):
    assets_table: str = Field(min_length=3)
    media_bucket: str = Field(min_length=3)


class SearchSettings(AwsSettings):
    """Where the search index lives: OpenSearch on AWS, the embedded engine (one file) locally."""

    search_engine: Literal["embedded", "opensearch"] = "embedded"
    search_endpoint: str | None = None  # https://… of the OpenSearch domain
    search_index: str = "assets"
    search_replicas: int = Field(default=1, ge=0, le=2)
    search_path: str = "/tmp/dam-search.sqlite"  # the embedded engine's file
    # Query vectors must come from the model that embedded the documents.
    embedder: Literal["bedrock", "local", "none"] = "local"
    embedding_model_id: str = "amazon.titan-embed-text-v2:0"
    embedding_dimensions: int = Field(default=512, gt=0)


class IndexerSettings(SearchSettings):
    pass


class ApiSettings(StorageSettings, SearchSettings):
    library_table: str = Field(min_length=3)  # folders, collections, brands, favorites, usage links
    max_upload_bytes: int = Field(default=5 * 1024**3, gt=0, le=5 * 1024**3)
    # Files larger than this go up in parts (S3 multipart); parts are at least 5 MiB.
    multipart_threshold_bytes: int = Field(default=100 * 1024**2, ge=5 * 1024**2, le=5 * 1024**3)
    multipart_part_bytes: int = Field(default=16 * 1024**2, ge=5 * 1024**2, le=5 * 1024**3)
    upload_url_ttl_seconds: int = Field(default=900, ge=60, le=3600)
    download_url_ttl_seconds: int = Field(default=300, ge=30, le=3600)
    state_machine_arn: str | None = None  # unset: re-running processing answers 409
    # Where big deletes of folders, brands and collections queue their per-asset work; unset: done inline.
    library_queue_url: str | None = None
    # How long a deleted asset waits in the trash (restorable) before it is removed for good.
    trash_days: int = Field(default=DEFAULT_TRASH_DAYS, ge=1, le=MAX_TRASH_DAYS)
    # Workspaces whose members may approve versions they uploaded themselves (refused everywhere else).
    self_approval_workspaces: frozenset[str] = frozenset()
    # Review sessions approve a version when any lead or admin reviewer approves it (`any_lead`), except in
    # these workspaces, where every invited reviewer must (`all_reviewers`).
    all_reviewers_workspaces: frozenset[str] = frozenset()
    # Requests a minute one share link answers before 429.
    share_requests_per_minute: int = Field(default=60, ge=1, le=10_000)
    # The writing assistant: "bedrock" on AWS; "local" breaks screenplays at their headings and invents nothing.
    assistant: Literal["bedrock", "local"] = "local"
    assistant_model_id: str = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    audit_table: str | None = None  # the audit log (GET /audit); unset: the Audit model's bound table


class AuditSettings(AwsSettings):
    """The audit function: the tables whose streams it reads, and where and how long events are kept."""

    assets_table: str = Field(min_length=3)
    library_table: str = Field(min_length=3)
    audit_table: str = Field(min_length=3)
    # Events expire (DynamoDB TTL) this many days after the change.
    audit_retention_days: int = Field(default=365, ge=1, le=3650)


class LibraryWorkerSettings(AwsSettings):
    """The library worker: a deleted owner's assets, from the cleanup queue (and chunks back onto it); the
    trash's expiry sweeps and purges, from the same queue (a purge deletes the asset's files)."""

    media_bucket: str | None = Field(default=None, min_length=3)  # unset: purges fail (they delete files)
    assets_table: str = Field(min_length=3)
    library_table: str = Field(min_length=3)
    library_queue_url: str = Field(min_length=3)


class IngestSettings(StorageSettings):
    state_machine_arn: str | None = None  # unset: uploads are only marked `uploaded`
    library_table: str | None = None  # where versions live; unset: later versions' uploads are ignored
    max_import_images: int = Field(default=50, ge=1, le=500)  # images a bulk ZIP import makes into assets


class PipelineSettings(StorageSettings):
    library_table: str | None = None  # where versions live; unset: only active versions are processed
    max_upload_bytes: int = Field(default=5 * 1024**3, gt=0)
    max_pixels: int = Field(default=100_000_000, gt=0)
    # "bedrock" on AWS; "local" computes what it honestly can offline; "none" skips the step.
    analyzer: Literal["bedrock", "local", "none"] = "local"
    analysis_model_id: str = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    ocr: bool = False
    embedder: Literal["bedrock", "local", "none"] = "local"
    embedding_model_id: str = "amazon.titan-embed-text-v2:0"
    embedding_dimensions: int = Field(default=512, gt=0)
