"""The audit log: what changed, who changed it, when and in which request, from a table's change record.

A change is an item before and after (either may be absent: created, deleted). An event keeps only the
fields that changed, each before and after; fields that are bookkeeping (index keys, optimistic-lock
versions, timestamps, the writer stamps, derived search text, embeddings) are not changes anyone made, and
a change of only those is no event at all (the stamp a delete writes first is one such change).

Every item type is audited unless it is listed in `UNAUDITED_TYPES`, so a new item type (comments, review
sessions, share links, trash entries) is covered from its first write without a change here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from dam.domain.identity import SYSTEM_ACTOR

# Internal records that only mirror another change, and personal ones:
# - counter: numbers handed out; name_claim: a brand name or project reference taken (the owner's own event
#   shows it); concept_locator: where a concept lives; concept_version: the text a concept save replaced (the
#   concept's event holds the before and after).
# - favorite: a personal bookmark. It changes nothing anyone else sees, and a log of who bookmarked what is a
#   record of a person's interests, kept a year and readable by every admin: more surveillance than audit.
# - share_rate: a share link's requests this minute; share_access: a link's access log (its own record, listed
#   by GET /reviews/{id}/access): neither is a change to anything, and each link request writes both.
# - review_invite: who is asked to review a session, mirrored from the session's reviewers (its event shows them).
UNAUDITED_TYPES = frozenset(
    {
        "counter",
        "name_claim",
        "concept_locator",
        "concept_version",
        "favorite",
        "share_rate",
        "share_access",
        "review_invite",
    }
)

# Bookkeeping attributes: never a change of their own, never shown in an event.
IGNORED_FIELDS = frozenset(
    {
        "pk",
        "sk",
        "type",
        "gsi1pk",
        "gsi1sk",
        "gsi2pk",
        "gsi2sk",
        "created_key",
        "gallery_key",
        "type_key",
        "media_key",
        "creator_key",
        "model_key",
        "checksum_key",
        "folder_key",
        "run_key",
        "project_key",
        "prompt_folded",
        "version",
        "record_version",
        "updated_at",
        "updated_by",
        "request_id",
        "correlation_id",
        "embedding",
        "document_text",
        "search_context",
        "expires_at",
    }
)
# Records keep most of their fields in one map; its fields are diffed one by one (`body.name`).
FLATTENED_MAPS = frozenset({"body"})
# A value longer than this (as JSON) is shown by its size: an event stays far below DynamoDB's 400 KB item.
MAX_VALUE_CHARS = 4096
DEFAULT_RETENTION_DAYS = 365


class AuditAction(StrEnum):
    CREATED = "created"
    CHANGED = "changed"
    DELETED = "deleted"


_ACTIONS = {"INSERT": AuditAction.CREATED, "MODIFY": AuditAction.CHANGED, "REMOVE": AuditAction.DELETED}


@dataclass(frozen=True)
class Change:
    """One table change record, its images as plain values (strings, numbers, lists, dicts, sets, bytes)."""

    event_id: str
    event_name: str  # INSERT | MODIFY | REMOVE
    at: datetime
    table: str  # the logical name: Assets, Library
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    expired: bool = False  # removed by DynamoDB's TTL (an upload that never arrived), not by a person


@dataclass(frozen=True)
class AuditEvent:
    event_id: str
    workspace_id: str
    at: datetime
    actor: str
    request_id: str | None
    action: AuditAction
    item_type: str
    item_id: str
    asset_id: str | None
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)

    def expires_at(self, retention_days: int) -> datetime:
        return self.at + timedelta(days=retention_days)


class UnreadableChange(ValueError):
    """A change record without what every event needs (its workspace, its item)."""


def audit_event(change: Change) -> AuditEvent | None:
    """The event a change makes, or None: an unaudited type, or nothing but bookkeeping changed."""
    action = _ACTIONS.get(change.event_name)
    image = change.new if change.new is not None else change.old
    if action is None or image is None:
        raise UnreadableChange(f"a {change.event_name!r} record without an image")
    item_type = "asset" if change.table == "Assets" else str(image.get("type") or "")
    if not item_type:
        # Only an internal upsert writes a library item without its type (a counter, a stamp on an item already
        # gone): nothing a person made or can name. Dead-lettering it would hold the stream and page someone.
        return None
    if item_type == "project_node" and (kind := _text(image.get("kind"))):
        item_type = kind  # story, scene, shot
    if item_type in UNAUDITED_TYPES:
        return None
    before, after = diff(change.old or {}, change.new or {})
    if not before and not after:
        return None
    workspace = image.get("workspace_id")
    if not isinstance(workspace, str) or not workspace:
        raise UnreadableChange("a record without a workspace")
    # Who: the writer stamped on the item; a delete stamps the deleter on the item first, so its old image has it.
    stamped = (change.old if action is AuditAction.DELETED else change.new) or {}
    if change.expired:
        stamped = {}  # the old image names the last writer, but nobody deleted it: it expired
    request_id = stamped.get("request_id")
    return AuditEvent(
        event_id=change.event_id,
        workspace_id=workspace,
        at=change.at.astimezone(UTC),
        actor=str(stamped.get("updated_by") or SYSTEM_ACTOR),
        request_id=request_id if isinstance(request_id, str) else None,
        action=action,
        item_type=item_type,
        item_id=_item_id(item_type, image),
        asset_id=_text(image.get("asset_id")),
        before=before,
        after=after,
    )


def diff(old: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The changed fields' values before and after (a field absent on one side is absent from that map)."""
    old_fields, new_fields = _fields(old), _fields(new)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name in sorted(old_fields.keys() | new_fields.keys()):
        was, now = old_fields.get(name), new_fields.get(name)
        if was == now:
            continue
        if name in old_fields:
            before[name] = was
        if name in new_fields:
            after[name] = now
    return before, after


def _fields(image: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, value in image.items():
        if name in IGNORED_FIELDS:
            continue
        if name in FLATTENED_MAPS and isinstance(value, dict):
            fields.update({f"{name}.{key}": _shown(item) for key, item in value.items()})
        else:
            fields[name] = _shown(value)
    return {name: value for name, value in fields.items() if value is not None}


def _shown(value: Any) -> Any:
    """A JSON value (sets sorted into lists, whole numbers as ints, bytes by their size), capped in size."""
    plain = _plain(value)
    text = json.dumps(plain, sort_keys=True, separators=(",", ":"))
    return {"omitted": "too long", "chars": len(text)} if len(text) > MAX_VALUE_CHARS else plain


def _plain(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(item) for item in value), key=str)
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, (bytes, bytearray)):
        return {"omitted": "binary", "bytes": len(value)}
    if isinstance(value, (str, bool, int)) or value is None:
        return value
    number = float(value)  # Decimal from DynamoDB
    return int(number) if number.is_integer() else number


def _item_id(item_type: str, image: dict[str, Any]) -> str:
    """The item's own id: `{type}_id` (asset_id, folder_id, …), a project node's `node_id`, an asset's version
    as `{asset}/v{n}`, a link by its asset, else its table key."""
    for name in (f"{item_type}_id", "node_id", "asset_id"):
        if value := _text(image.get(name)):
            number = image.get("number")
            return f"{value}/v{int(number)}" if item_type == "version" and number is not None else value
    key = [_text(image.get(name)) for name in ("pk", "sk")]
    return "/".join(part for part in key if part) or "?"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
