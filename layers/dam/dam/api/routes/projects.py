"""Project routes (seed 004): projects and their stage, stories, scenes, shots, shots' assets and status."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from dam.api.context import current_caller, services
from dam.api.errors import route_responses
from dam.api.models import AssetSummary, summary_fields
from dam.api.permissions import permits
from dam.api.project_models import (
    ProjectIn,
    ProjectList,
    ProjectOut,
    ProjectPatch,
    ProjectTreeOut,
    SceneIn,
    SceneList,
    SceneOut,
    ScenePatch,
    SendBackNote,
    ShotIn,
    ShotList,
    ShotNote,
    ShotOut,
    ShotPatch,
    StoryIn,
    StoryList,
    StoryOut,
    StoryPatch,
    fields_of,
)
from dam.api.routes.assets import AssetId
from dam.domain.modeling import LazyModel
from dam.domain.permissions import Action
from dam.domain.projects import Scene, Shot, ShotAction, Story
from dam.services.projects import ProjectChanges

router = APIGatewayHttpRouter()

ProjectId = Annotated[str, Path(min_length=1, max_length=64, description="The project's id")]
StoryId = Annotated[str, Path(min_length=1, max_length=64, description="The story's id")]
SceneId = Annotated[str, Path(min_length=1, max_length=64, description="The scene's id")]
ShotId = Annotated[str, Path(min_length=1, max_length=64, description="The shot's id")]
Force = Annotated[bool, Query(description="Delete what is underneath too (without it, 409 lists what would go)")]
_DELETE = (
    "With children, 409 lists what would go unless `?force=true`. Attached assets are never deleted: they stay in "
)
"the project, unattached. A complete project, or a ready shot underneath, answers 409."


class ShotAssetList(LazyModel):
    items: list[AssetSummary]


def created(body: LazyModel, location: str) -> Response[Any]:
    return Response(status_code=201, content_type="application/json", body=body, headers={"Location": location})


def _story(node: object) -> StoryOut:
    assert isinstance(node, Story)
    return StoryOut.of(node)


def _scene(node: object) -> SceneOut:
    assert isinstance(node, Scene)
    return SceneOut.of(node)


def _shot(node: object) -> ShotOut:
    assert isinstance(node, Shot)
    return ShotOut.of(node)


# --- projects ----------------------------------------------------------------------------------------


@router.post(
    "/projects",
    summary="Create a project",
    description="New projects start in `development`. The 4-character reference is unique in the workspace (409).",
    responses=route_responses(201, "The project", ProjectOut, 401, 403, 409, 422),
    tags=["Projects"],
)
@permits(Action.MANAGE_PROJECTS)
def create_project(body: ProjectIn) -> Response[ProjectOut]:
    project = services().projects.create_project(
        current_caller(), body.name, body.description, body.reference, body.client_id
    )
    return created(ProjectOut.of(project), f"/projects/{project.project_id}")


@router.get(
    "/projects",
    summary="List projects, by name",
    responses=route_responses(200, "Projects", ProjectList, 401),
    tags=["Projects"],
)
@permits(Action.BROWSE)
def list_projects() -> ProjectList:
    return ProjectList(items=[ProjectOut.of(p) for p in services().projects.projects(current_caller())])


@router.get(
    "/projects/<project_id>",
    summary="Get a project",
    responses=route_responses(200, "The project, with its stage history", ProjectOut, 401, 404, 422),
    tags=["Projects"],
)
@permits(Action.BROWSE)
def get_project(project_id: ProjectId) -> ProjectOut:
    return ProjectOut.of(services().projects.project(current_caller(), project_id))


@router.patch(
    "/projects/<project_id>",
    summary="Rename, describe or stage a project",
    description="The stage may be set to any stage at any time; each change is recorded in `stage_history`. A "
    "complete project is read-only (409) until its stage changes away from complete.",
    responses=route_responses(200, "The project", ProjectOut, 401, 403, 404, 409, 422),
    tags=["Projects"],
)
@permits(
    by_field={
        "name": Action.MANAGE_PROJECTS,
        "description": Action.MANAGE_PROJECTS,
        "stage": Action.CHANGE_STAGE,
    }
)
def update_project(project_id: ProjectId, body: ProjectPatch) -> ProjectOut:
    changes = ProjectChanges(name=body.name, description=body.description, stage=body.stage)
    return ProjectOut.of(services().projects.update_project(current_caller(), project_id, changes))


@router.delete(
    "/projects/<project_id>",
    summary="Delete a project",
    description=f"{_DELETE} Assets made in it stay too, in no project.",
    responses=route_responses(204, "Deleted", None, 401, 403, 404, 409, 422),
    tags=["Projects"],
)
@permits(Action.MANAGE_PROJECTS)
def delete_project(project_id: ProjectId, force: Force = False) -> Response[None]:
    services().projects.delete_project(current_caller(), project_id, force=force)
    return Response(status_code=204)


@router.get(
    "/projects/<project_id>/tree",
    summary="The whole hierarchy",
    description="Stories, scenes and shots in order, each shot with its status and asset count, and how many shots "
    "are in each status: one read of the project however deep.",
    responses=route_responses(200, "The tree", ProjectTreeOut, 401, 404, 422),
    tags=["Projects"],
)
@permits(Action.BROWSE)
def get_project_tree(project_id: ProjectId) -> ProjectTreeOut:
    return ProjectTreeOut.of(services().projects.tree(current_caller(), project_id))


# --- stories -----------------------------------------------------------------------------------------


@router.post(
    "/projects/<project_id>/stories",
    summary="Add a story",
    responses=route_responses(201, "The story", StoryOut, 401, 403, 404, 409, 422),
    tags=["Projects"],
)
@permits(Action.EDIT_HIERARCHY)
def create_story(project_id: ProjectId, body: StoryIn) -> Response[StoryOut]:
    node = services().projects.create_node(current_caller(), "project", project_id, fields_of(body), body.position)
    return created(_story(node), f"/stories/{node.node_id}")


@router.get(
    "/projects/<project_id>/stories",
    summary="List a project's stories, in order",
    responses=route_responses(200, "Stories", StoryList, 401, 404, 422),
    tags=["Projects"],
)
@permits(Action.BROWSE)
def list_stories(project_id: ProjectId) -> StoryList:
    return StoryList(items=[_story(n) for n in services().projects.children(current_caller(), "project", project_id)])


@router.get(
    "/stories/<story_id>",
    summary="Get a story",
    responses=route_responses(200, "The story", StoryOut, 401, 404, 422),
    tags=["Projects"],
)
@permits(Action.BROWSE)
def get_story(story_id: StoryId) -> StoryOut:
    return _story(services().projects.node(current_caller(), "story", story_id)[1])


@router.patch(
    "/stories/<story_id>",
    summary="Edit or move a story",
    description="`position` moves it among the project's stories (0 first).",
    responses=route_responses(200, "The story", StoryOut, 401, 403, 404, 409, 422),
    tags=["Projects"],
)
@permits(Action.EDIT_HIERARCHY)
def update_story(story_id: StoryId, body: StoryPatch) -> StoryOut:
    return _story(services().projects.update_node(current_caller(), "story", story_id, fields_of(body), body.position))


@router.delete(
    "/stories/<story_id>",
    summary="Delete a story",
    description=_DELETE,
    responses=route_responses(204, "Deleted", None, 401, 403, 404, 409, 422),
    tags=["Projects"],
)
@permits(Action.EDIT_HIERARCHY)
def delete_story(story_id: StoryId, force: Force = False) -> Response[None]:
    services().projects.delete_node(current_caller(), "story", story_id, force=force)
    return Response(status_code=204)


# --- scenes ------------------------------------------------------------------------------------------


@router.post(
    "/stories/<story_id>/scenes",
    summary="Add a scene",
    responses=route_responses(201, "The scene", SceneOut, 401, 403, 404, 409, 422),
    tags=["Projects"],
)
@permits(Action.EDIT_HIERARCHY)
def create_scene(story_id: StoryId, body: SceneIn) -> Response[SceneOut]:
    node = services().projects.create_node(current_caller(), "story", story_id, fields_of(body), body.position)
    return created(_scene(node), f"/scenes/{node.node_id}")


@router.get(
    "/stories/<story_id>/scenes",
    summary="List a story's scenes, in order",
    responses=route_responses(200, "Scenes", SceneList, 401, 404, 422),
    tags=["Projects"],
)
@permits(Action.BROWSE)
def list_scenes(story_id: StoryId) -> SceneList:
    return SceneList(items=[_scene(n) for n in services().projects.children(current_caller(), "story", story_id)])


@router.get(
    "/scenes/<scene_id>",
    summary="Get a scene",
    responses=route_responses(200, "The scene", SceneOut, 401, 404, 422),
    tags=["Projects"],
)
@permits(Action.BROWSE)
def get_scene(scene_id: SceneId) -> SceneOut:
    return _scene(services().projects.node(current_caller(), "scene", scene_id)[1])


@router.patch(
    "/scenes/<scene_id>",
    summary="Edit or move a scene",
    description="`position` moves it among the story's scenes (0 first).",
    responses=route_responses(200, "The scene", SceneOut, 401, 403, 404, 409, 422),
    tags=["Projects"],
)
@permits(Action.EDIT_HIERARCHY)
def update_scene(scene_id: SceneId, body: ScenePatch) -> SceneOut:
    return _scene(services().projects.update_node(current_caller(), "scene", scene_id, fields_of(body), body.position))


@router.delete(
    "/scenes/<scene_id>",
    summary="Delete a scene",
    description=_DELETE,
    responses=route_responses(204, "Deleted", None, 401, 403, 404, 409, 422),
    tags=["Projects"],
)
@permits(Action.EDIT_HIERARCHY)
def delete_scene(scene_id: SceneId, force: Force = False) -> Response[None]:
    services().projects.delete_node(current_caller(), "scene", scene_id, force=force)
    return Response(status_code=204)


# --- shots -------------------------------------------------------------------------------------------


@router.post(
    "/scenes/<scene_id>/shots",
    summary="Add a shot",
    responses=route_responses(201, "The shot (empty)", ShotOut, 401, 403, 404, 409, 422),
    tags=["Projects"],
)
@permits(Action.EDIT_HIERARCHY)
def create_shot(scene_id: SceneId, body: ShotIn) -> Response[ShotOut]:
    node = services().projects.create_node(current_caller(), "scene", scene_id, fields_of(body), body.position)
    return created(_shot(node), f"/shots/{node.node_id}")


@router.get(
    "/scenes/<scene_id>/shots",
    summary="List a scene's shots, in order",
    responses=route_responses(200, "Shots", ShotList, 401, 404, 422),
    tags=["Projects"],
)
@permits(Action.BROWSE)
def list_shots(scene_id: SceneId) -> ShotList:
    return ShotList(items=[_shot(n) for n in services().projects.children(current_caller(), "scene", scene_id)])


@router.get(
    "/shots/<shot_id>",
    summary="Get a shot",
    responses=route_responses(200, "The shot, with its status history", ShotOut, 401, 404, 422),
    tags=["Projects"],
)
@permits(Action.BROWSE)
def get_shot(shot_id: ShotId) -> ShotOut:
    return _shot(services().projects.node(current_caller(), "shot", shot_id)[1])


@router.patch(
    "/shots/<shot_id>",
    summary="Edit or move a shot",
    description="`position` moves it among the scene's shots (0 first). A ready shot answers 409.",
    responses=route_responses(200, "The shot", ShotOut, 401, 403, 404, 409, 422),
    tags=["Projects"],
)
@permits(Action.EDIT_HIERARCHY)
def update_shot(shot_id: ShotId, body: ShotPatch) -> ShotOut:
    return _shot(services().projects.update_node(current_caller(), "shot", shot_id, fields_of(body), body.position))


@router.delete(
    "/shots/<shot_id>",
    summary="Delete a shot",
    description="Its assets are never deleted: they stay in the project, unattached. A ready shot answers 409.",
    responses=route_responses(204, "Deleted", None, 401, 403, 404, 409, 422),
    tags=["Projects"],
)
@permits(Action.EDIT_HIERARCHY)
def delete_shot(shot_id: ShotId, force: Force = False) -> Response[None]:
    services().projects.delete_node(current_caller(), "shot", shot_id, force=force)
    return Response(status_code=204)


# --- a shot's assets ---------------------------------------------------------------------------------


@router.get(
    "/shots/<shot_id>/assets",
    summary="List a shot's assets",
    responses=route_responses(200, "The attached assets, oldest first", ShotAssetList, 401, 404, 422),
    tags=["Projects"],
)
@permits(Action.BROWSE)
def list_shot_assets(shot_id: ShotId) -> ShotAssetList:
    assets = services().projects.shot_assets(current_caller(), shot_id)
    return ShotAssetList(items=[AssetSummary(**summary_fields(a)) for a in assets])


@router.put(
    "/shots/<shot_id>/assets/<asset_id>",
    summary="Attach an asset to a shot",
    description="The asset must be of the shot's project (or of none yet: it joins it); an asset of another project "
    "answers 422. The first asset makes an empty shot `wip`. A ready shot answers 409.",
    responses=route_responses(200, "The shot", ShotOut, 401, 403, 404, 409, 422),
    tags=["Projects"],
)
@permits(Action.EDIT_HIERARCHY)
def attach_shot_asset(shot_id: ShotId, asset_id: AssetId) -> ShotOut:
    return ShotOut.of(services().projects.attach(current_caller(), shot_id, asset_id))


@router.delete(
    "/shots/<shot_id>/assets/<asset_id>",
    summary="Detach an asset from a shot",
    description="The asset stays in the project. The last one out makes the shot `empty`. A ready shot answers 409.",
    responses=route_responses(200, "The shot", ShotOut, 401, 403, 404, 409, 422),
    tags=["Projects"],
)
@permits(Action.EDIT_HIERARCHY)
def detach_shot_asset(shot_id: ShotId, asset_id: AssetId) -> ShotOut:
    return ShotOut.of(services().projects.detach(current_caller(), shot_id, asset_id))


# --- a shot's status ---------------------------------------------------------------------------------


@router.post(
    "/shots/<shot_id>/submit",
    summary="Submit a shot for review",
    description="wip → review; anything else answers 409 with the reason.",
    responses=route_responses(200, "The shot", ShotOut, 401, 403, 404, 409, 422),
    tags=["Projects"],
)
@permits(Action.SUBMIT_SHOT)
def submit_shot(shot_id: ShotId, body: ShotNote | None = None) -> ShotOut:
    note = body.note if body else None
    return ShotOut.of(services().projects.move_shot(current_caller(), shot_id, ShotAction.SUBMIT, note))


@router.post(
    "/shots/<shot_id>/approve",
    summary="Approve a shot (ready, locked)",
    description="review → ready. Every attached asset needs an approved version (409 names those without). A "
    "ready shot is locked: its assets and their versions answer 409 until a lead reopens it.",
    responses=route_responses(200, "The shot", ShotOut, 401, 403, 404, 409, 422),
    tags=["Projects"],
)
@permits(Action.REVIEW_SHOT)
def approve_shot(shot_id: ShotId, body: ShotNote | None = None) -> ShotOut:
    note = body.note if body else None
    return ShotOut.of(services().projects.move_shot(current_caller(), shot_id, ShotAction.APPROVE, note))


@router.post(
    "/shots/<shot_id>/send-back",
    summary="Send a shot back (with a note)",
    description="review → wip, with what to change.",
    responses=route_responses(200, "The shot", ShotOut, 401, 403, 404, 409, 422),
    tags=["Projects"],
)
@permits(Action.REVIEW_SHOT)
def send_back_shot(shot_id: ShotId, body: SendBackNote) -> ShotOut:
    return ShotOut.of(services().projects.move_shot(current_caller(), shot_id, ShotAction.SEND_BACK, body.note))


@router.post(
    "/shots/<shot_id>/reopen",
    summary="Reopen a ready shot",
    description="ready → wip: its assets can change again.",
    responses=route_responses(200, "The shot", ShotOut, 401, 403, 404, 409, 422),
    tags=["Projects"],
)
@permits(Action.REOPEN_SHOT)
def reopen_shot(shot_id: ShotId, body: ShotNote | None = None) -> ShotOut:
    note = body.note if body else None
    return ShotOut.of(services().projects.move_shot(current_caller(), shot_id, ShotAction.REOPEN, note))
