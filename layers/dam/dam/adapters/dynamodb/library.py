"""The library repository: folders, collections, brands, favorites and usage links, in one table.

Keys are described on `LibraryRecord`. Links to assets are sorted by the asset's `created_key`, so
every list of linked assets is newest first and reads with one Query. Whenever a link changes, the
asset's denormalised `brand_ids` / `collection_ids` change in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from pynamodb.exceptions import DeleteError, PutError, QueryError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from dam.adapters.dynamodb.assets import _error_code, created_bounds, created_key
from dam.adapters.dynamodb.budget import FILTERED_PAGE_SIZE, BoundedRead, read_within_budget
from dam.adapters.dynamodb.models import (
    AssetLinkRecord,
    AssetRecord,
    BrandLinkRecord,
    BrandRecord,
    CollectionRecord,
    FavoriteRecord,
    FolderRecord,
    LibraryRecord,
    MembershipRecord,
    NameClaimRecord,
    NamedRecord,
    ShotAssetRecord,
    UsageRecord,
)
from dam.domain.assets import Asset, AssetStatus, utcnow
from dam.domain.errors import Conflict, InvalidCursor, InvalidInput, NotFound
from dam.domain.library import Brand, Collection, CollectionKind, Folder, LinkKind, UsageLink
from dam.domain.queries import AssetQuery, Page, decode_cursor, encode_cursor

_D = TypeVar("_D", bound=BaseModel)
_L = TypeVar("_L", bound=AssetLinkRecord)
_R = TypeVar("_R", bound=LibraryRecord)

NamedRecordVersion = NamedRecord.version
ROOT = "root"  # the parent of top-level folders in gsi1
_ASSET_LINK = "asset#"
_FAVORITE = "favorite#"
_USAGE = "usage#"
_HIGHEST = "~"  # sorts after every character a created_key holds


# --- keys ------------------------------------------------------------------------------------------


def _folder_pk(workspace_id: str, folder_id: str) -> str:
    return f"{workspace_id}#folder#{folder_id}"


def _collection_pk(workspace_id: str, collection_id: str) -> str:
    return f"{workspace_id}#collection#{collection_id}"


def _brand_pk(workspace_id: str, brand_id: str) -> str:
    return f"{workspace_id}#brand#{brand_id}"


def _user_pk(workspace_id: str, user_id: str) -> str:
    return f"{workspace_id}#user#{user_id}"


def _asset_pk(workspace_id: str, asset_id: str) -> str:
    """The asset's partition (its usage links) and, in gsi1, every other link to it."""
    return f"{workspace_id}#asset#{asset_id}"


def _name_key(name: str, item_id: str) -> str:
    return f"{name.casefold()}#{item_id}"


def _link_partition(workspace_id: str, kind: LinkKind, owner_id: str) -> tuple[str, str]:
    """Where the links of one list live, and the prefix of their sort keys."""
    if kind is LinkKind.FAVORITE:
        return _user_pk(workspace_id, owner_id), _FAVORITE
    if kind is LinkKind.COLLECTION:
        return _collection_pk(workspace_id, owner_id), _ASSET_LINK
    return _brand_pk(workspace_id, owner_id), _ASSET_LINK


