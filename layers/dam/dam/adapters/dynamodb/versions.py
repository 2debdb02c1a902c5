"""The version repository: version records in the library table, counters on the asset and the workspace.

Numbers are allocated by one UpdateItem on the asset (`version_counter = if_not_exists(…, 1) + 1`), which
DynamoDB applies atomically: two uploads at the same moment get two numbers, and a number is never given
out twice because the counter only grows (deleting a version leaves it as it is). The update bumps the
asset's version attribute, so a stale full save of the asset cannot put an older counter back.
"""

from __future__ import annotations

from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError

from dam.adapters.dynamodb.assets import _error_code, _pack_vector, _plain, _to_record, _unpack_vector
from dam.adapters.dynamodb.library import _asset_alive, _asset_handle, _asset_pk, _get, _transaction
from dam.adapters.dynamodb.models import AssetRecord, CounterRecord, VersionRecord
from dam.domain.assets import Asset
from dam.domain.errors import Conflict, NotFound
from dam.domain.versions import Version

_VERSION = "version#"
_ASSET_SEQUENCE = "asset_sequence"


def _version_sk(number: int) -> str:
    return f"{_VERSION}{number:06d}"


class VersionRepository:
    def get(self, workspace_id: str, asset_id: str, number: int) -> Version | None:
        record = _get(VersionRecord, _asset_pk(workspace_id, asset_id), _version_sk(number))
        return _to_version(record) if record is not None else None

    def list(self, workspace_id: str, asset_id: str) -> list[Version]:
        """Every version of the asset, newest first (one Query; an asset's versions are a few dozen)."""
        records = VersionRecord.query(
            _asset_pk(workspace_id, asset_id),
            VersionRecord.sk.startswith(_VERSION),
            consistent_read=True,
            scan_index_forward=False,
        )
        return [_to_version(r) for r in records]

    def create(self, version: Version) -> Version:
        record = _to_record_of(version)
        try:
            record.save()  # no record_version yet: conditional on the record not existing
        except PutError as error:
            if _error_code(error) == "ConditionalCheckFailedException":
                raise Conflict(f"version {version.number} already exists") from error
            raise
        return version.model_copy(update={"record_version": record.record_version})

    def save(self, version: Version) -> Version:
        record = _to_record_of(version)
        try:
            record.save()
        except PutError as error:
            if _error_code(error) == "ConditionalCheckFailedException":
                raise Conflict(f"version {version.number} was changed by someone else") from error
            raise
        return version.model_copy(update={"record_version": record.record_version})

    def delete(self, version: Version) -> None:
        """Only if nobody changed the version since it was read (a promote bumps it): else Conflict."""
        try:
            _to_record_of(version).delete()
        except DeleteError as error:
            if _error_code(error) == "ConditionalCheckFailedException":
                raise Conflict(f"version {version.number} changed meanwhile; try again") from error
            raise

    def allocate_number(self, asset_id: str) -> int:
        handle = _asset_handle(asset_id)
        counter = AssetRecord.version_counter
        try:
            handle.update(
                actions=[counter.set((counter | 1) + 1)], condition=_asset_alive(), add_version_condition=False
            )
        except UpdateError as error:
            if _error_code(error) == "ConditionalCheckFailedException":
                raise NotFound(f"asset {asset_id} not found") from error
            raise
        return int(handle.version_counter)

    def next_sequence(self, workspace_id: str) -> int:
        handle = CounterRecord(f"{workspace_id}#counters", _ASSET_SEQUENCE, workspace_id=workspace_id)
        # An upsert: it names its type as a save would (the audit's stream consumer reads every library record's).
        handle.update(
            actions=[
                CounterRecord.value.add(1),
                CounterRecord.record_type.set(CounterRecord),
                CounterRecord.workspace_id.set(workspace_id),
            ]
        )
        return int(handle.value)

    def assign_sequence(self, asset_id: str, sequence: int) -> bool:
        """Give the asset its sequence once; False when it already had one (another request was first)."""
        handle = _asset_handle(asset_id)
        try:
            handle.update(
                actions=[AssetRecord.sequence.set(sequence)],
                condition=_asset_alive() & AssetRecord.sequence.does_not_exist(),
                add_version_condition=False,
            )
        except UpdateError as error:
            if _error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def activate(self, asset: Asset, version: Version) -> Asset:
        """Write the asset (showing `version`) and touch the version's record, both only if neither changed
        since they were read: a pipeline step that wrote the version meanwhile makes this retry, so the
        asset never shows a version's older facts. One item holds the pointer: readers see one active."""
        asset_record, version_record = _to_record(asset), _to_record_of(version)
        try:
            with _transaction() as transaction:
                transaction.save(version_record)
                transaction.save(asset_record)
        except TransactWriteError as error:
            if error.cause_response_code == "TransactionCanceledException":
                raise Conflict("the asset or the version changed meanwhile; try again") from error
            raise
        return asset.model_copy(update={"version": (asset.version or 0) + 1})


def _to_record_of(version: Version) -> VersionRecord:
    body = version.model_dump(
        mode="json", exclude={"asset_id", "workspace_id", "number", "studio_id", "embedding", "record_version"}
    )
    record = VersionRecord(
        _asset_pk(version.workspace_id, version.asset_id),
        _version_sk(version.number),
        workspace_id=version.workspace_id,
        asset_id=version.asset_id,
        number=version.number,
        studio_id=version.studio_id,
        body=body,
        embedding=_pack_vector(version.embedding) if version.embedding else None,
    )
    if version.record_version:
        record.record_version = version.record_version
    return record


def _to_version(record: VersionRecord) -> Version:
    return Version.model_validate(
        {
            **_plain(record.body),
            "asset_id": record.asset_id,
            "workspace_id": record.workspace_id,
            "number": int(record.number),
            "studio_id": record.studio_id,
            "embedding": _unpack_vector(record.embedding) if record.embedding else None,
            "record_version": record.record_version or 0,
        }
    )
