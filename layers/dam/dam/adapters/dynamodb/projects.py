"""The project repository: projects, their stories, scenes and shots, and shots' assets, in the library table.

Keys are described on `LibraryRecord`: every record of a project shares the project's partition, so the
tree is one Query; a node is found by id through gsi1. Attaching an asset writes the shot (versioned, so
counts never race), the attachment and the asset's `shot_id` in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from dam.adapters.dynamodb.assets import _error_code, _plain, _shelf
from dam.adapters.dynamodb.concepts import CONCEPTS, ConceptRepository
from dam.adapters.dynamodb.library import _asset_alive, _asset_handle, _asset_pk, _batch_delete, _get, _transaction
from dam.adapters.dynamodb.models import (
    AssetRecord,
    LibraryRecord,
    NameClaimRecord,
    ProjectNodeRecord,
    ProjectRecord,
    ShotAssetRecord,
)
from dam.domain.assets import Asset, utcnow
from dam.domain.errors import Conflict, NotFound
from dam.domain.projects import AnyNode, Project, Scene, Shot, Story

_PROJECT_SK = "#project"
_ATTACH = "attach#"
_NODE_TYPES: dict[str, type[Story] | type[Scene] | type[Shot]] = {"story": Story, "scene": Scene, "shot": Shot}
_TRANSACTION_ITEMS = 100  # DynamoDB's most in one TransactWriteItems


def _project_pk(workspace_id: str, project_id: str) -> str:
    return f"{workspace_id}#project#{project_id}"


def _node_gsi(workspace_id: str, node_id: str) -> str:
    return f"{workspace_id}#project-node#{node_id}"


def _attach_sk(shot_id: str, asset_id: str = "") -> str:
    return f"{_ATTACH}{shot_id}#{asset_id}"


@dataclass(frozen=True)
class ProjectTree:
    project: Project
    nodes: list[AnyNode]
    attachments: list[tuple[str, str]]  # (shot id, asset id)


class ProjectRepository:
    # --- projects ----------------------------------------------------------------------------------

    def get_project(self, workspace_id: str, project_id: str) -> Project | None:
        record = _get(ProjectRecord, _project_pk(workspace_id, project_id), _PROJECT_SK)
        return _to_project(record) if record is not None else None

    def create_project(self, project: Project) -> Project:
        """The project and the claim on its reference, in one transaction: of two creates of one, one wins."""
        record = _project_record(project)
        try:
            with _transaction() as transaction:
                transaction.save(_reference_claim(project), condition=LibraryRecord.pk.does_not_exist())
                transaction.save(record)
        except TransactWriteError as error:
            reasons = error.cancellation_reasons or []
            if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
                raise Conflict(f"a project with reference {project.reference} already exists") from error
            raise
        return project.model_copy(update={"version": record.record_version})

    def save_project(self, project: Project) -> Project:
        record = _project_record(project)
        try:
            record.save(condition=LibraryRecord.pk.exists())
        except PutError as error:
            if _error_code(error) == "ConditionalCheckFailedException":
                raise Conflict(f"project {project.project_id} was changed by someone else; read it again") from error
            raise
        return project.model_copy(update={"version": record.record_version})

    def list_projects(self, workspace_id: str) -> list[Project]:
        """Every project of the workspace, by name (one Query on gsi2; a studio has dozens, not thousands)."""
        return [_to_project(r) for r in ProjectRecord.gsi2.query(f"{workspace_id}#projects")]

    def tree(self, workspace_id: str, project_id: str) -> ProjectTree | None:
        """The project, every story, scene and shot, and every attachment: one (consistent) Query, which stops
        before the project's concepts (their text is not the tree's)."""
        project: Project | None = None
        nodes: list[AnyNode] = []
        attachments: list[tuple[str, str]] = []
        pk = _project_pk(workspace_id, project_id)
        for record in LibraryRecord.query(pk, LibraryRecord.sk < CONCEPTS, consistent_read=True):
            if isinstance(record, ProjectRecord):
                project = _to_project(record)
            elif isinstance(record, ProjectNodeRecord):
                nodes.append(_to_node(record))
            elif isinstance(record, ShotAssetRecord):
                attachments.append((record.shot_id, record.asset_id))
        return ProjectTree(project, nodes, attachments) if project is not None else None

    def delete_project(self, tree: ProjectTree, asset_ids: Iterable[str]) -> None:
        """The project, its hierarchy and its reference; its assets stay, in no project (never deleted)."""
        project = tree.project
        for asset_id in asset_ids:
            _release(asset_id, shot_only=False)
        pk = _project_pk(project.workspace_id, project.project_id)
        _batch_delete([LibraryRecord(pk, sk) for sk in _sort_keys(tree.nodes, tree.attachments)])
        ConceptRepository().delete_all(project.workspace_id, project.project_id)
        LibraryRecord(pk, _PROJECT_SK).delete()
        _reference_claim(project).delete(condition=NameClaimRecord.owner_id == project.project_id)

    def concept_count(self, workspace_id: str, project_id: str) -> int:
        return ConceptRepository().count(workspace_id, project_id)

    def project_asset_ids(self, workspace_id: str, project_id: str) -> list[str]:
        """Every asset made in the project, live, archived, in the trash or being deleted (one Query a shelf):
        a project's delete takes them all out of it, so a restored asset never comes back into a deleted one."""
        found: list[str] = []
        for shelf in ("live", "archived", "trash", "deleting"):
            partition = f"{workspace_id}#{shelf}#{project_id}"
            found += [r.asset_id for r in AssetRecord.by_project.query(partition, attributes_to_get=["asset_id"])]
        return found

    # --- stories, scenes, shots --------------------------------------------------------------------

    def find_node(self, workspace_id: str, node_id: str) -> AnyNode | None:
        record = next(iter(ProjectNodeRecord.gsi1.query(_node_gsi(workspace_id, node_id), limit=1)), None)
        return _to_node(record) if isinstance(record, ProjectNodeRecord) else None

    def get_node(self, workspace_id: str, project_id: str, kind: str, node_id: str) -> AnyNode | None:
        """The node read consistently from its project (after find_node told where it is)."""
        record = _get(ProjectNodeRecord, _project_pk(workspace_id, project_id), f"{kind}#{node_id}")
        return _to_node(record) if record is not None else None

    def create_node(self, node: AnyNode, parent_kind: str) -> AnyNode:
        """A new node, only while its parent is there (a delete can't orphan it)."""
        record = _node_record(node)
        pk = _project_pk(node.workspace_id, node.project_id)
        parent_sk = _PROJECT_SK if parent_kind == "project" else f"{parent_kind}#{node.parent_id}"
        try:
            with _transaction() as transaction:
                transaction.condition_check(LibraryRecord, pk, parent_sk, condition=LibraryRecord.pk.exists())
                transaction.save(record)
        except TransactWriteError as error:
            reasons = error.cancellation_reasons or []
            if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
                raise NotFound(f"{parent_kind} {node.parent_id} not found") from error
            raise
        return node.model_copy(update={"version": record.record_version})

    def save_nodes(self, nodes: Sequence[AnyNode]) -> list[AnyNode]:
        """Write nodes, each only if nobody changed it since it was read (a reorder writes several at once)."""
        records = [_node_record(n) for n in nodes]
        for start in range(0, len(records), _TRANSACTION_ITEMS):
            try:
                with _transaction() as transaction:
                    for record in records[start : start + _TRANSACTION_ITEMS]:
                        transaction.save(record, condition=LibraryRecord.pk.exists())
            except TransactWriteError as error:
                if error.cause_response_code == "TransactionCanceledException":
                    raise Conflict("changed by someone else meanwhile (or deleted); read it again") from error
                raise
        return [n.model_copy(update={"version": r.record_version}) for n, r in zip(nodes, records, strict=True)]

    def delete_nodes(
        self, workspace_id: str, project_id: str, nodes: Sequence[AnyNode], attachments: Sequence[tuple[str, str]]
    ) -> None:
        """The nodes and the attachments of their shots; the attached assets stay in the project, unattached."""
        for _shot_id, asset_id in attachments:
            _release(asset_id, shot_only=True)
        pk = _project_pk(workspace_id, project_id)
        _batch_delete([LibraryRecord(pk, sk) for sk in _sort_keys(nodes, attachments)])

    # --- a shot's assets ---------------------------------------------------------------------------

    def shot_asset_ids(self, shot: Shot) -> list[str]:
        records = ShotAssetRecord.query(
            _project_pk(shot.workspace_id, shot.project_id),
            LibraryRecord.sk.startswith(_attach_sk(shot.node_id)),
            consistent_read=True,
        )
        return [r.asset_id for r in records]

    def attach(self, shot: Shot, asset: Asset, user_id: str) -> Shot:
        """The asset into the shot (and into the shot's project, if it was in none): the shot's new count, the
        attachment and the asset in one transaction. The asset must be in no other project and no shot."""
        ws = shot.workspace_id
        link = ShotAssetRecord(
            _project_pk(ws, shot.project_id),
            _attach_sk(shot.node_id, asset.asset_id),
            workspace_id=ws,
            project_id=shot.project_id,
            shot_id=shot.node_id,
            asset_id=asset.asset_id,
            added_by=user_id,
            added_at=utcnow(),
            gsi1pk=_asset_pk(ws, asset.asset_id),
            gsi1sk=f"shot#{shot.node_id}",
        )
        free = AssetRecord.shot_id.does_not_exist() & (
            AssetRecord.project_id.does_not_exist() | (AssetRecord.project_id == shot.project_id)
        )
        # The project index's key is derived from the shelf read here, so the shelf must not have moved meanwhile.
        shelf = f"{ws}#{_shelf(asset)}"
        return self._write_shot(
            shot,
            lambda t: (
                t.save(link, condition=LibraryRecord.pk.does_not_exist()),
                t.update(
                    _asset_handle(asset.asset_id),
                    actions=[
                        AssetRecord.shot_id.set(shot.node_id),
                        AssetRecord.project_id.set(shot.project_id),
                        AssetRecord.project_key.set(f"{shelf}#{shot.project_id}"),
                    ],
                    condition=_asset_alive() & free & (AssetRecord.gallery_key == shelf),
                    add_version_condition=False,
                ),
            ),
        )

    def detach(self, shot: Shot, asset_id: str) -> Shot:
        pk = _project_pk(shot.workspace_id, shot.project_id)
        return self._write_shot(
            shot,
            lambda t: (
                t.delete(ShotAssetRecord(pk, _attach_sk(shot.node_id, asset_id)), condition=LibraryRecord.pk.exists()),
                t.update(
                    _asset_handle(asset_id),
                    actions=[AssetRecord.shot_id.remove()],
                    condition=AssetRecord.asset_id.exists(),
                    add_version_condition=False,
                ),
            ),
        )

    def set_locked(self, asset_ids: Iterable[str], locked: bool) -> None:
        """Mark (or unmark) the assets of a shot that became ready (or was reopened)."""
        for asset_id in asset_ids:
            action = AssetRecord.shot_locked.set(True) if locked else AssetRecord.shot_locked.remove()
            try:
                _asset_handle(asset_id).update(
                    actions=[action], condition=AssetRecord.asset_id.exists(), add_version_condition=False
                )
            except UpdateError as error:
                if _error_code(error) != "ConditionalCheckFailedException":
                    raise

    def _write_shot(self, shot: Shot, more: Any) -> Shot:
        record = _node_record(shot)
        try:
            with _transaction() as transaction:
                transaction.save(record, condition=LibraryRecord.pk.exists())
                more(transaction)
        except TransactWriteError as error:
            raise _attach_refused(error) from error
        return shot.model_copy(update={"version": record.record_version})