class LibraryRepository:
    # --- folders -----------------------------------------------------------------------------------

    def get_folder(self, workspace_id: str, folder_id: str) -> Folder | None:
        record = _get(FolderRecord, _folder_pk(workspace_id, folder_id), "#folder")
        return _from_record(Folder, record) if record else None

    def create_folder(self, folder: Folder) -> Folder:
        """A new folder; under a parent only while the parent is there (a delete can't orphan it)."""
        record = _folder_record(folder)
        try:
            with _transaction() as transaction:
                if folder.parent_id:
                    parent_pk = _folder_pk(folder.workspace_id, folder.parent_id)
                    transaction.condition_check(FolderRecord, parent_pk, "#folder", condition=LibraryRecord.pk.exists())
                transaction.save(record, condition=LibraryRecord.pk.does_not_exist())
        except TransactWriteError as error:
            reasons = error.cancellation_reasons or []
            parent_gone = folder.parent_id and reasons and reasons[0] and reasons[0].code == "ConditionalCheckFailed"
            if parent_gone:
                raise InvalidInput(f"folder {folder.parent_id} not found", field="parent_id") from error
            raise _explain(error, ["folder"]) from error
        return _with_version(folder, record)

    def save_folder(self, folder: Folder, *, unchanged: Sequence[Folder] = ()) -> Folder:
        """Write the folder if nobody changed it since it was read, nor any folder in `unchanged` (a move's
        new ancestors: a concurrent move among them could otherwise close a cycle). Else Conflict."""
        record = _folder_record(folder)
        if not unchanged:
            return _with_version(folder, _save_versioned(record, FolderRecord, f"folder {folder.folder_id}"))
        try:
            with _transaction() as transaction:
                for ancestor in unchanged:
                    transaction.condition_check(
                        FolderRecord,
                        _folder_pk(ancestor.workspace_id, ancestor.folder_id),
                        "#folder",
                        condition=_at_version(ancestor.version),
                    )
                transaction.save(record, condition=LibraryRecord.pk.exists())
        except TransactWriteError as error:
            if error.cause_response_code == "TransactionCanceledException":
                raise Conflict(f"folder {folder.folder_id} or one above its new place changed meanwhile") from error
            raise
        return _with_version(folder, record)

    def delete_folder(self, workspace_id: str, folder_id: str) -> None:
        FolderRecord(_folder_pk(workspace_id, folder_id), "#folder").delete(add_version_condition=False)

    def list_folders(self, workspace_id: str) -> list[Folder]:
        """Every folder of the workspace, by name (one Query on gsi2, paged by PynamoDB)."""
        return [_from_record(Folder, r) for r in FolderRecord.gsi2.query(f"{workspace_id}#folders")]

    def child_folders(self, workspace_id: str, parent_id: str | None) -> list[Folder]:
        partition = f"{workspace_id}#folder-parent#{parent_id or ROOT}"
        return [_from_record(Folder, r) for r in FolderRecord.gsi1.query(partition)]

    # --- collections -------------------------------------------------------------------------------

    def get_collection(self, workspace_id: str, collection_id: str) -> Collection | None:
        record = _get(CollectionRecord, _collection_pk(workspace_id, collection_id), "#collection")
        return _from_record(Collection, record) if record else None

    def create_collection(self, collection: Collection) -> Collection:
        record = _collection_record(collection)
        _put_new(record, f"collection {collection.collection_id} already exists")
        return _with_version(collection, record)

    def ensure_collection(self, collection: Collection) -> bool:
        """Create it unless it exists (automatic collections: every upload of a run asks). True if created."""
        try:
            _put_new(_collection_record(collection), "exists")
        except Conflict:
            return False
        return True

    def save_collection(self, collection: Collection) -> Collection:
        record = _collection_record(collection)
        return _with_version(
            collection, _save_versioned(record, CollectionRecord, f"collection {collection.collection_id}")
        )

    def list_collections(
        self, workspace_id: str, kind: CollectionKind | None, limit: int, cursor: str | None
    ) -> Page[Collection]:
        """Newest first (gsi2), optionally of one kind."""
        partition = f"{workspace_id}#collections"
        start = _decode_list_cursor(cursor, partition, lambda cid: (_collection_pk(workspace_id, cid), "#collection"))
        read = _query_page(
            CollectionRecord.gsi2,
            partition,
            limit,
            start,
            filter_condition=(CollectionRecord.kind == kind.value) if kind else None,
        )
        records = read.records
        items = [_from_record(Collection, r) for r in records[:limit]]
        if len(records) > limit:
            return Page(items=items, next_cursor=encode_cursor({"s": records[limit - 1].gsi2sk}))
        if read.last_evaluated_key is None:
            return Page(items=items)
        stopped = read.last_evaluated_key["gsi2sk"]["S"]
        return Page(items=items, next_cursor=encode_cursor({"s": stopped}), partial=len(items) < limit)

    def delete_collection(self, workspace_id: str, collection_id: str) -> None:
        """The collection alone: its memberships go with `remove_links` (never an asset)."""
        LibraryRecord(_collection_pk(workspace_id, collection_id), "#collection").delete()

    def add_member(self, collection: Collection, asset: Asset, user_id: str) -> None:
        cid = collection.collection_id
        pk = _collection_pk(collection.workspace_id, cid)
        record = _link_to(MembershipRecord, pk, _ASSET_LINK, asset, user_id, f"collection#{cid}", collection_id=cid)
        self._link(record, CollectionRecord, "#collection", "collection", AssetRecord.collection_ids, asset)

    def remove_member(self, collection: Collection, asset: Asset) -> None:
        pk = _collection_pk(collection.workspace_id, collection.collection_id)
        self._unlink(MembershipRecord(pk, f"{_ASSET_LINK}{created_key(asset)}"), AssetRecord.collection_ids, asset)

    # --- brands ------------------------------------------------------------------------------------

    def get_brand(self, workspace_id: str, brand_id: str) -> Brand | None:
        record = _get(BrandRecord, _brand_pk(workspace_id, brand_id), "#brand")
        return _from_record(Brand, record) if record else None

    def create_brand(self, brand: Brand) -> Brand:
        """The brand and the claim on its name, in one transaction: of two creates of a name, one wins."""
        record = _brand_record(brand)
        try:
            with _transaction() as transaction:
                transaction.save(_name_claim(brand), condition=LibraryRecord.pk.does_not_exist())
                transaction.save(record, condition=LibraryRecord.pk.does_not_exist())
        except TransactWriteError as error:
            raise _name_taken(error, brand.name) from error
        return _with_version(brand, record)

    def save_brand(self, brand: Brand, *, previous_name: str | None = None) -> Brand:
        """Write the brand if nobody changed it since it was read; a rename moves its name claim along."""
        record = _brand_record(brand)
        if previous_name is None or previous_name.casefold() == brand.name.casefold():
            return _with_version(brand, _save_versioned(record, BrandRecord, f"brand {brand.brand_id}"))
        try:
            with _transaction() as transaction:
                transaction.delete(_name_claim(brand.model_copy(update={"name": previous_name})))
                transaction.save(_name_claim(brand), condition=LibraryRecord.pk.does_not_exist())
                transaction.save(record, condition=LibraryRecord.pk.exists())
        except TransactWriteError as error:
            # Items go out as deletes, then puts: the claim's reason comes before the brand's.
            reasons = error.cancellation_reasons or []
            if len(reasons) > 1 and reasons[1] is not None and reasons[1].code == "ConditionalCheckFailed":
                raise Conflict(f"a brand named {brand.name!r} already exists") from error
            raise _stale_or_gone(BrandRecord, record, f"brand {brand.brand_id}") from error
        return _with_version(brand, record)

    def list_brands(self, workspace_id: str) -> list[Brand]:
        """Every brand of the workspace, by name (a workspace has a handful; the lightbox lists them all)."""
        return [_from_record(Brand, r) for r in BrandRecord.gsi2.query(f"{workspace_id}#brands")]

    def delete_brand(self, workspace_id: str, brand_id: str) -> None:
        brand = self.get_brand(workspace_id, brand_id)
        if brand is not None:  # the name is free again (unless another brand holds it)
            try:
                _name_claim(brand).delete(condition=NameClaimRecord.owner_id == brand_id)
            except DeleteError as error:
                if _error_code(error) != "ConditionalCheckFailedException":
                    raise
        LibraryRecord(_brand_pk(workspace_id, brand_id), "#brand").delete()  # its links go with `remove_links`

    def link_brand(self, brand: Brand, asset: Asset, user_id: str) -> None:
        bid = brand.brand_id
        pk = _brand_pk(brand.workspace_id, bid)
        record = _link_to(BrandLinkRecord, pk, _ASSET_LINK, asset, user_id, f"brand#{bid}", brand_id=bid)
        self._link(record, BrandRecord, "#brand", "brand", AssetRecord.brand_ids, asset)

    def unlink_brand(self, brand: Brand, asset: Asset) -> None:
        pk = _brand_pk(brand.workspace_id, brand.brand_id)
        self._unlink(BrandLinkRecord(pk, f"{_ASSET_LINK}{created_key(asset)}"), AssetRecord.brand_ids, asset)

    # --- favorites ---------------------------------------------------------------------------------

    def add_favorite(self, workspace_id: str, user_id: str, asset: Asset) -> None:
        pk = _user_pk(workspace_id, user_id)
        record = _link_to(FavoriteRecord, pk, _FAVORITE, asset, user_id, f"favorite#{user_id}")
        # The asset must still be there: a favorite never outlives it (its delete removes every favorite).
        try:
            with _transaction() as transaction:
                transaction.condition_check(AssetRecord, asset.asset_id, condition=_asset_alive())
                transaction.save(record)
        except TransactWriteError as error:
            raise _explain(error, ["asset"]) from error

    def remove_favorite(self, workspace_id: str, user_id: str, asset: Asset) -> None:
        FavoriteRecord(_user_pk(workspace_id, user_id), f"{_FAVORITE}{created_key(asset)}").delete()

    def all_favorite_ids(self, workspace_id: str, user_id: str) -> frozenset[str]:
        """Every asset the user favorited (a Query of their partition): search narrows to these."""
        records = FavoriteRecord.query(
            _user_pk(workspace_id, user_id), FavoriteRecord.sk.startswith(_FAVORITE), attributes_to_get=["asset_id"]
        )
        return frozenset(record.asset_id for record in records)

    def favorite_ids(self, workspace_id: str, user_id: str, assets: Sequence[Asset]) -> set[str]:
        """Which of these assets the user favorited: one BatchGetItem for a page (keys come from the page)."""
        if not assets:
            return set()
        pk = _user_pk(workspace_id, user_id)
        keys = list(dict.fromkeys((pk, f"{_FAVORITE}{created_key(a)}") for a in assets))
        return {record.asset_id for record in FavoriteRecord.batch_get(keys, attributes_to_get=["asset_id", "type"])}

    # --- lists of linked assets ----------------------------------------------------------------------

    def linked_positions(
        self,
        workspace_id: str,
        kind: LinkKind,
        owner_id: str,
        *,
        created_from: datetime | None,
        created_to: datetime | None,
        after: str | None,
        limit: int,
    ) -> list[str]:
        """Up to `limit` `created_key`s of linked assets, newest first, after `after`, in the date range."""
        partition, prefix = _link_partition(workspace_id, kind, owner_id)
        low, high = created_bounds(AssetQuery(created_from=created_from, created_to=created_to))
        start = {"pk": {"S": partition}, "sk": {"S": f"{prefix}{after}"}} if after else None
        try:
            records = list(
                LibraryRecord.query(
                    partition,
                    range_key_condition=LibraryRecord.sk.between(f"{prefix}{low or ''}", f"{prefix}{high or _HIGHEST}"),
                    scan_index_forward=False,
                    consistent_read=True,  # a favorite shows up in the very next list
                    limit=limit,
                    page_size=limit,
                    last_evaluated_key=start,
                    attributes_to_get=["sk", "type"],
                )
            )
        except QueryError as error:
            if start is not None and _error_code(error) == "ValidationException":
                raise InvalidCursor("cursor does not belong to this query", field="query.cursor") from error
            raise
        return [record.sk.removeprefix(prefix) for record in records]

    # --- usage links -------------------------------------------------------------------------------

    def save_usage(self, workspace_id: str, usage: UsageLink) -> None:
        """Record (or relabel) a usage link of a live asset."""
        record = UsageRecord(
            _asset_pk(workspace_id, usage.asset_id),
            f"{_USAGE}{usage.usage_id}",
            workspace_id=workspace_id,
            **usage.model_dump(),
        )
        try:
            with _transaction() as transaction:
                transaction.condition_check(AssetRecord, usage.asset_id, condition=_asset_alive())
                transaction.save(record)
        except TransactWriteError as error:
            raise _explain(error, ["asset"]) from error

    def get_usage(self, workspace_id: str, asset_id: str, usage_id: str) -> UsageLink | None:
        record = _get(UsageRecord, _asset_pk(workspace_id, asset_id), f"{_USAGE}{usage_id}")
        return _from_record(UsageLink, record) if record else None

    def list_usages(self, workspace_id: str, asset_id: str) -> list[UsageLink]:
        records = UsageRecord.query(
            _asset_pk(workspace_id, asset_id), LibraryRecord.sk.startswith(_USAGE), consistent_read=True
        )
        return sorted((_from_record(UsageLink, r) for r in records), key=lambda u: u.created_at)

    def delete_usage(self, workspace_id: str, asset_id: str, usage_id: str) -> None:
        UsageRecord(_asset_pk(workspace_id, asset_id), f"{_USAGE}{usage_id}").delete()

    # --- an asset's delete ---------------------------------------------------------------------------

    def remove_asset_links(self, workspace_id: str, asset_id: str, *, counted_in_shot: bool = True) -> int:
        """Every favorite (of every user), brand link, collection membership, shot attachment and usage link of
        the asset. A shot it was attached to counts one fewer, unless it no longer counted it (in the trash)."""
        from dam.adapters.dynamodb.projects import uncount_from_shot

        partition = _asset_pk(workspace_id, asset_id)
        records = [*LibraryRecord.gsi1.query(partition), *LibraryRecord.query(partition, consistent_read=True)]
        _batch_delete(records)
        for record in records:
            if counted_in_shot and isinstance(record, ShotAssetRecord):
                uncount_from_shot(workspace_id, record.project_id, record.shot_id)
        return len(records)

    def forget_run_if_empty(self, workspace_id: str, generation_run_id: str, collection_id: str) -> bool:
        """Drop a run's automatic collection once the run has no assets left. True if it was dropped."""
        if next(iter(AssetRecord.by_run.query(f"{workspace_id}#{generation_run_id}", limit=1)), None):
            return False
        CollectionRecord(_collection_pk(workspace_id, collection_id), "#collection").delete(add_version_condition=False)
        return True

    # --- shared --------------------------------------------------------------------------------------

    def _link(
        self, record: LibraryRecord, owner: type[LibraryRecord], owner_sk: str, label: str, ids: Any, asset: Asset
    ) -> None:
        try:
            with _transaction() as transaction:
                transaction.condition_check(owner, record.pk, owner_sk, condition=LibraryRecord.pk.exists())
                transaction.save(record)
                transaction.update(
                    _asset_handle(asset.asset_id),
                    actions=[ids.add({_owner_id(record.pk)})],
                    condition=_asset_alive(),
                    add_version_condition=False,  # bumps the version, so a stale full save retries instead
                )
        except TransactWriteError as error:
            # Items go out as condition checks, deletes, puts, updates: the reasons come in that order.
            raise _explain(error, [label, "link", "asset"]) from error

    def _unlink(self, record: LibraryRecord, ids: Any, asset: Asset) -> None:
        try:
            with _transaction() as transaction:
                transaction.delete(record)
                transaction.update(
                    _asset_handle(asset.asset_id),
                    actions=[ids.delete({_owner_id(record.pk)})],
                    condition=AssetRecord.asset_id.exists(),
                    add_version_condition=False,
                )
        except TransactWriteError as error:
            raise _explain(error, ["link", "asset"]) from error

    # --- a deleted owner's links ----------------------------------------------------------------------

    def count_links(self, workspace_id: str, kind: LinkKind, owner_id: str) -> int:
        """How many assets a brand or collection still links to (COUNT Queries: one per ~1 MB of links)."""
        pk, prefix = _link_partition(workspace_id, kind, owner_id)
        return LibraryRecord.count(pk, LibraryRecord.sk.startswith(prefix), consistent_read=True)

    def remove_links(self, workspace_id: str, kind: LinkKind, owner_id: str, limit: int) -> bool:
        """Remove up to `limit` links of a deleted brand or collection; each linked asset loses the owner's
        id first, then the link goes. True if links remain. The owner is deleted before the first call:
        a link transaction checks that its owner exists, so no link can be added after, and every link
        written before is in these (consistent) reads. Idempotent: a repeat finds what is left."""
        pk, prefix = _link_partition(workspace_id, kind, owner_id)
        ids = AssetRecord.brand_ids if kind is LinkKind.BRAND else AssetRecord.collection_ids
        read = LibraryRecord.query(
            pk, LibraryRecord.sk.startswith(prefix), consistent_read=True, limit=limit + 1, page_size=limit + 1
        )
        links = list(read)
        for link in links[:limit]:
            try:
                _asset_handle(link.asset_id).update(  # type: ignore[attr-defined]
                    actions=[ids.delete({owner_id})],
                    # Only while it still names the owner: a redelivered chunk writes no asset twice.
                    condition=AssetRecord.asset_id.exists() & ids.contains(owner_id),
                    add_version_condition=False,
                )
            except UpdateError as error:
                if _error_code(error) != "ConditionalCheckFailedException":
                    raise
        _batch_delete(links[:limit])
        return len(links) > limit


