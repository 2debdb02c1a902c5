"""Bulk ZIP imports through the real handlers on moto: POST /imports, the archive's notification, GET /imports."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from tests.conftest import MEDIA_BUCKET, Api
from tests.support import api_claims
from tests.zips import build, hostile_mix, photo


@pytest.fixture
def importer(api: Api) -> Iterator[Api]:
    from functions.ingest.handler import import_service

    import_service.cache_clear()
    yield api
    import_service.cache_clear()


def _import(api: Api, archive: bytes, **extra: Any) -> dict[str, Any]:
    """Start an import, put the ZIP where its presigned POST points and deliver the notification."""
    created = api.request("POST", "/imports", body={"filename": "shoot.zip", "size": len(archive), **extra})
    assert created.status == 201, created.body
    started = created.json()
    assert started["import"]["status"] == "pending_upload"
    key = started["upload"]["fields"]["key"]
    assert key == f"imports/ws-studio/{started['import']['import_id']}/archive.zip"
    api.aws.s3.put_object(Bucket=MEDIA_BUCKET, Key=key, Body=archive, ContentType="application/zip")
    assert api.notify(key, len(archive)) == {"batchItemFailures": []}
    return started


def _get(api: Api, import_id: str) -> dict[str, Any]:
    answer = api.request("GET", f"/imports/{import_id}")
    assert answer.status == 200, answer.body
    return answer.json()


def test_photos_junk_and_hostile_entries_give_the_counts_assets_and_reasons(importer: Api) -> None:
    api = importer
    folder = api.request("POST", "/folders", body={"name": "Day 2"}).json()
    archive, expected = hostile_mix(photos=3)

    started = _import(api, archive, folder_id=folder["folder_id"], project_id="proj-1")
    bulk = _get(api, started["import"]["import_id"])

    assert [(item["name"], item.get("reason")) for item in bulk["items"]] == expected
    assert bulk["status"] == "processing"
    assert (bulk["total"], bulk["queued"], bulk["over_limit"]) == (len(expected), 5, 0)
    assert bulk["skipped"] == len(expected) - 5
    assert all(item["reason_text"] for item in bulk["items"] if item["outcome"] == "skipped")
    children = [item["asset_id"] for item in bulk["items"] if item["outcome"] == "queued"]
    assets = {a["asset_id"]: a for a in api.request("GET", "/assets").json()["items"]}
    assert set(assets) == set(children)
    for asset_id in children:
        asset = api.request("GET", f"/assets/{asset_id}").json()
        assert asset["folder_id"] == folder["folder_id"]
        assert asset["metadata"]["import"]["import_id"] == started["import"]["import_id"]
    tiff = next(item for item in bulk["items"] if item["name"] == "shoot/scan.tiff")
    converted = api.request("GET", f"/assets/{tiff['asset_id']}").json()
    assert converted["content_type"] == "image/jpeg" and converted["filename"] == "scan.jpg"
    assert converted["metadata"]["import"]["original_format"] == "TIFF"
    # Only the children's originals are left: the archive is gone, nothing of a skipped entry was written.
    assert sorted(api.aws.objects()) == sorted(f"assets/ws-studio/{a}/original" for a in children)


def test_a_replayed_or_doubled_notification_never_imports_twice(importer: Api) -> None:
    api = importer
    archive = build([("a.jpg", photo(1)), ("b.jpg", photo(2))])
    started = _import(api, archive)
    key = started["upload"]["fields"]["key"]
    api.aws.s3.put_object(Bucket=MEDIA_BUCKET, Key=key, Body=archive)  # even if the bytes came back

    api.notify(key, len(archive), message_id="m-1")
    api.notify(key, len(archive), message_id="m-2")

    assert len(api.request("GET", "/assets").json()["items"]) == 2
    assert _get(api, started["import"]["import_id"])["queued"] == 2


def test_an_extraction_killed_with_its_function_is_taken_over_by_the_redelivery(importer: Api) -> None:
    from datetime import timedelta

    from dam.adapters.dynamodb.imports import ImportRepository
    from dam.domain.imports import ImportStatus

    api = importer
    archive = build([("a.jpg", photo(1)), ("b.jpg", photo(2))])
    created = api.request("POST", "/imports", body={"filename": "shoot.zip", "size": len(archive)}).json()
    import_id, key = created["import"]["import_id"], created["upload"]["fields"]["key"]
    api.aws.s3.put_object(Bucket=MEDIA_BUCKET, Key=key, Body=archive, ContentType="application/zip")
    imports = ImportRepository()
    # A first delivery claimed it, then its function was killed (a timeout runs no handler of ours).
    assert imports.move("ws-studio", import_id, ImportStatus.PENDING_UPLOAD, ImportStatus.EXTRACTING)

    api.notify(key, len(archive), message_id="m-soon")  # within the lease: the claim may still be running
    assert _get(api, import_id)["status"] == "extracting" and api.request("GET", "/assets").json()["items"] == []

    claimed = imports.get("ws-studio", import_id)
    assert claimed is not None
    imports.save(claimed.model_copy(update={"updated_at": claimed.updated_at - timedelta(minutes=7)}))
    api.notify(key, len(archive), message_id="m-later")  # the redelivery after the visibility timeout

    bulk = _get(api, import_id)
    assert bulk["status"] == "processing" and bulk["queued"] == 2
    assert len(api.request("GET", "/assets").json()["items"]) == 2


def test_images_past_the_limit_are_counted_over_limit(importer: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAM_MAX_IMPORT_IMAGES", "2")
    archive = build([(f"p{i}.jpg", photo(i)) for i in range(4)] + [("readme.md", b"# hi\n")])
    bulk = _get(importer, _import(importer, archive)["import"]["import_id"])
    assert (bulk["queued"], bulk["over_limit"], bulk["skipped"]) == (2, 2, 1)
    assert [item["outcome"] for item in bulk["items"]] == ["queued", "queued", "over_limit", "over_limit", "skipped"]


def test_an_exact_duplicate_of_an_asset_in_the_library_is_skipped(importer: Api) -> None:
    api = importer
    existing = photo(7)
    api.upload("existing.jpg", data=existing)
    import hashlib

    from dam.adapters.dynamodb.assets import AssetRepository

    repository = AssetRepository()
    asset = next(
        iter(repository.get_many([a["asset_id"] for a in api.request("GET", "/assets").json()["items"]]).values())
    )
    repository.save(
        asset.model_copy(update={"checksum_sha256": hashlib.sha256(existing).hexdigest()})
    )  # as Register does

    bulk = _get(api, _import(api, build([("again.jpg", existing), ("new.jpg", photo(8))]))["import"]["import_id"])
    assert [(i["name"], i["outcome"], i.get("reason")) for i in bulk["items"]] == [
        ("again.jpg", "skipped", "duplicate_of_asset"),
        ("new.jpg", "queued", None),
    ]


@pytest.mark.parametrize(
    ("archive", "reason"),
    [
        (build([("a.jpg", photo(1))])[:-40], "damaged or incomplete"),
        (build([(f"e{i}", b"") for i in range(2_000)]), "2,000 entries"),
        (b"this is not a zip at all", "damaged or incomplete"),
    ],
    ids=["truncated", "too-many-entries", "not-a-zip"],
)
def test_an_archive_refused_whole_fails_clearly_and_leaves_nothing(importer: Api, archive: bytes, reason: str) -> None:
    bulk = _get(importer, _import(importer, archive)["import"]["import_id"])
    assert bulk["status"] == "failed" and reason in bulk["status_reason"]
    assert bulk["items"] == [] and bulk["queued"] == 0
    assert importer.aws.objects() == []
    assert importer.request("GET", "/assets").json()["items"] == []


def test_imports_are_listed_for_their_creator_and_hidden_from_other_workspaces(importer: Api) -> None:
    api = importer
    started = _import(api, build([("a.jpg", photo(1))]))
    listed = api.request("GET", "/imports").json()["items"]
    assert [bulk["import_id"] for bulk in listed] == [started["import"]["import_id"]]
    stranger = api.as_user("user-other", workspace="ws-elsewhere")
    assert api.request("GET", f"/imports/{started['import']['import_id']}", claims=stranger).status == 404
    assert api.request("GET", "/imports", claims=stranger).json()["items"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"filename": "photos.tar", "size": 10},
        {"filename": "photos.zip", "size": 0},
        {"filename": "photos.zip", "size": 10, "folder_id": "no-such-folder"},
        {"filename": "photos.zip", "size": 10, "surprise": 1},
    ],
)
def test_bad_import_requests_get_a_422(importer: Api, body: dict[str, Any]) -> None:
    answer = importer.request("POST", "/imports", body=body)
    assert answer.status == 422, answer.body
    assert answer.json()["error"]["code"] in {"validation_error", "invalid_input"}


def test_children_go_through_the_pipeline_and_the_import_finishes(pipeline_env: str, importer: Api) -> None:
    from tests.integration.conftest import wait_until_processed

    api = importer
    big = photo(9, size=(900, 700))
    started = _import(api, build([("a.jpg", photo(1)), ("b.png", photo(2, fmt="PNG")), ("big.jpg", big)]))
    bulk = _get(api, started["import"]["import_id"])
    for item in bulk["items"]:
        asset = api.request("GET", f"/assets/{item['asset_id']}").json()
        api.notify(f"assets/ws-studio/{item['asset_id']}/original", asset["size"], message_id=item["asset_id"])
        assert wait_until_processed(api, item["asset_id"])["status"] == "ready"

    bulk = _get(api, started["import"]["import_id"])
    assert bulk["status"] == "done"
    assert (bulk["queued"], bulk["ready"], bulk["failed"]) == (3, 3, 0)
    png = api.request("GET", f"/assets/{bulk['items'][1]['asset_id']}").json()
    assert png["content_type"] == "image/png" and Image.open(io.BytesIO(photo(2, fmt="PNG"))).format == "PNG"


def test_the_importer_retries_the_failed_files_of_their_own_import(pipeline_env: str, importer: Api) -> None:
    """An editor started the import; one file's processing failed (a step's error, recorded as the pipeline's
    RecordFailure state does). The editor (who may not reprocess assets in general) retries it and it
    completes; another editor may not retry it; once nothing failed there is nothing to retry."""
    from dam.adapters.dynamodb.assets import AssetRepository
    from dam.domain.assets import AssetStatus
    from tests.integration.conftest import wait_until_processed

    api = importer
    editor = api_claims("user-eda", "ws-studio", "editor")
    other = api_claims("user-olly", "ws-studio", "editor")
    curator = api_claims("user-pia", "ws-studio", "power_user")
    archive = build([("good.jpg", photo(1)), ("bad.jpg", photo(2))])
    created = api.request("POST", "/imports", body={"filename": "shoot.zip", "size": len(archive)}, claims=editor)
    assert created.status == 201, created.body
    import_id = created.json()["import"]["import_id"]
    key = created.json()["upload"]["fields"]["key"]
    api.aws.s3.put_object(Bucket=MEDIA_BUCKET, Key=key, Body=archive, ContentType="application/zip")
    assert api.notify(key, len(archive)) == {"batchItemFailures": []}
    good, bad = (item["asset_id"] for item in _get(api, import_id)["items"])
    for child in (good, bad):
        size = api.request("GET", f"/assets/{child}").json()["size"]
        api.notify(f"assets/ws-studio/{child}/original", size, message_id=child)
    assert wait_until_processed(api, good)["status"] == "ready"
    assert wait_until_processed(api, bad)["status"] == "ready"
    repository = AssetRepository()
    record = repository.get(bad)
    assert record is not None
    repository.save(record.model_copy(update={"status": AssetStatus.FAILED, "status_reason": "Renditions failed"}))
    assert (_get(api, import_id)["status"], _get(api, import_id)["failed"]) == ("done", 1)

    # Editors may not reprocess an asset in general, nor retry someone else's import.
    assert api.request("POST", f"/assets/{bad}/reprocess", claims=editor).status == 403
    refused = api.request("POST", f"/imports/{import_id}/retry", claims=other)
    assert refused.status == 403, refused.body
    assert api.request("POST", "/imports/imp-0000000000000000/retry", claims=editor).status == 404

    retried = api.request("POST", f"/imports/{import_id}/retry", claims=editor)
    assert retried.status == 202, retried.body
    bulk = retried.json()
    assert bulk["status"] == "processing" and (bulk["ready"], bulk["failed"]) == (1, 0)
    assert [i["outcome"] for i in bulk["items"]] == ["ready", "queued"]
    assert api.request("GET", f"/assets/{good}").json()["status"] == "ready"  # only the failed file re-ran
    assert wait_until_processed(api, bad)["status"] == "ready"
    bulk = _get(api, import_id)
    assert (bulk["status"], bulk["ready"], bulk["failed"]) == ("done", 2, 0)
    assert api.request("POST", f"/imports/{import_id}/retry", claims=curator).status == 409  # nothing failed now


def test_an_import_with_nothing_failed_has_nothing_to_retry(importer: Api) -> None:
    started = _import(importer, build([("a.jpg", photo(1))]))
    answer = importer.request("POST", f"/imports/{started['import']['import_id']}/retry")
    assert answer.status == 409, answer.body
    assert "nothing to retry" in answer.json()["error"]["message"]


def test_a_child_the_pipeline_rejected_ends_the_import_as_failed_and_is_not_retried(
    pipeline_env: str, importer: Api
) -> None:
    """Rejected (what the file is, e.g. too many pixels), as RecordFailure records it: the import is done, the child
    counts as failed, and a retry says it cannot help instead of re-running it."""
    from dam.adapters.dynamodb.assets import AssetRepository
    from dam.domain.assets import AssetStatus
    from tests.integration.conftest import wait_until_processed

    started = _import(importer, build([("fine.jpg", photo(1)), ("huge.jpg", photo(2))]))
    import_id = started["import"]["import_id"]
    fine, huge = (item["asset_id"] for item in _get(importer, import_id)["items"])
    for child in (fine, huge):
        size = importer.request("GET", f"/assets/{child}").json()["size"]
        importer.notify(f"assets/ws-studio/{child}/original", size, message_id=child)
    assert wait_until_processed(importer, fine)["status"] == "ready"
    assert wait_until_processed(importer, huge)["status"] == "ready"
    repository = AssetRepository()
    record = repository.get(huge)
    assert record is not None
    reason = "The image is 20000 x 20000 pixels; the limit is 100 megapixels."
    repository.save(record.model_copy(update={"status": AssetStatus.REJECTED, "status_reason": reason}))

    bulk = _get(importer, import_id)
    assert (bulk["status"], bulk["ready"], bulk["failed"]) == ("done", 1, 1)
    assert [item["outcome"] for item in bulk["items"]] == ["ready", "failed"]
    answer = importer.request("POST", f"/imports/{import_id}/retry")
    assert answer.status == 409, answer.body
    assert "retrying cannot help" in answer.json()["error"]["message"]
    assert importer.request("GET", f"/assets/{huge}").json()["status"] == "rejected"