def _attach_refused(error: TransactWriteError) -> Exception:
    # Items go out as deletes, then puts, then updates: check the reasons by what they say.
    if error.cause_response_code != "TransactionCanceledException":
        return error
    failed = [r for r in error.cancellation_reasons or [] if r is not None and r.code == "ConditionalCheckFailed"]
    if not failed:
        return Conflict("changed by someone else meanwhile; try again")
    return Conflict("the shot, the asset or the attachment changed meanwhile (or is gone); read them again")


def _release(asset_id: str, *, shot_only: bool) -> None:
    actions: list[Action] = [AssetRecord.shot_id.remove(), AssetRecord.shot_locked.remove()]
    if not shot_only:
        actions += [AssetRecord.project_id.remove(), AssetRecord.project_key.remove()]
    try:
        _asset_handle(asset_id).update(
            actions=actions, condition=AssetRecord.asset_id.exists(), add_version_condition=False
        )
    except UpdateError as error:
        if _error_code(error) != "ConditionalCheckFailedException":
            raise


def _sort_keys(nodes: Sequence[AnyNode], attachments: Sequence[tuple[str, str]]) -> list[str]:
    return [f"{n.kind}#{n.node_id}" for n in nodes] + [_attach_sk(shot, asset) for shot, asset in attachments]