# --- helpers ---------------------------------------------------------------------------------------


def _owner_id(pk: str) -> str:
    """`{ws}#brand#{id}` → id."""
    return pk.rpartition("#")[2]


def _asset_handle(asset_id: str) -> AssetRecord:
    """An asset record with only its key, for updates that touch a few attributes. Any version makes
    PynamoDB add 1 to it (with `add_version_condition=False` it is not compared)."""
    return AssetRecord(asset_id, version=0)


def _asset_alive() -> Condition:
    """There, and neither being deleted nor in the trash: a new link never lands on what users cannot see."""
    alive = AssetRecord.asset_id.exists() & (AssetRecord.status != AssetStatus.DELETING.value)
    return alive & AssetRecord.trashed_at.does_not_exist()


def _transaction() -> TransactWrite:
    # TransactWrite takes its own connection: the library table's, which knows the region and endpoint.
    return TransactWrite(connection=LibraryRecord._get_connection().connection)


def _explain(error: TransactWriteError, labels: list[str]) -> Exception:
    """A failed condition names the item that is gone (`labels` in the transaction's item order)."""
    for label, reason in zip(labels, error.cancellation_reasons, strict=False):
        if reason is not None and reason.code == "ConditionalCheckFailed":
            return NotFound(f"{label} not found")
    if error.cause_response_code == "TransactionCanceledException":
        return Conflict("changed by someone else meanwhile; try again")
    return error


