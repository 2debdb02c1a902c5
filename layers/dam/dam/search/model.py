"""What search knows about an asset, what a search asks, and what it answers. Pure: no numpy, no clients.

A `SearchDocument` is derived from the assets table, either from a domain `Asset` (reindex) or from a
DynamoDB stream image (the indexer). Its `version` is the record's version: the index keeps the
newest it has seen and ignores anything older, so a replayed or late stream record cannot win.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ConfigDict, Field, field_validator

from dam.domain.errors import InvalidInput
from dam.domain.modeling import LazyModel

if TYPE_CHECKING:
    from dam.domain.assets import Asset

SearchMode = Literal["keyword", "semantic", "hybrid"]
SortOrder = Literal["relevance", "newest"]
HitKind = Literal["match", "duplicate", "near_duplicate", "similar"]

SEARCH_MODES: tuple[str, ...] = ("keyword", "semantic", "hybrid")
SORT_ORDERS: tuple[str, ...] = ("relevance", "newest")
DEFAULT_LIMIT = 30  # the gallery's page
MAX_LIMIT = 100
MAX_TEXT = 500  # characters of query text; longer input is cut, not refused
MAX_DOCUMENT_TEXT = 20_000  # characters of a document's own text indexed (the pipeline extracts no more)


class SearchDocument(LazyModel):
    """Everything searchable or filterable about one asset."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    asset_id: str = Field(min_length=1)
    workspace_id: str = Field(min_length=1)
    version: int = Field(ge=0)
    asset_type: str
    media_type: str
    status: str
    name: str = ""
    filename: str = ""
    content_type: str = ""
    creator_id: str = ""
    created_at: datetime
    folder_id: str | None = None
    client_id: str | None = None
    brand_ids: list[str] = Field(default_factory=list)
    collection_ids: list[str] = Field(default_factory=list)  # manual collections
    tags: list[str] = Field(default_factory=list)
    notes: str = ""
    archived: bool = False
    model: str | None = None
    provider: str | None = None
    prompt: str | None = None
    enhanced_prompt: str | None = None
    generation_run_id: str | None = None
    project_id: str | None = None
    shot_id: str | None = None
    analysis_text: str = ""
    text_in_image: str = ""
    document_text: str = ""  # the words inside a document (PDF, text, subtitles, data, CSV), bounded
    search_context: str = ""
    embedding: list[float] | None = None
    embedding_model: str | None = None
    checksum_sha256: str | None = None
    perceptual_hash: str | None = None

    @field_validator("created_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @property
    def prompt_folded(self) -> str:
        """What the case-insensitive prompt filter matches against."""
        return (self.prompt or "").casefold()


@dataclass(frozen=True)
class SearchQuery:
    """One search. `workspace_id` and `visible_clients` are the caller's tenancy: the service sets them from
    the caller's identity, never from the request. Every other field is an optional filter; all combine (AND)."""

    workspace_id: str
    text: str | None = None
    mode: SearchMode = "hybrid"
    query_vector: Sequence[float] | None = None
    # None: every client's assets; a tuple: shared assets (no client) plus these clients'.
    visible_clients: tuple[str, ...] | None = None
    asset_type: str | None = None
    media_type: str | None = None
    model: str | None = None
    creator_id: str | None = None
    brand_id: str | None = None
    collection_id: str | None = None  # a manual collection
    tag: str | None = None  # exact tag string
    folder_id: str | None = None  # UNASSIGNED (dam.domain.library): assets in no folder
    project_id: str | None = None
    shot_id: str | None = None
    generation_run_id: str | None = None  # an automatic collection
    client_id: str | None = None
    exclude_generated: bool = False  # the categorized view: no generated content
    created_from: datetime | None = None  # inclusive
    created_to: datetime | None = None  # inclusive (callers pass the end of the To day)
    prompt_contains: str | None = None  # case-insensitive substring of the prompt
    asset_ids: frozenset[str] | None = None  # restrict to these (a user's favorites)
    archived: bool = False  # False: archived assets never appear; True: only archived ones
    sort: SortOrder = "relevance"
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None

    @property
    def prompt(self) -> str | None:
        """The prompt filter under its gallery name (dam.domain.filters)."""
        return self.prompt_contains

    def __post_init__(self) -> None:
        if not self.workspace_id:
            raise InvalidInput("a search needs the caller's workspace", field="workspace_id")
        if self.mode not in SEARCH_MODES:
            raise InvalidInput(f"mode must be one of {', '.join(SEARCH_MODES)}", field="mode")
        if self.sort not in SORT_ORDERS:
            raise InvalidInput(f"sort must be one of {', '.join(SORT_ORDERS)}", field="sort")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
        text = " ".join((self.text or "").split())[:MAX_TEXT] or None
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "prompt_contains", self.prompt_contains or None)
        for name in ("created_from", "created_to"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                object.__setattr__(self, name, moment.replace(tzinfo=UTC))
        if self.visible_clients is not None:
            object.__setattr__(self, "visible_clients", tuple(self.visible_clients))


@dataclass(frozen=True)
class SearchHit:
    """Scores compare within one page only: BM25-derived for keyword, cosine similarity for semantic,
    the normalised combination (0-1) for hybrid."""

    asset_id: str
    score: float
    kind: HitKind = "match"


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]
    next_cursor: str | None = None