# --- mapping ---------------------------------------------------------------------------------------


def _reference_claim(project: Project) -> NameClaimRecord:
    ws = project.workspace_id
    return NameClaimRecord(
        f"{ws}#project-ref#{project.reference}", "#claim", workspace_id=ws, owner_id=project.project_id
    )


def _project_record(project: Project) -> ProjectRecord:
    ws = project.workspace_id
    record = ProjectRecord(
        _project_pk(ws, project.project_id),
        _PROJECT_SK,
        workspace_id=ws,
        project_id=project.project_id,
        body=project.model_dump(mode="json", exclude={"workspace_id", "project_id", "version"}),
        gsi2pk=f"{ws}#projects",
        gsi2sk=f"{project.name.casefold()}#{project.project_id}",
    )
    if project.version:
        record.record_version = project.version
    return record


def _to_project(record: ProjectRecord) -> Project:
    return Project.model_validate(
        {
            **_plain(record.body),
            "workspace_id": record.workspace_id,
            "project_id": record.project_id,
            "version": record.record_version or 0,
        }
    )


# SET arithmetic, not ADD: DynamoDB's ADD takes top-level attributes only (moto accepts nested ones).
_shot_count = ProjectNodeRecord.body["asset_count"]


def _shot_node(workspace_id: str, project_id: str, shot_id: str) -> ProjectNodeRecord:
    return ProjectNodeRecord(_project_pk(workspace_id, project_id), f"shot#{shot_id}")