def _get(model: type[LibraryRecord], pk: str, sk: str) -> Any:
    try:
        return model.get(pk, sk, consistent_read=True)
    except model.DoesNotExist:
        return None


def _put_new(record: LibraryRecord, message: str) -> None:
    try:
        record.save(condition=LibraryRecord.pk.does_not_exist())
    except PutError as error:
        if _error_code(error) == "ConditionalCheckFailedException":
            raise Conflict(message) from error
        raise


def _save_versioned(record: Any, model: type[LibraryRecord], label: str) -> Any:
    """Save at the version read (PynamoDB adds the condition and bumps the version)."""
    try:
        record.save(condition=LibraryRecord.pk.exists())
    except PutError as error:
        if _error_code(error) == "ConditionalCheckFailedException":
            raise _stale_or_gone(model, record, label) from error
        raise
    return record


def _stale_or_gone(model: type[LibraryRecord], record: LibraryRecord, label: str) -> Exception:
    if _get(model, record.pk, record.sk) is None:
        return NotFound(f"{label} not found")
    return Conflict(f"{label} was changed by someone else; read it again")


def _at_version(version: int) -> Condition:
    """The record still has the version it was read at (records from before versions have none)."""
    if version:
        return NamedRecordVersion == version
    return LibraryRecord.pk.exists() & NamedRecordVersion.does_not_exist()


