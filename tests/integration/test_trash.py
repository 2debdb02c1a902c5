"""The trash (issue 18): a delete moves an asset out of every list for a while, a restore brings it back with
everything it had, and a permanent delete or the trash's expiry removes it for good, through the real API
handler and the real library worker on moto."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from dam.adapters.dynamodb.assets import AssetRepository
from dam.adapters.dynamodb.trash import TrashRepository
from dam.api.context import services
from dam.domain.assets import utcnow
from dam.domain.errors import Conflict, NotFound
from dam.domain.identity import Caller, Role
from dam.domain.trash import DEFAULT_TRASH_DAYS, TrashPurge, trashed
from tests.conftest import MEDIA_BUCKET, REGION, TABLES, Api, Aws
from tests.integration.library_support import ids, ok, seed
from tests.integration.test_library_races import interleave
from tests.integration.version_support import new_version, versions
from tests.support import LambdaContext

MAYA = Caller(user_id="user-maya", workspace_id="ws-studio", role=Role.ADMIN)


def _everything_in(api: Api, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table}
    while True:
        page = api.aws.dynamodb.scan(**kwargs)  # a test looking everywhere; the app never scans
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _stored(api: Api, asset_id: str) -> dict[str, list[Any]]:
    """Everything of the asset anywhere: object versions and delete markers under its prefix, and records."""
    listing = api.aws.s3.list_object_versions(Bucket=MEDIA_BUCKET, Prefix=f"assets/ws-studio/{asset_id}/")
    return {
        "objects": [*listing.get("Versions", []), *listing.get("DeleteMarkers", [])],
        "assets": [i for i in _everything_in(api, TABLES["Assets"]) if asset_id in str(i)],
        "library": [i for i in _everything_in(api, TABLES["Library"]) if asset_id in str(i)],
    }


def _trash(api: Api, claims: dict[str, str] | None = None) -> list[dict[str, Any]]:
    response = api.request("GET", "/trash", claims=claims or api.claims)
    assert response.status == 200, response.body
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _made(api: Api, method: str, path: str, body: Any = None, status: int = 201) -> Any:
    response = api.request(method, path, body=body)
    assert response.status == status, (method, path, response.body)
    return response.json() if response.body else None


class Linked:
    """An asset with one of every link: two users' favorites, a folder, a collection, a brand, a usage link,
    a second version, and a shot of a project."""

    def __init__(self, api: Api) -> None:
        self.theo = api.as_user("user-theo", role="editor")
        self.asset_id = api.upload("hero.png", "image/png", b"\x89PNG-one", name="Hero shot")["asset_id"]
        new_version(api, self.asset_id, b"\x89PNG-two")
        self.folder = _made(api, "POST", "/folders", {"name": "Spring"})["folder_id"]
        self.collection = _made(api, "POST", "/collections", {"name": "Selects"})["collection_id"]
        self.brand = _made(api, "POST", "/brands", {"name": "Zesty", "color": "#112233"})["brand_id"]
        self.project = project = _made(api, "POST", "/projects", {"name": "Heist", "reference": "HST1"})["project_id"]
        story = _made(api, "POST", f"/projects/{project}/stories", {"title": "S"})["story_id"]
        scene = _made(api, "POST", f"/stories/{story}/scenes", {"title": "S"})["scene_id"]
        self.shot = _made(api, "POST", f"/scenes/{scene}/shots", {"title": "S"})["shot_id"]
        ok(api.request("PATCH", f"/assets/{self.asset_id}", body={"folder_id": self.folder}))
        for path in (
            f"/assets/{self.asset_id}/favorite",
            f"/collections/{self.collection}/assets/{self.asset_id}",
            f"/assets/{self.asset_id}/brands/{self.brand}",
        ):
            assert api.request("PUT", path).status == 204, path
        assert api.request("PUT", f"/assets/{self.asset_id}/favorite", claims=self.theo).status == 204
        ok(api.request("POST", f"/assets/{self.asset_id}/usages", body={"kind": "project", "ref": "p-1"}), 201)
        ok(api.request("PUT", f"/shots/{self.shot}/assets/{self.asset_id}"))
        seed("survivor")

    def lists(self, api: Api) -> dict[str, list[str]]:
        """Every list the asset can be in."""
        shot = ok(api.request("GET", f"/shots/{self.shot}/assets"))["items"]
        return {
            "gallery": ids(api.request("GET", "/assets")),
            "favorites": ids(api.request("GET", "/assets", query={"favorites": "true"})),
            "theo's favorites": ids(api.request("GET", "/assets", query={"favorites": "true"}, claims=self.theo)),
            "folder": ids(api.request("GET", "/assets", query={"folder": self.folder})),
            "collection": ids(api.request("GET", f"/collections/{self.collection}/assets")),
            "brand": ids(api.request("GET", "/assets", query={"brand": self.brand})),
            "shot": [item["asset_id"] for item in shot],
        }


def test_a_deleted_asset_leaves_every_list_and_is_restored_with_everything_it_had(api: Api) -> None:
    linked = Linked(api)
    asset_id = linked.asset_id
    everywhere = {name: [asset_id] for name in ("favorites", "theo's favorites", "folder", "collection", "brand")}
    before = linked.lists(api)
    assert before == {**everywhere, "gallery": [asset_id, "survivor"], "shot": [asset_id]}
    files = api.aws.objects(f"assets/ws-studio/{asset_id}/")
    detail = ok(api.request("GET", f"/assets/{asset_id}"))

    # When it is deleted, it leaves every list at once, and its files stay
    assert api.request("DELETE", f"/assets/{asset_id}").status == 204
    after = linked.lists(api)
    assert after == {**{name: [] for name in everywhere}, "gallery": ["survivor"], "shot": []}
    assert api.request("GET", f"/assets/{asset_id}").status == 404
    assert api.request("GET", f"/assets/{asset_id}/versions").status == 404
    assert api.request("PUT", f"/assets/{asset_id}/favorite").status == 404
    assert api.request("DELETE", f"/assets/{asset_id}").status == 404  # in the trash already
    assert api.aws.objects(f"assets/ws-studio/{asset_id}/") == files
    # and the trash lists it: who deleted it, when, and when it goes for good
    (entry,) = _trash(api)
    assert entry["asset"]["asset_id"] == asset_id and entry["asset"]["name"] == "Hero shot"
    assert entry["trashed_by"] == "user-maya"
    assert _days_between(entry["trashed_at"], entry["expires_at"]) == DEFAULT_TRASH_DAYS

    # When it is restored, everything comes back: lists, links, versions, usage links
    restored = ok(api.request("POST", f"/assets/{asset_id}/restore"))
    assert restored["asset_id"] == asset_id and restored["is_favorite"] is True
    assert restored["folder_id"] == linked.folder and restored["brand_ids"] == [linked.brand]
    assert restored["collection_ids"] == [linked.collection] and restored["shot_id"] == linked.shot
    assert [u["ref"] for u in restored["usages"]] == ["p-1"]
    assert linked.lists(api) == before
    assert [v["number"] for v in versions(api, asset_id)["items"]] == [2, 1]
    assert ok(api.request("GET", f"/assets/{asset_id}"))["active_version"] == detail["active_version"]
    assert _trash(api) == []
    assert ok(api.request("POST", f"/assets/{asset_id}/restore"))["asset_id"] == asset_id  # idempotent


def _days_between(start: str, end: str) -> int:
    from datetime import datetime

    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).days


def test_the_trash_is_newest_first_in_bounded_pages_and_scoped_like_every_list(api: Api) -> None:
    for n in range(5):
        seed(f"a{n}", n, client="client-a" if n % 2 else None)
    for n in (0, 3, 1, 4, 2):  # deleted in this order
        assert api.request("DELETE", f"/assets/a{n}").status == 204
    first = ok(api.request("GET", "/trash", query={"limit": "2"}))
    assert [i["asset"]["asset_id"] for i in first["items"]] == ["a2", "a4"]
    second = ok(api.request("GET", "/trash", query={"limit": "2", "cursor": first["next_cursor"]}))
    third = ok(api.request("GET", "/trash", query={"limit": "2", "cursor": second["next_cursor"]}))
    assert [i["asset"]["asset_id"] for i in second["items"] + third["items"]] == ["a1", "a3", "a0"]
    assert third["next_cursor"] is None

    # An external editor of client-b sees only the shared ones; another workspace, nothing; a shoot lead,
    # who may not delete, may not look in the trash either
    external = api.as_user("user-ext", role="editor", clients=["client-b"])
    assert [i["asset"]["asset_id"] for i in _trash(api, external)] == ["a2", "a4", "a0"]
    assert api.request("POST", "/assets/a1/restore", claims=external).status == 404
    rival = api.as_user("user-rival", workspace="ws-rival")
    assert _trash(api, rival) == []
    assert api.request("POST", "/assets/a1/restore", claims=rival).status == 404
    lead = api.as_user("user-lead", role="shoot_lead")
    assert api.request("GET", "/trash", claims=lead).status == 403
    assert api.request("POST", "/assets/a1/restore", claims=lead).status == 404  # not theirs to see
    assert api.request("GET", "/trash", query={"cursor": "not-a-cursor"}).status == 400


def _shot_count(api: Api, shot_id: str) -> int:
    return int(ok(api.request("GET", f"/shots/{shot_id}"))["asset_count"])


def test_a_shot_counts_only_the_assets_out_of_the_trash(api: Api) -> None:
    linked = Linked(api)
    assert _shot_count(api, linked.shot) == 1
    assert api.request("DELETE", f"/assets/{linked.asset_id}").status == 204
    assert _shot_count(api, linked.shot) == 0
    ok(api.request("POST", f"/assets/{linked.asset_id}/restore"))
    assert _shot_count(api, linked.shot) == 1

    # Deleted for good from the trash, it is not taken off the count a second time
    assert api.request("DELETE", f"/assets/{linked.asset_id}").status == 204
    assert api.request("DELETE", f"/assets/{linked.asset_id}", query={"permanent": "true"}).status == 204
    assert _shot_count(api, linked.shot) == 0
    assert ok(api.request("GET", f"/shots/{linked.shot}/assets"))["items"] == []


def test_a_permanent_delete_of_an_asset_in_a_shot_takes_it_off_the_shots_count(api: Api) -> None:
    linked = Linked(api)
    assert api.request("DELETE", f"/assets/{linked.asset_id}", query={"permanent": "true"}).status == 204
    assert _shot_count(api, linked.shot) == 0


def test_an_asset_restored_after_its_project_was_deleted_comes_back_in_no_project(api: Api) -> None:
    linked = Linked(api)
    assert api.request("DELETE", f"/assets/{linked.asset_id}").status == 204
    assert api.request("DELETE", f"/projects/{linked.project}", query={"force": "true"}).status == 204

    restored = ok(api.request("POST", f"/assets/{linked.asset_id}/restore"))
    assert (restored["project_id"], restored["shot_id"]) == (None, None)
    assert ids(api.request("GET", "/assets", query={"project": linked.project})) == []
    assert linked.asset_id in ids(api.request("GET", "/assets"))


def test_a_permanent_delete_leaves_nothing_under_its_prefix_and_no_record(api: Api) -> None:
    linked = Linked(api)
    asset_id = linked.asset_id
    assert _stored(api, asset_id)["objects"] and _stored(api, asset_id)["library"]

    assert api.request("DELETE", f"/assets/{asset_id}", query={"permanent": "true"}).status == 204

    assert _stored(api, asset_id) == {"objects": [], "assets": [], "library": []}
    assert _trash(api) == []
    assert api.request("POST", f"/assets/{asset_id}/restore").status == 404
    assert linked.lists(api)["gallery"] == ["survivor"]


def test_deleting_from_the_trash_permanently_empties_it_for_that_asset(api: Api) -> None:
    asset_id = api.upload("x.png", "image/png", b"\x89PNG")["asset_id"]
    assert api.request("DELETE", f"/assets/{asset_id}").status == 204
    assert api.request("DELETE", f"/assets/{asset_id}", query={"permanent": "true"}).status == 204
    assert _stored(api, asset_id) == {"objects": [], "assets": [], "library": []}
    assert api.request("DELETE", f"/assets/{asset_id}", query={"permanent": "true"}).status == 404


def test_an_upload_that_never_landed_is_deleted_for_good(api: Api) -> None:
    body = {"filename": "x.png", "content_type": "image/png", "size": 4, "asset_type": "image"}
    asset_id = ok(api.request("POST", "/uploads", body=body), 201)["asset"]["asset_id"]
    assert api.request("DELETE", f"/assets/{asset_id}").status == 204
    assert _trash(api) == [] and _stored(api, asset_id)["assets"] == []


# --- expiry ----------------------------------------------------------------------------------------


@pytest.fixture
def worker(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The library worker's queue in moto and its real handler, fed by the local stack's SQS poller."""
    import boto3

    from dam_local.notifications import SqsPoller
    from dam_local.resources import Names, create_library_queues
    from functions.library_worker.handler import cleanup_service, handler, trash_service
    from tests.conftest import ASSETS_TABLE

    sqs = boto3.client("sqs", region_name=REGION)
    queue, _ = create_library_queues(sqs, Names(prefix="dam-trash"), visibility_seconds=0)
    for name, value in {
        "DAM_LIBRARY_QUEUE_URL": queue.url,
        "DAM_ASSETS_TABLE": ASSETS_TABLE,
        "DAM_LIBRARY_TABLE": TABLES["Library"],
        "DAM_MEDIA_BUCKET": MEDIA_BUCKET,
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }.items():
        monkeypatch.setenv(name, value)
    cleanup_service.cache_clear()
    trash_service.cache_clear()

    def drain() -> None:
        poller = SqsPoller(sqs, queue.url, queue.arn, REGION, lambda e: handler(e, LambdaContext()), wait_seconds=0)
        for _ in range(100):
            if poller.poll_once() == 0:
                return
        raise AssertionError("the queue never emptied")

    def sweep() -> None:
        """What the schedule sends (EventBridge on AWS, the local stack's timer), then the worker runs."""
        sqs.send_message(QueueUrl=queue.url, MessageBody='{"sweep": "trash"}')
        drain()

    yield sweep
    cleanup_service.cache_clear()
    trash_service.cache_clear()


