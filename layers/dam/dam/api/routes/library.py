"""Library routes on one asset: favorite, archive, brand toggles, usage links; and the gallery's filter chips."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from dam.api.context import current_caller, services
from dam.api.errors import route_responses
from dam.api.models import AssetOut, Chip, ChipList, UsageIn, UsageList, UsageOut
from dam.api.permissions import permits
from dam.api.routes.assets import AssetId, detail_for
from dam.api.routes.brands import BrandId
from dam.domain.assets import AssetType
from dam.domain.permissions import Action

router = APIGatewayHttpRouter()

UsageId = Annotated[str, Path(min_length=1, max_length=64, description="The usage link's id")]

_CHIP_LABELS: dict[AssetType, str] = {
    AssetType.CHARACTER: "Characters",
    AssetType.PRODUCT: "Products",
    AssetType.BACKGROUND: "Backgrounds",
    AssetType.LOGO: "Logos",
    AssetType.IMAGE: "Images",
    AssetType.VIDEO: "Videos",
    AssetType.AUDIO: "Audio",
    AssetType.DOCUMENT: "Documents",
    AssetType.GENERATED_CONTENT: "Generated content",
}


# --- favorites -------------------------------------------------------------------------------------


@router.put(
    "/assets/<asset_id>/favorite",
    summary="Favorite an asset",
    description="Favorites are personal: nobody else's view changes. Idempotent.",
    responses=route_responses(204, "It is among your favorites", None, 401, 404, 422),
    tags=["Library"],
)
@permits(Action.FAVORITE)
def favorite_asset(asset_id: AssetId) -> Response[None]:
    services().library.favorite(current_caller(), asset_id)
    return Response(status_code=204)


@router.delete(
    "/assets/<asset_id>/favorite",
    summary="Unfavorite an asset",
    description="Idempotent.",
    responses=route_responses(204, "It is not among your favorites", None, 401, 404, 422),
    tags=["Library"],
)
@permits(Action.FAVORITE)
def unfavorite_asset(asset_id: AssetId) -> Response[None]:
    services().library.unfavorite(current_caller(), asset_id)
    return Response(status_code=204)


# --- archive ---------------------------------------------------------------------------------------


@router.post(
    "/assets/<asset_id>/archive",
    summary="Archive an asset",
    description="Hides it from browse and search without deleting anything; `GET /assets?archived=true` lists "
    "archived assets. Its favorites, brands, collections and folder stay. Idempotent.",
    responses=route_responses(200, "The archived asset", AssetOut, 401, 403, 404, 409, 422),
    tags=["Library"],
)
@permits(Action.ARCHIVE)
def archive_asset(asset_id: AssetId) -> AssetOut:
    caller = current_caller()
    return detail_for(caller, services().assets.set_archived(caller, asset_id, True))


@router.post(
    "/assets/<asset_id>/unarchive",
    summary="Bring an archived asset back",
    description="It reappears in browse and search where it was. Idempotent.",
    responses=route_responses(200, "The asset, back in the library", AssetOut, 401, 403, 404, 409, 422),
    tags=["Library"],
)
@permits(Action.UNARCHIVE)
def unarchive_asset(asset_id: AssetId) -> AssetOut:
    caller = current_caller()
    return detail_for(caller, services().assets.set_archived(caller, asset_id, False))


# --- brands on an asset ------------------------------------------------------------------------------


@router.put(
    "/assets/<asset_id>/brands/<brand_id>",
    summary="Tag an asset with a brand",
    description="The lightbox's brand toggle, on. Idempotent.",
    responses=route_responses(204, "The asset carries the brand", None, 401, 403, 404, 422),
    tags=["Brands"],
)
@permits(Action.TAG_BRAND)
def tag_brand(asset_id: AssetId, brand_id: BrandId) -> Response[None]:
    services().library.tag_brand(current_caller(), asset_id, brand_id)
    return Response(status_code=204)


@router.delete(
    "/assets/<asset_id>/brands/<brand_id>",
    summary="Remove a brand from an asset",
    description="The lightbox's brand toggle, off. Idempotent.",
    responses=route_responses(204, "The asset does not carry the brand", None, 401, 403, 404, 422),
    tags=["Brands"],
)
@permits(Action.TAG_BRAND)
def untag_brand(asset_id: AssetId, brand_id: BrandId) -> Response[None]:
    services().library.untag_brand(current_caller(), asset_id, brand_id)
    return Response(status_code=204)


# --- usage links -----------------------------------------------------------------------------------


@router.post(
    "/assets/<asset_id>/usages",
    summary="Record that a project or workflow uses an asset",
    description="One link per (kind, ref): posting the same pair again updates its label (200). Shown on the "
    "asset's detail; removed when the asset is deleted.",
    responses={
        **route_responses(201, "Recorded", UsageOut, 401, 403, 404, 422),
        **route_responses(200, "Already recorded; label updated", UsageOut),
    },
    tags=["Library"],
)
@permits(Action.MANAGE_USAGES)
def add_usage(asset_id: AssetId, body: UsageIn) -> Response[UsageOut]:
    usage, created = services().library.add_usage(current_caller(), asset_id, body.kind, body.ref, body.label)
    return Response(status_code=201 if created else 200, content_type="application/json", body=UsageOut.of(usage))


@router.get(
    "/assets/<asset_id>/usages",
    summary="The projects and workflows that use an asset",
    responses=route_responses(200, "Usage links, oldest first", UsageList, 401, 404, 422),
    tags=["Library"],
)
@permits(Action.BROWSE)
def list_usages(asset_id: AssetId) -> UsageList:
    return UsageList(items=[UsageOut.of(u) for u in services().library.usages(current_caller(), asset_id)])


@router.delete(
    "/assets/<asset_id>/usages/<usage_id>",
    summary="Remove a usage link",
    description="Idempotent.",
    responses=route_responses(204, "Removed (or already gone)", None, 401, 403, 404, 422),
    tags=["Library"],
)
@permits(Action.MANAGE_USAGES)
def remove_usage(asset_id: AssetId, usage_id: UsageId) -> Response[None]:
    services().library.remove_usage(current_caller(), asset_id, usage_id)
    return Response(status_code=204)


# --- filter chips ----------------------------------------------------------------------------------


@router.get(
    "/assets/chips",
    summary="The gallery's filter chips",
    description="All, Favorites, one per asset type and Generated content, each with the `GET /assets` "
    "parameters it stands for. The categorized (branded) view has no Generated content chip and excludes "
    "generated content from the others.",
    responses=route_responses(200, "Chips, in display order", ChipList, 401, 422),
    tags=["Assets"],
)
@permits(Action.BROWSE)
def filter_chips(
    view: Annotated[
        Literal["all", "categorized"], Query(description="`categorized`: the branded library view")
    ] = "all",
) -> ChipList:
    base = {"view": "categorized"} if view == "categorized" else {}
    chips = [
        Chip(chip_id="all", label="All", query=base),
        Chip(chip_id="favorites", label="Favorites", query={**base, "favorites": "true"}),
    ]
    for asset_type, label in _CHIP_LABELS.items():
        if view == "categorized" and asset_type is AssetType.GENERATED_CONTENT:
            continue
        chips.append(Chip(chip_id=asset_type.value, label=label, query={**base, "asset_type": asset_type.value}))
    return ChipList(items=chips)