def _versioned(record: _R, version: int) -> _R:
    """PynamoDB's version attribute: unset means "must not exist yet", set means "must still be this"."""
    if version:
        record.version = version  # type: ignore[attr-defined]
    return record


def _with_version(item: _D, record: Any) -> _D:
    return item.model_copy(update={"version": record.version})


def _name_claim(brand: Brand) -> NameClaimRecord:
    ws = brand.workspace_id
    return NameClaimRecord(
        f"{ws}#brand-name#{brand.name.casefold()}", "#claim", workspace_id=ws, owner_id=brand.brand_id
    )


def _name_taken(error: TransactWriteError, name: str) -> Exception:
    reasons = error.cancellation_reasons or []
    if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
        return Conflict(f"a brand named {name!r} already exists")
    return _explain(error, ["name", "brand"])


def _batch_delete(records: Iterable[LibraryRecord]) -> None:
    with LibraryRecord.batch_write() as batch:  # 25 a call, unprocessed items retried by PynamoDB
        for record in records:
            batch.delete(record)


def _query_page(
    index: Any, partition: str, limit: int, start: dict[str, Any] | None, *, filter_condition: Condition | None
) -> BoundedRead:
    try:
        results = index.query(
            partition,
            filter_condition=filter_condition,
            scan_index_forward=False,
            page_size=limit + 1 if filter_condition is None else max(limit + 1, FILTERED_PAGE_SIZE),
            last_evaluated_key=start,
        )
        return read_within_budget(results, limit + 1)  # one extra tells whether another page exists
    except QueryError as error:
        if start is not None and _error_code(error) == "ValidationException":
            raise InvalidCursor("cursor does not belong to this query", field="query.cursor") from error
        raise


