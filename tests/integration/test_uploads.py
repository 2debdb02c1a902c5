"""POST /uploads through the real handler, against moto."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import MEDIA_BUCKET, Api


def _policy(fields: dict[str, str]) -> dict:
    return json.loads(base64.b64decode(fields["policy"]))


def test_upload_creates_a_pending_asset_and_a_presigned_post_pinning_key_type_and_size(api: Api) -> None:
    # Given an editor's upload request
    body = {"filename": "hero-shot.jpg", "content_type": "image/jpeg", "size": 482113, "asset_type": "product"}

    # When it is posted
    response = api.request("POST", "/uploads", body=body)

    # Then the asset exists, waiting for its bytes, and the POST policy pins everything
    assert response.status == 201, response.body
    payload = response.json()
    asset, upload = payload["asset"], payload["upload"]
    assert asset["status"] == "pending_upload" and asset["progress"] == "uploading"
    assert asset["media_type"] == "image" and asset["asset_type"] == "product"
    assert asset["name"] == "hero-shot.jpg" and asset["creator_id"] == "user-maya"
    assert asset["original"] is None  # nothing to download yet
    assert response.headers["location"] == f"/assets/{asset['asset_id']}"
    key = f"assets/ws-studio/{asset['asset_id']}/original"
    assert upload["fields"]["key"] == key
    assert MEDIA_BUCKET in upload["url"]
    conditions = _policy(upload["fields"])["conditions"]
    assert {"key": key} in conditions
    assert {"Content-Type": "image/jpeg"} in conditions
    assert ["content-length-range", 482113, 482113] in conditions
    assert {"bucket": MEDIA_BUCKET} in conditions
    expiry = datetime.fromisoformat(_policy(upload["fields"])["expiration"].replace("Z", "+00:00"))
    assert 0 < (expiry - datetime.now(UTC)).total_seconds() <= 900


def test_upload_of_generated_content_keeps_its_generation_metadata(api: Api) -> None:
    from tests.support import load_event

    body = json.loads(load_event("api/create_upload_generated.json")["body"])
    response = api.request("POST", "/uploads", body=body)
    assert response.status == 201, response.body
    generation = response.json()["asset"]["generation"]
    assert generation["model"] == "imagen-4"
    assert generation["parameters"] == {"aspect_ratio": "16:9", "seed": 42}
    assert generation["generation_run_id"] == "run-7f3a"


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"size": 0}, "body.size"),
        ({"size": "big"}, "body.size"),
        ({"asset_type": "spaceship"}, "body.asset_type"),
        ({"filename": ""}, "body.filename"),
        ({"filename": "../../etc/passwd"}, "body.filename"),
        ({"unexpected": 1}, "body.unexpected"),
        ({"generation": {"model": "imagen-4", "seed": 1}}, "body.generation.seed"),
    ],
)
def test_upload_rejects_malformed_input_with_the_field_path(api: Api, change: dict, path: str) -> None:
    body = {"filename": "a.png", "content_type": "image/png", "size": 10, "asset_type": "image", **change}
    response = api.request("POST", "/uploads", body=body)
    assert response.status == 422, response.body
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert path in [f["path"] for f in error["fields"]]


def test_upload_rejects_a_missing_body_and_broken_json(api: Api) -> None:
    assert api.request("POST", "/uploads", body="{not json").status == 422
    missing = api.request("POST", "/uploads", body={})
    assert missing.status == 422
    paths = {f["path"] for f in missing.json()["error"]["fields"]}
    assert {"body.filename", "body.content_type", "body.size", "body.asset_type"} <= paths


@pytest.mark.parametrize(
    ("filename", "content_type", "size", "field", "words"),
    [
        ("setup.exe", "application/x-msdownload", 10, "content_type", "not a supported format"),
        ("page.html", "text/html", 10, "content_type", "not a supported format"),
        ("photo.png", "image/jpeg", 10, "filename", "PNG"),
        ("archive.rar", "application/zip", 10, "filename", "not a supported format"),
        ("huge.mp4", "video/mp4", 50 * 1024**2 + 1, "size", "limit"),
    ],
)
def test_upload_refuses_unsupported_or_oversized_files_before_signing(
    api: Api, filename: str, content_type: str, size: int, field: str, words: str
) -> None:
    body = {"filename": filename, "content_type": content_type, "size": size, "asset_type": "document"}
    response = api.request("POST", "/uploads", body=body)
    assert response.status == 422, response.body
    error = response.json()["error"]
    assert error["fields"][0]["path"] == f"body.{field}"
    assert words in error["message"]
    # nothing was created
    assert api.request("GET", "/assets").json()["items"] == []


@pytest.mark.parametrize(
    ("filename", "content_type", "media_type"),
    [
        ("clip.mov", "video/quicktime", "video"),
        ("voice.m4a", "audio/x-m4a", "audio"),
        ("brief.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "document"),
        ("list.csv", "text/csv", "document"),
        ("data.yml", "application/x-yaml", "data"),
        ("subs.vtt", "text/vtt", "subtitles"),
        ("bundle.zip", "application/zip", "archive"),
        ("car.glb", "model/gltf-binary", "model"),
        ("car.obj", "model/obj", "model"),
        ("IMG_2847.HEIC", "image/heic", "image"),
        ("scan-0042.TIFF", "image/tiff", "image"),
        ("logo.svg", "image/svg+xml; charset=utf-8", "image"),
    ],
)
def test_every_supported_family_is_accepted_with_its_media_type(
    api: Api, filename: str, content_type: str, media_type: str
) -> None:
    body = {"filename": filename, "content_type": content_type, "size": 100, "asset_type": "document"}
    response = api.request("POST", "/uploads", body=body)
    assert response.status == 201, response.body
    assert response.json()["asset"]["media_type"] == media_type


def test_external_user_uploads_default_to_their_first_client_and_cannot_pick_another(api: Api) -> None:
    external = api.as_user("user-ext", clients=["client-acme", "client-zen"])
    body = {"filename": "a.png", "content_type": "image/png", "size": 10, "asset_type": "image"}
    created = api.request("POST", "/uploads", body=body, claims=external)
    assert created.status == 201
    assert created.json()["asset"]["client_id"] == "client-acme"
    other = api.request("POST", "/uploads", body={**body, "client_id": "client-other"}, claims=external)
    assert other.status == 422
    assert other.json()["error"]["fields"][0]["path"] == "body.client_id"


def test_requests_without_identity_are_unauthorized(api: Api) -> None:
    response = api.request("GET", "/assets", claims=False)
    # API Gateway's authorizer answers `{"message": "Unauthorized"}`; the function answers the same shape
    assert response.status == 401
    assert response.json() == {"message": "Unauthorized"}
    no_workspace = api.request("GET", "/assets", claims={"sub": "someone"})
    assert no_workspace.status == 401
    assert no_workspace.json() == {"message": "Unauthorized"}


def _start(api: Api, key: str, claims: dict[str, str] | None = None, **change: Any) -> Any:
    body = {"filename": "take-03.jpg", "content_type": "image/jpeg", "size": 2048, "asset_type": "image", **change}
    return api.request("POST", "/uploads", body=body, headers={"Idempotency-Key": key}, claims=claims or True)


def test_a_retried_upload_request_gets_the_same_asset_and_fresh_urls_instead_of_a_second_asset(api: Api) -> None:
    # Given an upload whose answer the client lost (a timeout, a killed process)
    first = _start(api, "retry-key-0001")
    assert first.status == 201, first.body

    # When the client sends the very same request again
    again = _start(api, "retry-key-0001")

    # Then it is the same asset, with a presigned POST to the same key, and the workspace holds one asset
    assert again.status == 200, again.body
    assert again.json()["asset"]["asset_id"] == first.json()["asset"]["asset_id"]
    assert again.json()["upload"]["fields"]["key"] == first.json()["upload"]["fields"]["key"]
    listed = api.request("GET", "/assets").json()["items"]
    assert [a["asset_id"] for a in listed] == [first.json()["asset"]["asset_id"]]

    # And another key, or another user with the same key, makes a new asset
    other = _start(api, "retry-key-0002")
    assert other.status == 201 and other.json()["asset"]["asset_id"] != first.json()["asset"]["asset_id"]
    theirs = _start(api, "retry-key-0001", claims=api.as_user(user="user-lee", role="editor"))
    assert theirs.status == 201 and theirs.json()["asset"]["asset_id"] != first.json()["asset"]["asset_id"]


def test_a_retry_after_the_bytes_landed_follows_the_asset_and_a_key_reused_for_another_file_is_refused(
    api: Api,
) -> None:
    data = b"\xff\xd8\xff-jpeg" * 100
    first = _start(api, "landed-key-01", size=len(data)).json()
    key = first["upload"]["fields"]["key"]
    api.aws.s3.put_object(Bucket=MEDIA_BUCKET, Key=key, Body=data, ContentType="image/jpeg")
    api.notify(key, len(data))

    again = _start(api, "landed-key-01", size=len(data))
    assert again.status == 200, again.body
    assert again.json()["upload"] is None and again.json()["multipart"] is None  # nothing more to send
    assert again.json()["asset"]["status"] != "pending_upload"

    reused = _start(api, "landed-key-01", filename="another.jpg", size=len(data))
    assert reused.status == 409, reused.body
    assert "Idempotency-Key" in reused.json()["error"]["message"]


@pytest.mark.parametrize("key", ["short", "has space in it", "x" * 129, "semi;colon-key"])
def test_a_malformed_idempotency_key_is_a_422_naming_the_header(api: Api, key: str) -> None:
    response = _start(api, key)
    assert response.status == 422, response.body
    assert [field["path"] for field in response.json()["error"]["fields"]] == ["header.idempotency-key"]


def test_a_retried_upload_into_a_shot_attaches_it_once(api: Api) -> None:
    project = api.request("POST", "/projects", body={"name": "Heist", "reference": "HST1"}).json()["project_id"]
    story = api.request("POST", f"/projects/{project}/stories", body={"title": "One"}).json()["story_id"]
    scene = api.request("POST", f"/stories/{story}/scenes", body={"title": "Roof"}).json()["scene_id"]
    shot = api.request("POST", f"/scenes/{scene}/shots", body={"title": "Wide"}).json()["shot_id"]

    for status in (201, 200, 200):
        assert _start(api, "shot-key-0001", project_id=project, shot_id=shot).status == status

    tree = api.request("GET", f"/projects/{project}/tree").json()
    assert tree["stories"][0]["scenes"][0]["shots"][0]["asset_count"] == 1
