"""Version use cases: upload a new version, list and read them, download one, promote, review, delete."""

from __future__ import annotations

import builtins
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from dam.adapters.s3.storage import PresignedPost
from dam.domain.assets import Asset, AssetStatus, GenerationMetadata, check_not_locked, download_filename, utcnow
from dam.domain.errors import Conflict, ContentRejected, ContentUnreadable, InvalidInput, NotFound
from dam.domain.formats import Format, MediaType, format_for_content_type
from dam.domain.identity import Caller
from dam.domain.versions import (
    Pointers,
    Review,
    ReviewAction,
    Version,
    activated,
    check_deletable,
    check_reviewer,
    download_name,
    first_version,
    library_reference,
    pointers,
    renditions_prefix,
    reviewed,
    studio_id,
    version_original_key,
)
from dam.services.assets import AssetService, UploadLimits, checked_format
from dam.services.lineage import GenerationGate
from dam.services.ports import AssetStore, BlobStore, VersionComments, VersionStore

_ATTEMPTS = 5

# `?format=` on a download: the Pillow name and the content type of each.
EXPORT_FORMATS: dict[str, tuple[str, str]] = {"png": ("PNG", "image/png"), "jpg": ("JPEG", "image/jpeg")}
ExportFormat = Literal["png", "jpg"]


@dataclass(frozen=True)
class NewVersion:
    filename: str
    content_type: str
    size: int
    notes: str = ""
    generation: GenerationMetadata | None = None


@dataclass(frozen=True)
class VersionPolicy:
    """Workspace settings the review rules read."""

    self_approval_workspaces: frozenset[str] = frozenset()