def _decode_list_cursor(cursor: str | None, partition: str, table_key: Any) -> dict[str, Any] | None:
    """The index position from a cursor; the partition and the item's table key are rebuilt server-side."""
    if cursor is None:
        return None
    sort_key = decode_cursor(cursor, "s")["s"]
    pk, sk = table_key(sort_key.rpartition("#")[2])
    return {"pk": {"S": pk}, "sk": {"S": sk}, "gsi2pk": {"S": partition}, "gsi2sk": {"S": sort_key}}


# --- mapping ---------------------------------------------------------------------------------------


def _link_to(model: type[_L], pk: str, prefix: str, asset: Asset, user_id: str, gsi1sk: str, **owner: Any) -> _L:
    """A link to an asset in its owner's partition, found again from the asset through gsi1."""
    return model(
        pk,
        f"{prefix}{created_key(asset)}",
        workspace_id=asset.workspace_id,
        asset_id=asset.asset_id,
        added_by=user_id,
        added_at=utcnow(),
        gsi1pk=_asset_pk(asset.workspace_id, asset.asset_id),
        gsi1sk=gsi1sk,
        **owner,
    )


# Records name their attributes as the domain names its fields, so one mapping serves every type.


def _from_record(domain: type[_D], record: LibraryRecord) -> _D:
    values = {name: getattr(record, name) for name in domain.model_fields}
    if values.get("version", 0) is None:  # written before records had versions
        values.pop("version")
    return domain.model_validate(values)


