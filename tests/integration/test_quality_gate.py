"""The quality gate: a video is made only from approved image versions; lineage shows both directions."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.integration.version_support import new_version

LEAD = ("user-lena", "shoot_lead")


def approved_image(api: Api, data: bytes = b"\x89PNG-frame") -> str:
    asset_id: str = api.upload("frame.png", "image/png", data)["asset_id"]
    lead = api.as_user(LEAD[0], role=LEAD[1])
    assert api.request("POST", f"/assets/{asset_id}/versions/1/approve", claims=lead).status == 200
    return asset_id


def video_upload(api: Api, inputs: list[dict[str, Any]], **extra: Any) -> Any:
    body = {
        "filename": "clip.mp4",
        "content_type": "video/mp4",
        "size": 100,
        "asset_type": "generated_content",
        "generation": {"model": "veo", "prompt": "the fox runs", "inputs": inputs},
        **extra,
    }
    return api.request("POST", "/uploads", body=body)


def test_a_video_from_an_approved_image_is_accepted_and_the_version_is_recorded(api: Api) -> None:
    frame = approved_image(api)
    new_version(api, frame, b"\x89PNG-frame-2")  # a newer draft: the approved one is still version 1

    created = video_upload(api, [{"asset_id": frame}])

    assert created.status == 201, created.body
    assert created.json()["asset"]["generation"]["inputs"] == [{"asset_id": frame, "version": 1}]


def test_each_failing_input_is_named_with_its_reason(api: Api) -> None:
    lead = api.as_user(LEAD[0], role=LEAD[1])
    draft = api.upload("draft.png", "image/png", b"\x89PNG-d")["asset_id"]
    revoked = approved_image(api, b"\x89PNG-r")
    api.request("POST", f"/assets/{revoked}/versions/1/revoke", claims=lead)
    clip = api.upload("clip.mp4", "video/mp4", b"\x00\x00\x00\x18ftypmp42")["asset_id"]
    api.request("POST", f"/assets/{clip}/versions/1/approve", claims=lead)
    theirs = api.upload("x.png", "image/png", b"\x89PNG-x", claims=api.as_user("user-rival", "ws-rival"))["asset_id"]
    good = approved_image(api, b"\x89PNG-g")

    refused = video_upload(
        api,
        [
            {"asset_id": good},
            {"asset_id": draft, "version": 1},
            {"asset_id": revoked},
            {"asset_id": clip, "version": 1},
            {"asset_id": theirs, "version": 1},
            {"asset_id": good, "version": 7},
        ],
    )

    assert refused.status == 422, refused.body
    error = refused.json()["error"]
    assert error["code"] == "inputs_refused"
    reasons = {f["path"]: f["message"] for f in error["fields"]}
    assert set(reasons) == {f"body.generation.inputs.{i}" for i in (1, 2, 3, 4, 5)}
    assert "draft" in reasons["body.generation.inputs.1"]
    assert "no approved version" in reasons["body.generation.inputs.2"]
    assert "not an image" in reasons["body.generation.inputs.3"]
    assert "not visible" in reasons["body.generation.inputs.4"]
    assert "no version 7" in reasons["body.generation.inputs.5"]
    listed = api.request("GET", "/assets", query={"media_type": "video"}).json()["items"]
    assert [a["asset_id"] for a in listed] == [clip], "the refused upload made no asset"


def test_a_version_upload_passes_the_same_gate(api: Api) -> None:
    video = video_upload(api, [{"asset_id": approved_image(api)}]).json()["asset"]["asset_id"]
    draft = api.upload("draft.png", "image/png", b"\x89PNG-d")["asset_id"]
    body = {
        "filename": "clip2.mp4",
        "content_type": "video/mp4",
        "size": 100,
        "generation": {"model": "veo", "inputs": [{"asset_id": draft}]},
    }
    refused = api.request("POST", f"/assets/{video}/versions", body=body)
    assert refused.status == 422 and refused.json()["error"]["code"] == "inputs_refused"


def test_images_may_be_made_from_drafts_and_record_the_active_version(api: Api) -> None:
    draft = api.upload("draft.png", "image/png", b"\x89PNG-d")["asset_id"]
    body = {
        "filename": "remix.png",
        "content_type": "image/png",
        "size": 10,
        "asset_type": "generated_content",
        "generation": {"model": "flux", "inputs": [{"asset_id": draft}]},
    }
    created = api.request("POST", "/uploads", body=body)
    assert created.status == 201, created.body
    assert created.json()["asset"]["generation"]["inputs"] == [{"asset_id": draft, "version": 1}]


def test_check_answers_what_an_upload_would_get(api: Api) -> None:
    good, draft = approved_image(api), api.upload("d.png", "image/png", b"\x89PNG-d")["asset_id"]
    body = {"output_media_type": "video", "inputs": [{"asset_id": good}, {"asset_id": draft}]}

    answer = api.request("POST", "/generation-inputs/check", body=body)

    assert answer.status == 200, answer.body
    result = answer.json()
    assert result["accepted"] is False
    assert [(i["asset_id"], i["version"], i["accepted"]) for i in result["inputs"]] == [
        (good, 1, True),
        (draft, None, False),
    ]
    only_good = api.request("POST", "/generation-inputs/check", body={**body, "inputs": [{"asset_id": good}]})
    assert only_good.json()["accepted"] is True


def test_lineage_shows_what_an_asset_was_made_from_and_into_version_exact(api: Api) -> None:
    frame = approved_image(api)
    video = video_upload(api, [{"asset_id": frame}]).json()["asset"]["asset_id"]

    into = api.request("GET", f"/assets/{frame}/lineage").json()
    made = api.request("GET", f"/assets/{video}/lineage").json()

    assert into["made_into"] == [{"asset_id": video, "version": 1, "from_version": 1}]
    assert made["made_from"] == [{"version": 1, "inputs": [{"asset_id": frame, "version": 1}]}]
    # Deleting the output forgets the use.
    assert api.request("DELETE", f"/assets/{video}", query={"permanent": "true"}).status == 204
    assert api.request("GET", f"/assets/{frame}/lineage").json()["made_into"] == []


def test_deleting_an_output_version_forgets_what_it_was_made_from(api: Api) -> None:
    frame, other = approved_image(api), approved_image(api, b"\x89PNG-other")
    video = video_upload(api, [{"asset_id": frame}]).json()["asset"]["asset_id"]
    body = {
        "filename": "clip2.mp4",
        "content_type": "video/mp4",
        "size": 100,
        "generation": {"model": "veo", "inputs": [{"asset_id": other}]},
    }
    assert api.request("POST", f"/assets/{video}/versions", body=body).status == 201
    assert api.request("GET", f"/assets/{other}/lineage").json()["made_into"] == [
        {"asset_id": video, "version": 2, "from_version": 1}
    ]

    assert api.request("DELETE", f"/assets/{video}/versions/2").status == 204

    assert api.request("GET", f"/assets/{other}/lineage").json()["made_into"] == []
    assert api.request("GET", f"/assets/{frame}/lineage").json()["made_into"] != []
