"""Search routes: keyword, semantic and hybrid search with every gallery filter; similar assets."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import Field

from dam.api.context import current_caller, services
from dam.api.errors import route_responses
from dam.api.models import PARTIAL_PAGE, AssetSummary
from dam.api.paging import fit_page, fitting
from dam.api.permissions import permits
from dam.api.routes.assets import filter_query, summary
from dam.domain.assets import AssetType
from dam.domain.formats import MediaType
from dam.domain.library import UNASSIGNED
from dam.domain.modeling import LazyModel
from dam.domain.permissions import Action
from dam.domain.queries import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from dam.observability import SEARCH_LATENCY, timed
from dam.services.search import ScoredAsset

router = APIGatewayHttpRouter()


class SearchResult(AssetSummary):
    score: float = Field(description="Relevance; comparable within one result list only")


class SearchResults(LazyModel):
    items: list[SearchResult]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")
    partial: bool = Field(default=False, description=PARTIAL_PAGE)


@router.get(
    "/search",
    summary="Search assets by keyword, by meaning, or both",
    description="Keyword search covers name, file name, prompt, enhanced prompt, notes, tags, the analysis "
    "and text found in the image. Semantic search matches meaning ('espresso' finds a cup of coffee). Hybrid "
    "(the default) combines both and drops weak matches, so nonsense finds nothing. Archived assets and other "
    "workspaces' or clients' assets never appear. Takes every gallery filter of `GET /assets`, applied inside "
    "the engine's query.",
    responses=route_responses(200, "Matching assets, best first (or newest first)", SearchResults, 400, 401, 422),
    tags=["Search"],
)
@permits(Action.BROWSE)
def search_assets(
    q: Annotated[str | None, Query(min_length=1, max_length=500, description="What to look for")] = None,
    mode: Literal["hybrid", "keyword", "semantic"] = "hybrid",
    sort: Literal["relevance", "newest"] = "relevance",
    asset_type: AssetType | None = None,
    media_type: MediaType | None = None,
    model: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    creator: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    brand: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    folder: Annotated[
        str | None, Query(min_length=1, max_length=64, description=f"A folder id, or `{UNASSIGNED}`")
    ] = None,
    collection: Annotated[str | None, Query(min_length=1, max_length=64, description="A collection id")] = None,
    project: Annotated[str | None, Query(min_length=1, max_length=64, description="A project id")] = None,
    shot: Annotated[
        str | None, Query(min_length=1, max_length=64, description="A shot id: its attached assets")
    ] = None,
    archived: Annotated[bool, Query(description="Only archived assets (else archived ones never appear)")] = False,
    view: Annotated[
        Literal["all", "categorized"],
        Query(description="`categorized`: the branded library, without generated content"),
    ] = "all",
    prompt: Annotated[
        str | None, Query(min_length=1, max_length=500, description="Case-insensitive substring of the prompt")
    ] = None,
    favorites: Annotated[bool, Query(description="Only the caller's favorites")] = False,
    created_from: Annotated[date | datetime | None, Query(alias="from")] = None,
    created_to: Annotated[
        date | datetime | None, Query(alias="to", description="A date includes that whole day (UTC)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(min_length=1, max_length=2000)] = None,
) -> SearchResults:
    if q is None and sort == "relevance" and mode != "keyword":
        sort = "newest"  # no words to rank by: browse the filtered set newest first
    caller = current_caller()
    filters = filter_query(
        caller,
        asset_type=asset_type,
        media_type=media_type,
        model=model,
        creator_id=creator,
        brand_id=brand,
        tag=tag,
        folder_id=folder,
        collection_id=collection,
        project_id=project,
        shot_id=shot,
        archived=archived,
        view=view,
        prompt=prompt,
        favorites=favorites,
        created_from=created_from,
        created_to=created_to,
    )
    partial = False

    def read(size: int) -> tuple[list[SearchResult], str | None]:
        nonlocal partial
        page = services().search.search(caller, filters, text=q, mode=mode, sort=sort, limit=size, cursor=cursor)
        partial = page.partial
        return _results(page.items), page.next_cursor

    with timed(SEARCH_LATENCY, mode=mode if q is not None else "browse"):
        items, next_cursor = fit_page(read, limit)
    return SearchResults(items=items, next_cursor=next_cursor, partial=partial)


@router.get(
    "/assets/<asset_id>/similar",
    summary="Assets like this one",
    description="Exact duplicates (same bytes) and near duplicates first, then the nearest by meaning.",
    responses=route_responses(200, "Similar assets, closest first", SearchResults, 401, 404, 422),
    tags=["Search"],
)
@permits(Action.BROWSE)
def similar_assets(
    asset_id: Annotated[str, Path(min_length=1, max_length=64)],
    limit: Annotated[int, Query(ge=1, le=50)] = 12,
) -> SearchResults:
    items = _results(services().search.similar(current_caller(), asset_id, limit))
    return SearchResults(items=items[: fitting(items)], next_cursor=None)


def _results(hits: list[ScoredAsset]) -> list[SearchResult]:
    """Result cards with the caller's favorite flags, read for the whole page in one batch."""
    favorites = services().library.favorite_ids(current_caller(), [hit.asset for hit in hits])
    return [
        SearchResult(**summary(hit.asset, is_favorite=hit.asset.asset_id in favorites).model_dump(), score=hit.score)
        for hit in hits
    ]
