"""Lineage records in the library table: which output version used which input version."""

from __future__ import annotations

from collections.abc import Sequence

from dam.adapters.dynamodb.library import _asset_pk
from dam.adapters.dynamodb.models import LineageRecord
from dam.domain.assets import GenerationInput
from dam.domain.lineage import Use

_USED_BY = "used_by#"


class LineageRepository:
    def record_uses(self, workspace_id: str, asset_id: str, version: int, inputs: Sequence[GenerationInput]) -> None:
        with LineageRecord.batch_write() as batch:
            for used in inputs:
                input_version = used.version or 1
                batch.save(
                    LineageRecord(
                        _asset_pk(workspace_id, used.asset_id),
                        f"{_USED_BY}{asset_id}#{version:06d}#{input_version:06d}",
                        workspace_id=workspace_id,
                        gsi1pk=_asset_pk(workspace_id, asset_id),
                        gsi1sk=f"made_from#{version:06d}#{used.asset_id}#{input_version:06d}",
                        asset_id=asset_id,
                        version=version,
                        input_asset_id=used.asset_id,
                        input_version=input_version,
                    )
                )

    def uses_of(self, workspace_id: str, input_asset_id: str) -> list[Use]:
        records = LineageRecord.query(
            _asset_pk(workspace_id, input_asset_id), LineageRecord.sk.startswith(_USED_BY), consistent_read=True
        )
        return [Use(r.asset_id, int(r.version), r.input_asset_id, int(r.input_version)) for r in records]

    def forget_uses_by(self, workspace_id: str, asset_id: str, version: int) -> None:
        """A deleted version was made from nothing any more: its uses go."""
        records = LineageRecord.gsi1.query(
            _asset_pk(workspace_id, asset_id), LineageRecord.gsi1sk.startswith(f"made_from#{version:06d}#")
        )
        with LineageRecord.batch_write() as batch:
            for record in records:
                batch.delete(record)
