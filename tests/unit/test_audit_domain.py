"""Table change → audit event: only what changed, before and after; who and which request from the item."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from dam.domain.audit import MAX_VALUE_CHARS, AuditAction, Change, UnreadableChange, audit_event

AT = datetime(2026, 12, 4, 23, 0, tzinfo=UTC)


def _change(name: str, old: dict[str, Any] | None, new: dict[str, Any] | None, table: str = "Library") -> Change:
    return Change(event_id="e-1", event_name=name, at=AT, table=table, old=old, new=new)


FOLDER = {
    "pk": "ws#folder#f-1",
    "sk": "#folder",
    "type": "folder",
    "workspace_id": "ws",
    "folder_id": "f-1",
    "name": "Campaigns",
    "version": Decimal(1),
    "updated_at": "2026-12-04T22:00:00Z",
    "updated_by": "user-maya",
    "request_id": "req-1",
}


def test_a_change_keeps_only_the_changed_fields_before_and_after_with_who_and_the_request() -> None:
    renamed = {**FOLDER, "name": "Campaigns 2027", "version": Decimal(2), "updated_by": "user-ines", "request_id": "r2"}
    event = audit_event(_change("MODIFY", FOLDER, renamed))
    assert event is not None
    assert (event.action, event.item_type, event.item_id, event.workspace_id) == (
        AuditAction.CHANGED,
        "folder",
        "f-1",
        "ws",
    )
    # versions, timestamps, keys and the stamps themselves are bookkeeping, not changes
    assert event.before == {"name": "Campaigns"} and event.after == {"name": "Campaigns 2027"}
    assert (event.actor, event.request_id, event.at) == ("user-ines", "r2", AT)


def test_a_field_set_or_removed_appears_on_one_side_only() -> None:
    moved = {**FOLDER, "parent_id": "f-0"}
    event = audit_event(_change("MODIFY", FOLDER, moved))
    assert event is not None and event.before == {} and event.after == {"parent_id": "f-0"}
    event = audit_event(_change("MODIFY", moved, FOLDER))
    assert event is not None and event.before == {"parent_id": "f-0"} and event.after == {}


def test_created_shows_what_it_was_made_with_and_deleted_what_it_was_named_after_the_deleter_stamp() -> None:
    created = audit_event(_change("INSERT", None, FOLDER))
    assert created is not None and created.action is AuditAction.CREATED
    assert created.before == {} and created.after == {"folder_id": "f-1", "name": "Campaigns", "workspace_id": "ws"}
    # A delete stamps the deleter on the item first: the old image names them.
    stamped = {**FOLDER, "updated_by": "user-ines", "request_id": "req-del"}
    deleted = audit_event(_change("REMOVE", stamped, None))
    assert deleted is not None and deleted.action is AuditAction.DELETED
    assert (deleted.actor, deleted.request_id) == ("user-ines", "req-del")
    assert deleted.after == {} and deleted.before["name"] == "Campaigns"


def test_a_change_of_bookkeeping_alone_is_no_event() -> None:
    # The stamp written just before a delete changes only who and which request.
    stamp = {**FOLDER, "updated_by": "user-ines", "request_id": "req-del"}
    assert audit_event(_change("MODIFY", FOLDER, stamp)) is None
    reindexed = {**FOLDER, "gsi2sk": "other", "version": Decimal(9), "embedding": b"\x00" * 8}
    assert audit_event(_change("MODIFY", FOLDER, reindexed)) is None


def test_personal_and_internal_records_are_not_audited_but_unknown_types_are() -> None:
    favorite = {"pk": "ws#user#u", "sk": "favorite#k", "type": "favorite", "workspace_id": "ws", "asset_id": "a-1"}
    assert audit_event(_change("INSERT", None, favorite)) is None
    counter = {"pk": "ws#counters", "sk": "asset", "type": "counter", "workspace_id": "ws", "value": Decimal(3)}
    assert audit_event(_change("MODIFY", counter, {**counter, "value": Decimal(4)})) is None
    # A type added later (comments, share links, …) is covered from its first write.
    comment = {"pk": "ws#asset#a-1", "sk": "comment#c-1", "type": "comment", "workspace_id": "ws",
               "comment_id": "c-1", "asset_id": "a-1", "text": "Nice"}  # fmt: skip
    event = audit_event(_change("INSERT", None, comment))
    assert event is not None and (event.item_type, event.item_id, event.asset_id) == ("comment", "c-1", "a-1")


def test_record_bodies_are_diffed_field_by_field_and_nodes_and_versions_are_named() -> None:
    shot = {"pk": "ws#project#p", "sk": "shot#s-1", "type": "project_node", "workspace_id": "ws", "kind": "shot",
            "node_id": "s-1", "project_id": "p", "body": {"name": "Opening", "status": "review"}}  # fmt: skip
    approved = {**shot, "body": {"name": "Opening", "status": "ready"}}
    event = audit_event(_change("MODIFY", shot, approved))
    assert event is not None and (event.item_type, event.item_id) == ("shot", "s-1")
    assert event.before == {"body.status": "review"} and event.after == {"body.status": "ready"}
    version = {"pk": "ws#asset#a-1", "sk": "version#000002", "type": "version", "workspace_id": "ws",
               "asset_id": "a-1", "number": Decimal(2), "body": {"review": None}}  # fmt: skip
    event = audit_event(_change("INSERT", None, version))
    assert event is not None and (event.item_id, event.asset_id) == ("a-1/v2", "a-1")


def test_asset_values_become_json_and_huge_ones_are_shown_by_size() -> None:
    asset = {"asset_id": "a-1", "workspace_id": "ws", "tags": ["b"], "brand_ids": {"y", "x"}, "size": Decimal(10)}
    changed = {**asset, "brand_ids": {"x"}, "size": Decimal("10.5"), "notes": "n" * (MAX_VALUE_CHARS + 10)}
    event = audit_event(_change("MODIFY", asset, changed, table="Assets"))
    assert event is not None and event.item_type == "asset" and event.item_id == "a-1"
    assert event.before == {"brand_ids": ["x", "y"], "size": 10}
    assert event.after["brand_ids"] == ["x"] and event.after["size"] == 10.5
    assert event.after["notes"] == {"omitted": "too long", "chars": MAX_VALUE_CHARS + 12}


def test_work_no_person_started_is_by_system() -> None:
    unstamped = {k: v for k, v in FOLDER.items() if k not in ("updated_by", "request_id")}
    event = audit_event(_change("MODIFY", unstamped, {**unstamped, "name": "x"}))
    assert event is not None and event.actor == "system" and event.request_id is None


@pytest.mark.parametrize(
    "change",
    [
        _change("MODIFY", None, None),
        _change("TRUNCATE", FOLDER, FOLDER),
        _change("INSERT", None, {"pk": "x", "sk": "#folder", "type": "folder", "name": "no workspace"}),
    ],
)
def test_an_unreadable_change_raises_so_the_batch_reports_that_record(change: Change) -> None:
    with pytest.raises(UnreadableChange):
        audit_event(change)


def test_a_library_item_without_a_type_is_not_audited() -> None:
    """Only internal upserts write one (a counter, a stamp on an item already gone): nothing a person can name."""
    assert audit_event(_change("INSERT", None, {"pk": "x", "sk": "y", "workspace_id": "ws", "hits": 1})) is None
