"""Request and response bodies of the version routes (beside dam.api.models, which holds the asset's)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field, field_validator

from dam.api.models import PresignedPostOut, RenditionOut, SignedUrlOut, UploadRequest
from dam.domain.assets import AssetStatus, GenerationInput, GenerationMetadata
from dam.domain.formats import MediaType
from dam.domain.identity import Role
from dam.domain.modeling import LazyModel
from dam.domain.versions import Review, ReviewAction, ReviewStatus


class NewVersionRequest(LazyModel):
    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=1, max_length=255, examples=["hero-shot-v2.jpg"])
    content_type: str = Field(min_length=3, max_length=255, examples=["image/jpeg"])
    size: int = Field(gt=0, description="Exact size in bytes; the upload policy pins it.")
    notes: str = Field(default="", max_length=10_000, description="What changed in this take")
    generation: GenerationMetadata | None = None
    promote: bool | None = Field(
        default=None,
        description='`true`: make it the active version at once ("replace in place": same stable link, the old '
        "file kept). Needs the right to promote; leave it out otherwise.",
    )

    @field_validator("filename")
    @classmethod
    def _plain_filename(cls, value: str) -> str:
        return UploadRequest._plain_filename(value)


class ReviewRequest(LazyModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, min_length=1, max_length=2000, examples=["Lighting matches the brief"])


class ReviewOut(LazyModel):
    action: ReviewAction
    by: str
    role: Role | None = Field(description="The reviewer's role when they reviewed")
    at: datetime
    note: str | None

    @classmethod
    def of(cls, review: Review) -> ReviewOut:
        return cls(**review.model_dump())


class ReviewList(LazyModel):
    items: list[ReviewOut] = Field(description="Oldest first; the last entry decides the status")


class VersionOut(LazyModel):
    number: int
    studio_id: str = Field(examples=["IMG-20260203-a3f8-001_v001"], description="Downloads are named by it")
    status: ReviewStatus = Field(description="draft or approved, from the review history")
    is_active: bool = Field(description="Whether the asset shows this version (lists, search, the stable link)")
    is_latest: bool
    created_by: str
    created_at: datetime
    notes: str
    filename: str
    content_type: str
    media_type: MediaType
    size: int
    file_status: AssetStatus = Field(description="Where this version's file is in processing")
    file_status_reason: str | None
    checksum_sha256: str | None
    metadata: dict[str, Any]
    generation: GenerationMetadata | None
    original: SignedUrlOut | None = None
    thumbnail: SignedUrlOut | None = None
    renditions: dict[str, RenditionOut] = Field(default_factory=dict)
    last_review: ReviewOut | None = None
    promotes_on_upload: bool = Field(default=False, description="It becomes active once its bytes land")


class VersionList(LazyModel):
    items: list[VersionOut] = Field(description="Newest first")
    latest: int = Field(description="The highest version number still there")
    active: int = Field(description="The version the asset shows")
    approved: int | None = Field(description="The newest approved version, if any")


class NewVersionResponse(LazyModel):
    version: VersionOut
    upload: PresignedPostOut


class FieldChangeOut(LazyModel):
    field: str = Field(examples=["parameters.seed"])
    a: Any = Field(description="The value in version `a` (null: not set)")
    b: Any = Field(description="The value in version `b` (null: not set)")


class VersionComparison(LazyModel):
    a: VersionOut
    b: VersionOut
    generation_changes: list[FieldChangeOut] = Field(
        description="How the generation metadata differs: model, provider, prompt, enhanced prompt, run, each "
        "parameter (`parameters.seed`, …) and inputs; only fields that differ"
    )
    file_changes: list[FieldChangeOut] = Field(
        description="How the files differ: name, type, size, checksum, format, dimensions"
    )


class InputsCheckRequest(LazyModel):
    model_config = ConfigDict(extra="forbid")

    output_media_type: MediaType = Field(description="What the generation will make: `video` needs approved images")
    inputs: list[GenerationInput] = Field(min_length=1, max_length=50)


class InputCheckOut(LazyModel):
    asset_id: str
    requested_version: int | None
    version: int | None = Field(description="The version it resolves to (the approved one when none was given)")
    accepted: bool
    problem: str | None = Field(description="Why it would be refused: not visible, no such version, not an image, …")


class InputsCheckResult(LazyModel):
    accepted: bool = Field(description="Whether an upload with these inputs would be accepted")
    inputs: list[InputCheckOut]


class MadeFrom(LazyModel):
    version: int = Field(description="The version of this asset")
    inputs: list[GenerationInput] = Field(description="What it was made from, version-exact")


class MadeInto(LazyModel):
    asset_id: str
    version: int = Field(description="The output's version")
    from_version: int = Field(description="The version of this asset it used")


class Lineage(LazyModel):
    made_from: list[MadeFrom] = Field(description="Per version of this asset (newest first), its inputs")
    made_into: list[MadeInto] = Field(description="What was made from this asset (that you may see)")
