"""Big deletes of folders, brands and collections: the request deletes the owner and queues the per-asset
work; the library worker (the real handler, fed by the local stack's SQS poller) finishes it, a chunk a
message, even after a crash halfway; a poison message ends in the dead-letter queue and blocks nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from dam.adapters.dynamodb.assets import AssetRepository, _to_record, created_key
from dam.adapters.dynamodb.models import AssetRecord, BrandLinkRecord, LibraryRecord, MembershipRecord
from dam.domain.library import CLEANUP_CHUNK, INLINE_CLEANUP_LIMIT, UNASSIGNED
from tests.conftest import REGION, Api, Aws
from tests.integration.library_support import T0, aws_calls, dynamodb_calls, ids, ok, ready_asset
from tests.support import LambdaContext

BIG = 2000  # assets in the owner: eight chunks of the worker's
ARCHIVED = 100  # of them archived (a folder's delete unassigns those too)
WS = "ws-studio"


@dataclass
class Cleanup:
    """The cleanup queue, its dead-letter queue, and a way to run the worker on what waits."""

    sqs: Any
    url: str
    arn: str
    dlq_url: str

    def drain(self, *, max_batches: int = 1000) -> int:
        """Feed the worker (its real handler) until the queue is empty; returns the batches delivered."""
        from dam_local.notifications import SqsPoller
        from functions.library_worker.handler import handler

        poller = SqsPoller(self.sqs, self.url, self.arn, REGION, lambda e: handler(e, LambdaContext()), wait_seconds=0)
        for batch in range(max_batches):
            if poller.poll_once() == 0:
                return batch
        raise AssertionError("the cleanup queue never emptied")

    def step(self) -> int:
        """One batch for the worker; returns how many messages it held."""
        from dam_local.notifications import SqsPoller
        from functions.library_worker.handler import handler

        poller = SqsPoller(self.sqs, self.url, self.arn, REGION, lambda e: handler(e, LambdaContext()), wait_seconds=0)
        return poller.poll_once()

    def dead_letters(self) -> list[str]:
        received = self.sqs.receive_message(QueueUrl=self.dlq_url, MaxNumberOfMessages=10)
        return [m["Body"] for m in received.get("Messages", [])]


@pytest.fixture
def cleanup(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cleanup]:
    import boto3

    from dam_local.resources import Names, create_library_queues
    from functions.library_worker.handler import cleanup_service
    from tests.conftest import ASSETS_TABLE, TABLES

    sqs = boto3.client("sqs", region_name=REGION)
    # Visible again at once: a failed message comes back on the next poll, not 30 s later.
    queue, dlq = create_library_queues(sqs, Names(prefix="dam-test"), visibility_seconds=0)
    for name, value in {
        "DAM_LIBRARY_QUEUE_URL": queue.url,
        "DAM_ASSETS_TABLE": ASSETS_TABLE,
        "DAM_LIBRARY_TABLE": TABLES["Library"],
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }.items():
        monkeypatch.setenv(name, value)
    cleanup_service.cache_clear()
    yield Cleanup(sqs=sqs, url=queue.url, arn=queue.arn, dlq_url=dlq.url)
    cleanup_service.cache_clear()


@pytest.fixture
def library(cleanup: Cleanup, api: Api) -> Api:
    return api  # the API's services were built with the cleanup queue


def _seed(count: int, *, prefix: str, archived: int = 0, **fields: Any) -> list[str]:
    """`count` ready images (the first `archived` of them archived), written with BatchWriteItem."""
    asset_ids = []
    with AssetRecord.batch_write() as batch:
        for n in range(count):
            asset_id = f"{prefix}-{n:05d}"
            asset = ready_asset(asset_id, T0 + timedelta(seconds=n), archived=n < archived, version=1, **fields)
            batch.save(_to_record(asset))
            asset_ids.append(asset_id)
    return asset_ids


def _link_all(kind: str, owner_id: str, asset_ids: list[str]) -> None:
    """What PUT of each link writes (the link, and the id in the asset's list), in bulk."""
    model = BrandLinkRecord if kind == "brand" else MembershipRecord
    assets = AssetRepository().get_many(asset_ids)
    with LibraryRecord.batch_write() as batch:
        for asset in assets.values():
            batch.save(
                model(
                    f"{WS}#{kind}#{owner_id}",
                    f"asset#{created_key(asset)}",
                    workspace_id=WS,
                    asset_id=asset.asset_id,
                    added_by="user-maya",
                    added_at=T0,
                    gsi1pk=f"{WS}#asset#{asset.asset_id}",
                    gsi1sk=f"{kind}#{owner_id}",
                    **{f"{kind}_id": owner_id},
                )
            )


def _named(kind: str, owner_id: str, asset_ids: list[str]) -> list[str]:
    """The assets that still name the owner."""
    field = {"folder": "folder_id", "brand": "brand_ids", "collection": "collection_ids"}[kind]
    found = AssetRepository().get_many(asset_ids)
    return [
        a.asset_id
        for a in found.values()
        if (a.folder_id == owner_id if field == "folder_id" else owner_id in getattr(a, field))
    ]


def _links(kind: str, owner_id: str) -> int:
    return LibraryRecord.count(f"{WS}#{kind}#{owner_id}")


def _get_many(asset_ids: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for start in range(0, len(asset_ids), 100):
        found |= AssetRepository().get_many(asset_ids[start : start + 100])
    return found


def test_a_big_folder_delete_answers_at_once_and_the_worker_unassigns_every_asset(
    library: Api, cleanup: Cleanup
) -> None:
    # Given a folder with a sub-folder and 2,000 assets (100 archived), and an asset elsewhere
    folder = ok(library.request("POST", "/folders", body={"name": "Campaign"}), 201)["folder_id"]
    child = ok(library.request("POST", "/folders", body={"name": "Round 1", "parent_id": folder}), 201)["folder_id"]
    inside = _seed(BIG, prefix="in", archived=ARCHIVED, folder_id=folder)
    _seed(1, prefix="in-child", folder_id=child)
    before = _get_many(inside)

    # When it is deleted
    with aws_calls() as calls:
        response = library.request("DELETE", f"/folders/{folder}")

    # Then the answer comes at once, with a bounded number of calls (not one write per asset) and one message
    assert response.status == 202, response.body
    assert response.json() == {"assets_to_update": BIG}
    assert dynamodb_calls(calls) <= 12, calls
    assert calls["dynamodb:PutItem"] <= 1 and calls["sqs:SendMessage"] == 1, calls  # the sub-folder's move
    # and the folder has left every list already, its sub-folder moved up
    assert library.request("GET", f"/folders/{folder}").status == 404
    assert [f["folder_id"] for f in ok(library.request("GET", "/folders"))["items"]] == [child]
    assert ok(library.request("GET", f"/folders/{child}"))["parent_id"] is None

    # When the worker takes one message: one chunk of the assets is unassigned, the list of the rest shrinks
    assert cleanup.step() == 1
    repository = AssetRepository()
    assert repository.count_in_folder(WS, folder) == BIG - CLEANUP_CHUNK
    assert len(ids(library.request("GET", "/assets", query={"folder": folder, "limit": "100"}))) == 100

    # When it drains the queue: every asset is unassigned, archived ones too, nothing else changed
    assert cleanup.drain() >= BIG // CLEANUP_CHUNK - 1
    assert repository.count_in_folder(WS, folder) == 0
    assert ids(library.request("GET", "/assets", query={"folder": folder})) == []
    assert ids(library.request("GET", "/assets", query={"folder": folder, "archived": "true"})) == []
    after = _get_many(inside)
    for asset_id, old in before.items():
        new = after[asset_id]
        assert new.folder_id is None
        assert new.model_dump(exclude={"folder_id", "updated_at", "version"}) == old.model_dump(
            exclude={"folder_id", "updated_at", "version"}
        )
    assert repository.count_in_folder(WS, UNASSIGNED) == BIG  # the asset in the sub-folder stays there
    assert ids(library.request("GET", "/assets", query={"folder": child})) == ["in-child-00000"]
    assert cleanup.dead_letters() == []


@pytest.mark.parametrize("kind", ["brand", "collection"])
def test_a_big_brand_or_collection_delete_answers_at_once_and_the_worker_unlinks_every_asset(
    library: Api, cleanup: Cleanup, kind: str
) -> None:
    # Given a brand (or collection) on 2,000 assets, and another one on the first asset
    body = {"name": "Cola", "color": "#ff0000"} if kind == "brand" else {"name": "Picks"}
    other_body = {"name": "Fizz", "color": "#00ff00"} if kind == "brand" else {"name": "Other"}
    owner = ok(library.request("POST", f"/{kind}s", body=body), 201)[f"{kind}_id"]
    other = ok(library.request("POST", f"/{kind}s", body=other_body), 201)[f"{kind}_id"]
    field = f"{kind}_ids"
    linked = _seed(BIG, prefix="linked", archived=ARCHIVED, **{field: [owner]})
    _link_all(kind, owner, linked)
    path = f"/assets/{linked[0]}/brands/{other}" if kind == "brand" else f"/collections/{other}/assets/{linked[0]}"
    assert library.request("PUT", path).status == 204

    with aws_calls() as calls:
        response = library.request("DELETE", f"/{kind}s/{owner}")

    assert response.status == 202, response.body
    assert response.json() == {"assets_to_update": BIG}
    # No asset is updated inline: the only updates are the deleter's stamps, one on each item deleted (the audit
    # log's who; dam/adapters/dynamodb/stamping.py)
    assert calls["dynamodb:UpdateItem"] == calls["dynamodb:DeleteItem"] and calls["sqs:SendMessage"] == 1, calls
    assert dynamodb_calls(calls) - calls["dynamodb:UpdateItem"] <= 8, calls
    assert library.request("GET", f"/{kind}s/{owner}").status == 404
    listed = ok(library.request("GET", f"/{kind}s"))["items"]
    assert [item[f"{kind}_id"] for item in listed] == [other]
    # and while the worker goes, nothing can be linked to it any more
    late = f"/assets/{linked[1]}/brands/{owner}" if kind == "brand" else f"/collections/{owner}/assets/{linked[1]}"
    assert library.request("PUT", late).status == 404
    if kind == "brand":  # the name is free at once
        assert library.request("POST", "/brands", body={"name": "cola", "color": "#0000ff"}).status == 201

    # One worker step: one chunk of links gone, the list by the deleted owner shrinks with them
    assert cleanup.step() == 1
    assert _links(kind, owner) == BIG - CLEANUP_CHUNK
    assert cleanup.drain() >= 1
    assert _links(kind, owner) == 0
    assert ids(library.request("GET", "/assets", query={kind: owner})) == []
    assert _named(kind, owner, linked[:100]) == []
    after = _get_many(linked)
    assert all(getattr(a, field) == ([other] if a.asset_id == linked[0] else []) for a in after.values())
    assert cleanup.dead_letters() == []


def test_a_small_delete_still_finishes_inside_the_request(library: Api, cleanup: Cleanup) -> None:
    folder = ok(library.request("POST", "/folders", body={"name": "Small"}), 201)["folder_id"]
    inside = _seed(INLINE_CLEANUP_LIMIT, prefix="small", folder_id=folder)

    with aws_calls() as calls:
        assert library.request("DELETE", f"/folders/{folder}").status == 204

    assert calls["sqs:SendMessage"] == 0
    assert _named("folder", folder, inside) == []
    assert cleanup.step() == 0


@contextmanager
def crash_after(operation: str, count: int) -> Iterator[list[int]]:
    """The worker dies (an exception out of its record) at the `count`th DynamoDB `operation`."""
    from botocore.client import BaseClient

    original = BaseClient._make_api_call
    made = [0]

    def crashing(self: Any, name: str, params: Any) -> Any:
        if name == operation:
            made[0] += 1
            if made[0] == count:
                raise RuntimeError("the worker crashed halfway")
        return original(self, name, params)

    BaseClient._make_api_call = crashing  # type: ignore[method-assign]
    try:
        yield made
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


@pytest.mark.parametrize(("kind", "operation"), [("folder", "PutItem"), ("brand", "UpdateItem")])
def test_a_worker_crash_halfway_is_finished_by_the_redelivery(
    library: Api, cleanup: Cleanup, kind: str, operation: str
) -> None:
    count = 2 * CLEANUP_CHUNK
    if kind == "folder":
        owner = ok(library.request("POST", "/folders", body={"name": "Crashy"}), 201)["folder_id"]
        assets = _seed(count, prefix="crashy", folder_id=owner)
    else:
        owner = ok(library.request("POST", "/brands", body={"name": "Crashy", "color": "#ff0000"}), 201)["brand_id"]
        assets = _seed(count, prefix="crashy", brand_ids=[owner])
        _link_all("brand", owner, assets)
    assert library.request("DELETE", f"/{kind}s/{owner}").status == 202

    # When the worker crashes after updating 100 assets of its first chunk
    with crash_after(operation, 101) as made:
        assert cleanup.step() == 1
    assert made[0] == 101
    assert len(_named(kind, owner, assets)) == count - 100  # what it did stays done

    # Then the message comes back, and the redelivery (and the rest) ends the job, each asset once
    assert cleanup.drain() >= 2
    assert _named(kind, owner, assets) == []
    if kind == "brand":
        assert _links("brand", owner) == 0
    assert {a.version for a in _get_many(assets).values()} == {2}
    assert cleanup.dead_letters() == []


def test_a_poison_message_lands_in_the_dead_letter_queue_and_blocks_nothing(library: Api, cleanup: Cleanup) -> None:
    folder = ok(library.request("POST", "/folders", body={"name": "Big"}), 201)["folder_id"]
    inside = _seed(INLINE_CLEANUP_LIMIT + 50, prefix="big", folder_id=folder)
    poison = [
        "not json",
        json.dumps({"kind": "planet", "workspace_id": WS, "owner_id": "x"}),
        json.dumps({"kind": "folder", "workspace_id": WS}),
    ]
    for body in poison[:2]:
        cleanup.sqs.send_message(QueueUrl=cleanup.url, MessageBody=body)
    assert library.request("DELETE", f"/folders/{folder}").status == 202
    cleanup.sqs.send_message(QueueUrl=cleanup.url, MessageBody=poison[2])

    cleanup.drain()

    # The real work is done; each poison message was tried 5 times, then parked in the DLQ
    assert _named("folder", folder, inside) == []
    parked = cleanup.dead_letters()
    assert sorted(parked) == sorted(poison)
    attributes = cleanup.sqs.get_queue_attributes(QueueUrl=cleanup.url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_the_sample_cleanup_event_is_handled_by_the_worker(cleanup: Cleanup) -> None:
    """events/sqs/library_cleanup.json: what the API queues for a deleted folder, as SQS hands it to the worker."""
    from functions.library_worker.handler import handler
    from tests.support import load_event

    owner = "3c9e1a7f5b2d4e60"
    asset_ids = _seed(3, prefix="sample", folder_id=owner)
    assert sorted(_named("folder", owner, asset_ids)) == asset_ids

    assert handler(load_event("sqs/library_cleanup.json"), LambdaContext()) == {"batchItemFailures": []}
    assert _named("folder", owner, asset_ids) == []
