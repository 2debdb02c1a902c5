"""PynamoDB record models. CDK, the local stack and the tests all build tables from these.

Access patterns for assets (every list is a Query, never a Scan):
- get by id                                   → table key `asset_id`
- a workspace's assets newest first, by date  → `gallery` index
- the same narrowed by asset type / media type / model / creator → one index each
- an exact duplicate in the workspace (same SHA-256)  → `by_checksum` index
- a folder's assets (or the unassigned ones)  → `by_folder` index
- a generation run's assets (its automatic collection)  → `by_run` index (sparse, `{workspace}#{run}`,
  no shelf: a run is small, so archived and deleting members are filtered out after the read)
- a project's assets  → `by_project` index (sparse: only assets made in a project)
Each index's partition is `{workspace}#{shelf}[#{value}]` (shelf: live, archived, trash, deleting), so archived,
trashed and half-deleted assets never share a partition with the live gallery; the sort key is
`{created_at}#{asset_id}`, which orders newest first and answers date ranges with one key condition.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    DiscriminatorAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
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
    # String sets: `contains` filters, and ADD/DELETE from a brand or collection without a read.
    brand_ids = UnicodeSetAttribute(null=True)
    collection_ids = UnicodeSetAttribute(null=True)
    notes = UnicodeAttribute(default="")
    archived = BooleanAttribute(default=False)
    generation = MapAttribute(null=True)  # type: ignore[var-annotated]
    renditions = MapAttribute(default=dict)  # type: ignore[var-annotated]
    metadata = MapAttribute(default=dict)  # type: ignore[var-annotated]
    original_key = UnicodeAttribute()
    original_version = UnicodeAttribute(null=True)
    original_etag = UnicodeAttribute(null=True)
    discarded_uploads = NumberAttribute(default=0)
    upload_id = UnicodeAttribute(null=True)
    part_size = NumberAttribute(null=True)
    expected_sha256 = UnicodeAttribute(null=True)
    version = VersionAttribute()
    placeholder = UnicodeAttribute(null=True)
    analysis = MapAttribute(null=True)  # type: ignore[var-annotated]
    search_context = UnicodeAttribute(null=True)
    document_text = UnicodeAttribute(null=True)
    embedding = BinaryAttribute(null=True, legacy_encoding=False)  # float32 little-endian
    embedding_model = UnicodeAttribute(null=True)
    duplicate_of = UnicodeAttribute(null=True)
    # Versions: which one the fields above describe, and the counter new version numbers come from.
    active_version = NumberAttribute(null=True)  # absent on assets from before versions: 1
    active_set_by = UnicodeAttribute(null=True)
    active_set_at = UTCDateTimeAttribute(null=True)
    version_counter = NumberAttribute(null=True)  # absent: 1
    sequence = NumberAttribute(null=True)
    # Projects (seed 004): the project it was made in (never another), the shot it is attached to, and
    # whether that shot is approved (ready), which locks the asset and its versions.
    project_id = UnicodeAttribute(null=True)
    shot_id = UnicodeAttribute(null=True)
    shot_locked = BooleanAttribute(null=True)
    correlation_id = UnicodeAttribute(null=True)  # the request that last started work on it (logs)
    # Uploads that never arrive expire on their own (DynamoDB TTL); cleared once the bytes land.
    expires_at = TTLAttribute(null=True)
    # In the trash (dam.domain.trash): its shelf is `trash`, so it is in no list's partition.
    trashed_at = UTCDateTimeAttribute(null=True)
    trashed_by = UnicodeAttribute(null=True)
    trash_expires_at = UTCDateTimeAttribute(null=True)

    # Index keys, derived from the fields above by the repository on every write.
    created_key = UnicodeAttribute()
    gallery_key = UnicodeAttribute()
    type_key = UnicodeAttribute()
    media_key = UnicodeAttribute()
    creator_key = UnicodeAttribute()
    model_key = UnicodeAttribute(null=True)  # sparse: only generated content has a model
    checksum_key = UnicodeAttribute(null=True)  # sparse: set once the pipeline has hashed the bytes
    folder_key = UnicodeAttribute()  # `{workspace}#{shelf}#{folder id or "unassigned"}`
    run_key = UnicodeAttribute(null=True)  # sparse: only generated content of a generation run
    project_key = UnicodeAttribute(null=True)  # sparse: `{workspace}#{shelf}#{project}`
    # The prompt case-folded, so "prompt contains" is case-insensitive in a filter expression.
    prompt_folded = UnicodeAttribute(null=True)

    gallery = _created_index("gallery", "gallery_key")
    by_type = _created_index("by_type", "type_key")
    by_media = _created_index("by_media", "media_key")
    by_creator = _created_index("by_creator", "creator_key")
    by_model = _created_index("by_model", "model_key")
    by_checksum = _created_index("by_checksum", "checksum_key")
    by_folder = _created_index("by_folder", "folder_key")
    by_run = _created_index("by_run", "run_key")
    by_project = _created_index("by_project", "project_key")


def _overloaded_index(index_name: str) -> Any:
    """A single-table GSI: `{name}pk` / `{name}sk`, whose meaning depends on the record type."""
    meta = type("Meta", (), {"index_name": index_name, "projection": AllProjection()})
    attributes = {
        "Meta": meta,
        f"{index_name}pk": UnicodeAttribute(hash_key=True),
        f"{index_name}sk": UnicodeAttribute(range_key=True),
    }
    return type(f"{index_name.title()}Index", (GlobalSecondaryIndex,), attributes)()


class LibraryRecord(Model):
    """One table for how a team organises assets (single-table design; `type` tells records apart).

    - folder: pk `{ws}#folder#{id}`, sk `#folder`; gsi1 `{ws}#folder-parent#{parent or root}` /
      `{name}#{id}` (a folder's sub-folders); gsi2 `{ws}#folders` / `{name}#{id}` (all, by name)
    - collection: pk `{ws}#collection#{id}`, sk `#collection`; gsi2 `{ws}#collections` / `{created}#{id}`
    - collection member: pk `{ws}#collection#{id}`, sk `asset#{created_key}`; gsi1 `{ws}#asset#{asset}` /
      `collection#{id}`
    - brand: pk `{ws}#brand#{id}`, sk `#brand`; gsi2 `{ws}#brands` / `{name}#{id}`
    - brand link: pk `{ws}#brand#{id}`, sk `asset#{created_key}`; gsi1 `{ws}#asset#{asset}` / `brand#{id}`
    - favorite: pk `{ws}#user#{user}`, sk `favorite#{created_key}`; gsi1 `{ws}#asset#{asset}` / `favorite#{user}`
    - usage link: pk `{ws}#asset#{asset}`, sk `usage#{usage id}`
    - brand name claim: pk `{ws}#brand-name#{casefolded name}`, sk `#claim` (uniqueness of brand names)
    - project: pk `{ws}#project#{id}`, sk `#project`; gsi2 `{ws}#projects` / `{name}#{id}`
    - story, scene, shot: pk `{ws}#project#{project}`, sk `{kind}#{id}`; gsi1 `{ws}#project-node#{id}` / kind
    - shot attachment: pk `{ws}#project#{project}`, sk `attach#{shot}#{asset}`; gsi1 `{ws}#asset#{asset}` /
      `shot#{shot}` (the asset's delete removes it with its other links)
    - trash marker: pk `{ws}#trash`, sk `{trashed_at}#{asset}` (the trash, newest first); gsi1 `{ws}#asset#{asset}` /
      `trash` (the asset's permanent delete removes it with its links); gsi2 `trash-due` / `{expires_at}#{asset}`
      (what the expiry sweep removes, across workspaces)
    - project reference claim: pk `{ws}#project-ref#{REF}`, sk `#claim` (uniqueness of references)
    - review session: pk `{ws}#review#{id}`, sk `#review`; gsi2 `{ws}#reviews-by#{owner}` / `{created}#{id}`
    - review invitation (a workspace user named as reviewer): pk `{ws}#review#{id}`, sk `invite#{user}`; gsi2
      `{ws}#reviews-for#{user}` / `{created}#{id}` (the sessions a user is asked to review, newest first)
    - review decision: pk `{ws}#review#{id}`, sk `decision#{asset}#v{n}#{reviewer}` (one per version and reviewer)
    - share access record: pk `{ws}#review#{id}`, sk `access#{at}#{random}` (expires by TTL)
    - share link: pk `share#{SHA-256 of the token}`, sk `#link` (found by the hash alone: the public routes have
      no workspace); gsi1 `{ws}#review#{id}` / `link#{link id}` (a session's links)
    - share rate counter: pk `share#{hash}`, sk `rate#{epoch minute}` (expires by TTL)
    - comment on an asset version: pk `{ws}#asset#{asset}`, sk `cmt#{version:06d}#t#{thread path}` (the path of
      `{created}{id}` segments from the thread's top comment down: one Query reads a version's threads in
      order); its locator sk `cmt#{v}#i#{id}`, its kept edits `cmt#{v}#e#{id}#{n}`, and one mention per
      mentioned user `cmt#{v}#m#{id}#{user}` with gsi1 `{ws}#mentions#{user}` / `{created}#{asset}#{v}#{id}`
      (everything of a version's comments under `cmt#{v}#`: deleting the version or the asset takes them)
    - concept: pk `{ws}#project#{project}`, sk `~concept#{id}`; its kept versions sk `~concept-version#{id}#{n}`;
      its locator pk `{ws}#concept#{id}`, sk `#concept` (concepts sort after the hierarchy: the tree reads
      `sk < "~"` and never their text)

    Everything of a project shares its partition, so the whole hierarchy is one Query however deep.

    An owner (collection, brand) and its links share a partition: deleting it is one Query away.
    `created_key` is the asset's `{created_at}#{asset_id}`, so a collection's, a brand's and a user's
    favorite assets read newest first with one Query (a date range is a key condition), and whether a
    page of assets is among a user's favorites is one BatchGetItem of keys known from the page itself.
    Every link of an asset shares gsi1pk `{ws}#asset#{asset}` (usage links live in that partition of
    the table itself): deleting an asset finds all of them with two Queries.
    """

    class Meta:
        table_name = "library"  # replaced by bind_tables() from the function's settings
        billing_mode = "PAY_PER_REQUEST"
        stream_view_type = "NEW_AND_OLD_IMAGES"  # the audit log (functions/audit)

    logical_name: ClassVar[str] = "Library"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    record_type = DiscriminatorAttribute(attr_name="type")
    workspace_id = UnicodeAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    # Records that expire on their own (share rate counters, access records): DynamoDB's TTL deletes them.
    expires_at = TTLAttribute(null=True)

    gsi1 = _overloaded_index("gsi1")
    gsi2 = _overloaded_index("gsi2")


class NamedRecord(LibraryRecord):
    """What folders, collections and brands share (no `type` of its own)."""

    name = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    # Every save is conditional on the version it read (409 on conflict); records older than versions
    # have none, which PynamoDB reads as "not written yet" and writes as 1.
    version = VersionAttribute()


class FolderRecord(NamedRecord, discriminator="folder"):
    folder_id = UnicodeAttribute()
    parent_id = UnicodeAttribute(null=True)
    client_id = UnicodeAttribute(null=True)


class CollectionRecord(NamedRecord, discriminator="collection"):
    collection_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    generation_run_id = UnicodeAttribute(null=True)
    client_id = UnicodeAttribute(null=True)


class BrandRecord(NamedRecord, discriminator="brand"):
    brand_id = UnicodeAttribute()
    color = UnicodeAttribute()


class AssetLinkRecord(LibraryRecord):
    """A link to an asset, sorted by the asset's `created_key` (no `type` of its own)."""

    asset_id = UnicodeAttribute()
    added_by = UnicodeAttribute()
    added_at = UTCDateTimeAttribute()


class MembershipRecord(AssetLinkRecord, discriminator="collection_member"):
    collection_id = UnicodeAttribute()


class BrandLinkRecord(AssetLinkRecord, discriminator="brand_link"):
    brand_id = UnicodeAttribute()


class FavoriteRecord(AssetLinkRecord, discriminator="favorite"):
    """`added_by` is the user whose favorite it is."""


class NameClaimRecord(LibraryRecord, discriminator="name_claim"):
    """A brand name taken in a workspace: pk `{ws}#brand-name#{name casefolded}`, sk `#claim`. Written in
    the same transaction as the brand, so two creates of one name cannot both win."""

    owner_id = UnicodeAttribute()


class UsageRecord(LibraryRecord, discriminator="usage"):
    asset_id = UnicodeAttribute()
    usage_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    ref = UnicodeAttribute()
    label = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class VersionRecord(LibraryRecord, discriminator="version"):
    """pk `{ws}#asset#{asset}` (the asset's partition, so deleting the asset's links deletes its versions),
    sk `version#{number:06d}` (newest first with one Query). `body` holds the version's JSON fields."""

    asset_id = UnicodeAttribute()
    number = NumberAttribute()
    studio_id = UnicodeAttribute()
    body = MapAttribute(default=dict)  # type: ignore[var-annotated]
    embedding = BinaryAttribute(null=True, legacy_encoding=False)  # float32 little-endian, as on the asset
    record_version = VersionAttribute()


class LineageRecord(LibraryRecord, discriminator="lineage"):
    """A use of an input version by an output version: pk `{ws}#asset#{input}`, sk
    `used_by#{output}#{version:06d}#{input version:06d}`; gsi1 `{ws}#asset#{output}` / `made_from#…`. Either
    asset's delete finds it (see LibraryRepository.remove_asset_links)."""

    asset_id = UnicodeAttribute()  # the output
    version = NumberAttribute()
    input_asset_id = UnicodeAttribute()
    input_version = NumberAttribute()


class ProjectRecord(LibraryRecord, discriminator="project"):
    """`body` holds the project's JSON fields (name, stage and its history, …)."""

    project_id = UnicodeAttribute()
    body = MapAttribute(default=dict)  # type: ignore[var-annotated]
    record_version = VersionAttribute()


class ProjectNodeRecord(LibraryRecord, discriminator="project_node"):
    """A story, scene or shot in its project's partition; `body` holds its JSON fields."""

    project_id = UnicodeAttribute()
    node_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    body = MapAttribute(default=dict)  # type: ignore[var-annotated]
    record_version = VersionAttribute()


class ShotAssetRecord(LibraryRecord, discriminator="shot_asset"):
    project_id = UnicodeAttribute()
    shot_id = UnicodeAttribute()
    asset_id = UnicodeAttribute()
    added_by = UnicodeAttribute()
    added_at = UTCDateTimeAttribute()


class ConceptRecord(LibraryRecord, discriminator="concept"):
    """A project's brief, script or note, current text included; `body` holds its JSON fields. Its
    `record_version` is the concept's version: 1 when made, one more at every save."""

    project_id = UnicodeAttribute()
    concept_id = UnicodeAttribute()
    body = MapAttribute(default=dict)  # type: ignore[var-annotated]
    text = UnicodeAttribute(default="")  # apart from `body`: a listing reads the rest without it
    record_version = VersionAttribute()


class ConceptVersionRecord(LibraryRecord, discriminator="concept_version"):
    """What a save of a concept replaced (written once, never changed)."""

    project_id = UnicodeAttribute()
    concept_id = UnicodeAttribute()
    number = NumberAttribute()
    body = MapAttribute(default=dict)  # type: ignore[var-annotated]
    text = UnicodeAttribute(default="")


class ConceptLocatorRecord(LibraryRecord, discriminator="concept_locator"):
    """pk `{ws}#concept#{id}`, sk `#concept`: which project's partition holds the concept (a GetItem, so the
    text is not copied into an index)."""

    project_id = UnicodeAttribute()
    concept_id = UnicodeAttribute()


class ReviewRecord(LibraryRecord, discriminator="review"):
    """A review session; `body` holds its JSON fields (title, items in order, reviewers, …)."""

    review_id = UnicodeAttribute()
    body = MapAttribute(default=dict)  # type: ignore[var-annotated]
    record_version = VersionAttribute()


class ReviewInviteRecord(LibraryRecord, discriminator="review_invite"):
    review_id = UnicodeAttribute()


class ReviewDecisionRecord(LibraryRecord, discriminator="review_decision"):
    review_id = UnicodeAttribute()
    body = MapAttribute(default=dict)  # type: ignore[var-annotated]


class ShareLinkRecord(LibraryRecord, discriminator="share_link"):
    review_id = UnicodeAttribute()
    link_id = UnicodeAttribute()
    body = MapAttribute(default=dict)  # type: ignore[var-annotated]


class ShareRateRecord(LibraryRecord, discriminator="share_rate"):
    hits = NumberAttribute(default=0)


class ShareAccessRecord(LibraryRecord, discriminator="share_access"):
    review_id = UnicodeAttribute()
    body = MapAttribute(default=dict)  # type: ignore[var-annotated]


class TrashRecord(LibraryRecord, discriminator="trash"):
    """An asset in the trash: who deleted it, when, and when it goes for good (see dam.domain.trash)."""

    asset_id = UnicodeAttribute()
    client_id = UnicodeAttribute(null=True)
    name = UnicodeAttribute()
    trashed_at = UTCDateTimeAttribute()
    trashed_by = UnicodeAttribute()
    # Not `expires_at`: that name is the table's TTL attribute, and the trash's expiry is the sweep's, not TTL's.
    purge_at = UTCDateTimeAttribute()


class CommentRecord(LibraryRecord, discriminator="comment"):
    """A comment on an asset version; `body` holds its JSON fields. The thread's reply count and whether it
    is deleted are attributes of their own, so a reply's transaction can condition on them."""

    asset_id = UnicodeAttribute()
    number = NumberAttribute()
    comment_id = UnicodeAttribute()
    body = MapAttribute(default=dict)  # type: ignore[var-annotated]
    replies = NumberAttribute(default=0)
    deleted = BooleanAttribute(default=False)
    record_version = VersionAttribute()


class CommentLocatorRecord(LibraryRecord, discriminator="comment_locator"):
    """Where a comment sits in its version's threads (its sort key), found by the comment's id."""

    comment_id = UnicodeAttribute()
    thread_sk = UnicodeAttribute()


class CommentEditRecord(LibraryRecord, discriminator="comment_edit"):
    """What one edit of a comment replaced (written once, never changed)."""

    comment_id = UnicodeAttribute()
    number = NumberAttribute()
    body = MapAttribute(default=dict)  # type: ignore[var-annotated]


class MentionRecord(LibraryRecord, discriminator="mention"):
    """A user mentioned by a comment, found from the user through gsi1 (newest first)."""

    asset_id = UnicodeAttribute()
    number = NumberAttribute()
    comment_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    body = MapAttribute(default=dict)  # type: ignore[var-annotated]


class CounterRecord(LibraryRecord, discriminator="counter"):
    """pk `{ws}#counters`, sk the counter's name: numbers a workspace gives out once (asset sequences)."""

    value = NumberAttribute(default=0)


def _audit_index(index_name: str, partition_attribute: str) -> Any:
    meta = type("Meta", (), {"index_name": index_name, "projection": AllProjection()})
    attributes = {
        "Meta": meta,
        partition_attribute: UnicodeAttribute(hash_key=True),
        "sk": UnicodeAttribute(range_key=True),
    }
    return type(f"{index_name.title().replace('_', '')}Index", (GlobalSecondaryIndex,), attributes)()


class AuditRecord(Model):
    """One audit event (dam.domain.audit), in a table of its own: written only by the audit function (PutItem,
    never over an existing event), read only by the API (Query), and without a stream, so it is never audited.

    - a workspace's events by time: pk `{ws}`, sk `{at}#{sequence}#{event id}` (a day, a range: one key condition)
    - an asset's: `by_asset` `{ws}#{asset}` / sk (sparse: events of an asset or one of its links, versions, …)
    - a user's: `by_actor` `{ws}#{user}` / sk
    """

    class Meta:
        table_name = "audit"  # replaced by bind_tables() from the function's settings
        billing_mode = "PAY_PER_REQUEST"

    logical_name: ClassVar[str] = "Audit"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    event_id = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    actor = UnicodeAttribute()
    request_id = UnicodeAttribute(null=True)
    action = UnicodeAttribute()
    item_type = UnicodeAttribute()
    item_id = UnicodeAttribute()
    asset_id = UnicodeAttribute(null=True)
    before = UnicodeAttribute(default="{}")  # JSON: the changed fields as they were
    after = UnicodeAttribute(default="{}")
    asset_key = UnicodeAttribute(null=True)
    actor_key = UnicodeAttribute()
    expires_at = TTLAttribute()  # the retention setting (DAM_AUDIT_RETENTION_DAYS)

    by_asset = _audit_index("by_asset", "asset_key")
    by_actor = _audit_index("by_actor", "actor_key")


# One model per table (the subclasses above share LibraryRecord's table).
RECORD_MODELS: tuple[type[Model], ...] = (AssetRecord, LibraryRecord, AuditRecord)


def bind_tables(table_names: dict[str, str], *, region: str, endpoint_url: str | None = None) -> None:
    """Point each record model at its real table. Call once at cold start (or when the host changes)."""
    from dam.adapters.dynamodb.stamping import stamp_tables

    for model in RECORD_MODELS:
        logical = model.logical_name  # type: ignore[attr-defined]
        if logical in table_names:
            model.Meta.table_name = table_names[logical]
        model.Meta.region = region
        model.Meta.host = endpoint_url
        # PynamoDB caches the connection (with its table name and host) on each class that used it,
        # subclasses of a single-table model included.
        for cls in (model, *_subclasses(model)):
            cls._connection = None
    # Every write to a table whose stream the audit log reads carries who made it and in which request.
    stamp_tables(model.Meta.table_name for model in RECORD_MODELS if getattr(model.Meta, "stream_view_type", None))


def _subclasses(model: type[Model]) -> list[type[Model]]:
    found = []
    for sub in model.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found
