"""Asset use cases: start an upload, browse, read, edit, download, delete."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING

from dam.adapters.s3.storage import PartUrl, PresignedPost
from dam.domain.assets import (
    Asset,
    AssetStatus,
    AssetType,
    GenerationMetadata,
    Rendition,
    asset_prefix,
    asset_visible_to,
    check_not_locked,
    download_filename,
    in_callers_scope,
    new_asset_id,
    original_key,
    replayable_asset_id,
    utcnow,
)
from dam.domain.errors import Conflict, InvalidInput, NotFound
from dam.domain.formats import Format, extension_of, format_for_content_type, format_for_extension
from dam.domain.identity import Caller
from dam.domain.library import (
    Collection,
    CollectionKind,
    Folder,
    folder_visible_to,
    run_collection_id,
    run_collection_name,
)
from dam.domain.permissions import own_client, require_own
from dam.domain.queries import AssetQuery, Page
from dam.domain.uploads import (
    DEFAULT_PART_BYTES,
    PART_BATCH,
    CompletedPart,
    check_completed_parts,
    check_part_numbers,
    part_count,
    part_size_for,
    size_limit,
)
from dam.observability import correlation_id
from dam.services.ports import AssetStore, BlobStore, LibraryStore, WorkflowStarter
from dam.services.processing import ProcessingRequest

if TYPE_CHECKING:
    from dam.services.lineage import GenerationGate

_SAVE_ATTEMPTS = 3
# What the search paragraph (and so the embedding) is made of, among the fields a user edits.
_SEARCH_TEXT_FIELDS = ("name", "notes", "tags", "asset_type")
_ACTIVE_CONTENT = {"image/svg+xml"}
# Copies of one file a checksum lookup answers (enough to tell "already uploaded"; more are rare).
CHECKSUM_MATCHES = 25


@dataclass(frozen=True)
class UploadLimits:
    max_upload_bytes: int
    upload_url_ttl_seconds: int = 900
    download_url_ttl_seconds: int = 300
    multipart_threshold_bytes: int = 100 * 1024**2  # larger files go up in parts
    multipart_part_bytes: int = DEFAULT_PART_BYTES


@dataclass(frozen=True)
class NewUpload:
    filename: str
    content_type: str
    size: int
    asset_type: AssetType
    folder_id: str | None = None
    client_id: str | None = None
    generation: GenerationMetadata | None = None
    name: str | None = None
    checksum_sha256: str | None = None  # hex; Register fails the asset when the bytes differ
    project_id: str | None = None  # checked by the project service, which starts uploads into projects
    idempotency_key: str | None = None  # a retry with the same key gets the same asset back


@dataclass(frozen=True)
class StartedUpload:
    """A new (or, for a retried request, the same) asset and how its bytes go up: None once they landed."""

    asset: Asset
    plan: PresignedPost | MultipartPlan | None
    replayed: bool = False  # an earlier request with the same Idempotency-Key made this asset


@dataclass(frozen=True)
class MultipartPlan:
    """How a large file goes up: in `part_count` parts of `part_size` bytes (the last may be smaller), each
    PUT to its presigned URL; `parts` holds a batch of URLs, more come from `part_urls`."""

    upload_id: str
    part_size: int
    part_count: int
    parts: list[PartUrl]
    expires_at: datetime


@dataclass(frozen=True)
class UploadedParts:
    upload_id: str
    part_size: int
    part_count: int
    etags: dict[int, str]  # part number → ETag, ascending


class Keep(Enum):
    KEEP = "keep"


# "Leave as is" for a field where None means something (folder_id None: unassigned).
KEEP = Keep.KEEP


@dataclass(frozen=True)
class AssetChanges:
    """Only the fields given change; None means "leave as is" (but see `folder_id`)."""

    name: str | None = None
    notes: str | None = None
    tags: list[str] | None = None
    asset_type: AssetType | None = None
    folder_id: str | Keep | None = KEEP  # None: take it out of its folder (unassigned)
    archived: bool | None = None


@dataclass(frozen=True)
class SignedUrl:
    url: str
    expires_at: datetime


# A run may be started again from these states; `processing` already has one under way.
_RERUNNABLE = {AssetStatus.UPLOADED, AssetStatus.READY, AssetStatus.FAILED}


class AssetService:
    def __init__(
        self,
        assets: AssetStore,
        storage: BlobStore,
        limits: UploadLimits,
        workflow: WorkflowStarter | None = None,
        library: LibraryStore | None = None,
        gate: GenerationGate | None = None,
    ) -> None:
        self._gate = gate  # checks and records what generated content was made from
        self._assets = assets
        self._storage = storage
        self._limits = limits
        self._workflow = workflow
        # Folders to place uploads in, links to remove on delete, automatic collections of generation runs.
        self._library = library

    # --- upload ----------------------------------------------------------------------------------

    def start_upload(self, caller: Caller, upload: NewUpload) -> StartedUpload:
        fmt = checked_format(upload.filename, upload.content_type, upload.size, self._limits)
        key = upload.idempotency_key
        asset_id = replayable_asset_id(caller.workspace_id, caller.user_id, key) if key else new_asset_id()
        if key and (earlier := self._assets.get(asset_id)) is not None:
            return self._replay(earlier, upload, fmt.content_type)
        generation = self._gate.resolve(caller, upload.generation, fmt.media_type) if self._gate else upload.generation
        client_id = placed_client(self._library, caller, upload.folder_id, upload.client_id)
        now = utcnow()
        asset = Asset(
            asset_id=asset_id,
            workspace_id=caller.workspace_id,
            asset_type=upload.asset_type,
            media_type=fmt.media_type,
            name=upload.name or upload.filename,
            filename=upload.filename,
            content_type=fmt.content_type,
            size=upload.size,
            status=AssetStatus.PENDING_UPLOAD,
            creator_id=caller.user_id,
            created_at=now,
            updated_at=now,
            folder_id=upload.folder_id,
            client_id=client_id,
            generation=generation,
            original_key=original_key(caller.workspace_id, asset_id),
            expected_sha256=upload.checksum_sha256,
            project_id=upload.project_id,
            correlation_id=correlation_id(),
        )
        multipart = upload.size > self._limits.multipart_threshold_bytes
        if multipart:
            part_size = part_size_for(upload.size, self._limits.multipart_part_bytes)
            upload_id = self._storage.start_multipart(asset.original_key, upload.content_type)
            asset = asset.model_copy(update={"upload_id": upload_id, "part_size": part_size})
        try:
            asset = self._assets.create(asset)
        except Conflict:
            if key and (earlier := self._assets.get(asset_id)) is not None:
                if asset.upload_id:
                    self._storage.abort_multipart(asset.original_key, asset.upload_id)
                return self._replay(earlier, upload, fmt.content_type)  # two retries at once: the first one made it
            raise
        if self._gate:
            self._gate.record(asset.workspace_id, asset.asset_id, 1, generation)
        self._note_generation_run(caller, asset)
        return StartedUpload(asset, self._upload_plan(asset, upload.content_type))

    def _replay(self, earlier: Asset, upload: NewUpload, content_type: str) -> StartedUpload:
        """A retried `POST /uploads`: the asset the first request made, with fresh upload URLs while its bytes
        have not landed. A key reused for a different file is refused rather than answered with another asset."""
        same = (earlier.filename, earlier.size, earlier.content_type, earlier.project_id) == (
            upload.filename,
            upload.size,
            content_type,
            upload.project_id,
        )
        if not same:
            raise Conflict("this Idempotency-Key was already used for another upload: send a new key")
        pending = earlier.status is AssetStatus.PENDING_UPLOAD
        plan = self._upload_plan(earlier, upload.content_type) if pending else None
        return StartedUpload(earlier, plan, replayed=True)

    def _upload_plan(self, asset: Asset, declared_type: str) -> PresignedPost | MultipartPlan:
        if asset.upload_id is not None:
            return self._plan(asset, list(range(1, min(PART_BATCH, _parts_of(asset)) + 1)))
        # The policy pins the type the client declared, so its browser's Content-Type header matches.
        return self._storage.presign_post(
            asset.original_key, declared_type, asset.size, self._limits.upload_url_ttl_seconds
        )

    def part_urls(self, caller: Caller, asset_id: str, part_numbers: list[int]) -> MultipartPlan:
        """Presigned URLs for more parts of a multipart upload in progress (at most PART_BATCH at once)."""
        asset = self._multipart_in_progress(caller, asset_id)
        if len(part_numbers) > PART_BATCH:
            raise InvalidInput(f"ask for at most {PART_BATCH} parts at once", field="part_numbers")
        return self._plan(asset, check_part_numbers(part_numbers, _parts_of(asset)))

    def complete_upload(self, caller: Caller, asset_id: str, parts: list[CompletedPart]) -> Asset:
        """Join the uploaded parts into the original. Every part must be listed once, in order, with the ETag
        its upload answered; storage then announces the object and processing starts as for any upload."""
        asset = self._multipart_in_progress(caller, asset_id)
        assert asset.upload_id is not None
        stored = self._storage.uploaded_parts(asset.original_key, asset.upload_id)
        if stored is None:
            raise Conflict("this upload was already completed or aborted")
        checked = check_completed_parts(parts, _parts_of(asset), stored)
        self._storage.complete_multipart(
            asset.original_key, asset.upload_id, [(p.part_number, p.etag) for p in checked]
        )
        return asset

    def uploaded_parts(self, caller: Caller, asset_id: str) -> UploadedParts:
        """The parts storage holds so far, so an interrupted upload sends only the rest."""
        asset = self._multipart_in_progress(caller, asset_id)
        assert asset.upload_id is not None and asset.part_size is not None
        stored = self._storage.uploaded_parts(asset.original_key, asset.upload_id)
        if stored is None:
            raise Conflict("this upload was already completed or aborted")
        return UploadedParts(asset.upload_id, asset.part_size, _parts_of(asset), dict(sorted(stored.items())))

    def abort_upload(self, caller: Caller, asset_id: str) -> None:
        """Give up an upload that has not landed: its parts and the pending asset go away."""
        asset = self.get_to_change(caller, asset_id)
        if asset.status is not AssetStatus.PENDING_UPLOAD:
            raise Conflict(f"the asset is {asset.status.value}; delete it instead")
        self.delete(caller, asset_id)

    def _multipart_in_progress(self, caller: Caller, asset_id: str) -> Asset:
        asset = self.get_to_change(caller, asset_id)
        if asset.upload_id is None:
            raise Conflict("this asset is not uploaded in parts")
        if asset.status is not AssetStatus.PENDING_UPLOAD:
            raise Conflict(f"the upload is finished; the asset is {asset.status.value}")
        return asset

    def _plan(self, asset: Asset, part_numbers: list[int]) -> MultipartPlan:
        assert asset.upload_id is not None and asset.part_size is not None
        ttl = self._limits.upload_url_ttl_seconds
        urls = self._storage.presign_parts(asset.original_key, asset.upload_id, part_numbers, ttl)
        return MultipartPlan(asset.upload_id, asset.part_size, _parts_of(asset), urls, _expiry(ttl))

    def _folder_for(self, caller: Caller, folder_id: str) -> Folder:
        return folder_for(self._library, caller, folder_id)

    def _note_generation_run(self, caller: Caller, asset: Asset) -> None:
        """The first upload of a generation run makes the run's automatic collection (one conditional
        write; its members are read from the assets' run index, so no write per member)."""
        run = asset.generation.generation_run_id if asset.generation else None
        if run is None or self._library is None:
            return
        prompt = asset.generation.prompt if asset.generation else None
        self._library.ensure_collection(
            Collection(
                collection_id=run_collection_id(run),
                workspace_id=asset.workspace_id,
                name=run_collection_name(run, prompt),
                kind=CollectionKind.GENERATION_RUN,
                generation_run_id=run,
                client_id=asset.client_id,  # a client's run is that client's, like its assets
                created_by=caller.user_id,
                created_at=asset.created_at,
                updated_at=asset.created_at,
            )
        )

    # --- read --------------------------------------------------------------------------------------

    def get(self, caller: Caller, asset_id: str) -> Asset:
        asset = self._assets.get(asset_id)
        if asset is None or not asset_visible_to(caller, asset):
            raise NotFound(f"asset {asset_id} not found")
        return asset

    def get_to_change(self, caller: Caller, asset_id: str) -> Asset:
        """The asset, if the caller may see it (else NotFound) and change it (else Forbidden)."""
        asset = self.get(caller, asset_id)
        require_own(caller, asset.client_id, "this asset")
        check_not_locked(asset)
        return asset

    def with_checksum(self, caller: Caller, checksum_sha256: str) -> builtins.list[Asset]:
        """The assets the caller may see whose bytes hash to this (their uploads are done), oldest first."""
        found = self._assets.with_checksum(caller.workspace_id, checksum_sha256.lower(), limit=CHECKSUM_MATCHES)
        return [asset for asset in found if asset_visible_to(caller, asset)]

    def list(self, caller: Caller, query: AssetQuery, limit: int, cursor: str | None) -> Page[Asset]:
        scoped = AssetQuery(
            **{
                **query.__dict__,
                "visible_clients": caller.client_ids if caller.is_external else None,
            }
        )
        return self._assets.list(caller.workspace_id, scoped, limit, cursor)

    def original_url(self, asset: Asset) -> SignedUrl | None:
        if asset.status is AssetStatus.PENDING_UPLOAD:
            return None
        ttl = self._limits.download_url_ttl_seconds
        # An SVG can carry script: its original is only ever handed out as a download, never rendered
        # inline (the gallery shows the sanitized rendition instead).
        download_name = download_filename(asset) if asset.content_type in _ACTIVE_CONTENT else None
        url = self._storage.presign_get(
            asset.original_key, ttl, download_name=download_name, version_id=asset.original_version
        )
        return SignedUrl(url, _expiry(ttl))

    def rendition_urls(self, asset: Asset) -> dict[str, SignedUrl]:
        return {name: self.signed_rendition(r) for name, r in asset.renditions.items()}

    def signed_rendition(self, rendition: Rendition) -> SignedUrl:
        ttl = self._limits.download_url_ttl_seconds
        url = self._storage.presign_get(
            rendition.key, ttl, content_type=rendition.content_type, version_id=rendition.version_id
        )
        return SignedUrl(url, _expiry(ttl))

    def download_url(self, caller: Caller, asset_id: str) -> str:
        asset = self.get(caller, asset_id)
        if asset.status is AssetStatus.PENDING_UPLOAD:
            raise Conflict("the file has not been uploaded yet")
        return self._storage.presign_get(
            asset.original_key,
            self._limits.download_url_ttl_seconds,
            download_name=download_filename(asset),
            content_type=asset.content_type,
            version_id=asset.original_version,
        )

    # --- change ------------------------------------------------------------------------------------

    def update(
        self, caller: Caller, asset_id: str, changes: AssetChanges, expected_version: int | None = None
    ) -> Asset:
        """Apply the changes. With `expected_version` (If-Match), a stale edit is a Conflict; without it,
        concurrent edits of other fields are retried so nobody's change is lost."""
        for _attempt in range(_SAVE_ATTEMPTS):
            asset = self.get_to_change(caller, asset_id)
            if expected_version is not None and asset.version != expected_version:
                raise Conflict(f"asset is at version {asset.version}, not {expected_version}")
            if isinstance(changes.folder_id, str) and changes.folder_id != asset.folder_id:
                _check_folder_client(self._folder_for(caller, changes.folder_id), asset.client_id)
            updated = asset.model_copy(update=_apply(changes) | {"updated_at": utcnow()})
            try:
                saved = self._assets.save(updated)
            except Conflict:
                if expected_version is not None:
                    raise
                continue
            self._refresh_embedding(asset, saved)
            return saved
        raise Conflict("the asset kept changing while saving; try again")

    def _refresh_embedding(self, before: Asset, after: Asset) -> None:
        """Keyword search sees an edit through the table's stream; meaning search needs a new vector. A short
        run re-embeds with the stored analysis (no vision call), named per version so it starts once."""
        text_changed = any(getattr(before, name) != getattr(after, name) for name in _SEARCH_TEXT_FIELDS)
        if not text_changed or self._workflow is None or after.status is not AssetStatus.READY:
            return
        request = ProcessingRequest(
            asset_id=after.asset_id,
            workspace_id=after.workspace_id,
            bucket=self._storage.bucket,
            key=after.original_key,
            mode="analyze",
            reuse_analysis=True,
        )
        self._workflow.start(f"{after.asset_id}-embed-v{after.version}", request.to_event())

    def rerun(self, caller: Caller, asset_id: str, *, analyze_only: bool, hint: str | None = None) -> Asset:
        """Re-run processing: everything (`reprocess`), or analysis and embedding only (`reanalyze`, which
        never touches renditions), optionally with a human hint that corrects the model."""
        asset = self.get_to_change(caller, asset_id)
        if self._workflow is None:
            raise Conflict("processing is not configured in this deployment")
        if asset.status not in _RERUNNABLE:
            raise Conflict(f"the asset is {asset.status.value}; it can be re-run once it is ready or failed")
        previous = asset.status
        marked = self._assets.save(
            asset.model_copy(
                update={
                    "status": AssetStatus.PROCESSING,
                    "status_reason": None,
                    "updated_at": utcnow(),
                    "correlation_id": correlation_id(),
                }
            )
        )
        request = ProcessingRequest(
            asset_id=asset.asset_id,
            workspace_id=asset.workspace_id,
            bucket=self._storage.bucket,
            key=asset.original_key,
            mode="analyze" if analyze_only else "full",
            hint=hint,
        )
        try:
            self._workflow.start(
                f"{asset.asset_id}-{'reanalyze' if analyze_only else 'reprocess'}-{new_asset_id()[:12]}",
                request.to_event(),
            )
        except Exception:
            self._assets.save(marked.model_copy(update={"status": previous}))
            raise
        return marked

    def delete(self, caller: Caller, asset_id: str) -> None:
        """Delete for good: the original, every rendition and version, then the record (the trash's own
        entries too). What is gone, or was never the caller's to see, is NotFound, as on every route; a delete
        interrupted half-way is finished. An asset in the trash may be deleted for good (emptying it)."""
        asset = self._assets.get(asset_id)
        if asset is None or not in_callers_scope(caller, asset):
            raise NotFound(f"asset {asset_id} not found")
        require_own(caller, asset.client_id, "this asset")
        check_not_locked(asset)
        self.erase(asset)

    def erase(self, asset: Asset) -> None:
        """The cascade of a permanent delete (the API's, and the trash's expiry). The asset is marked
        `deleting` first (conditional on the version read: Conflict if it changed), so a delete interrupted
        half-way never leaves a visible asset without files, and a restore racing with it loses."""
        if asset.status is not AssetStatus.DELETING:
            asset = self._assets.save(asset.model_copy(update={"status": AssetStatus.DELETING}))
        # Links first: once the record is gone, nothing would find them again.
        if self._library is not None:
            # A trashed asset was already taken off its shot's count when it went to the trash.
            self._library.remove_asset_links(asset.workspace_id, asset.asset_id, counted_in_shot=not asset.in_trash)
        if asset.upload_id:
            self._storage.abort_multipart(asset.original_key, asset.upload_id)  # its parts are not listed objects
        self._storage.delete_prefix(asset_prefix(asset.workspace_id, asset.asset_id))
        self._assets.delete(asset)
        run = asset.generation.generation_run_id if asset.generation else None
        if run and self._library is not None:
            self._library.forget_run_if_empty(asset.workspace_id, run, run_collection_id(run))

    def set_archived(self, caller: Caller, asset_id: str, archived: bool) -> Asset:
        """Archive (hide from browse and search, keep every file) or bring back. Idempotent."""
        asset = self.get_to_change(caller, asset_id)
        if asset.archived == archived:
            return asset
        return self.update(caller, asset_id, AssetChanges(archived=archived))