def _folder_record(folder: Folder) -> FolderRecord:
    ws, name_key = folder.workspace_id, _name_key(folder.name, folder.folder_id)
    record = FolderRecord(
        _folder_pk(ws, folder.folder_id),
        "#folder",
        **folder.model_dump(exclude={"version"}),
        gsi1pk=f"{ws}#folder-parent#{folder.parent_id or ROOT}",
        gsi1sk=name_key,
        gsi2pk=f"{ws}#folders",
        gsi2sk=name_key,
    )
    return _versioned(record, folder.version)


def _collection_record(collection: Collection) -> CollectionRecord:
    ws = collection.workspace_id
    record = CollectionRecord(
        _collection_pk(ws, collection.collection_id),
        "#collection",
        **collection.model_dump(exclude={"version"}),
        gsi2pk=f"{ws}#collections",
        gsi2sk=f"{collection.created_at.isoformat()}#{collection.collection_id}",
    )
    return _versioned(record, collection.version)


def _brand_record(brand: Brand) -> BrandRecord:
    ws = brand.workspace_id
    record = BrandRecord(
        _brand_pk(ws, brand.brand_id),
        "#brand",
        **brand.model_dump(exclude={"version"}),
        gsi2pk=f"{ws}#brands",
        gsi2sk=_name_key(brand.name, brand.brand_id),
    )
    return _versioned(record, brand.version)
