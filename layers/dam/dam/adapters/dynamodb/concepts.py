"""The concept repository: a project's briefs, scripts and notes, and the versions each save kept.

Concepts live in their project's partition, after the hierarchy (sk `~concept#{id}`, versions
`~concept-version#{id}#{n}`), so the tree's Query (`sk < "~"`) never reads their text and deleting the
project finds them with one keys-only Query. A locator (pk `{ws}#concept#{id}`) says which project holds a
concept: a GetItem, so the text is never copied into an index. A save writes the concept (conditioned on the
version it was read at) and the version it replaced in one transaction: of two saves from one read, one wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pynamodb.exceptions import TransactWriteError

from dam.adapters.dynamodb.assets import _plain
from dam.adapters.dynamodb.library import _batch_delete, _get, _transaction
from dam.adapters.dynamodb.models import ConceptLocatorRecord, ConceptRecord, ConceptVersionRecord, LibraryRecord
from dam.domain.concepts import Concept, ConceptVersion
from dam.domain.errors import Conflict, NotFound

CONCEPTS = "~"  # every concept key of a project's partition starts so: after "#project", "attach#", "shot#"…
_CONCEPT = "~concept#"
_VERSION = "~concept-version#"
_LOCATOR_SK = "#concept"
_KEYS = ["pk", "sk", "type"]  # a keys-only read (the type too: the table's records are told apart by it)


def _project_pk(workspace_id: str, project_id: str) -> str:
    return f"{workspace_id}#project#{project_id}"


def _locator_pk(workspace_id: str, concept_id: str) -> str:
    return f"{workspace_id}#concept#{concept_id}"


def _version_sk(concept_id: str, number: int | None = None) -> str:
    return f"{_VERSION}{concept_id}#" + (f"{number:06d}" if number is not None else "")


class ConceptRepository:
    def get(self, workspace_id: str, concept_id: str) -> Concept | None:
        locator = _get(ConceptLocatorRecord, _locator_pk(workspace_id, concept_id), _LOCATOR_SK)
        if locator is None:
            return None
        record = _get(ConceptRecord, _project_pk(workspace_id, locator.project_id), f"{_CONCEPT}{concept_id}")
        return _to_concept(record) if record is not None else None

    def in_project(self, workspace_id: str, project_id: str, limit: int) -> tuple[list[Concept], bool]:
        """The project's concepts with their text (a search reads it), at most `limit`, and whether there were
        more: a bounded read, `limit` × 200 KB at worst."""
        records = ConceptRecord.query(
            _project_pk(workspace_id, project_id),
            LibraryRecord.sk.startswith(_CONCEPT),
            consistent_read=True,
            limit=limit + 1,
        )
        found = [_to_concept(r) for r in records]
        return found[:limit], len(found) > limit

    def create(self, concept: Concept) -> Concept:
        """The concept and its locator, only while the project is there (a delete can't orphan it)."""
        ws, pk = concept.workspace_id, _project_pk(concept.workspace_id, concept.project_id)
        locator = ConceptLocatorRecord(
            _locator_pk(ws, concept.concept_id),
            _LOCATOR_SK,
            workspace_id=ws,
            project_id=concept.project_id,
            concept_id=concept.concept_id,
        )
        try:
            with _transaction() as transaction:
                transaction.condition_check(LibraryRecord, pk, "#project", condition=LibraryRecord.pk.exists())
                transaction.save(locator, condition=LibraryRecord.pk.does_not_exist())
                transaction.save(_concept_record(concept, previous=None))
        except TransactWriteError as error:
            reasons = error.cancellation_reasons or []
            if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
                raise NotFound(f"project {concept.project_id} not found") from error
            raise
        return concept

    def save(self, concept: Concept, kept: ConceptVersion) -> Concept:
        """The concept at its new version and the version it replaced; Conflict if someone saved meanwhile."""
        record = _concept_record(concept, previous=kept.number)
        version = ConceptVersionRecord(
            record.pk,
            _version_sk(kept.concept_id, kept.number),
            workspace_id=concept.workspace_id,
            project_id=concept.project_id,
            concept_id=kept.concept_id,
            number=kept.number,
            body=kept.model_dump(mode="json", exclude={"concept_id", "number", "text"}),
            text=kept.text,
        )
        try:
            with _transaction() as transaction:
                transaction.save(record, condition=LibraryRecord.pk.exists())
                transaction.save(version, condition=LibraryRecord.pk.does_not_exist())
        except TransactWriteError as error:
            if error.cause_response_code == "TransactionCanceledException":
                raise Conflict(
                    f"concept {concept.title!r} was saved by someone else meanwhile; read it again"
                ) from error
            raise
        return concept

    def versions(self, concept: Concept, limit: int) -> tuple[list[ConceptVersion], bool]:
        """The kept versions, newest first, without their text; at most `limit` (and whether there were more)."""
        records = ConceptVersionRecord.query(
            _project_pk(concept.workspace_id, concept.project_id),
            LibraryRecord.sk.startswith(_version_sk(concept.concept_id)),
            scan_index_forward=False,
            limit=limit + 1,
            attributes_to_get=["type", "concept_id", "number", "body"],
        )
        found = [_to_version(r) for r in records]
        return found[:limit], len(found) > limit

    def version(self, concept: Concept, number: int) -> ConceptVersion | None:
        pk = _project_pk(concept.workspace_id, concept.project_id)
        record = _get(ConceptVersionRecord, pk, _version_sk(concept.concept_id, number))
        return _to_version(record) if record is not None else None

    def delete(self, concept: Concept) -> None:
        """The concept, every version it kept, then its locator (a retry after a failure finishes the job)."""
        pk = _project_pk(concept.workspace_id, concept.project_id)
        kept = LibraryRecord.query(
            pk, LibraryRecord.sk.startswith(_version_sk(concept.concept_id)), attributes_to_get=_KEYS
        )
        _batch_delete([*(LibraryRecord(pk, r.sk) for r in kept), LibraryRecord(pk, f"{_CONCEPT}{concept.concept_id}")])
        LibraryRecord(_locator_pk(concept.workspace_id, concept.concept_id), _LOCATOR_SK).delete()

    def count(self, workspace_id: str, project_id: str) -> int:
        return sum(1 for _ in self._keys(workspace_id, project_id, _CONCEPT))

    def delete_all(self, workspace_id: str, project_id: str) -> None:
        """Every concept of a project, its versions and its locator (deleting the project)."""
        pk = _project_pk(workspace_id, project_id)
        keys = list(self._keys(workspace_id, project_id, CONCEPTS))
        locators = [_locator_pk(workspace_id, sk.removeprefix(_CONCEPT)) for sk in keys if sk.startswith(_CONCEPT)]
        _batch_delete([*(LibraryRecord(pk, sk) for sk in keys), *(LibraryRecord(p, _LOCATOR_SK) for p in locators)])

    def _keys(self, workspace_id: str, project_id: str, prefix: str) -> Iterable[str]:
        pk = _project_pk(workspace_id, project_id)
        for record in LibraryRecord.query(pk, LibraryRecord.sk.startswith(prefix), attributes_to_get=_KEYS):
            yield record.sk


# --- mapping ---------------------------------------------------------------------------------------


def _concept_record(concept: Concept, previous: int | None) -> ConceptRecord:
    ws = concept.workspace_id
    record = ConceptRecord(
        _project_pk(ws, concept.project_id),
        f"{_CONCEPT}{concept.concept_id}",
        workspace_id=ws,
        project_id=concept.project_id,
        concept_id=concept.concept_id,
        body=concept.model_dump(mode="json", exclude={"workspace_id", "project_id", "concept_id", "version", "text"}),
        text=concept.text,
    )
    if previous is not None:
        record.record_version = previous  # the save is conditioned on it and writes previous + 1
    return record


def _to_concept(record: ConceptRecord) -> Concept:
    fields: dict[str, Any] = {
        **_plain(record.body),
        "workspace_id": record.workspace_id,
        "project_id": record.project_id,
        "concept_id": record.concept_id,
        "text": record.text or "",
        "version": record.record_version or 1,
    }
    return Concept.model_validate(fields)


def _to_version(record: ConceptVersionRecord) -> ConceptVersion:
    return ConceptVersion.model_validate(
        {
            **_plain(record.body),
            "concept_id": record.concept_id,
            "number": int(record.number),
            "text": record.text or "",
        }
    )