def _trashed_days_ago(api: Api, asset_id: str, days: int) -> None:
    """Given the asset was moved to the trash `days` ago (by the real repository, at that time)."""
    asset = AssetRepository().get(asset_id)
    assert asset is not None
    TrashRepository().move_to_trash(trashed(asset, "user-maya", utcnow() - timedelta(days=days), DEFAULT_TRASH_DAYS))


def test_expiry_removes_for_good_what_has_been_in_the_trash_long_enough(api: Api, worker: Any) -> None:
    expired = Linked(api).asset_id
    recent = api.upload("recent.png", "image/png", b"\x89PNG-recent")["asset_id"]
    _trashed_days_ago(api, expired, DEFAULT_TRASH_DAYS + 1)
    assert api.request("DELETE", f"/assets/{recent}").status == 204
    assert {i["asset"]["asset_id"] for i in _trash(api)} == {expired, recent}
    assert api.request("POST", f"/assets/{expired}/restore").status == 404  # its time is over

    worker()

    assert _stored(api, expired) == {"objects": [], "assets": [], "library": []}
    assert [i["asset"]["asset_id"] for i in _trash(api)] == [recent]
    assert _stored(api, recent)["objects"]
    worker()  # a second sweep (or a redelivered one) finds nothing more to do
    assert ok(api.request("POST", f"/assets/{recent}/restore"))["asset_id"] == recent


