"""Browse, read, edit, download and delete assets through the real handler, against moto."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from dam.adapters.dynamodb.assets import AssetRepository
from dam.domain.assets import Asset, AssetStatus, AssetType, GenerationMetadata, Rendition, original_key
from dam.domain.formats import MediaType
from tests.conftest import MEDIA_BUCKET, Api

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _seed(
    asset_id: str,
    created_at: datetime,
    *,
    workspace: str = "ws-studio",
    creator: str = "user-maya",
    asset_type: AssetType = AssetType.IMAGE,
    media_type: MediaType = MediaType.IMAGE,
    model: str | None = None,
    client: str | None = None,
    archived: bool = False,
) -> Asset:
    asset = Asset(
        asset_id=asset_id,
        workspace_id=workspace,
        asset_type=asset_type,
        media_type=media_type,
        name=f"{asset_id}.png",
        filename=f"{asset_id}.png",
        content_type="image/png",
        size=100,
        status=AssetStatus.READY,
        creator_id=creator,
        created_at=created_at,
        updated_at=created_at,
        client_id=client,
        archived=archived,
        original_key=original_key(workspace, asset_id),
        generation=GenerationMetadata(model=model, prompt=f"prompt for {asset_id}") if model else None,
    )
    return AssetRepository().create(asset)


def _ids(response) -> list[str]:
    assert response.status == 200, response.body
    return [item["asset_id"] for item in response.json()["items"]]


def test_list_is_newest_first_thirty_a_page_with_a_cursor_that_walks_every_asset_once(api: Api) -> None:
    ids = [f"a{n:03d}" for n in range(65)]
    for n, asset_id in enumerate(ids):
        _seed(asset_id, T0 + timedelta(minutes=n))
    newest_first = list(reversed(ids))

    first = api.request("GET", "/assets")
    assert _ids(first) == newest_first[:30]
    second = api.request("GET", "/assets", query={"cursor": first.json()["next_cursor"]})
    assert _ids(second) == newest_first[30:60]
    third = api.request("GET", "/assets", query={"cursor": second.json()["next_cursor"]})
    assert _ids(third) == newest_first[60:]
    assert third.json()["next_cursor"] is None


def test_limit_is_bounded_and_a_bad_cursor_is_a_clear_error(api: Api) -> None:
    for n in range(3):
        _seed(f"b{n}", T0 + timedelta(minutes=n))
    assert _ids(api.request("GET", "/assets", query={"limit": "2"})) == ["b2", "b1"]
    for bad in ("0", "101", "many"):
        response = api.request("GET", "/assets", query={"limit": bad})
        assert response.status == 422
        assert response.json()["error"]["fields"][0]["path"] == "query.limit"
    broken = api.request("GET", "/assets", query={"cursor": "not-a-cursor"})
    assert broken.status == 400 and broken.json()["error"]["code"] == "invalid_cursor"
    assert broken.json()["error"]["fields"][0]["path"] == "query.cursor"


def test_filters_narrow_by_type_media_model_creator_and_combine(api: Api) -> None:
    _seed("img-maya", T0, creator="user-maya")
    _seed("img-theo", T0 + timedelta(minutes=1), creator="user-theo")
    _seed(
        "vid-theo",
        T0 + timedelta(minutes=2),
        creator="user-theo",
        asset_type=AssetType.VIDEO,
        media_type=MediaType.VIDEO,
    )
    _seed("gen-imagen", T0 + timedelta(minutes=3), asset_type=AssetType.GENERATED_CONTENT, model="imagen-4")
    _seed(
        "gen-flux",
        T0 + timedelta(minutes=4),
        asset_type=AssetType.GENERATED_CONTENT,
        model="flux-pro",
        creator="user-theo",
    )
    _seed("logo", T0 + timedelta(minutes=5), asset_type=AssetType.LOGO)

    assert _ids(api.request("GET", "/assets", query={"media_type": "video"})) == ["vid-theo"]
    assert _ids(api.request("GET", "/assets", query={"asset_type": "logo"})) == ["logo"]
    assert _ids(api.request("GET", "/assets", query={"model": "imagen-4"})) == ["gen-imagen"]
    assert _ids(api.request("GET", "/assets", query={"creator": "user-theo"})) == ["gen-flux", "vid-theo", "img-theo"]
    combined = {"creator": "user-theo", "media_type": "image", "asset_type": "image"}
    assert _ids(api.request("GET", "/assets", query=combined)) == ["img-theo"]
    assert _ids(api.request("GET", "/assets", query={"model": "flux-pro", "creator": "user-maya"})) == []
    assert api.request("GET", "/assets", query={"media_type": "hologram"}).status == 422


def test_date_range_includes_the_whole_to_day(api: Api) -> None:
    _seed("oct-31", datetime(2026, 10, 31, 23, 59, tzinfo=UTC))
    _seed("nov-01-early", datetime(2026, 11, 1, 0, 0, tzinfo=UTC))
    _seed("nov-02-late", datetime(2026, 11, 2, 23, 59, 59, 999000, tzinfo=UTC))
    _seed("nov-03", datetime(2026, 11, 3, 0, 0, 1, tzinfo=UTC))

    both = {"from": "2026-11-01", "to": "2026-11-02"}
    assert _ids(api.request("GET", "/assets", query=both)) == ["nov-02-late", "nov-01-early"]
    assert _ids(api.request("GET", "/assets", query={"to": "2026-10-31"})) == ["oct-31"]
    assert _ids(api.request("GET", "/assets", query={"from": "2026-11-03"})) == ["nov-03"]
    backwards = api.request("GET", "/assets", query={"from": "2026-11-03", "to": "2026-11-01"})
    assert backwards.status == 422
    assert api.request("GET", "/assets", query={"from": "yesterday"}).status == 422


def test_lists_never_show_another_workspace_archived_assets_or_other_clients(api: Api) -> None:
    _seed("mine", T0)
    _seed("theirs", T0, workspace="ws-rival")
    _seed("archived", T0, archived=True)
    _seed("acme", T0, client="client-acme")
    _seed("zen", T0, client="client-zen")

    assert sorted(_ids(api.request("GET", "/assets"))) == ["acme", "mine", "zen"]
    assert _ids(api.request("GET", "/assets", query={"archived": "true"})) == ["archived"]
    external = api.as_user("user-ext", clients=["client-acme"])
    assert sorted(_ids(api.request("GET", "/assets", claims=external))) == ["acme", "mine"]
    rival = api.as_user("user-rival", workspace="ws-rival")
    assert _ids(api.request("GET", "/assets", claims=rival)) == ["theirs"]


def test_detail_has_short_lived_links_to_the_original_and_each_rendition(api: Api) -> None:
    asset = api.upload("shot.jpg", "image/jpeg", b"\xff\xd8\xff" + b"x" * 100)
    repo = AssetRepository()
    stored = repo.get(asset["asset_id"])
    assert stored is not None
    thumb_key = f"assets/ws-studio/{asset['asset_id']}/thumbnail.webp"
    repo.save(
        stored.model_copy(
            update={
                "renditions": {
                    "thumbnail": Rendition(key=thumb_key, content_type="image/webp", size=42, width=256, height=171)
                }
            }
        )
    )

    detail = api.request("GET", f"/assets/{asset['asset_id']}")

    assert detail.status == 200, detail.body
    body = detail.json()
    assert body["status"] == "uploaded" and body["progress"] == "queued"
    original = urlparse(body["original"]["url"])
    assert original.path.endswith(f"/assets/ws-studio/{asset['asset_id']}/original")
    assert int(parse_qs(original.query)["X-Amz-Expires"][0]) <= 300
    thumbnail = body["renditions"]["thumbnail"]
    assert (thumbnail["width"], thumbnail["height"], thumbnail["content_type"]) == (256, 171, "image/webp")
    assert thumb_key in thumbnail["url"]
    assert body["thumbnail"]["url"] == thumbnail["url"].split("?")[0] + "?" + thumbnail["url"].split("?")[1]
    listed = api.request("GET", "/assets").json()["items"][0]
    assert thumb_key in listed["thumbnail"]["url"]


def test_another_workspace_asset_answers_404_everywhere(api: Api) -> None:
    asset = api.upload()
    rival = api.as_user("user-rival", workspace="ws-rival", role="admin")
    path = f"/assets/{asset['asset_id']}"
    assert api.request("GET", path, claims=rival).status == 404
    assert api.request("GET", f"{path}/download", claims=rival).status == 404
    assert api.request("PATCH", path, body={"name": "mine now"}, claims=rival).status == 404
    assert api.request("DELETE", path, claims=rival).status == 404  # like every route, and nothing happens:
    assert api.request("GET", path).json()["name"] == "photo.jpg"
    assert api.request("GET", "/assets/does-not-exist").status == 404


def test_patch_edits_name_notes_tags_and_type(api: Api) -> None:
    asset = api.upload()
    path = f"/assets/{asset['asset_id']}"
    changes = {
        "name": "Hero shot, final",
        "notes": "Approved by client",
        "tags": [" hero ", "hero", "spring  sale"],  # a blank tag is refused (test_hostile_input)
        "asset_type": "product",
    }

    response = api.request("PATCH", path, body=changes)

    assert response.status == 200, response.body
    body = response.json()
    assert (body["name"], body["notes"], body["asset_type"]) == ("Hero shot, final", "Approved by client", "product")
    assert body["tags"] == ["hero", "spring sale"]
    assert api.request("GET", path).json()["tags"] == ["hero", "spring sale"]
    # only the given fields change
    assert api.request("PATCH", path, body={"notes": ""}).json()["name"] == "Hero shot, final"


def test_patch_with_a_stale_version_is_a_conflict_and_loses_nothing(api: Api) -> None:
    asset = api.upload()
    path = f"/assets/{asset['asset_id']}"
    version = api.request("GET", path).json()["version"]
    assert api.request("PATCH", path, body={"notes": "first"}, headers={"if-match": str(version)}).status == 200

    stale = api.request("PATCH", path, body={"notes": "second"}, headers={"if-match": str(version)})

    assert stale.status == 409
    assert api.request("GET", path).json()["notes"] == "first"
    assert api.request("PATCH", path, body={"notes": "x"}, headers={"if-match": "abc"}).status == 422


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"tags": "hero"}, "body.tags"),
        ({"name": ""}, "body.name"),
        ({"asset_type": "x"}, "body.asset_type"),
        ({"tags": ["x" * 101]}, "body.tags"),
        ({"status": "ready"}, "body.status"),
    ],
)
def test_patch_rejects_bad_input(api: Api, body: dict, path: str) -> None:
    asset = api.upload()
    response = api.request("PATCH", f"/assets/{asset['asset_id']}", body=body)
    assert response.status == 422
    assert path in [f["path"] for f in response.json()["error"]["fields"]]


def test_download_redirects_to_a_url_naming_the_file(api: Api) -> None:
    plain = api.upload("Moodboard 01.png", "image/png", b"\x89PNG....", name="Spring moodboard")
    generated = api.upload(
        "output.png",
        "image/png",
        b"\x89PNG....",
        asset_type="generated_content",
        generation={"model": "imagen-4", "prompt": "a fox"},
    )

    for asset, expected in ((plain, "Spring moodboard.png"), (generated, f"imagen-4-{generated['asset_id'][:8]}.png")):
        response = api.request("GET", f"/assets/{asset['asset_id']}/download")
        assert response.status == 302
        query = parse_qs(urlparse(response.headers["location"]).query)
        assert f'filename="{expected}"' in query["response-content-disposition"][0]
        assert int(query["X-Amz-Expires"][0]) <= 300


def test_download_before_the_bytes_arrive_is_a_conflict(api: Api) -> None:
    created = api.request(
        "POST", "/uploads", body={"filename": "a.png", "content_type": "image/png", "size": 5, "asset_type": "image"}
    )
    response = api.request("GET", f"/assets/{created.json()['asset']['asset_id']}/download")
    assert response.status == 409


def test_delete_removes_the_original_every_rendition_and_the_record_and_is_idempotent(api: Api) -> None:
    asset = api.upload()
    keep = api.upload("other.jpg")
    prefix = f"assets/ws-studio/{asset['asset_id']}/"
    for name in ("thumbnail.webp", "preview.webp", "versions/2/original"):
        api.aws.s3.put_object(Bucket=MEDIA_BUCKET, Key=prefix + name, Body=b"x")
    path = f"/assets/{asset['asset_id']}"
    permanently = {"permanent": "true"}

    assert api.request("DELETE", path, query=permanently).status == 204

    assert api.aws.objects(prefix) == []
    assert api.request("GET", path).status == 404
    assert _ids(api.request("GET", "/assets")) == [keep["asset_id"]]
    assert api.aws.objects(f"assets/ws-studio/{keep['asset_id']}/") != []
    assert api.request("DELETE", path, query=permanently).status == 404  # gone: as for anything that is not there


def test_unknown_routes_answer_404_as_json(api: Api) -> None:
    response = api.request("GET", "/nope")
    assert response.status == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("content_type", ["text/plain", "multipart/form-data"])
def test_a_body_that_is_not_json_answers_415(api: Api, content_type: str) -> None:
    response = api.request("POST", "/collections", body='{"name": "Picks"}', headers={"content-type": content_type})
    assert response.status == 415, response.body
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_an_svg_original_is_only_ever_linked_as_a_download(api: Api) -> None:
    svg = api.upload("logo.svg", "image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg"/>', asset_type="logo")
    original = api.request("GET", f"/assets/{svg['asset_id']}").json()["original"]["url"]
    assert "attachment" in parse_qs(urlparse(original).query)["response-content-disposition"][0]
    photo = api.upload()
    plain = api.request("GET", f"/assets/{photo['asset_id']}").json()["original"]["url"]
    assert "response-content-disposition" not in parse_qs(urlparse(plain).query)
