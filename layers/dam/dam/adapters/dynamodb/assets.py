"""The asset repository: domain assets in, domain assets out, one DynamoDB call per use where possible."""

from __future__ import annotations

import builtins
import struct
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, QueryError
from pynamodb.expressions.condition import Condition

from dam.adapters.dynamodb.budget import FILTERED_PAGE_SIZE, read_within_budget
from dam.adapters.dynamodb.models import AssetRecord
from dam.domain.assets import Asset, AssetStatus, GenerationMetadata, Rendition
from dam.domain.errors import Conflict, InvalidCursor
from dam.domain.filters import Filter, Match, active_filters, plain
from dam.domain.library import UNASSIGNED
from dam.domain.queries import AssetQuery, Page, decode_position, encode_position

PENDING_UPLOAD_TTL = timedelta(days=2)
_SORTABLE_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"


def _time_key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_SORTABLE_TIME)


def _shelf(asset: Asset) -> str:
    if asset.status is AssetStatus.DELETING:
        return "deleting"
    if asset.in_trash:
        return "trash"
    return "archived" if asset.archived else "live"


def created_key(asset: Asset) -> str:
    """`{created_at}#{asset_id}`: the sort key of every asset list, and of the library's links to assets."""
    return f"{_time_key(asset.created_at)}#{asset.asset_id}"


class AssetRepository:
    """Reads and writes asset records. Optimistic locking via the record's version attribute."""

    def get(self, asset_id: str) -> Asset | None:
        try:
            return _to_asset(AssetRecord.get(asset_id, consistent_read=True))
        except DoesNotExist:
            return None

    def create(self, asset: Asset) -> Asset:
        record = _to_record(asset)
        record.expires_at = asset.created_at + PENDING_UPLOAD_TTL
        try:
            record.save()  # the version attribute makes this conditional on the id not existing
        except PutError as error:
            raise _conflict_or(error, f"asset {asset.asset_id} already exists") from error
        return asset.model_copy(update={"version": record.version})

    def save(self, asset: Asset) -> Asset:
        """Write the whole asset if nobody changed it since it was read (else Conflict)."""
        record = _to_record(asset)
        if asset.status is not AssetStatus.PENDING_UPLOAD:
            record.expires_at = None
        try:
            record.save()
        except PutError as error:
            raise _conflict_or(error, f"asset {asset.asset_id} was changed by someone else") from error
        return asset.model_copy(update={"version": record.version})

    def delete(self, asset: Asset) -> None:
        record = _to_record(asset)
        try:
            record.delete(condition=AssetRecord.asset_id.exists())
        except DeleteError as error:
            if not _is_condition_failure(error):
                raise
            # Already gone: deleting is idempotent.

    def scan_all(self) -> Iterator[Asset]:
        """Every asset in every workspace. The one Scan in the system: `dam reindex` rebuilding search from
        the source of truth, an operator's job, never a request path."""
        for record in AssetRecord.scan():
            yield _to_asset(record)

    def count_estimate(self) -> int:
        """DynamoDB's item count (refreshed about every six hours): enough for a progress bar."""
        return int(AssetRecord.describe_table().get("ItemCount", 0))

    def get_many(self, asset_ids: list[str]) -> dict[str, Asset]:
        """Several assets in one BatchGetItem (PynamoDB splits above 100 keys and retries unprocessed ones)."""
        unique = list(dict.fromkeys(asset_ids))
        return {record.asset_id: _to_asset(record) for record in AssetRecord.batch_get(unique)} if unique else {}

    def find_by_checksum(self, workspace_id: str, checksum_sha256: str, *, excluding: str) -> Asset | None:
        """The oldest other asset in the workspace with exactly these bytes."""
        for asset in self.with_checksum(workspace_id, checksum_sha256, limit=2):
            if asset.asset_id != excluding:
                return asset
        return None

    def count_in_folder(self, workspace_id: str, folder_id: str) -> int:
        """A folder's assets, live and archived (COUNT Queries on `by_folder`: one per ~1 MB of assets)."""
        return sum(
            AssetRecord.by_folder.count(f"{_shelf_partition(workspace_id, AssetQuery(archived=archived))}#{folder_id}")
            for archived in (False, True)
        )

    def with_checksum(self, workspace_id: str, checksum_sha256: str, *, limit: int) -> builtins.list[Asset]:
        """Up to `limit` assets in the workspace whose bytes hash to this, oldest first (one Query)."""
        return [
            _to_asset(record)
            for record in AssetRecord.by_checksum.query(
                f"{workspace_id}#{checksum_sha256}", scan_index_forward=True, limit=limit, page_size=limit
            )
        ]

    def list(self, workspace_id: str, query: AssetQuery, limit: int, cursor: str | None) -> Page[Asset]:
        """One page within the read budget: a filter the index can't serve is evaluated on at most
        `MAX_QUERY_CALLS` Queries; if they don't fill the page it comes back `partial` with a cursor."""
        index, partition_attribute, partition = _choose_index(workspace_id, query)
        filters = _remaining_filters(query, partition_attribute, _shelf_partition(workspace_id, query))
        range_condition = _created_range(query)
        start_key = _decode_cursor(cursor, partition_attribute, partition) if cursor else None
        try:
            results = index.query(
                partition,
                range_key_condition=range_condition,
                filter_condition=filters,
                scan_index_forward=False,
                # One extra tells whether another page exists, in the same call.
                page_size=limit + 1 if filters is None else max(limit + 1, FILTERED_PAGE_SIZE),
                last_evaluated_key=start_key,
            )
            read = read_within_budget(results, limit + 1)
        except QueryError as error:
            if start_key is not None and _error_code(error) == "ValidationException":
                raise InvalidCursor("cursor does not belong to this query", field="query.cursor") from error
            raise
        records = read.records
        items = [_to_asset(r) for r in records[:limit]]
        if len(records) > limit:
            return Page(items=items, next_cursor=encode_position(records[limit - 1].created_key))
        stopped = read.last_evaluated_key
        if stopped is None:
            return Page(items=items)
        # The budget ran out (or the page filled exactly): go on from where DynamoDB stopped reading.
        next_cursor = encode_position(stopped["created_key"]["S"])
        return Page(items=items, next_cursor=next_cursor, partial=len(items) < limit)