def test_a_sweep_of_many_expired_assets_goes_on_in_chunks(api: Api, worker: Any) -> None:
    from dam.domain import trash

    count = trash.SWEEP_CHUNK + 5
    for n in range(count):
        seed(f"old{n:03d}", n)
        _trashed_days_ago(api, f"old{n:03d}", DEFAULT_TRASH_DAYS + 2)
    worker()
    assert _trash(api) == []
    assert not [i for i in _everything_in(api, TABLES["Assets"]) if "old" in str(i)]


# --- races: every write is conditional -----------------------------------------------------------------


def test_a_restore_that_lands_first_wins_over_the_expiry(api: Api) -> None:
    asset_id = api.upload("x.png", "image/png", b"\x89PNG")["asset_id"]
    assert api.request("DELETE", f"/assets/{asset_id}").status == 204
    trash = services().trash
    purge = TrashPurge(purge=asset_id, workspace_id="ws-studio")
    # The purge has read the asset (as due, a day after its expiry); the restore lands before it marks it.
    with interleave("PutItem", lambda: trash.restore(MAYA, asset_id)) as other:
        assert trash.purge(purge, now=utcnow() + timedelta(days=DEFAULT_TRASH_DAYS + 1)) is False
    assert other[0].asset_id == asset_id and not other[0].in_trash
    assert ids(api.request("GET", "/assets")) == [asset_id]
    assert api.aws.objects(f"assets/ws-studio/{asset_id}/")


