"""The writing assistant: drafts of briefs, scenes and shots. Nothing is written to the project's hierarchy."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from dam.api.assistant_models import BriefOut, BriefRequest, ScenesOut, ScenesRequest, ShotsOut, ShotsRequest
from dam.api.context import current_caller, services
from dam.api.errors import route_responses
from dam.api.permissions import permits
from dam.domain.assistant import brief_text
from dam.domain.permissions import Action

router = APIGatewayHttpRouter()

_OFFLINE = " Without a configured model (the local stack) this answers 503."
_ERRORS = (401, 403, 422, 503)


@router.post(
    "/assistant/brief",
    summary="Refine a rough idea into a creative brief (a draft)",
    description="Visual direction, tone and references, from a model." + _OFFLINE,
    responses=route_responses(200, "The draft brief", BriefOut, *_ERRORS),
    tags=["Assistant"],
)
@permits(Action.USE_ASSISTANT)
def draft_brief(body: BriefRequest) -> BriefOut:
    draft = services().assistant.brief(current_caller(), body.idea)
    return BriefOut(draft=draft, text=brief_text(draft))


@router.post(
    "/assistant/scenes",
    summary="Break a story into scenes (drafts)",
    description="With a model: any story. Offline: a screenplay, at its scene headings (INT./EXT./EST., or a "
    "line forced with '.'), each scene described by its action; a text without headings answers 503.",
    responses=route_responses(200, "The draft scenes, in order", ScenesOut, *_ERRORS),
    tags=["Assistant"],
)
@permits(Action.USE_ASSISTANT)
def draft_scenes(body: ScenesRequest) -> ScenesOut:
    return ScenesOut(scenes=services().assistant.scenes(current_caller(), body.story))


@router.post(
    "/assistant/shots",
    summary="Plan a scene's shots (drafts usable as generation prompts)",
    description="With a model: shots with camera notes. Offline: one shot per action paragraph; a scene "
    "without action answers 503.",
    responses=route_responses(200, "The draft shots, in order", ShotsOut, *_ERRORS),
    tags=["Assistant"],
)
@permits(Action.USE_ASSISTANT)
def draft_shots(body: ShotsRequest) -> ShotsOut:
    return ShotsOut(shots=services().assistant.shots(current_caller(), body.scene))