# --- index selection and filter expressions, derived from dam.domain.filters -----------------------

# Facts stored under a key attribute, `{prefix}#{value}`, rather than under their own name.
_KEYED = {"model": "model_key", "generation_run_id": "run_key"}
# The indexes a gallery list can Query, narrowest first: (filter, index, partition attribute).
_INDEXES = (
    ("generation_run_id", AssetRecord.by_run, "run_key"),
    ("model", AssetRecord.by_model, "model_key"),
    ("project_id", AssetRecord.by_project, "project_key"),
    ("folder_id", AssetRecord.by_folder, "folder_key"),
    ("creator_id", AssetRecord.by_creator, "creator_key"),
    ("asset_type", AssetRecord.by_type, "type_key"),
    ("media_type", AssetRecord.by_media, "media_key"),
)


def _choose_index(workspace_id: str, query: AssetQuery) -> tuple[Any, str, str]:
    """Pick the narrowest index the filters allow; the rest become filter expressions."""
    shelf = _shelf_partition(workspace_id, query)
    for name, index, attribute in _INDEXES:
        value = plain(getattr(query, name))
        if value:
            return index, attribute, _keyed_value(attribute, value, workspace_id, shelf)
    return AssetRecord.gallery, "gallery_key", shelf


def _keyed_value(attribute: str, value: str, workspace_id: str, shelf: str) -> str:
    # The run index has no shelf in its partition (a run's assets, archived or not).
    return f"{workspace_id if attribute == 'run_key' else shelf}#{value}"


def _shelf_partition(workspace_id: str, query: AssetQuery) -> str:
    return f"{workspace_id}#{'archived' if query.archived else 'live'}"


def _remaining_filters(query: AssetQuery, partition_attribute: str, shelf: str) -> Condition | None:
    """Every declared filter the chosen index does not already serve, as one filter expression."""
    workspace_id = shelf.rpartition("#")[0]
    served = {name for name, _, attribute in _INDEXES if attribute == partition_attribute}
    conditions: list[Condition] = []
    if partition_attribute == "run_key":  # the run index has no shelf in its partition
        conditions.append(AssetRecord.gallery_key == shelf)
    for declared, value in active_filters(query):
        if declared.name not in served:
            condition = _condition(declared, value, workspace_id, shelf)
            if condition is not None:
                conditions.append(condition)
    combined: Condition | None = None
    for condition in conditions:
        combined = condition if combined is None else combined & condition
    return combined


