"""The quality gate on generation inputs, and lineage reads and writes."""

from __future__ import annotations

from collections.abc import Sequence

from dam.domain.assets import Asset, GenerationInput, GenerationMetadata, asset_visible_to
from dam.domain.formats import MediaType
from dam.domain.identity import Caller
from dam.domain.lineage import InputCheck, Use, check_input, resolved_inputs
from dam.domain.versions import Version, first_version
from dam.services.ports import AssetStore, LineageStore, VersionStore


class GenerationGate:
    def __init__(self, assets: AssetStore, versions: VersionStore, lineage: LineageStore) -> None:
        self._assets = assets
        self._versions = versions
        self._lineage = lineage

    def check(self, caller: Caller, inputs: Sequence[GenerationInput], output: MediaType) -> list[InputCheck]:
        """Each input as the gate sees it, for the caller: one BatchGetItem, then one Query per input."""
        found = self._assets.get_many([i.asset_id for i in inputs])
        checks = []
        for requested in inputs:
            asset = found.get(requested.asset_id)
            visible = asset is not None and asset_visible_to(caller, asset)
            versions = self._versions_of(asset) if asset is not None and visible else None
            checks.append(check_input(requested, versions, asset.active_version if asset else 1, output))
        return checks

    def resolve(
        self, caller: Caller, generation: GenerationMetadata | None, output: MediaType
    ) -> GenerationMetadata | None:
        """The generation with each input's version recorded, or InputsRefused (422) naming each failure."""
        if generation is None or not generation.inputs:
            return generation
        checks = self.check(caller, generation.inputs, output)
        return generation.model_copy(update={"inputs": resolved_inputs(checks, "generation.inputs")})

    def record(self, workspace_id: str, asset_id: str, version: int, generation: GenerationMetadata | None) -> None:
        if generation is not None and generation.inputs:
            self._lineage.record_uses(workspace_id, asset_id, version, generation.inputs)

    def forget(self, workspace_id: str, asset_id: str, version: int) -> None:
        self._lineage.forget_uses_by(workspace_id, asset_id, version)

    def made_into(self, caller: Caller, asset: Asset) -> list[Use]:
        """What was made from the asset, as far as the caller may see."""
        uses = self._lineage.uses_of(asset.workspace_id, asset.asset_id)
        outputs = self._assets.get_many([u.asset_id for u in uses])
        return [u for u in uses if (out := outputs.get(u.asset_id)) is not None and asset_visible_to(caller, out)]

    def _versions_of(self, asset: Asset) -> list[Version]:
        recorded = self._versions.list(asset.workspace_id, asset.asset_id)
        # An asset from before versions has only its version 1, not yet recorded (a draft: no reviews).
        return recorded or ([first_version(asset, sequence=1)] if asset.sequence is None else [])