def checked_format(filename: str, content_type: str, size: int, limits: UploadLimits) -> Format:
    """The format an upload (of an asset or of a version) declares, if it is one we take and within limits."""
    fmt = format_for_content_type(content_type)
    if fmt is None:
        raise InvalidInput(f"content type {content_type!r} is not a supported format", field="content_type")
    ext = extension_of(filename)
    by_extension = format_for_extension(ext) if ext else None
    if ext and by_extension is None:
        raise InvalidInput(f"files ending .{ext} are not a supported format", field="filename")
    if by_extension is not None and by_extension != fmt:
        raise InvalidInput(f"filename .{ext} is {by_extension.name} but content type says {fmt.name}", field="filename")
    limit = size_limit(fmt.media_type, limits.max_upload_bytes)
    if size > limit:
        raise InvalidInput(f"file is {size} bytes; the limit for {fmt.media_type.value} is {limit}", field="size")
    return fmt


def _parts_of(asset: Asset) -> int:
    assert asset.part_size is not None
    return part_count(asset.size, asset.part_size)


def _apply(changes: AssetChanges) -> dict[str, object]:
    applied = {field: value for field, value in changes.__dict__.items() if value is not None and value is not KEEP}
    if changes.folder_id is None:
        applied["folder_id"] = None
    return applied