def _condition(declared: Filter, value: Any, workspace_id: str, shelf: str) -> Condition | None:
    """One declared filter as a DynamoDB filter expression (None: the partition or the key range serves it)."""
    keyed = _KEYED.get(declared.fact)
    attribute: Any = getattr(AssetRecord, keyed or declared.fact, None)
    match declared.match:
        case Match.EQUALS:
            return attribute == (_keyed_value(keyed, value, workspace_id, shelf) if keyed else value)
        case Match.EQUALS_OR_UNSET:
            return attribute.does_not_exist() if value == UNASSIGNED else attribute == value
        case Match.CONTAINS:
            return attribute.contains(value)
        case Match.SUBSTRING:
            return attribute.contains(str(value).casefold())
        case Match.EXCLUDES:
            return attribute != declared.constant
        case Match.SCOPE:
            shared = attribute.does_not_exist()
            return shared | attribute.is_in(*value) if value else shared
        case Match.SINCE | Match.UNTIL | Match.SHELF:
            return None  # the key range and the partition
        case Match.AMONG:
            raise ValueError(f"{declared.name} is read from links, not filtered on the assets table")
    raise AssertionError(declared.match)  # pragma: no cover


def created_bounds(query: AssetQuery) -> tuple[str | None, str | None]:
    """The query's date range as inclusive bounds on a `created_key`."""
    # '#' separates time from id; '~' sorts after every id character, so bounds are inclusive.
    low = _time_key(query.created_from) if query.created_from else None
    high = f"{_time_key(query.created_to)}~" if query.created_to else None
    return low, high


def _created_range(query: AssetQuery) -> Condition | None:
    key = AssetRecord.created_key
    low, high = created_bounds(query)
    if low and high:
        return key.between(low, high)
    if low:
        return key >= low
    if high:
        return key <= high
    return None


# --- cursors ---------------------------------------------------------------------------------------
# A cursor carries only the position (time key and id); the partition comes from the caller's own
# query on the server, so a cursor can never reach into another workspace.


def _decode_cursor(cursor: str, partition_attribute: str, partition: str) -> dict[str, dict[str, str]]:
    created_key = decode_position(cursor)
    return {
        "asset_id": {"S": created_key.rpartition("#")[2]},
        partition_attribute: {"S": partition},
        "created_key": {"S": created_key},
    }


# --- mapping ---------------------------------------------------------------------------------------


def _to_record(asset: Asset) -> AssetRecord:
    ws, shelf = asset.workspace_id, _shelf(asset)
    partition = f"{ws}#{shelf}"
    model = asset.generation.model if asset.generation else None
    run = asset.generation.generation_run_id if asset.generation else None
    prompt = asset.generation.prompt if asset.generation else None
    record = AssetRecord(
        asset.asset_id,
        workspace_id=ws,
        asset_type=asset.asset_type.value,
        media_type=asset.media_type.value,
        name=asset.name,
        filename=asset.filename,
        content_type=asset.content_type,
        size=asset.size,
        status=asset.status.value,
        status_reason=asset.status_reason,
        checksum_sha256=asset.checksum_sha256,
        creator_id=asset.creator_id,
        created_at=asset.created_at,
        updated_at=asset.updated_at,
        folder_id=asset.folder_id,
        client_id=asset.client_id,
        tags=list(asset.tags),
        brand_ids=set(asset.brand_ids) or None,
        collection_ids=set(asset.collection_ids) or None,
        notes=asset.notes,
        archived=asset.archived,
        generation=asset.generation.model_dump(mode="json", exclude_none=True) if asset.generation else None,
        renditions={name: r.model_dump(mode="json", exclude_none=True) for name, r in asset.renditions.items()},
        metadata=asset.metadata,
        original_key=asset.original_key,
        original_version=asset.original_version,
        original_etag=asset.original_etag,
        discarded_uploads=asset.discarded_uploads,
        upload_id=asset.upload_id,
        part_size=asset.part_size,
        expected_sha256=asset.expected_sha256,
        created_key=created_key(asset),
        gallery_key=partition,
        type_key=f"{partition}#{asset.asset_type.value}",
        media_key=f"{partition}#{asset.media_type.value}",
        creator_key=f"{partition}#{asset.creator_id}",
        model_key=f"{partition}#{model}" if model else None,
        checksum_key=f"{ws}#{asset.checksum_sha256}" if asset.checksum_sha256 else None,
        folder_key=f"{partition}#{asset.folder_id or UNASSIGNED}",
        run_key=f"{ws}#{run}" if run else None,
        prompt_folded=prompt.casefold() if prompt else None,
        placeholder=asset.placeholder,
        analysis=asset.analysis,
        search_context=asset.search_context,
        document_text=asset.document_text or None,
        embedding=_pack_vector(asset.embedding) if asset.embedding else None,
        embedding_model=asset.embedding_model,
        duplicate_of=asset.duplicate_of,
        active_version=asset.active_version,
        active_set_by=asset.active_set_by,
        active_set_at=asset.active_set_at,
        version_counter=asset.version_counter,
        sequence=asset.sequence,
        project_id=asset.project_id,
        shot_id=asset.shot_id,
        shot_locked=asset.shot_locked or None,
        correlation_id=asset.correlation_id,
        project_key=f"{partition}#{asset.project_id}" if asset.project_id else None,
        trashed_at=asset.trashed_at,
        trashed_by=asset.trashed_by,
        trash_expires_at=asset.trash_expires_at,
    )
    # PynamoDB's version attribute: unset means "must not exist yet".
    if asset.version:
        record.version = asset.version
    return record


