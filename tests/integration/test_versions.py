"""Asset versions through the real handler against moto: numbers, studio ids, pinned and stable downloads,
promote, review, delete. Every version's bytes are fetched back and compared."""

from __future__ import annotations

import re
import threading
from urllib.parse import unquote

import pytest

from tests.conftest import Api
from tests.integration.version_support import downloaded, new_version, versions

STUDIO_ID = re.compile(r"^IMG-\d{8}-[0-9a-f]{4}-(\d{3,})_v(\d{3,})$")
LEAD = {"user": "user-lena", "role": "shoot_lead"}


def test_a_new_version_keeps_the_old_file_and_each_download_returns_its_own_bytes(api: Api) -> None:
    asset = api.upload("hero.png", "image/png", b"\x89PNG-one")
    asset_id = asset["asset_id"]

    v2 = new_version(api, asset_id, b"\x89PNG-two", notes="warmer light")

    listed = versions(api, asset_id)
    assert [v["number"] for v in listed["items"]] == [2, 1]
    assert (listed["latest"], listed["active"], listed["approved"]) == (2, 1, None)
    first, second = listed["items"][1], listed["items"][0]
    assert first["is_active"] and not second["is_active"] and second["is_latest"]
    assert second["notes"] == "warmer light" and v2["number"] == 2
    # One sequence for the asset, the version last; the same date and library reference on both.
    m1, m2 = STUDIO_ID.match(first["studio_id"]), STUDIO_ID.match(second["studio_id"])
    assert m1 and m2 and m1.group(1) == m2.group(1) and (m1.group(2), m2.group(2)) == ("001", "002")
    assert downloaded(api, f"/assets/{asset_id}/versions/1/download") == b"\x89PNG-one"
    assert downloaded(api, f"/assets/{asset_id}/versions/2/download") == b"\x89PNG-two"
    # The stable link follows the active version, still version 1.
    assert downloaded(api, f"/assets/{asset_id}/download") == b"\x89PNG-one"
    pinned = api.request("GET", f"/assets/{asset_id}/versions/2/download")
    assert f"{second['studio_id']}.png" in unquote(pinned.headers["location"])


def test_studio_ids_are_unique_in_a_workspace(api: Api) -> None:
    one = api.upload("a.png", "image/png", b"\x89PNG-a")["asset_id"]
    two = api.upload("b.png", "image/png", b"\x89PNG-b")["asset_id"]
    ids = {v["studio_id"] for a in (one, two) for v in versions(api, a)["items"]}
    new_version(api, one, b"\x89PNG-a2")
    ids |= {v["studio_id"] for v in versions(api, one)["items"]}
    assert len(ids) == 3


