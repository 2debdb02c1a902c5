"""What happens when an original's bytes land in storage."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from dam.domain.assets import Asset, AssetStatus, parse_original_key, utcnow
from dam.domain.errors import Conflict
from dam.domain.versions import VersionKey, activated, parse_version_key
from dam.observability import use_correlation_id
from dam.services.ports import AssetStore, VersionStore, WorkflowStarter
from dam.services.processing import ProcessingRequest


class IngestOutcome(StrEnum):
    MARKED_UPLOADED = "marked_uploaded"
    ALREADY_UPLOADED = "already_uploaded"  # a replayed or duplicate notification
    UNKNOWN_OBJECT = "unknown_object"  # not an original, or its asset was deleted


@dataclass(frozen=True)
class ObjectCreated:
    bucket: str
    key: str
    size: int
    etag: str | None = None
    version_id: str | None = None


def run_name(event: ObjectCreated, asset_id: str) -> str:
    """One name per stored object, so a replayed or doubled notification can never start a second run."""
    identity = f"{event.etag}/{event.version_id}" if event.version_id else event.etag
    digest = hashlib.sha256(f"{event.bucket}/{event.key}/{identity}".encode()).hexdigest()[:16]
    return f"{asset_id}-{digest}"


class IngestService:
    def __init__(
        self,
        assets: AssetStore,
        workflow: WorkflowStarter | None = None,
        max_attempts: int = 3,
        versions: VersionStore | None = None,
    ) -> None:
        self._assets = assets
        self._versions = versions
        self._workflow = workflow
        self._max_attempts = max_attempts

    def object_created(self, event: ObjectCreated) -> IngestOutcome:
        """Mark the asset uploaded, then start its processing run (at most once per object)."""
        located = parse_version_key(event.key)
        if located is not None and located.number > 1:
            return self._version_uploaded(event, located)
        outcome = self._mark_uploaded(event)
        if outcome is not IngestOutcome.UNKNOWN_OBJECT and self._workflow is not None:
            workspace_id, asset_id = parse_original_key(event.key) or ("", "")
            asset = self._assets.get(asset_id)
            use_correlation_id(asset.correlation_id if asset else None)  # the upload's request: its run logs it
            # Runs that already began (or finished) are left alone; an `uploaded` asset may have missed
            # its start when a previous delivery failed half-way, so it is started (idempotently) again.
            # Other bytes written at the key after the checks start a run too: its Register removes them.
            if asset is not None and (asset.status is AssetStatus.UPLOADED or _after_checks(asset, event)):
                request = ProcessingRequest(
                    asset_id, workspace_id, event.bucket, event.key, event.etag, version_id=event.version_id
                )
                self._workflow.start(run_name(event, asset_id), request.to_event())
        return outcome

    def _version_uploaded(self, event: ObjectCreated, located: VersionKey) -> IngestOutcome:
        """A later version's bytes: the version moves to `uploaded` (and becomes active if its upload asked
        for that; the asset moves too when it shows that version) and its run starts, named by the object
        so a replay never starts a second."""
        for _attempt in range(self._max_attempts):
            asset = self._assets.get(located.asset_id)
            version = (
                self._versions.get(located.workspace_id, located.asset_id, located.number) if self._versions else None
            )
            use_correlation_id(asset.correlation_id if asset else None)
            if (
                asset is None
                or version is None
                or asset.workspace_id != located.workspace_id
                or asset.status is AssetStatus.DELETING
            ):
                return IngestOutcome.UNKNOWN_OBJECT
            try:
                assert self._versions is not None
                if version.status is AssetStatus.PENDING_UPLOAD:
                    version = self._versions.save(version.model_copy(update=_uploaded(version.metadata, event)))
                if version.promote_on_upload_by and asset.active_version != located.number:
                    # "Replace in place": the bytes are there now, so the stable link may follow them.
                    self._versions.activate(
                        activated(asset, version, version.promote_on_upload_by, utcnow()),
                        version.model_copy(update={"promote_on_upload_by": None}),
                    )
                elif asset.active_version == located.number and asset.status is AssetStatus.PENDING_UPLOAD:
                    self._assets.save(
                        asset.model_copy(update={**_uploaded(asset.metadata, event), "updated_at": utcnow()})
                    )
            except Conflict:
                continue  # changed meanwhile: re-read and try again
            break
        else:
            raise Conflict(f"version {located.number} of asset {located.asset_id} kept changing while marking it")
        if self._workflow is None:
            return IngestOutcome.MARKED_UPLOADED
        request = ProcessingRequest(
            located.asset_id, located.workspace_id, event.bucket, event.key, event.etag, version_id=event.version_id
        )
        started = self._workflow.start(run_name(event, located.asset_id), request.to_event())
        return IngestOutcome.MARKED_UPLOADED if started else IngestOutcome.ALREADY_UPLOADED

    def _mark_uploaded(self, event: ObjectCreated) -> IngestOutcome:
        parsed = parse_original_key(event.key)
        if parsed is None:
            return IngestOutcome.UNKNOWN_OBJECT
        workspace_id, asset_id = parsed
        for _attempt in range(self._max_attempts):
            asset = self._assets.get(asset_id)
            if asset is None or asset.workspace_id != workspace_id or asset.status is AssetStatus.DELETING:
                return IngestOutcome.UNKNOWN_OBJECT
            if asset.status is not AssetStatus.PENDING_UPLOAD:
                return IngestOutcome.ALREADY_UPLOADED
            try:
                # The declared size stays: Register refuses a stored object of any other size.
                self._assets.save(asset.model_copy(update={**_uploaded(asset.metadata, event), "updated_at": utcnow()}))
            except Conflict:
                continue  # someone edited it meanwhile: re-read and try again
            return IngestOutcome.MARKED_UPLOADED
        raise Conflict(f"asset {asset_id} kept changing while marking it uploaded")


def _after_checks(asset: Asset, event: ObjectCreated) -> bool:
    """Whether the notification announces another object than the one the pipeline checked."""
    if asset.status in (AssetStatus.PENDING_UPLOAD, AssetStatus.DELETING):
        return False
    if event.version_id and asset.original_version:
        return event.version_id != asset.original_version
    return bool(event.etag and asset.original_etag and event.etag.strip('"') != asset.original_etag)


def _uploaded(metadata: dict[str, object], event: ObjectCreated) -> dict[str, object]:
    """What landing bytes change: the status and the object's ETag (never the declared size)."""
    return {
        "status": AssetStatus.UPLOADED,
        "metadata": {**metadata, "etag": event.etag} if event.etag else dict(metadata),
    }