def test_a_permanent_delete_that_lands_first_wins_over_a_restore(api: Api) -> None:
    asset_id = api.upload("x.png", "image/png", b"\x89PNG")["asset_id"]
    assert api.request("DELETE", f"/assets/{asset_id}").status == 204
    deleting = interleave("TransactWriteItems", lambda: services().assets.delete(MAYA, asset_id))
    with deleting, pytest.raises(NotFound):
        services().trash.restore(MAYA, asset_id)
    assert _stored(api, asset_id) == {"objects": [], "assets": [], "library": []}


def test_a_restore_that_lands_first_makes_a_permanent_delete_from_a_stale_read_conflict(api: Api) -> None:
    asset_id = api.upload("x.png", "image/png", b"\x89PNG")["asset_id"]
    assert api.request("DELETE", f"/assets/{asset_id}").status == 204
    restoring = interleave("PutItem", lambda: services().trash.restore(MAYA, asset_id))
    with restoring, pytest.raises(Conflict):
        services().assets.delete(MAYA, asset_id)
    assert ids(api.request("GET", "/assets")) == [asset_id]


def test_of_two_deletes_at_once_one_moves_it_to_the_trash_and_the_other_finds_it_gone(api: Api) -> None:
    asset_id = api.upload("x.png", "image/png", b"\x89PNG")["asset_id"]
    second = interleave("TransactWriteItems", lambda: services().trash.move_to_trash(MAYA, asset_id))
    with second as other, pytest.raises(NotFound):
        services().trash.move_to_trash(MAYA, asset_id)
    assert other[0].in_trash
    assert [i["asset"]["asset_id"] for i in _trash(api)] == [asset_id]
    assert len([i for i in _stored(api, asset_id)["library"] if i["type"]["S"] == "trash"]) == 1


