"""Brand routes: a workspace's brands (name + colour). Tagging an asset: dam.api.routes.library."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from dam.api.context import current_caller, services
from dam.api.errors import BIG_DELETE, delete_responses, deleted, route_responses
from dam.api.models import BrandIn, BrandList, BrandOut, BrandPatch
from dam.api.permissions import permits
from dam.api.routes.assets import IfMatch, parse_version
from dam.domain.permissions import Action

router = APIGatewayHttpRouter()

BrandId = Annotated[str, Path(min_length=1, max_length=64, description="The brand's id")]


@router.post(
    "/brands",
    summary="Create a brand",
    description="Names are unique in a workspace, ignoring case (409).",
    responses=route_responses(201, "The brand", BrandOut, 401, 403, 409, 422),
    tags=["Brands"],
)
@permits(Action.MANAGE_BRANDS)
def create_brand(body: BrandIn) -> Response[BrandOut]:
    brand = services().library.create_brand(current_caller(), body.name, body.color)
    return Response(
        status_code=201,
        content_type="application/json",
        body=BrandOut.of(brand),
        headers={"Location": f"/brands/{brand.brand_id}"},
    )


@router.get(
    "/brands",
    summary="List brands, by name",
    description="Every brand of the workspace (the lightbox shows each as a toggle). Assets of a brand: "
    "`GET /assets?brand={id}`.",
    responses=route_responses(200, "Brands", BrandList, 401),
    tags=["Brands"],
)
@permits(Action.BROWSE)
def list_brands() -> BrandList:
    return BrandList(items=[BrandOut.of(b) for b in services().library.brands(current_caller())])


@router.get(
    "/brands/<brand_id>",
    summary="Get a brand",
    responses=route_responses(200, "The brand", BrandOut, 401, 404, 422),
    tags=["Brands"],
)
@permits(Action.BROWSE)
def get_brand(brand_id: BrandId) -> BrandOut:
    return BrandOut.of(services().library.brand(current_caller(), brand_id))


@router.patch(
    "/brands/<brand_id>",
    summary="Rename or recolour a brand",
    description="409 when the new name is taken, or when the brand changed since it was read (with `If-Match`: "
    "when it is no longer at that `version`).",
    responses=route_responses(200, "The brand", BrandOut, 401, 403, 404, 409, 422),
    tags=["Brands"],
)
@permits(Action.MANAGE_BRANDS)
def update_brand(brand_id: BrandId, body: BrandPatch, if_match: IfMatch = None) -> BrandOut:
    library, expected = services().library, parse_version(if_match)
    return BrandOut.of(library.update_brand(current_caller(), brand_id, body.name, body.color, expected))


@router.delete(
    "/brands/<brand_id>",
    summary="Delete a brand",
    description="Removes the brand from every asset that carried it; the assets stay. A brand that is gone "
    "answers 404. " + BIG_DELETE,
    responses=delete_responses(401, 403, 404, 422),
    tags=["Brands"],
)
@permits(Action.MANAGE_BRANDS)
def delete_brand(brand_id: BrandId) -> Response[Any]:
    return deleted(services().library.delete_brand(current_caller(), brand_id))
