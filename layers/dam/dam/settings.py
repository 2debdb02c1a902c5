"""One validated settings object per function, read once at cold start from the environment.

Services never read the environment; they receive these values.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AwsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DAM_", frozen=True)

    region: str = Field(
        default="us-east-1", validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION", "DAM_REGION")
    )
    # Only the local stack sets this (moto's server); on AWS the SDK finds the real endpoints.
    endpoint_url: str | None = None


class StorageSettings(AwsSettings):
    assets_table: str = Field(min_length=3)
    media_bucket: str = Field(min_length=3)


class ApiSettings(StorageSettings):
    max_upload_bytes: int = Field(default=5 * 1024**3, gt=0, le=5 * 1024**3)
    upload_url_ttl_seconds: int = Field(default=900, ge=60, le=3600)
    download_url_ttl_seconds: int = Field(default=300, ge=30, le=3600)


class IngestSettings(StorageSettings):
    pass
