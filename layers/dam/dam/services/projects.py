"""Project use cases: projects and their stage, the story/scene/shot hierarchy, shots' assets and status."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from dam.domain.assets import Asset, asset_visible_to, utcnow
from dam.domain.errors import Conflict, InvalidInput, NotFound
from dam.domain.identity import Caller
from dam.domain.permissions import own_client, require_own
from dam.domain.projects import (
    CHILD_KIND,
    AnyNode,
    Project,
    Scene,
    Shot,
    ShotAction,
    Stage,
    StageChange,
    Story,
    check_approvable,
    check_editable,
    check_unlocked,
    descendants,
    describe_removal,
    moved,
    new_project_id,
    next_position,
    normalized_reference,
    ordered,
    repositioned,
    staged,
    with_asset_count,
)
from dam.domain.versions import pointers

if TYPE_CHECKING:
    from dam.adapters.dynamodb.projects import ProjectRepository, ProjectTree
    from dam.services.assets import AssetService, NewUpload, StartedUpload
    from dam.services.ports import AssetStore, VersionStore

_NODE_TYPES: dict[str, type[Story] | type[Scene] | type[Shot]] = {"story": Story, "scene": Scene, "shot": Shot}
_ATTEMPTS = 3


@dataclass(frozen=True)
class ProjectChanges:
    name: str | None = None
    description: str | None = None
    stage: Stage | None = None


class ProjectService:
    def __init__(
        self, projects: ProjectRepository, assets: AssetService, asset_store: AssetStore, versions: VersionStore
    ) -> None:
        self._projects = projects
        self._assets = assets
        self._asset_store = asset_store
        self._versions = versions

    # --- projects ----------------------------------------------------------------------------------

    def create_project(
        self, caller: Caller, name: str, description: str, reference: str, client_id: str | None
    ) -> Project:
        now = utcnow()
        project = Project(
            project_id=new_project_id(),
            workspace_id=caller.workspace_id,
            name=name,
            description=description,
            reference=normalized_reference(reference),
            client_id=own_client(caller, client_id),
            stage_history=[StageChange(by=caller.user_id, at=now, from_stage=None, to_stage=Stage.DEVELOPMENT)],
            created_by=caller.user_id,
            created_at=now,
            updated_at=now,
        )
        return self._projects.create_project(project)

    def project(self, caller: Caller, project_id: str) -> Project:
        project = self._projects.get_project(caller.workspace_id, project_id)
        if project is None or not caller.sees_client(project.client_id):
            raise NotFound(f"project {project_id} not found")
        return project

    def projects(self, caller: Caller) -> list[Project]:
        return [p for p in self._projects.list_projects(caller.workspace_id) if caller.sees_client(p.client_id)]

    def update_project(self, caller: Caller, project_id: str, changes: ProjectChanges) -> Project:
        project = self._project_to_change(caller, project_id)
        if changes.stage in (None, Stage.COMPLETE) and (changes.name is not None or changes.description is not None):
            check_editable(project)  # a complete project's name and description wait until it is reopened
        now = utcnow()
        updated = staged(project, changes.stage, caller.user_id, now) if changes.stage else project
        fields = {k: v for k, v in (("name", changes.name), ("description", changes.description)) if v is not None}
        updated = updated.model_copy(update={**fields, "updated_at": now})
        return self._projects.save_project(updated)

    def delete_project(self, caller: Caller, project_id: str, *, force: bool) -> None:
        """Assets made in it stay (in no project); its hierarchy goes, only with `force` if it has any."""
        project = self._project_to_change(caller, project_id)
        check_editable(project)
        tree = self._tree(project)
        asset_ids = self._projects.project_asset_ids(project.workspace_id, project.project_id)
        concepts = self._projects.concept_count(project.workspace_id, project.project_id)
        if (tree.nodes or asset_ids or concepts) and not force:
            what = f"project {project.reference}"
            if tree.nodes:
                message = describe_removal(what, tree.nodes, len(tree.attachments))
            else:
                message = f"{what} is not empty. Delete with ?force=true to remove it anyway"
            if concepts:
                message += f"; its {concepts} concept(s) go with it"
            if asset_ids:
                message += f" ({len(asset_ids)} asset(s) made in it stay, in no project)"
            raise Conflict(message)
        self._projects.delete_project(tree, asset_ids)

    def tree(self, caller: Caller, project_id: str) -> ProjectTree:
        """The whole hierarchy in one Query (a project's records share its partition)."""
        tree = self._projects.tree(caller.workspace_id, project_id)
        if tree is None or not caller.sees_client(tree.project.client_id):
            raise NotFound(f"project {project_id} not found")
        return tree

    # --- stories, scenes, shots --------------------------------------------------------------------

    def node(self, caller: Caller, kind: str, node_id: str) -> tuple[Project, AnyNode]:
        found = self._projects.find_node(caller.workspace_id, node_id)
        if found is None or found.kind != kind:
            raise NotFound(f"{kind} {node_id} not found")
        project = self.project(caller, found.project_id)
        current = self._projects.get_node(caller.workspace_id, project.project_id, kind, node_id)
        if current is None:
            raise NotFound(f"{kind} {node_id} not found")
        return project, current

    def children(self, caller: Caller, parent_kind: str, parent_id: str) -> list[AnyNode]:
        project = self._parent_project(caller, parent_kind, parent_id)
        return ordered([n for n in self._tree(project).nodes if n.parent_id == parent_id])

    def create_node(
        self, caller: Caller, parent_kind: str, parent_id: str, fields: dict[str, Any], position: int | None
    ) -> AnyNode:
        project = self._parent_project(caller, parent_kind, parent_id)
        self._check_changeable(caller, project)
        kind = CHILD_KIND[parent_kind]
        assert kind is not None
        siblings = [n for n in self._tree(project).nodes if n.parent_id == parent_id]
        now = utcnow()
        node = _NODE_TYPES[kind].model_validate(
            {
                **fields,
                "node_id": new_project_id(),
                "project_id": project.project_id,
                "workspace_id": project.workspace_id,
                "parent_id": parent_id,
                "position": next_position(siblings),
                "created_by": caller.user_id,
                "created_at": now,
                "updated_at": now,
            }
        )
        created = self._projects.create_node(node, parent_kind)
        if position is not None and position < created.position:
            return self._reposition(caller, created, position)
        return created

    def update_node(
        self, caller: Caller, kind: str, node_id: str, fields: dict[str, Any], position: int | None
    ) -> AnyNode:
        project, node = self.node(caller, kind, node_id)
        self._check_changeable(caller, project)
        if isinstance(node, Shot):
            check_unlocked(node)
        if fields:
            node = self._projects.save_nodes([node.model_copy(update={**fields, "updated_at": utcnow()})])[0]
        if position is not None and position != node.position:
            node = self._reposition(caller, node, position)
        return node

    def delete_node(self, caller: Caller, kind: str, node_id: str, *, force: bool) -> None:
        """With children, only with `force` (the 409 lists them); attached assets stay in the project."""
        project, node = self.node(caller, kind, node_id)
        self._check_changeable(caller, project)
        tree = self._tree(project)
        below = descendants(node_id, tree.nodes)
        shots = {n.node_id for n in [node, *below] if isinstance(n, Shot)}
        if any(isinstance(n, Shot) and n.status.value == "ready" for n in [node, *below]):
            raise Conflict(f"{kind} {node.title!r} holds a ready (locked) shot; a lead reopens it first")
        if below and not force:
            attached = sum(1 for shot, _ in tree.attachments if shot in shots)
            raise Conflict(describe_removal(f"{kind} {node.title!r}", below, attached))
        attachments = [(shot, asset) for shot, asset in tree.attachments if shot in shots]
        self._projects.delete_nodes(project.workspace_id, project.project_id, [node, *below], attachments)

    # --- a shot's assets and status ----------------------------------------------------------------

    def shot_assets(self, caller: Caller, shot_id: str) -> list[Asset]:
        _, shot = self._shot(caller, shot_id)
        found = self._asset_store.get_many(self._projects.shot_asset_ids(shot))
        return sorted((a for a in found.values() if asset_visible_to(caller, a)), key=lambda a: a.created_at)

    def attach(self, caller: Caller, shot_id: str, asset_id: str) -> Shot:
        project, shot = self._shot(caller, shot_id)
        self._check_changeable(caller, project)
        asset = self._assets.get_to_change(caller, asset_id)
        if asset.shot_id == shot_id:
            return shot
        if asset.project_id is not None and asset.project_id != project.project_id:
            raise InvalidInput(
                f"asset {asset_id} belongs to another project; assets stay in the project they were made in",
                field="asset_id",
            )
        if asset.shot_id is not None:
            raise Conflict(f"asset {asset_id} is attached to shot {asset.shot_id}; detach it there first")
        if project.client_id is not None and asset.client_id not in (None, project.client_id):
            raise InvalidInput(f"asset {asset_id} belongs to another client than the project", field="asset_id")
        changed = with_asset_count(shot, shot.asset_count + 1, caller.user_id, utcnow())
        return self._projects.attach(changed, asset, caller.user_id)

    def detach(self, caller: Caller, shot_id: str, asset_id: str) -> Shot:
        project, shot = self._shot(caller, shot_id)
        self._check_changeable(caller, project)
        if asset_id not in self._projects.shot_asset_ids(shot):
            raise NotFound(f"asset {asset_id} is not attached to this shot")
        changed = with_asset_count(shot, max(shot.asset_count - 1, 0), caller.user_id, utcnow())
        return self._projects.detach(changed, asset_id)

    def move_shot(self, caller: Caller, shot_id: str, action: ShotAction, note: str | None) -> Shot:
        """Submit, approve, send back or reopen; approving and reopening lock and unlock the shot's assets."""
        for _attempt in range(_ATTEMPTS):
            project, shot = self._shot(caller, shot_id)
            self._check_changeable(caller, project)
            changed = moved(shot, action, caller.user_id, utcnow(), note)
            asset_ids = self._projects.shot_asset_ids(shot)
            if action is ShotAction.APPROVE:
                approved = {
                    asset_id: pointers(self._versions.list(caller.workspace_id, asset_id), 1).approved
                    for asset_id in asset_ids
                }
                check_approvable(shot, approved)
            try:
                saved = self._projects.save_nodes([changed])[0]
            except Conflict:
                continue
            if action in (ShotAction.APPROVE, ShotAction.REOPEN):
                self._projects.set_locked(asset_ids, action is ShotAction.APPROVE)
            assert isinstance(saved, Shot)
            return saved
        raise Conflict("the shot kept changing; try again")

    # --- uploads into a project --------------------------------------------------------------------

    def start_upload(self, caller: Caller, upload: NewUpload, project_id: str, shot_id: str | None) -> StartedUpload:
        """A new asset of the project (its client's, if the project is a client's), attached to `shot_id`."""
        project = self._projects.get_project(caller.workspace_id, project_id)
        if project is None or not caller.sees_client(project.client_id):
            raise InvalidInput(f"project {project_id} not found", field="project_id")
        self._check_changeable(caller, project)
        if upload.client_id and project.client_id and upload.client_id != project.client_id:
            raise InvalidInput("the project belongs to another client", field="client_id")
        shot: Shot | None = None
        if shot_id is not None:
            found = self._projects.find_node(caller.workspace_id, shot_id)
            if not isinstance(found, Shot) or found.project_id != project_id:
                raise InvalidInput(f"shot {shot_id} is not a shot of project {project_id}", field="shot_id")
            _, shot = self._shot(caller, shot_id)
            check_unlocked(shot)
        placed = replace(upload, client_id=upload.client_id or project.client_id, project_id=project_id)
        started = self._assets.start_upload(caller, placed)
        if started.replayed:
            return started  # attached (or not) by the request it repeats
        if shot is not None:
            self._projects.attach(
                with_asset_count(shot, shot.asset_count + 1, caller.user_id, utcnow()), started.asset, caller.user_id
            )
            return replace(started, asset=started.asset.model_copy(update={"shot_id": shot.node_id}))
        return started

    # --- helpers -------------------------------------------------------------------------------------

    def _shot(self, caller: Caller, shot_id: str) -> tuple[Project, Shot]:
        project, shot = self.node(caller, "shot", shot_id)
        assert isinstance(shot, Shot)
        return project, shot

    def _tree(self, project: Project) -> ProjectTree:
        tree = self._projects.tree(project.workspace_id, project.project_id)
        if tree is None:
            raise NotFound(f"project {project.project_id} not found")
        return tree

    def _project_to_change(self, caller: Caller, project_id: str) -> Project:
        project = self.project(caller, project_id)
        require_own(caller, project.client_id, "this project")
        return project

    def _check_changeable(self, caller: Caller, project: Project) -> None:
        require_own(caller, project.client_id, "this project")
        check_editable(project)

    def _parent_project(self, caller: Caller, parent_kind: str, parent_id: str) -> Project:
        if parent_kind == "project":
            return self.project(caller, parent_id)
        return self.node(caller, parent_kind, parent_id)[0]

    def _reposition(self, caller: Caller, node: AnyNode, position: int) -> AnyNode:
        project = self.project(caller, node.project_id)
        siblings = [n for n in self._tree(project).nodes if n.parent_id == node.parent_id]
        saved = self._projects.save_nodes(repositioned(siblings, node.node_id, position))
        return next((n for n in saved if n.node_id == node.node_id), node)
