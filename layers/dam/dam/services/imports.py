"""Bulk ZIP imports: start one (a presigned POST for the archive), extract it when it lands, report on it.

Each image in the archive becomes an asset exactly as an upload does: its record first (pending upload),
then its bytes at its original key, whose notification starts the normal pipeline. The archive itself is
deleted once read, whatever the outcome, so an import leaves nothing behind but the assets it made.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import IO, Protocol

from dam.adapters.s3.storage import PresignedPost
from dam.domain.assets import Asset, AssetStatus, AssetType, original_key, utcnow
from dam.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from dam.domain.formats import MediaType
from dam.domain.identity import Caller
from dam.domain.imports import (
    ZIP_CONTENT_TYPE,
    BulkImport,
    ImportItem,
    ImportStatus,
    ItemOutcome,
    SkipReason,
    archive_key,
    child_asset_id,
    new_import_id,
    parse_archive_key,
)
from dam.domain.permissions import Action, can, require_own
from dam.imaging.zip_import import (
    ArchiveRefused,
    Entry,
    ImageLimits,
    NotAnImage,
    UnreadableImage,
    WalkLimits,
    looks_like_image,
    prepare_image,
    walk,
)
from dam.services.assets import placed_client
from dam.services.ingest import ObjectCreated
from dam.services.ports import AssetStore, BlobStore, LibraryStore

# A child the pipeline rejected (what the file is, not a hiccup) is finished too: failed, and not retried.
_FINISHED = {
    AssetStatus.READY: ItemOutcome.READY,
    AssetStatus.FAILED: ItemOutcome.FAILED,
    AssetStatus.REJECTED: ItemOutcome.FAILED,
}
_PROGRESS_EVERY = 10  # entries between progress saves while extracting


class ImportStore(Protocol):
    def create(self, bulk: BulkImport) -> BulkImport: ...
    def get(self, workspace_id: str, import_id: str) -> BulkImport | None: ...
    def save(self, bulk: BulkImport) -> BulkImport: ...
    def move(self, workspace_id: str, import_id: str, source: ImportStatus, target: ImportStatus) -> bool: ...
    def recent(self, workspace_id: str, creator_id: str, limit: int) -> list[BulkImport]: ...


@dataclass(frozen=True)
class ImportLimits:
    max_images: int = 50
    max_archive_bytes: int = 5 * 1024**3
    upload_url_ttl_seconds: int = 900
    # An extraction claimed longer ago than this was killed (the ingest function's timeout is 300 s): the
    # notification's redelivery takes it over instead of finding it taken and leaving it `extracting`.
    extraction_lease_seconds: int = 360
    walk: WalkLimits = field(default_factory=WalkLimits)
    image: ImageLimits = field(default_factory=ImageLimits)


@dataclass(frozen=True)
class NewImport:
    filename: str
    size: int
    folder_id: str | None = None
    client_id: str | None = None
    project_id: str | None = None
    asset_type: AssetType = AssetType.IMAGE


# Opens the stored archive for reading (a ranged reader over S3): (key, size) → a seekable file.
ArchiveOpener = Callable[[str, int], IO[bytes]]


class ImportService:
    def __init__(
        self,
        imports: ImportStore,
        assets: AssetStore,
        storage: BlobStore,
        limits: ImportLimits,
        library: LibraryStore | None = None,
        open_archive: ArchiveOpener | None = None,
    ) -> None:
        self._imports = imports
        self._assets = assets
        self._storage = storage
        self._limits = limits
        self._library = library
        self._open_archive = open_archive

    # --- start -------------------------------------------------------------------------------------

    def start(self, caller: Caller, new: NewImport) -> tuple[BulkImport, PresignedPost]:
        if not new.filename.lower().endswith(".zip"):
            raise InvalidInput("a bulk import takes a .zip file", field="filename")
        if new.size > self._limits.max_archive_bytes:
            raise InvalidInput(
                f"the archive is {new.size} bytes; the limit is {self._limits.max_archive_bytes}", field="size"
            )
        client_id = placed_client(self._library, caller, new.folder_id, new.client_id)
        now = utcnow()
        bulk = self._imports.create(
            BulkImport(
                import_id=new_import_id(),
                workspace_id=caller.workspace_id,
                creator_id=caller.user_id,
                filename=new.filename,
                size=new.size,
                status=ImportStatus.PENDING_UPLOAD,
                folder_id=new.folder_id,
                client_id=client_id,
                project_id=new.project_id,
                asset_type=new.asset_type,
                created_at=now,
                updated_at=now,
            )
        )
        post = self._storage.presign_post(
            bulk.archive_key, ZIP_CONTENT_TYPE, new.size, self._limits.upload_url_ttl_seconds
        )
        return bulk, post

    # --- read --------------------------------------------------------------------------------------

    def get(self, caller: Caller, import_id: str) -> BulkImport:
        bulk = self._imports.get(caller.workspace_id, import_id)
        if bulk is None or (bulk.creator_id != caller.user_id and not caller.sees_client(bulk.client_id)):
            raise NotFound(f"import {import_id} not found")
        return self._with_children(bulk)

    def recent(self, caller: Caller, limit: int) -> list[BulkImport]:
        return [self._with_children(bulk) for bulk in self._imports.recent(caller.workspace_id, caller.user_id, limit)]

    def retry_failed(self, caller: Caller, import_id: str, rerun: Callable[[str], Asset]) -> BulkImport:
        """Process the import's failed files again (`rerun`: the whole pipeline on one asset). The person who
        started the import may, whatever their role lets them re-run otherwise; others need the power to
        reprocess any asset. Files that changed state meanwhile (no longer failed) are left as they are."""
        bulk = self.get(caller, import_id)
        if bulk.creator_id != caller.user_id and not can(caller, Action.REPROCESS):
            raise Forbidden("only the person who started this import, or a power user, retries its files")
        require_own(caller, bulk.client_id, "this import")
        failed = [item.asset_id for item in bulk.items if item.outcome is ItemOutcome.FAILED and item.asset_id]
        if not failed:
            raise Conflict("no file of this import failed: there is nothing to retry")
        children = self._assets.get_many(failed)
        failed = [
            asset_id for asset_id in failed if (child := children.get(asset_id)) and child.status is AssetStatus.FAILED
        ]
        if not failed:
            raise Conflict("the files of this import that failed were rejected for what they are: retrying cannot help")
        for asset_id in failed:
            try:
                rerun(asset_id)
            except (Conflict, NotFound):
                continue  # retried by someone else at the same moment, or deleted since: nothing to do
        return self.get(caller, import_id)

    def _with_children(self, bulk: BulkImport) -> BulkImport:
        """The import as its children stand now: each queued item ready or failed once its asset is."""
        if bulk.status is not ImportStatus.PROCESSING:
            return bulk
        children = self._assets.get_many(bulk.child_ids())
        items, pending = [], 0
        for item in bulk.items:
            child = children.get(item.asset_id) if item.asset_id else None
            outcome = _FINISHED.get(child.status) if child is not None else None
            if child is not None and item.outcome is ItemOutcome.QUEUED and outcome is None:
                pending += 1
            finished = outcome is not None and item.outcome is ItemOutcome.QUEUED
            items.append(item.model_copy(update={"outcome": outcome}) if finished else item)
        status = ImportStatus.PROCESSING if pending else ImportStatus.DONE
        return bulk.model_copy(update={"items": items, "status": status})

    # --- extract -----------------------------------------------------------------------------------

    def archive_landed(self, event: ObjectCreated) -> bool:
        """Extract the archive once: the move out of `pending_upload` is conditional, so a replayed or doubled
        notification finds it taken and does nothing. Returns whether this call extracted it."""
        parsed = parse_archive_key(event.key)
        if parsed is None:
            return False
        workspace_id, import_id = parsed
        bulk = self._claim(workspace_id, import_id)
        if bulk is None:
            return False
        try:
            bulk = self._extract(bulk)
        except ArchiveRefused as refused:
            bulk = bulk.model_copy(update={"status": ImportStatus.FAILED, "status_reason": str(refused), "items": []})
        except BaseException:
            # Handed back, so the notification's redelivery extracts it again (child ids are fixed per entry).
            self._imports.move(workspace_id, import_id, ImportStatus.EXTRACTING, ImportStatus.PENDING_UPLOAD)
            raise
        self._imports.save(bulk.model_copy(update={"updated_at": utcnow()}))
        self._storage.delete_prefix(posixpath.dirname(archive_key(workspace_id, import_id)) + "/")
        return True

    def _claim(self, workspace_id: str, import_id: str) -> BulkImport | None:
        """The import to extract, now `extracting` for this call; None when another call has it (or had it and
        finished). An extraction whose claim is older than the lease died with its function and is taken over:
        its children's ids are fixed per entry, so going again never makes a second asset."""
        if self._imports.move(workspace_id, import_id, ImportStatus.PENDING_UPLOAD, ImportStatus.EXTRACTING):
            return self._imports.get(workspace_id, import_id)
        bulk = self._imports.get(workspace_id, import_id)
        if bulk is None or bulk.status is not ImportStatus.EXTRACTING:
            return None
        if utcnow() - bulk.updated_at < timedelta(seconds=self._limits.extraction_lease_seconds):
            return None
        try:  # at the version read: of two redeliveries, one takes it over
            return self._imports.save(bulk.model_copy(update={"updated_at": utcnow()}))
        except Conflict:
            return None

    def _extract(self, bulk: BulkImport) -> BulkImport:
        if self._open_archive is None:
            raise RuntimeError("imports need an archive opener")
        if bulk.size <= 0:
            raise ArchiveRefused("The archive is empty.")
        stored = self._storage.head(bulk.archive_key)
        if stored is None:
            raise ArchiveRefused("The archive was not found in storage.")
        if stored.size != bulk.size:
            raise ArchiveRefused(f"The archive is {stored.size} bytes, not the {bulk.size} the import declared.")
        with self._open_archive(bulk.archive_key, stored.size) as archive:
            listing = walk(archive, stored.size, self._limits.walk)
            bulk = bulk.model_copy(update={"total": listing.total, "items": []})
            seen: set[str] = set()
            for entry in listing.entries:
                bulk.items.append(self._import_entry(bulk, entry, seen))
                if len(bulk.items) % _PROGRESS_EVERY == 0:
                    bulk = self._imports.save(bulk.model_copy(update={"updated_at": utcnow()}))
        queued = any(item.outcome is ItemOutcome.QUEUED for item in bulk.items)
        return bulk.model_copy(update={"status": ImportStatus.PROCESSING if queued else ImportStatus.DONE})

    def _import_entry(self, bulk: BulkImport, entry: Entry, seen: set[str]) -> ImportItem:
        def skipped(reason: SkipReason) -> ImportItem:
            outcome = ItemOutcome.OVER_LIMIT if reason is SkipReason.OVER_LIMIT else ItemOutcome.SKIPPED
            return ImportItem(name=entry.name, outcome=outcome, reason=reason)

        if entry.reason is not None or entry.data is None:
            return skipped(entry.reason or SkipReason.UNREADABLE)
        queued = sum(1 for item in bulk.items if item.outcome is ItemOutcome.QUEUED)
        if queued >= self._limits.max_images:
            return skipped(SkipReason.OVER_LIMIT if looks_like_image(entry.data) else SkipReason.NOT_AN_IMAGE)
        try:
            prepared = prepare_image(entry.data, self._limits.image)
        except NotAnImage:
            return skipped(SkipReason.NOT_AN_IMAGE)
        except UnreadableImage:
            return skipped(SkipReason.UNREADABLE)
        if entry.sha256 in seen:
            return skipped(SkipReason.DUPLICATE_IN_ARCHIVE)
        seen.add(entry.sha256)
        asset_id = child_asset_id(bulk.import_id, entry.index)
        if self._assets.find_by_checksum(bulk.workspace_id, _sha256(prepared.data), excluding=asset_id):
            return skipped(SkipReason.DUPLICATE_OF_ASSET)
        self._create_child(
            bulk, asset_id, entry.name, prepared.data, prepared.content_type, prepared.extension, prepared.facts
        )
        return ImportItem(name=entry.name, outcome=ItemOutcome.QUEUED, asset_id=asset_id)

    def _create_child(
        self,
        bulk: BulkImport,
        asset_id: str,
        name: str,
        data: bytes,
        content_type: str,
        extension: str,
        facts: dict[str, object],
    ) -> None:
        base = posixpath.basename(name) or asset_id
        stem, _, ext = base.rpartition(".")
        filename = base if ext.lower() in {extension, "jpeg"} and stem else f"{stem or base}.{extension}"
        now = utcnow()
        child = Asset(
            asset_id=asset_id,
            workspace_id=bulk.workspace_id,
            asset_type=bulk.asset_type,
            media_type=MediaType.IMAGE,
            name=base,
            filename=filename,
            content_type=content_type,
            size=len(data),
            status=AssetStatus.PENDING_UPLOAD,
            creator_id=bulk.creator_id,
            created_at=now,
            updated_at=now,
            folder_id=bulk.folder_id,
            client_id=bulk.client_id,
            original_key=original_key(bulk.workspace_id, asset_id),
            metadata={"import": {"import_id": bulk.import_id, "entry": name, **facts}}
            | ({"project_id": bulk.project_id} if bulk.project_id else {}),
        )
        try:
            self._assets.create(child)
        except Conflict:
            existing = self._assets.get(asset_id)  # made by an extraction that was cut short: go on from it
            if existing is None or existing.status is not AssetStatus.PENDING_UPLOAD:
                return
        self._storage.upload(child.original_key, data, content_type)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