def _plain(value: Any) -> Any:
    """A raw MapAttribute (or nested) → plain dicts and lists."""
    if hasattr(value, "as_dict"):
        value = value.as_dict()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _to_asset(record: AssetRecord) -> Asset:
    generation = _plain(record.generation) if record.generation is not None else None
    renditions = _plain(record.renditions) or {}
    return Asset(
        asset_id=record.asset_id,
        workspace_id=record.workspace_id,
        asset_type=record.asset_type,
        media_type=record.media_type,
        name=record.name,
        filename=record.filename,
        content_type=record.content_type,
        size=int(record.size),
        status=record.status,
        status_reason=record.status_reason,
        checksum_sha256=record.checksum_sha256,
        creator_id=record.creator_id,
        created_at=record.created_at,
        updated_at=record.updated_at,
        folder_id=record.folder_id,
        client_id=record.client_id,
        tags=list(record.tags or []),
        brand_ids=sorted(record.brand_ids or ()),
        collection_ids=sorted(record.collection_ids or ()),
        notes=record.notes or "",
        archived=bool(record.archived),
        generation=GenerationMetadata.model_validate(generation) if generation else None,
        renditions={name: Rendition.model_validate(r) for name, r in renditions.items()},
        metadata=_plain(record.metadata) or {},
        original_key=record.original_key,
        original_version=record.original_version,
        original_etag=record.original_etag,
        discarded_uploads=int(record.discarded_uploads or 0),
        upload_id=record.upload_id,
        part_size=int(record.part_size) if record.part_size else None,
        expected_sha256=record.expected_sha256,
        version=record.version or 0,
        placeholder=record.placeholder,
        analysis=_plain(record.analysis) if record.analysis is not None else None,
        search_context=record.search_context,
        document_text=record.document_text,
        embedding=_unpack_vector(record.embedding) if record.embedding else None,
        embedding_model=record.embedding_model,
        duplicate_of=record.duplicate_of,
        active_version=int(record.active_version or 1),
        active_set_by=record.active_set_by,
        active_set_at=record.active_set_at,
        version_counter=int(record.version_counter or 1),
        sequence=int(record.sequence) if record.sequence is not None else None,
        project_id=record.project_id,
        shot_id=record.shot_id,
        shot_locked=bool(record.shot_locked),
        correlation_id=record.correlation_id,
        trashed_at=record.trashed_at,
        trashed_by=record.trashed_by,
        trash_expires_at=record.trash_expires_at,
    )


def to_record(asset: Asset) -> AssetRecord:
    """The record of an asset, for writes in a transaction with other items (dam.adapters.dynamodb.trash)."""
    record = _to_record(asset)
    if asset.status is not AssetStatus.PENDING_UPLOAD:
        record.expires_at = None
    return record


def _pack_vector(vector: list[float]) -> bytes:
    # float32 is what every vector index stores; 4 bytes a dimension keeps items far below 400 KB.
    return struct.pack(f"<{len(vector)}f", *vector)


def _unpack_vector(data: bytes) -> list[float]:
    return list(struct.unpack(f"<{len(data) // 4}f", data))


def _error_code(error: Exception) -> str | None:
    cause = getattr(error, "cause", None)
    response = getattr(cause, "response", None) or {}
    code = response.get("Error", {}).get("Code")
    return code if isinstance(code, str) else None


def _is_condition_failure(error: Exception) -> bool:
    return _error_code(error) == "ConditionalCheckFailedException"


def _conflict_or(error: PutError, message: str) -> Exception:
    return Conflict(message) if _is_condition_failure(error) else error