class VersionService:
    def __init__(
        self,
        assets: AssetService,
        asset_store: AssetStore,
        versions: VersionStore,
        storage: BlobStore,
        limits: UploadLimits,
        policy: VersionPolicy | None = None,
        gate: GenerationGate | None = None,
        comments: VersionComments | None = None,
    ) -> None:
        self._gate = gate
        self._comments = comments
        self._assets = assets
        self._asset_store = asset_store
        self._versions = versions
        self._storage = storage
        self._limits = limits
        self._policy = policy or VersionPolicy()

    # --- read ----------------------------------------------------------------------------------

    def asset(self, caller: Caller, asset_id: str) -> Asset:
        """The asset as the caller may see it, with version 1 recorded (assets from before versions have
        none until first asked)."""
        asset = self._assets.get(caller, asset_id)
        return asset if asset.sequence is not None else self._record_first_version(caller, asset)

    def list(self, caller: Caller, asset_id: str) -> tuple[Asset, builtins.list[Version], Pointers]:
        asset = self.asset(caller, asset_id)
        versions = self._versions.list(asset.workspace_id, asset.asset_id)
        return asset, versions, pointers(versions, asset.active_version)

    def get(self, caller: Caller, asset_id: str, number: int) -> tuple[Asset, Version]:
        asset = self.asset(caller, asset_id)
        return asset, self._version(asset, number)

    def download_url(self, caller: Caller, asset_id: str, which: int | Literal["approved"]) -> str:
        """A pinned version (a number) or the newest approved one, named by its studio id."""
        _, version = self._resolve(caller, asset_id, which)
        return self.original_url_of(version)

    def original_url_of(self, version: Version) -> str:
        """A short-lived URL of exactly this version's file, named by its studio id."""
        if version.status is AssetStatus.PENDING_UPLOAD:
            raise Conflict(f"the file of version {version.number} has not been uploaded yet")
        return self._storage.presign_get(
            version.original_key,
            self._limits.download_url_ttl_seconds,
            download_name=download_name(version),
            content_type=version.content_type,
            version_id=version.original_version,
        )

    def export_url(
        self, caller: Caller, asset_id: str, which: int | Literal["approved", "active"], target: ExportFormat
    ) -> str:
        """A short-lived URL of the version's image as PNG or JPEG. Converted on the first request and kept
        beside the version's renditions (deleted with them), so later requests only sign a URL."""
        asset, version = self._resolve(caller, asset_id, which)
        fmt = format_for_content_type(version.content_type)
        if version.media_type is not MediaType.IMAGE or fmt is None or not _is_raster(fmt):
            kind = fmt.name if fmt else version.media_type.value
            raise InvalidInput(
                f"only raster images convert to PNG or JPEG; this file is {kind}: download it without `format`",
                field="query.format",
            )
        if version.status is not AssetStatus.READY:
            raise Conflict(f"version {version.number} is {version.status.value}: it converts once it is ready")
        pillow_format, content_type = EXPORT_FORMATS[target]
        key = f"{renditions_prefix(version.original_key)}export.{target}"
        if self._storage.head(key) is None:
            from dam.imaging.export import convert_image  # Pillow loads only for conversions (cold start)

            with tempfile.TemporaryDirectory() as folder:
                path = str(Path(folder) / "original")
                self._storage.download(version.original_key, path, version.original_version)
                try:
                    converted = convert_image(path, fmt, pillow_format)
                except (ContentRejected, ContentUnreadable) as error:  # too large to convert, or undecodable
                    raise InvalidInput(error.message, field="query.format") from error
                self._storage.upload(key, converted, content_type)
        name = download_filename(asset) if which == "active" else download_name(version)
        return self._storage.presign_get(
            key,
            self._limits.download_url_ttl_seconds,
            download_name=f"{Path(name).stem if '.' in name else name}.{target}",
            content_type=content_type,
        )

    def _resolve(
        self, caller: Caller, asset_id: str, which: int | Literal["approved", "active"]
    ) -> tuple[Asset, Version]:
        if isinstance(which, int):
            return self.get(caller, asset_id, which)
        asset, versions, found = self.list(caller, asset_id)
        number = found.active if which == "active" else found.approved
        if number is None:
            raise NotFound(f"asset {asset_id} has no approved version")
        return asset, next(v for v in versions if v.number == number)

    def compare(self, caller: Caller, asset_id: str, a: int, b: int) -> tuple[Asset, Version, Version, Pointers]:
        asset, versions, marks = self.list(caller, asset_id)
        by_number = {v.number: v for v in versions}
        for number in (a, b):
            if number not in by_number:
                raise NotFound(f"version {number} of asset {asset_id} not found")
        return asset, by_number[a], by_number[b], marks

    # --- change ----------------------------------------------------------------------------------

    def create(
        self, caller: Caller, asset_id: str, upload: NewVersion, *, promote: bool = False
    ) -> tuple[Version, PresignedPost]:
        """A new number from the asset's counter, a record for it, and a presigned POST for its bytes. With
        `promote`, the version becomes active when its bytes land (the stable link never points at a file
        that is not there yet, and an upload that never comes leaves the asset as it was)."""
        fmt = checked_format(upload.filename, upload.content_type, upload.size, self._limits)
        asset = self.asset(caller, asset_id)
        check_not_locked(asset)  # a ready shot's assets get no new takes until it is reopened
        generation = self._gate.resolve(caller, upload.generation, fmt.media_type) if self._gate else upload.generation
        version = self._new_record(caller, asset, upload, fmt, generation, promote)
        number = version.number
        if self._gate:
            self._gate.record(asset.workspace_id, asset.asset_id, number, generation)
        post = self._storage.presign_post(
            version.original_key, upload.content_type, upload.size, self._limits.upload_url_ttl_seconds
        )
        return version, post

    def promote(self, caller: Caller, asset_id: str, number: int) -> Asset:
        """Move the active pointer (never a copy of files): one write of the asset item, so a reader sees
        the old active version or the new one, never none or two."""
        for _attempt in range(_ATTEMPTS):
            asset = self.asset(caller, asset_id)
            check_not_locked(asset)
            version = self._version(asset, number)
            if asset.active_version == number:
                return asset
            moved = activated(asset, version, caller.user_id, utcnow())
            try:
                return self._versions.activate(moved, version)
            except Conflict:
                continue
        raise Conflict("the asset kept changing while promoting; try again")

    def review(
        self, caller: Caller, asset_id: str, number: int, action: ReviewAction, note: str | None = None
    ) -> Version:
        """Approve or revoke: one more entry in the version's review history (who, role, when, note)."""
        return self._review(lambda: self.get(caller, asset_id, number), caller, action, note)

    def review_for_session(
        self, reviewer: Caller, asset_id: str, number: int, action: ReviewAction, note: str | None = None
    ) -> Version:
        """The same review, made because a review session's rule says so: the reviewer may be an outside one
        (no account, so no client scoping to apply), so the version is read in the reviewer's workspace only."""

        return self._review(lambda: self.in_workspace(reviewer.workspace_id, asset_id, number), reviewer, action, note)

    def in_workspace(self, workspace_id: str, asset_id: str, number: int) -> tuple[Asset, Version]:
        """An asset and one of its versions read by id in a workspace, with no caller: for what a review session
        shows its outside reviewers (the session's owner chose it; the link shows nothing else)."""
        asset = self._asset_store.get(asset_id)
        if asset is None or asset.workspace_id != workspace_id or asset.status is AssetStatus.DELETING:
            raise NotFound(f"asset {asset_id} not found")
        return asset, self._version(asset, number)

    def _review(
        self, load: Callable[[], tuple[Asset, Version]], caller: Caller, action: ReviewAction, note: str | None
    ) -> Version:
        for _attempt in range(_ATTEMPTS):
            asset, version = load()
            check_not_locked(asset)
            if action is ReviewAction.APPROVE:
                allowed = caller.workspace_id in self._policy.self_approval_workspaces
                check_reviewer(caller, version, self_approval_allowed=allowed)
            changed = reviewed(version, caller, action, utcnow(), note)
            if changed is version:
                return version
            try:
                return self._versions.save(changed)
            except Conflict:
                continue
        raise Conflict("the version kept changing while reviewing; try again")

    def reviews(self, caller: Caller, asset_id: str, number: int) -> builtins.list[Review]:
        return self.get(caller, asset_id, number)[1].reviews

    def delete(self, caller: Caller, asset_id: str, number: int) -> None:
        """Delete one version's record, its comments and its files; never the active one, never the only one.
        Its number is not given out again."""
        asset = self.asset(caller, asset_id)
        check_not_locked(asset)
        # The version is read before the asset: a promote in between bumps the version, and the delete,
        # conditional on what was read, then refuses instead of removing the version just made active.
        version = self._version(asset, number)
        asset = self._assets.get(caller, asset_id)
        check_deletable(version, asset.active_version, self._versions.list(asset.workspace_id, asset.asset_id))
        self._versions.delete(version)
        if self._comments:
            self._comments.delete_version(asset.workspace_id, asset.asset_id, number)
        if self._gate:
            self._gate.forget(asset.workspace_id, asset.asset_id, number)
        self._storage.delete_prefix(version.original_key)
        self._storage.delete_prefix(renditions_prefix(version.original_key))

    # --- helpers -------------------------------------------------------------------------------

    def _new_record(
        self,
        caller: Caller,
        asset: Asset,
        upload: NewVersion,
        fmt: Format,
        generation: GenerationMetadata | None,
        promote: bool,
    ) -> Version:
        """The record under a fresh number. The counter's update is atomic in DynamoDB, and the record's put
        is conditional too: should a number ever be taken (a restored backup, a hand edit), the next one is drawn
        instead of failing the upload."""
        for _attempt in range(_ATTEMPTS):
            number = self._versions.allocate_number(asset.asset_id)
            now = utcnow()
            sequence = asset.sequence or 1
            try:
                return self._versions.create(
                    Version(
                        asset_id=asset.asset_id,
                        workspace_id=asset.workspace_id,
                        number=number,
                        sequence=sequence,
                        studio_id=studio_id(
                            fmt.media_type, now, library_reference(asset.workspace_id), sequence, number
                        ),
                        created_by=caller.user_id,
                        created_at=now,
                        notes=upload.notes,
                        filename=upload.filename,
                        content_type=fmt.content_type,
                        media_type=fmt.media_type,
                        size=upload.size,
                        status=AssetStatus.PENDING_UPLOAD,
                        original_key=version_original_key(asset.workspace_id, asset.asset_id, number),
                        generation=generation,
                        promote_on_upload_by=caller.user_id if promote else None,
                    )
                )
            except Conflict:
                continue
        raise Conflict("no version number could be given out; try again")

    def _version(self, asset: Asset, number: int) -> Version:
        version = self._versions.get(asset.workspace_id, asset.asset_id, number)
        if version is None:
            raise NotFound(f"version {number} of asset {asset.asset_id} not found")
        return version

    def _record_first_version(self, caller: Caller, asset: Asset) -> Asset:
        """Stamp the asset's sequence and record its version 1, once. Two requests racing both draw a
        sequence; the one whose version 1 lands first decides, the other's number is left unused."""
        recorded = self._versions.get(asset.workspace_id, asset.asset_id, 1)
        if recorded is None:
            candidate = first_version(asset, self._versions.next_sequence(asset.workspace_id))
            try:
                recorded = self._versions.create(candidate)
            except Conflict:
                recorded = self._versions.get(asset.workspace_id, asset.asset_id, 1)
        if recorded is not None:
            self._versions.assign_sequence(asset.asset_id, recorded.sequence)
        return self._assets.get(caller, asset.asset_id)


def _is_raster(fmt: Format) -> bool:
    from dam.imaging.limits import PILLOW_FORMATS  # (imports Pillow: only on the export path)

    return fmt.name in PILLOW_FORMATS