def test_the_sample_sweep_event_is_handled_by_the_worker(api: Api, worker: Any) -> None:
    """events/sqs/trash_sweep.json: the schedule's message as SQS hands it to the worker."""
    from functions.library_worker.handler import handler
    from tests.support import load_event

    expired = api.upload("old.png", "image/png", b"\x89PNG-old")["asset_id"]
    _trashed_days_ago(api, expired, DEFAULT_TRASH_DAYS + 1)
    assert handler(load_event("sqs/trash_sweep.json"), LambdaContext()) == {"batchItemFailures": []}
    worker()  # the purges it queued
    assert _stored(api, expired) == {"objects": [], "assets": [], "library": []}


def test_trash_and_restore_are_a_few_calls_and_a_page_of_the_trash_two(api: Api) -> None:
    from tests.integration.library_support import aws_calls

    for n in range(30):
        seed(f"t{n:02d}", n)
    with aws_calls() as deleting:
        assert api.request("DELETE", "/assets/t00").status == 204
    for n in range(1, 30):
        assert api.request("DELETE", f"/assets/t{n:02d}").status == 204
    with aws_calls() as listing:
        assert len(_trash(api)) == 30
    with aws_calls() as restoring:
        ok(api.request("POST", "/assets/t00/restore"))
    # The read, then the asset and its marker in one transaction; a page: one Query, one BatchGetItem.
    assert deleting == {"dynamodb:GetItem": 1, "dynamodb:TransactWriteItems": 1}
    assert listing == {"dynamodb:Query": 1, "dynamodb:BatchGetItem": 1}
    # The restore's read and transaction, then the detail it answers with (favorite flag, usage links).
    assert restoring["dynamodb:TransactWriteItems"] == 1 and restoring["dynamodb:GetItem"] == 1
