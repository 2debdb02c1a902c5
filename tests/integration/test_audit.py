"""The audit log end to end on moto: API changes through the real handler, the tables' streams read by the
local poller and handed to the real audit handler (as Lambda's event source mapping would), then read back
through GET /audit and its JSON Lines export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.conftest import REGION, TABLES, Api
from tests.support import LambdaContext, api_event, to_response


class AuditFeed:
    """Both audited tables' streams → the audit handler, drained on demand."""

    def __init__(self, dead_letters: list[dict[str, Any]]) -> None:
        from dam_local.streams import StreamPoller
        from functions.audit.handler import handler

        dynamodb = boto3.client("dynamodb", region_name=REGION)
        client = boto3.client(
            "dynamodbstreams", region_name=REGION, endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com"
        )
        self.results: list[Any] = []

        def invoke(event: dict[str, Any]) -> Any:
            result = handler(event, LambdaContext())
            self.results.append(result)
            return result

        self.pollers = []
        for logical in ("Assets", "Library"):
            arn = dynamodb.describe_table(TableName=TABLES[logical])["Table"]["LatestStreamArn"]
            poller = StreamPoller(client, arn, REGION, invoke, dead_letter=dead_letters.append)
            poller._stop.wait = lambda _seconds: False  # type: ignore[method-assign]  # no backoff in a test
            self.pollers.append(poller)

    def drain(self) -> None:
        for poller in self.pollers:
            for _ in range(30):
                if not poller.poll_once():
                    break


@pytest.fixture
def audited(api: Api, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Api, AuditFeed, list[dict[str, Any]]]]:
    from functions.audit import handler

    monkeypatch.setenv("DAM_ASSETS_TABLE", TABLES["Assets"])
    monkeypatch.setenv("DAM_LIBRARY_TABLE", TABLES["Library"])
    monkeypatch.setenv("DAM_AUDIT_TABLE", TABLES["Audit"])
    monkeypatch.setenv("DAM_AUDIT_RETENTION_DAYS", "30")
    handler.audit.cache_clear()
    dead_letters: list[dict[str, Any]] = []
    yield api, AuditFeed(dead_letters), dead_letters
    handler.audit.cache_clear()


def _request(api: Api, method: str, path: str, request_id: str, body: Any = None, **claims: Any) -> Any:
    """A request with its own API Gateway request id (the id the audit log records)."""
    from functions.api.handler import handler

    event = api_event(method, path, body=body, claims=api.as_user(**claims) if claims else api.claims)
    event["requestContext"]["requestId"] = request_id
    return to_response(handler(event, LambdaContext()))


def _events(api: Api, **query: str) -> list[dict[str, Any]]:
    response = api.request("GET", "/audit", query=query)
    assert response.status == 200, response.body
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_an_api_change_appears_in_the_audit_log_with_who_what_and_the_request(
    audited: tuple[Api, AuditFeed, list[dict[str, Any]]],
) -> None:
    api, feed, dead_letters = audited
    # Given an asset, renamed by a user in one request
    asset = api.upload("photo.jpg", name="Lighthouse")
    renamed = _request(api, "PATCH", f"/assets/{asset['asset_id']}", "req-rename-1", {"name": "Lighthouse at dusk"})
    assert renamed.status == 200, renamed.body

    # When the streams reach the audit function
    feed.drain()

    # Then the asset's log shows the rename: who, which request, only the changed field before and after
    events = _events(api, asset=asset["asset_id"])
    rename = next(e for e in events if e["request_id"] == "req-rename-1")
    assert rename["actor"] == "user-maya"
    assert rename["action"] == "changed" and rename["item_type"] == "asset" and rename["item_id"] == asset["asset_id"]
    assert rename["before"] == {"name": "Lighthouse"} and rename["after"] == {"name": "Lighthouse at dusk"}
    # and its creation is there too, with what it was created with
    created = [e for e in events if e["action"] == "created"]
    assert len(created) == 1 and created[0]["after"]["name"] == "Lighthouse" and created[0]["before"] == {}
    assert created[0]["actor"] == "user-maya"
    # and the upload's arrival, recorded by the ingest function (no person), is by `system`
    arrived = [e for e in events if e["after"].get("status") == "uploaded"]
    assert [e["actor"] for e in arrived] == ["system"]
    assert not dead_letters
    # and events are kept for the configured time (DynamoDB TTL)
    item = boto3.client("dynamodb", region_name=REGION).scan(TableName=TABLES["Audit"])["Items"][0]
    assert int(item["expires_at"]["N"]) - 30 * 86400 == pytest.approx(
        json.loads(json.dumps(item["at"]["S"])) and _epoch(item["at"]["S"]), abs=2
    )