def test_concurrent_uploads_of_one_asset_get_distinct_gapless_numbers(api: Api) -> None:
    asset_id = api.upload("hero.png", "image/png", b"\x89PNG-one")["asset_id"]
    versions(api, asset_id)  # version 1 recorded
    numbers: list[int] = []
    errors: list[str] = []

    def upload() -> None:
        body = {"filename": "take.png", "content_type": "image/png", "size": 9}
        response = api.request("POST", f"/assets/{asset_id}/versions", body=body)
        if response.status == 201:
            numbers.append(response.json()["version"]["number"])
        else:
            errors.append(response.body)

    threads = [threading.Thread(target=upload) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(numbers) == list(range(2, 10))
    assert [v["number"] for v in versions(api, asset_id)["items"]] == list(range(9, 0, -1))


def test_a_deleted_versions_number_is_never_given_out_again(api: Api) -> None:
    asset_id = api.upload("hero.png", "image/png", b"\x89PNG-one")["asset_id"]
    new_version(api, asset_id, b"\x89PNG-two")
    assert api.request("DELETE", f"/assets/{asset_id}/versions/2").status == 204
    assert new_version(api, asset_id, b"\x89PNG-three")["number"] == 3
    assert [v["number"] for v in versions(api, asset_id)["items"]] == [3, 1]
    assert api.request("GET", f"/assets/{asset_id}/versions/2").status == 404
    assert api.aws.objects(f"assets/ws-studio/{asset_id}/v2/") == []
    assert downloaded(api, f"/assets/{asset_id}/versions/1/download") == b"\x89PNG-one"


def test_promote_moves_the_stable_link_and_records_who_and_when(api: Api) -> None:
    asset_id = api.upload("hero.png", "image/png", b"\x89PNG-one")["asset_id"]
    new_version(api, asset_id, b"\x89PNG-two")
    lead = api.as_user(LEAD["user"], role=LEAD["role"])

    promoted = api.request("POST", f"/assets/{asset_id}/versions/2/promote", claims=lead)

    assert promoted.status == 200, promoted.body
    assert promoted.json()["active_version"] == 2
    assert downloaded(api, f"/assets/{asset_id}/download") == b"\x89PNG-two"
    assert downloaded(api, f"/assets/{asset_id}/versions/1/download") == b"\x89PNG-one"
    listed = versions(api, asset_id)
    assert listed["active"] == 2 and [v["is_active"] for v in listed["items"]] == [True, False]
    from dam.adapters.dynamodb.assets import AssetRepository

    stored = AssetRepository().get(asset_id)
    assert stored is not None and stored.active_set_by == LEAD["user"] and stored.active_set_at is not None


def test_replace_in_place_is_a_new_version_promoted_once_its_bytes_land(api: Api) -> None:
    asset_id = api.upload("hero.png", "image/png", b"\x89PNG-one")["asset_id"]
    body = {"filename": "take.png", "content_type": "image/png", "size": 9, "promote": True}
    pending = api.request("POST", f"/assets/{asset_id}/versions", body=body).json()["version"]
    assert pending["promotes_on_upload"] and not pending["is_active"]
    assert downloaded(api, f"/assets/{asset_id}/download") == b"\x89PNG-one"  # nothing points at missing bytes

    new_version(api, asset_id, b"\x89PNG-two", promote=True)

    assert downloaded(api, f"/assets/{asset_id}/download") == b"\x89PNG-two"
    assert downloaded(api, f"/assets/{asset_id}/versions/1/download") == b"\x89PNG-one"
    listed = versions(api, asset_id)
    assert listed["active"] == 3 and not listed["items"][0]["promotes_on_upload"]
    assert api.request("GET", f"/assets/{asset_id}").json()["active_version"] == 3


def test_an_editor_may_upload_a_version_but_not_promote_it(api: Api) -> None:
    asset_id = api.upload("hero.png", "image/png", b"\x89PNG-one")["asset_id"]
    editor = api.as_user("user-eddie", role="editor")
    body = {"filename": "take.png", "content_type": "image/png", "size": 9}
    assert api.request("POST", f"/assets/{asset_id}/versions", body=body, claims=editor).status == 201
    refused = api.request("POST", f"/assets/{asset_id}/versions", body={**body, "promote": True}, claims=editor)
    assert refused.status == 403
    # Saying "don't promote" asks for no right: a client may always send the flag.
    plain = api.request("POST", f"/assets/{asset_id}/versions", body={**body, "promote": False}, claims=editor)
    assert plain.status == 201, plain.body
    assert api.request("POST", f"/assets/{asset_id}/versions/2/promote", claims=editor).status == 403


def test_promote_under_concurrent_reads_never_shows_zero_or_two_active(api: Api) -> None:
    asset_id = api.upload("hero.png", "image/png", b"\x89PNG-one")["asset_id"]
    new_version(api, asset_id, b"\x89PNG-two")
    new_version(api, asset_id, b"\x89PNG-three")
    seen: list[list[bool]] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            seen.append([v["is_active"] for v in versions(api, asset_id)["items"]])

    reader = threading.Thread(target=read)
    reader.start()
    for number in (2, 3, 1, 3, 2):
        assert api.request("POST", f"/assets/{asset_id}/versions/{number}/promote").status == 200
    done.set()
    reader.join()
    assert seen and all(flags.count(True) == 1 for flags in seen)


def test_approve_and_revoke_are_recorded_and_approved_follows_the_newest_approved(api: Api) -> None:
    asset_id = api.upload("hero.png", "image/png", b"\x89PNG-one")["asset_id"]
    new_version(api, asset_id, b"\x89PNG-two")
    lead = api.as_user(LEAD["user"], role=LEAD["role"])
    assert api.request("GET", f"/assets/{asset_id}/download", query={"version": "approved"}).status == 404

    approved = api.request("POST", f"/assets/{asset_id}/versions/1/approve", body={"note": "good"}, claims=lead)
    assert approved.status == 200, approved.body
    assert approved.json()["status"] == "approved"
    assert downloaded(api, f"/assets/{asset_id}/download", version="approved") == b"\x89PNG-one"
    api.request("POST", f"/assets/{asset_id}/versions/2/approve", claims=lead)
    assert downloaded(api, f"/assets/{asset_id}/download", version="approved") == b"\x89PNG-two"
    assert versions(api, asset_id)["approved"] == 2

    revoked = api.request("POST", f"/assets/{asset_id}/versions/2/revoke", body={"note": "wrong logo"}, claims=lead)
    assert revoked.json()["status"] == "draft"
    assert downloaded(api, f"/assets/{asset_id}/download", version="approved") == b"\x89PNG-one"
    history = api.request("GET", f"/assets/{asset_id}/versions/2/reviews").json()["items"]
    assert [(r["action"], r["by"], r["role"], r["note"]) for r in history] == [
        ("approve", LEAD["user"], "shoot_lead", None),
        ("revoke", LEAD["user"], "shoot_lead", "wrong logo"),
    ]
    assert all(r["at"] for r in history)


def test_nobody_approves_their_own_upload(api: Api) -> None:
    lead = api.as_user(LEAD["user"], role=LEAD["role"])
    asset_id = api.upload("hero.png", "image/png", b"\x89PNG-one", claims=lead)["asset_id"]
    refused = api.request("POST", f"/assets/{asset_id}/versions/1/approve", claims=lead)
    assert refused.status == 403
    assert "uploaded" in refused.json()["error"]["message"]
    assert api.request("POST", f"/assets/{asset_id}/versions/1/approve").status == 200  # the admin may


@pytest.mark.parametrize("role", ["editor", "power_user", None])
def test_only_leads_and_admins_review(api: Api, role: str | None) -> None:
    asset_id = api.upload("hero.png", "image/png", b"\x89PNG-one")["asset_id"]
    other = api.as_user("user-other", role=role)
    assert api.request("POST", f"/assets/{asset_id}/versions/1/approve", claims=other).status == 403


def test_the_active_and_the_only_version_cannot_be_deleted(api: Api) -> None:
    asset_id = api.upload("hero.png", "image/png", b"\x89PNG-one")["asset_id"]
    assert api.request("DELETE", f"/assets/{asset_id}/versions/1").status == 409
    new_version(api, asset_id, b"\x89PNG-two")
    assert api.request("DELETE", f"/assets/{asset_id}/versions/1").status == 409  # active
    api.request("POST", f"/assets/{asset_id}/versions/2/promote")
    assert api.request("DELETE", f"/assets/{asset_id}/versions/1").status == 204
    assert api.aws.objects(f"assets/ws-studio/{asset_id}/original") == []
    assert downloaded(api, f"/assets/{asset_id}/download") == b"\x89PNG-two"


def test_deleting_the_asset_deletes_every_version(api: Api) -> None:
    asset_id = api.upload("hero.png", "image/png", b"\x89PNG-one")["asset_id"]
    new_version(api, asset_id, b"\x89PNG-two")
    assert api.request("DELETE", f"/assets/{asset_id}", query={"permanent": "true"}).status == 204
    assert api.aws.objects(f"assets/ws-studio/{asset_id}/") == []
    from dam.adapters.dynamodb.versions import VersionRepository

    assert VersionRepository().list("ws-studio", asset_id) == []


def test_another_workspace_sees_no_versions(api: Api) -> None:
    asset_id = api.upload("hero.png", "image/png", b"\x89PNG-one")["asset_id"]
    rival = api.as_user("user-rival", workspace="ws-rival")
    for method, path in [
        ("GET", f"/assets/{asset_id}/versions"),
        ("GET", f"/assets/{asset_id}/versions/1"),
        ("GET", f"/assets/{asset_id}/versions/1/download"),
        ("POST", f"/assets/{asset_id}/versions/1/promote"),
    ]:
        assert api.request(method, path, claims=rival).status == 404


def test_a_version_of_an_unsupported_type_is_refused(api: Api) -> None:
    asset_id = api.upload("hero.png", "image/png", b"\x89PNG-one")["asset_id"]
    body = {"filename": "take.exe", "content_type": "application/x-msdownload", "size": 9}
    response = api.request("POST", f"/assets/{asset_id}/versions", body=body)
    assert response.status == 422
    assert versions(api, asset_id)["latest"] == 1


def test_compare_shows_both_versions_and_what_changed_in_their_generation(api: Api) -> None:
    generation = {"model": "flux-pro", "prompt": "a fox", "parameters": {"seed": 1, "steps": 30}}
    asset_id = api.upload(
        "fox.png", "image/png", b"\x89PNG-one", asset_type="generated_content", generation=generation
    )["asset_id"]
    new_version(api, asset_id, b"\x89PNG-two!", generation={**generation, "parameters": {"seed": 2, "steps": 30}})

    compared = api.request("GET", f"/assets/{asset_id}/compare", query={"a": "1", "b": "2"})

    assert compared.status == 200, compared.body
    body = compared.json()
    assert (body["a"]["number"], body["b"]["number"]) == (1, 2)
    assert body["generation_changes"] == [{"field": "parameters.seed", "a": 1, "b": 2}]
    assert {c["field"] for c in body["file_changes"]} >= {"size", "filename"}
    assert api.request("GET", f"/assets/{asset_id}/compare", query={"a": "1", "b": "9"}).status == 404
    assert api.request("GET", f"/assets/{asset_id}/compare", query={"a": "1"}).status == 422


def test_a_workspace_that_allows_it_lets_you_approve_your_own_upload(api: Api) -> None:
    from dam.api.context import build_services, use_services
    from dam.settings import ApiSettings
    from tests.conftest import ASSETS_TABLE, MEDIA_BUCKET, TABLES

    settings = ApiSettings.from_environment(
        assets_table=ASSETS_TABLE,
        library_table=TABLES["Library"],
        media_bucket=MEDIA_BUCKET,
        self_approval_workspaces=frozenset({"ws-studio"}),
    )
    use_services(build_services(settings))
    lead = api.as_user(LEAD["user"], role=LEAD["role"])
    asset_id = api.upload("hero.png", "image/png", b"\x89PNG-one", claims=lead)["asset_id"]
    assert api.request("POST", f"/assets/{asset_id}/versions/1/approve", claims=lead).status == 200


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("create_version", 201),
        ("list_versions", 200),
        ("download_version", 302),
        ("approve_version", 200),
        ("compare_versions", 200),
    ],
)
def test_the_version_sample_events_are_answered_by_the_handler(api: Api, name: str, status: int) -> None:
    from functions.api.handler import handler
    from tests.integration.library_support import seed
    from tests.support import LambdaContext, load_event, to_response

    seed("0f8e2a7c9b1d4e6fa3c5b7d9e1f2a4c6", 0, client="client-acme")

    response = to_response(handler(load_event(f"api/{name}.json"), LambdaContext()))

    assert response.status == status, response.body


def test_a_number_found_taken_is_skipped_rather_than_failing_the_upload(api: Api) -> None:
    from dam.adapters.dynamodb.versions import VersionRepository

    asset_id = api.upload("hero.png", "image/png", b"\x89PNG-one")["asset_id"]
    store = VersionRepository()
    one = versions(api, asset_id)["items"][0]
    assert one["number"] == 1
    # As if a concurrent update had been lost: a record holds number 2 while the counter still says 1.
    recorded = store.get("ws-studio", asset_id, 1)
    assert recorded is not None
    store.create(recorded.model_copy(update={"number": 2, "record_version": 0}))

    assert new_version(api, asset_id, b"\x89PNG-three")["number"] == 3
