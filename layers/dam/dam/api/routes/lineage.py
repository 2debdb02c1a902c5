"""Lineage and the quality gate: what an asset was made from and what from it; may these inputs be used."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from dam.api.context import current_caller, services
from dam.api.errors import route_responses
from dam.api.permissions import permits
from dam.api.routes.assets import AssetId
from dam.api.version_models import InputCheckOut, InputsCheckRequest, InputsCheckResult, Lineage, MadeFrom, MadeInto
from dam.domain.permissions import Action

router = APIGatewayHttpRouter()


@router.get(
    "/assets/<asset_id>/lineage",
    summary="What an asset was made from, and what was made from it",
    description="Version-exact both ways: each version's recorded generation inputs, and every version of "
    "another asset (that you may see) made from one of this asset's versions.",
    responses=route_responses(200, "The asset's lineage", Lineage, 401, 404, 422),
    tags=["Versions"],
)
@permits(Action.BROWSE)
def get_lineage(asset_id: AssetId) -> Lineage:
    caller = current_caller()
    asset, versions, _ = services().versions.list(caller, asset_id)
    made_from = [
        MadeFrom(version=v.number, inputs=v.generation.inputs) for v in versions if v.generation and v.generation.inputs
    ]
    uses = services().gate.made_into(caller, asset)
    made_into = [MadeInto(asset_id=u.asset_id, version=u.version, from_version=u.input_version) for u in uses]
    return Lineage(made_from=made_from, made_into=made_into)


@router.post(
    "/generation-inputs/check",
    summary="Ask whether generation inputs would pass the quality gate",
    description="For a generation tool, before it spends credits: the answer an upload with these inputs would "
    "get. A video may only be made from approved image versions; an input without a version resolves to the "
    "newest approved one.",
    responses=route_responses(200, "Each input's verdict", InputsCheckResult, 401, 422),
    tags=["Versions"],
)
@permits(Action.BROWSE)
def check_generation_inputs(body: InputsCheckRequest) -> InputsCheckResult:
    checks = services().gate.check(current_caller(), body.inputs, body.output_media_type)
    return InputsCheckResult(
        accepted=all(c.accepted for c in checks),
        inputs=[
            InputCheckOut(
                asset_id=c.asset_id,
                requested_version=c.requested_version,
                version=c.version,
                accepted=c.accepted,
                problem=c.problem,
            )
            for c in checks
        ],
    )
