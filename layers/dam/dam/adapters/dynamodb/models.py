"""PynamoDB record models. CDK, the local stack and the tests all build tables from these.

Access patterns for assets (every list is a Query, never a Scan):
- get by id                                   → table key `asset_id`
- a workspace's assets newest first, by date  → `gallery` index
- the same narrowed by asset type / media type / model / creator → one index each
- an exact duplicate in the workspace (same SHA-256)  → `by_checksum` index
Each index's partition is `{workspace}#{shelf}[#{value}]` (shelf: live, archived, deleting), so archived
and half-deleted assets never share a partition with the live gallery; the sort key is
`{created_at}#{asset_id}`, which orders newest first and answers date ranges with one key condition.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model


def _created_index(index_name: str, partition_attribute: str) -> Any:
    """A GSI partitioned by `partition_attribute`, sorted by `created_key`, projecting everything."""
    meta = type("Meta", (), {"index_name": index_name, "projection": AllProjection()})
    attributes = {
        "Meta": meta,
        partition_attribute: UnicodeAttribute(hash_key=True),
        "created_key": UnicodeAttribute(range_key=True),
    }
    return type(f"{index_name.title().replace('_', '')}Index", (GlobalSecondaryIndex,), attributes)()


class AssetRecord(Model):
    class Meta:
        table_name = "assets"  # replaced by bind_tables() from the function's settings
        billing_mode = "PAY_PER_REQUEST"
        stream_view_type = "NEW_AND_OLD_IMAGES"

    logical_name: ClassVar[str] = "Assets"

    asset_id = UnicodeAttribute(hash_key=True)
    workspace_id = UnicodeAttribute()
    asset_type = UnicodeAttribute()
    media_type = UnicodeAttribute()
    name = UnicodeAttribute()
    filename = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = NumberAttribute()
    status = UnicodeAttribute()
    status_reason = UnicodeAttribute(null=True)
    checksum_sha256 = UnicodeAttribute(null=True)
    creator_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    folder_id = UnicodeAttribute(null=True)
    client_id = UnicodeAttribute(null=True)
    tags = ListAttribute(of=UnicodeAttribute, default=list)
    notes = UnicodeAttribute(default="")
    archived = BooleanAttribute(default=False)
    generation = MapAttribute(null=True)  # type: ignore[var-annotated]
    renditions = MapAttribute(default=dict)  # type: ignore[var-annotated]
    metadata = MapAttribute(default=dict)  # type: ignore[var-annotated]
    original_key = UnicodeAttribute()
    version = VersionAttribute()
    placeholder = UnicodeAttribute(null=True)
    analysis = MapAttribute(null=True)  # type: ignore[var-annotated]
    search_context = UnicodeAttribute(null=True)
    embedding = BinaryAttribute(null=True, legacy_encoding=False)  # float32 little-endian
    embedding_model = UnicodeAttribute(null=True)
    duplicate_of = UnicodeAttribute(null=True)
    # Uploads that never arrive expire on their own (DynamoDB TTL); cleared once the bytes land.
    expires_at = TTLAttribute(null=True)

    # Index keys, derived from the fields above by the repository on every write.
    created_key = UnicodeAttribute()
    gallery_key = UnicodeAttribute()
    type_key = UnicodeAttribute()
    media_key = UnicodeAttribute()
    creator_key = UnicodeAttribute()
    model_key = UnicodeAttribute(null=True)  # sparse: only generated content has a model
    checksum_key = UnicodeAttribute(null=True)  # sparse: set once the pipeline has hashed the bytes

    gallery = _created_index("gallery", "gallery_key")
    by_type = _created_index("by_type", "type_key")
    by_media = _created_index("by_media", "media_key")
    by_creator = _created_index("by_creator", "creator_key")
    by_model = _created_index("by_model", "model_key")
    by_checksum = _created_index("by_checksum", "checksum_key")


RECORD_MODELS: tuple[type[Model], ...] = (AssetRecord,)


def bind_tables(table_names: dict[str, str], *, region: str, endpoint_url: str | None = None) -> None:
    """Point each record model at its real table. Call once at cold start (or when the host changes)."""
    for model in RECORD_MODELS:
        logical = model.logical_name  # type: ignore[attr-defined]
        if logical in table_names:
            model.Meta.table_name = table_names[logical]
        model.Meta.region = region
        model.Meta.host = endpoint_url
        # PynamoDB caches the connection (with its table name and host) on the class.
        model._connection = None
