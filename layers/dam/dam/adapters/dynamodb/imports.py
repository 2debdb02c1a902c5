"""Bulk imports in the library table: pk `{ws}#import#{id}`, sk `#import`; gsi2 `{ws}#imports#{creator}` /
`{created}#{id}`, so a caller's recent imports read newest first with one Query. `body` holds the
import's fields (its items among them) as JSON; `status` is its own attribute for conditional moves."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import PutError, UpdateError

from dam.adapters.dynamodb.assets import _error_code
from dam.adapters.dynamodb.models import LibraryRecord
from dam.domain.assets import utcnow
from dam.domain.errors import Conflict
from dam.domain.imports import BulkImport, ImportStatus


class ImportRecord(LibraryRecord, discriminator="import"):
    status = UnicodeAttribute()
    body = UnicodeAttribute()
    record_version = VersionAttribute()


def _pk(workspace_id: str, import_id: str) -> str:
    return f"{workspace_id}#import#{import_id}"


_SK = "#import"


def _to_record(bulk: BulkImport) -> ImportRecord:
    record = ImportRecord(
        pk=_pk(bulk.workspace_id, bulk.import_id),
        sk=_SK,
        workspace_id=bulk.workspace_id,
        gsi2pk=f"{bulk.workspace_id}#imports#{bulk.creator_id}",
        gsi2sk=f"{bulk.created_at.isoformat()}#{bulk.import_id}",
        status=bulk.status.value,
        body=bulk.model_dump_json(exclude={"version"}),
    )
    if bulk.version:
        record.record_version = bulk.version
    return record


def _to_import(record: ImportRecord) -> BulkImport:
    bulk = BulkImport.model_validate_json(record.body)
    return bulk.model_copy(update={"status": ImportStatus(record.status), "version": record.record_version})


class ImportRepository:
    def create(self, bulk: BulkImport) -> BulkImport:
        record = _to_record(bulk)
        try:
            record.save(condition=LibraryRecord.pk.does_not_exist())
        except PutError as error:
            if _error_code(error) == "ConditionalCheckFailedException":
                raise Conflict(f"import {bulk.import_id} exists already") from error
            raise
        return _to_import(record)

    def get(self, workspace_id: str, import_id: str) -> BulkImport | None:
        try:
            return _to_import(ImportRecord.get(_pk(workspace_id, import_id), _SK, consistent_read=True))
        except ImportRecord.DoesNotExist:
            return None

    def save(self, bulk: BulkImport) -> BulkImport:
        """Save at the version read: a concurrent change is a Conflict."""
        record = _to_record(bulk)
        try:
            record.save()
        except PutError as error:
            if _error_code(error) == "ConditionalCheckFailedException":
                raise Conflict(f"import {bulk.import_id} was changed meanwhile") from error
            raise
        return _to_import(record)

    def move(self, workspace_id: str, import_id: str, source: ImportStatus, target: ImportStatus) -> bool:
        """Move the import from `source` to `target` only if it is still in `source` (one wins a replay)."""
        try:
            record = ImportRecord.get(_pk(workspace_id, import_id), _SK, consistent_read=True)
        except ImportRecord.DoesNotExist:
            return False
        if record.status != source.value:
            return False
        moved = _to_import(record).model_copy(update={"status": target, "updated_at": utcnow()})  # the claim's time
        try:
            # PynamoDB adds the condition on the version read (and bumps it): with the status, one caller wins.
            record.update(
                actions=[
                    ImportRecord.status.set(target.value),
                    ImportRecord.body.set(moved.model_dump_json(exclude={"version"})),
                ],
                condition=ImportRecord.status == source.value,
            )
        except UpdateError as error:
            if _error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def recent(self, workspace_id: str, creator_id: str, limit: int) -> list[BulkImport]:
        query = ImportRecord.gsi2.query(
            f"{workspace_id}#imports#{creator_id}", scan_index_forward=False, limit=limit, page_size=limit
        )
        return [_to_import(record) for record in query if isinstance(record, ImportRecord)]