@dataclass(frozen=True)
class WriteResult:
    """What a write did, per asset id. `stale`: ignored because the index already held that version or a
    newer one (a replayed or out-of-order stream record) — not an error."""

    written: tuple[str, ...] = ()
    stale: tuple[str, ...] = ()
    failed: dict[str, str] = field(default_factory=dict)


# --- documents from assets ---------------------------------------------------------------------------


def document_from_asset(asset: Asset, *, brand_ids: Iterable[str] | None = None) -> SearchDocument:
    """The search document of a domain asset (reindex, tests); `brand_ids` overrides the asset's own."""
    data = asset.model_dump(exclude={"renditions"})
    return _document(data, brand_ids=data.get("brand_ids") or () if brand_ids is None else brand_ids)


def document_from_stream_image(image: Mapping[str, Any]) -> SearchDocument:
    """The search document of a DynamoDB stream record's NewImage/OldImage, as Lambda delivers it: JSON with
    attribute-value types (`{"S": …}`, `{"N": "…"}`, binary as base64 text)."""
    data = attribute_values_to_python(image)
    return _document(data, brand_ids=data.get("brand_ids") or ())


def attribute_values_to_python(image: Mapping[str, Any]) -> dict[str, Any]:
    """Attribute values → plain Python: numbers as int/float, binary as bytes, sets as sorted lists."""
    # Imported here: boto3 costs ~150 ms to import and only the indexer needs it.
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {name: _plain(deserializer.deserialize(_binary_as_bytes(value))) for name, value in image.items()}


def _binary_as_bytes(value: Any) -> Any:
    # TypeDeserializer expects bytes for B/BS (what boto3's client returns); the Lambda event carries base64.
    if not isinstance(value, dict) or len(value) != 1:
        return value
    ((kind, inner),) = value.items()
    if kind == "B" and isinstance(inner, str):
        return {"B": base64.b64decode(inner)}
    if kind == "BS":
        return {"BS": [base64.b64decode(item) if isinstance(item, str) else item for item in inner]}
    if kind == "M":
        return {"M": {key: _binary_as_bytes(item) for key, item in inner.items()}}
    if kind == "L":
        return {"L": [_binary_as_bytes(item) for item in inner]}
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted(_plain(item) for item in value)
    if hasattr(value, "value") and isinstance(value.value, bytes):  # boto3's Binary
        return bytes(value.value)
    return value


def _document(data: Mapping[str, Any], *, brand_ids: Iterable[str]) -> SearchDocument:
    generation = data.get("generation") or {}
    analysis = data.get("analysis") or {}
    metadata = data.get("metadata") or {}
    return SearchDocument(
        asset_id=str(data["asset_id"]),
        workspace_id=str(data["workspace_id"]),
        version=int(data.get("version") or 0),
        asset_type=str(data.get("asset_type") or ""),
        media_type=str(data.get("media_type") or ""),
        status=str(data.get("status") or ""),
        name=data.get("name") or "",
        filename=data.get("filename") or "",
        content_type=data.get("content_type") or "",
        creator_id=data.get("creator_id") or "",
        created_at=_datetime(data["created_at"]),
        folder_id=data.get("folder_id") or None,
        client_id=data.get("client_id") or None,
        brand_ids=sorted({str(b) for b in brand_ids}),
        collection_ids=sorted({str(c) for c in data.get("collection_ids") or ()}),
        tags=[str(tag) for tag in data.get("tags") or []],
        notes=data.get("notes") or "",
        archived=bool(data.get("archived")),
        model=generation.get("model") or None,
        provider=generation.get("provider") or None,
        prompt=generation.get("prompt") or None,
        enhanced_prompt=generation.get("enhanced_prompt") or None,
        generation_run_id=generation.get("generation_run_id") or None,
        project_id=data.get("project_id") or None,
        shot_id=data.get("shot_id") or None,
        analysis_text=analysis_text(analysis),
        text_in_image="\n".join(str(t) for t in analysis.get("text_in_image") or []),
        document_text=(data.get("document_text") or "")[:MAX_DOCUMENT_TEXT],
        search_context=data.get("search_context") or "",
        embedding=_vector(data.get("embedding")),
        embedding_model=data.get("embedding_model") or None,
        checksum_sha256=data.get("checksum_sha256") or None,
        perceptual_hash=_perceptual_hash(data, metadata),
    )


def analysis_text(analysis: Mapping[str, Any]) -> str:
    """The analysis as keyword-searchable text: description, then its tags (prop type "Other" says nothing)."""
    parts = [str(analysis.get("description") or "")]
    for key in ("objects", "brands", "themes", "colors"):
        parts.extend(str(item) for item in analysis.get(key) or [])
    prop_type = analysis.get("prop_type")
    if prop_type and str(prop_type) != "Other":
        parts.append(str(prop_type))
    return "\n".join(part for part in parts if part)


def _perceptual_hash(data: Mapping[str, Any], metadata: Mapping[str, Any]) -> str | None:
    for source in (data, metadata):
        for key in ("perceptual_hash", "phash"):
            value = source.get(key)
            if isinstance(value, str) and value:
                return value.lower()
    return None


def _datetime(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _vector(value: Any) -> list[float] | None:
    """float32 little-endian bytes (the table's format) or a list of numbers."""
    if not value:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        if len(data) % 4:
            raise ValueError(f"embedding of {len(data)} bytes is not packed float32")
        return list(struct.unpack(f"<{len(data) // 4}f", data))
    return [float(x) for x in value]