def count_in_shot(transaction: TransactWrite, asset: Asset, delta: int) -> None:
    """Add `delta` to the count of the shot the asset is in (if any) inside `transaction` (a trash move or a
    restore). pynamodb bumps the version on every update, so a shot edit read before it retries instead of
    writing the old count back."""
    if asset.shot_id and asset.project_id:
        transaction.update(
            _shot_node(asset.workspace_id, asset.project_id, asset.shot_id),
            actions=[_shot_count.set(_shot_count + delta)],
            condition=LibraryRecord.pk.exists(),
            add_version_condition=False,
        )


def uncount_from_shot(workspace_id: str, project_id: str, shot_id: str) -> None:
    """One asset fewer in a shot whose attachment a permanent delete removed (a shot deleted meanwhile: nothing)."""
    try:
        _shot_node(workspace_id, project_id, shot_id).update(
            actions=[_shot_count.set(_shot_count - 1)],
            condition=LibraryRecord.pk.exists(),
            add_version_condition=False,
        )
    except UpdateError as error:
        if _error_code(error) != "ConditionalCheckFailedException":
            raise


def _node_record(node: AnyNode) -> ProjectNodeRecord:
    ws = node.workspace_id
    record = ProjectNodeRecord(
        _project_pk(ws, node.project_id),
        f"{node.kind}#{node.node_id}",
        workspace_id=ws,
        project_id=node.project_id,
        node_id=node.node_id,
        kind=node.kind,
        body=node.model_dump(mode="json", exclude={"workspace_id", "project_id", "node_id", "kind", "version"}),
        gsi1pk=_node_gsi(ws, node.node_id),
        gsi1sk=node.kind,
    )
    if node.version:
        record.record_version = node.version
    return record


def _to_node(record: ProjectNodeRecord) -> AnyNode:
    return _NODE_TYPES[record.kind].model_validate(
        {
            **_plain(record.body),
            "workspace_id": record.workspace_id,
            "project_id": record.project_id,
            "node_id": record.node_id,
            "version": record.record_version or 0,
        }
    )
