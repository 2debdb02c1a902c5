"""The ports services depend on. Adapters in dam.adapters implement them (and tests can pass their own)."""

from __future__ import annotations

from typing import Protocol

from dam.adapters.s3.storage import PresignedPost
from dam.domain.assets import Asset
from dam.domain.queries import AssetQuery, Page


class AssetStore(Protocol):
    def get(self, asset_id: str) -> Asset | None: ...
    def create(self, asset: Asset) -> Asset: ...
    def save(self, asset: Asset) -> Asset: ...
    def delete(self, asset: Asset) -> None: ...
    def list(self, workspace_id: str, query: AssetQuery, limit: int, cursor: str | None) -> Page[Asset]: ...


class BlobStore(Protocol):
    bucket: str

    def presign_post(self, key: str, content_type: str, size: int, expires_in: int) -> PresignedPost: ...
    def presign_get(
        self, key: str, expires_in: int, *, download_name: str | None = None, content_type: str | None = None
    ) -> str: ...
    def delete_prefix(self, prefix: str) -> int: ...
