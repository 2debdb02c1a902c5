"""What happens when an original's bytes land in storage."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dam.domain.assets import AssetStatus, parse_original_key, utcnow
from dam.domain.errors import Conflict
from dam.services.ports import AssetStore


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


class IngestService:
    def __init__(self, assets: AssetStore, max_attempts: int = 3) -> None:
        self._assets = assets
        self._max_attempts = max_attempts

    def object_created(self, event: ObjectCreated) -> IngestOutcome:
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
            metadata = dict(asset.metadata)
            if event.etag:
                metadata["etag"] = event.etag
            try:
                self._assets.save(
                    asset.model_copy(
                        update={
                            "status": AssetStatus.UPLOADED,
                            "size": event.size,
                            "metadata": metadata,
                            "updated_at": utcnow(),
                        }
                    )
                )
            except Conflict:
                continue  # someone edited it meanwhile: re-read and try again
            return IngestOutcome.MARKED_UPLOADED
        raise Conflict(f"asset {asset_id} kept changing while marking it uploaded")