def _epoch(at: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()


def test_a_delete_names_the_deleter_and_library_changes_are_logged(
    audited: tuple[Api, AuditFeed, list[dict[str, Any]]],
) -> None:
    api, feed, _ = audited
    # Given a folder made by one admin and deleted by another, and a brand
    made = _request(api, "POST", "/folders", "req-make", {"name": "Campaigns"})
    assert made.status == 201, made.body
    folder = made.json()["folder_id"]
    gone = _request(api, "DELETE", f"/folders/{folder}", "req-delete", user="user-ines")
    assert gone.status == 204, gone.body

    feed.drain()

    # Then the folder's deletion is by the second admin, with the folder as it was
    events = _events(api)
    deleted = next(e for e in events if e["action"] == "deleted")
    assert (deleted["item_type"], deleted["item_id"]) == ("folder", folder)
    assert deleted["actor"] == "user-ines" and deleted["request_id"] == "req-delete"
    assert deleted["before"]["name"] == "Campaigns" and deleted["after"] == {}
    # and the stamp written just before the delete is no event of its own
    assert [e["action"] for e in events if e["item_id"] == folder] == ["deleted", "created"]
    # and per user: each admin's own changes
    assert [e["action"] for e in _events(api, user="user-ines")] == ["deleted"]
    assert [e["request_id"] for e in _events(api, user="user-maya")] == ["req-make"]


def test_favorites_are_personal_and_not_audited(audited: tuple[Api, AuditFeed, list[dict[str, Any]]]) -> None:
    api, feed, _ = audited
    asset = api.upload()
    feed.drain()
    before = len(_events(api))
    assert api.request("PUT", f"/assets/{asset['asset_id']}/favorite").status in (200, 204)
    feed.drain()
    assert len(_events(api)) == before


def test_the_log_pages_with_cursors_filters_by_day_and_exports_json_lines(
    audited: tuple[Api, AuditFeed, list[dict[str, Any]]],
) -> None:
    api, feed, _ = audited
    for number in range(5):
        assert api.request("POST", "/folders", body={"name": f"Folder {number}"}).status == 201
    feed.drain()

    first = api.request("GET", "/audit", query={"limit": "2"}).json()
    second = api.request("GET", "/audit", query={"limit": "2", "cursor": first["next_cursor"]}).json()
    rest = api.request("GET", "/audit", query={"limit": "2", "cursor": second["next_cursor"]}).json()
    seen = [e["event_id"] for page in (first, second, rest) for e in page["items"]]
    assert len(seen) == len(set(seen)) == 5 and rest["next_cursor"] is None
    # Newest first
    ats = [e["at"] for page in (first, second, rest) for e in page["items"]]
    assert ats == sorted(ats, reverse=True)
    # A day without changes has none; today has them all
    assert _events(api, **{"from": "2001-01-01", "to": "2001-01-02"}) == []
    today = ats[0][:10]
    assert len(_events(api, **{"from": today, "to": today})) == 5

    exported = api.request("GET", "/audit/export")
    assert exported.status == 200 and exported.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in exported.body.splitlines()]
    assert [line["event_id"] for line in lines] == seen
    assert "x-next-cursor" not in exported.headers


def test_an_export_larger_than_one_response_continues_with_its_cursor(
    audited: tuple[Api, AuditFeed, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dam.api.routes import audit as routes

    api, feed, _ = audited
    for number in range(5):
        assert api.request("POST", "/folders", body={"name": f"Folder {number}"}).status == 201
    feed.drain()
    api.request("GET", "/audit")  # the route module is loaded
    monkeypatch.setattr(routes, "RESPONSE_BUDGET_BYTES", 700)  # two or three lines a response

    lines: list[str] = []
    cursor: str | None = None
    for _ in range(10):
        response = api.request("GET", "/audit/export", query={"cursor": cursor} if cursor else None)
        assert response.status == 200 and len(response.body) <= 700
        lines += response.body.splitlines()
        cursor = response.headers.get("x-next-cursor")
        if cursor is None:
            break
    assert len(lines) == len({json.loads(line)["event_id"] for line in lines}) == 5


def test_only_admins_read_the_audit_log(audited: tuple[Api, AuditFeed, list[dict[str, Any]]]) -> None:
    api, _, _ = audited
    for role in ("editor", "power_user", None):
        for path in ("/audit", "/audit/export"):
            assert api.request("GET", path, claims=api.as_user(role=role)).status == 403
    # An external user sees one client's things; the log holds every client's
    for path in ("/audit", "/audit/export"):
        assert api.request("GET", path, claims=api.as_user(role="admin", clients=["client-a"])).status == 403


def test_a_bad_cursor_or_date_is_refused_not_a_crash(audited: tuple[Api, AuditFeed, list[dict[str, Any]]]) -> None:
    api, _, _ = audited
    assert api.request("GET", "/audit", query={"cursor": "not-a-cursor"}).status == 400
    assert api.request("GET", "/audit", query={"from": "yesterday"}).status == 422
    # A range that ends before it starts, or at the ends of the calendar, is an answer, not an error
    for query in ({"from": "2026-12-05", "to": "2026-12-04"}, {"from": "0001-01-01", "to": "9999-12-31"}):
        response = api.request("GET", "/audit", query=query)
        assert response.status == 200 and response.json()["items"] == []
    assert api.request("GET", "/audit/export", query={"from": "2026-12-05", "to": "2026-12-04"}).body == ""


def test_a_record_the_audit_function_cannot_read_does_not_block_the_batch(
    audited: tuple[Api, AuditFeed, list[dict[str, Any]]],
) -> None:
    api, feed, dead_letters = audited
    # Given a library record without a workspace, written past the API (an old bug or a hand edit), then
    # an ordinary change
    boto3.client("dynamodb", region_name=REGION).put_item(
        TableName=TABLES["Library"],
        Item={"pk": {"S": "poison"}, "sk": {"S": "#folder"}, "type": {"S": "folder"}, "name": {"S": "x"}},
    )
    assert api.request("POST", "/folders", body={"name": "After the poison"}).status == 201

    # When the streams are drained
    feed.drain()

    # Then the unreadable record was reported as failed alone (partial batch response), retried, and
    # dead-lettered; the change after it is in the log
    assert any(r and r.get("batchItemFailures") for r in feed.results)
    assert len(dead_letters) == 1 and "poison" in str(dead_letters[0]["keys"])
    assert [e["after"].get("name") for e in _events(api)] == ["After the poison"]