def folder_for(library: LibraryStore | None, caller: Caller, folder_id: str) -> Folder:
    """The folder an asset goes into: it must exist and be the caller's to see."""
    folder = library.get_folder(caller.workspace_id, folder_id) if library else None
    if folder is None or not folder_visible_to(caller, folder):
        raise InvalidInput(f"folder {folder_id} not found", field="folder_id")
    return folder


def placed_client(
    library: LibraryStore | None, caller: Caller, folder_id: str | None, client_id: str | None
) -> str | None:
    """The client of new assets going into `folder_id` (which must be visible to the caller): the folder's
    unless the request names one; never another client's folder."""
    folder = folder_for(library, caller, folder_id) if folder_id else None
    owner = own_client(caller, client_id or (folder.client_id if folder else None))
    if folder is not None:
        _check_folder_client(folder, owner)
    return owner


def _check_folder_client(folder: Folder, client_id: str | None) -> None:
    """A client's folder holds that client's assets (and shared ones), never another client's."""
    if folder.client_id is not None and client_id is not None and client_id != folder.client_id:
        raise InvalidInput(f"folder {folder.folder_id} belongs to another client", field="folder_id")


def _expiry(ttl_seconds: int) -> datetime:
    return utcnow() + timedelta(seconds=ttl_seconds)
