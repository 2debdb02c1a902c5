"""Helpers for the library tests: seeded assets at known times, ids of a page, AWS calls counted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from dam.adapters.dynamodb.assets import AssetRepository
from dam.domain.assets import Asset, AssetStatus, AssetType, GenerationMetadata, original_key
from dam.domain.formats import MediaType
from tests.support import ApiResponse

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def ready_asset(
    asset_id: str,
    created: datetime,
    *,
    workspace: str = "ws-studio",
    creator: str = "user-maya",
    asset_type: AssetType = AssetType.IMAGE,
    tags: list[str] | None = None,
    **fields: Any,
) -> Asset:
    """A ready image-like asset created at `created` (not yet stored)."""
    return Asset(
        asset_id=asset_id,
        workspace_id=workspace,
        asset_type=asset_type,
        media_type=MediaType.IMAGE,
        name=f"{asset_id}.png",
        filename=f"{asset_id}.png",
        content_type="image/png",
        size=100,
        status=AssetStatus.READY,
        creator_id=creator,
        created_at=created,
        updated_at=created,
        tags=tags or [],
        original_key=original_key(workspace, asset_id),
        **fields,
    )


def seed(
    asset_id: str,
    minutes: int = 0,
    *,
    workspace: str = "ws-studio",
    creator: str = "user-maya",
    asset_type: AssetType = AssetType.IMAGE,
    client: str | None = None,
    archived: bool = False,
    folder: str | None = None,
    tags: list[str] | None = None,
    generation: GenerationMetadata | None = None,
) -> Asset:
    """A ready asset created `minutes` after T0 (so lists have a known newest-first order)."""
    asset = ready_asset(
        asset_id,
        T0 + timedelta(minutes=minutes),
        workspace=workspace,
        creator=creator,
        asset_type=asset_type,
        tags=tags,
        client_id=client,
        archived=archived,
        folder_id=folder,
        generation=generation,
    )
    return AssetRepository().create(asset)


def ids(response: ApiResponse) -> list[str]:
    assert response.status == 200, response.body
    return [item["asset_id"] for item in response.json()["items"]]


def ok(response: ApiResponse, status: int = 200) -> Any:
    assert response.status == status, response.body
    return response.json()


def field_paths(response: ApiResponse) -> list[str]:
    assert response.status == 422, response.body
    return [f["path"] for f in response.json()["error"]["fields"]]


@contextmanager
def aws_calls() -> Iterator[Counter[str]]:
    """Every AWS API call made inside the block, by `service:Operation` (botocore's own dispatch,
    so calls through any client count: PynamoDB's, S3's)."""
    from botocore.client import BaseClient

    calls: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def counted(self: Any, operation_name: str, api_params: Any) -> Any:
        calls[f"{self.meta.service_model.service_name}:{operation_name}"] += 1
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = counted  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def seed_many(
    count: int,
    *,
    prefix: str = "bulk",
    tagged: dict[int, list[str]] | None = None,
    start: datetime = T0,
    workspace: str = "ws-studio",
) -> list[str]:
    """`count` ready images, one a second from `start` (the last is the newest), written with
    BatchWriteItem: fast enough for 100,000. `tagged` gives tags by position."""
    from dam.adapters.dynamodb.assets import _to_record
    from dam.adapters.dynamodb.models import AssetRecord

    asset_ids = []
    with AssetRecord.batch_write() as batch:
        for n in range(count):
            asset_id = f"{prefix}-{n:07d}"
            tags = (tagged or {}).get(n, [])
            asset = ready_asset(asset_id, start + timedelta(seconds=n), workspace=workspace, tags=tags, version=1)
            batch.save(_to_record(asset))
            asset_ids.append(asset_id)
    return asset_ids


def dynamodb_calls(calls: Counter[str]) -> int:
    return sum(n for name, n in calls.items() if name.startswith("dynamodb:"))
