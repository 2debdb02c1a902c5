"""Comments on asset versions through the real handler against moto: threads, pins checked against the
version's own pixels and duration, mentions, edit history, soft delete, and comments that stay on the version
they were written on whatever is promoted or uploaded later."""

from __future__ import annotations

from typing import Any

import pytest

from dam.domain.errors import NotFound
from tests.conftest import Api
from tests.integration.conftest import wait_until_processed
from tests.integration.version_support import new_version, wait_for_version
from tests.unit.imaging import corpus

EDITOR = {"user": "user-eli", "role": "editor"}
LEAD = {"user": "user-lena", "role": "shoot_lead"}


def _path(asset_id: str, number: int, *rest: str) -> str:
    return "/".join([f"/assets/{asset_id}/versions/{number}/comments", *rest])


def comment(api: Api, asset_id: str, number: int = 1, claims: dict[str, Any] | None = None, **body: Any) -> Any:
    response = api.request("POST", _path(asset_id, number), body={"body": "Looks good", **body}, claims=claims or True)
    assert response.status == 201, response.body
    return response.json()


def listed(api: Api, asset_id: str, number: int, claims: dict[str, Any] | None = None, **query: str) -> Any:
    response = api.request("GET", _path(asset_id, number), query=query or None, claims=claims or True)
    assert response.status == 200, response.body
    return response.json()


def image_asset(api: Api) -> str:
    asset_id: str = api.upload("hero.png", "image/png", b"\x89PNG-one")["asset_id"]
    return asset_id


def test_a_reply_thread_reads_in_order_and_pages_with_a_cursor(api: Api) -> None:
    asset_id = image_asset(api)
    first = comment(api, asset_id, body="Sky too blue")
    second = comment(api, asset_id, body="Logo too small")
    reply = comment(api, asset_id, body="Agreed", parent_id=first["comment_id"], claims=api.as_user(**EDITOR))
    deeper = comment(api, asset_id, body="Fixed in v2", parent_id=reply["comment_id"])

    items = listed(api, asset_id, 1)["items"]

    order = [first, reply, deeper, second]
    assert [c["comment_id"] for c in items] == [c["comment_id"] for c in order]
    assert [c["depth"] for c in items] == [1, 2, 3, 1]
    assert items[1]["parent_id"] == first["comment_id"] and items[1]["author"] == {
        "kind": "user",
        "id": "user-eli",
        "name": None,
    }
    assert items[0]["replies"] == 2 and items[3]["replies"] == 0
    # Two at a time: the same order across pages, and the last page has no cursor.
    page1 = listed(api, asset_id, 1, limit="2")
    page2 = listed(api, asset_id, 1, limit="2", cursor=page1["next_cursor"])
    seen = [c["comment_id"] for c in page1["items"] + page2["items"]]
    assert seen == [c["comment_id"] for c in order]
    assert (
        listed(api, asset_id, 1, limit="2", cursor=page2["next_cursor"])["items"] == [] or page2["next_cursor"] is None
    )


def test_comments_stay_on_their_version_through_new_uploads_and_promote(api: Api) -> None:
    asset_id = image_asset(api)
    on_v1 = comment(api, asset_id, 1, body="On the first take")
    new_version(api, asset_id, b"\x89PNG-two")
    on_v2 = comment(api, asset_id, 2, body="On the second take")

    promoted = api.request("POST", f"/assets/{asset_id}/versions/2/promote")
    assert promoted.status == 200, promoted.body
    new_version(api, asset_id, b"\x89PNG-three")

    assert [c["comment_id"] for c in listed(api, asset_id, 1)["items"]] == [on_v1["comment_id"]]
    assert [c["comment_id"] for c in listed(api, asset_id, 2)["items"]] == [on_v2["comment_id"]]
    assert listed(api, asset_id, 3)["items"] == []
    # A comment is found only under its own version, and a reply only to a comment of the same version.
    assert api.request("GET", _path(asset_id, 2, on_v1["comment_id"])).status == 404
    cross = api.request("POST", _path(asset_id, 2), body={"body": "x", "parent_id": on_v1["comment_id"]})
    assert cross.status == 422 and cross.json()["error"]["fields"][0]["path"] == "body.parent_id"
    # A cursor of version 1's list does not read version 2's.
    more = comment(api, asset_id, 1, body="Second on v1")
    cursor = listed(api, asset_id, 1, limit="1")["next_cursor"]
    assert api.request("GET", _path(asset_id, 2), query={"cursor": cursor}).status == 400
    assert more["version"] == 1

    compared = api.request("GET", f"/assets/{asset_id}/comments", query={"versions": "2,1"})
    assert compared.status == 200, compared.body
    groups = compared.json()["versions"]
    assert [g["version"] for g in groups] == [2, 1]
    assert [c["comment_id"] for c in groups[0]["items"]] == [on_v2["comment_id"]]
    assert [c["comment_id"] for c in groups[1]["items"]] == [on_v1["comment_id"], more["comment_id"]]
    assert api.request("GET", f"/assets/{asset_id}/comments", query={"versions": "1,9"}).status == 404


def test_deleting_a_version_takes_its_comments_and_their_mentions(api: Api) -> None:
    asset_id = image_asset(api)
    new_version(api, asset_id, b"\x89PNG-two")
    comment(api, asset_id, 2, body="@user-eli look", claims=api.as_user("user-ana"))
    assert len(api.request("GET", "/comments/mentions", claims=api.as_user(**EDITOR)).json()["items"]) == 1

    assert api.request("DELETE", f"/assets/{asset_id}/versions/2").status == 204

    assert api.request("GET", "/comments/mentions", claims=api.as_user(**EDITOR)).json()["items"] == []
    assert api.request("GET", _path(asset_id, 2)).status == 404


def test_edits_keep_the_history_and_only_the_author_edits(api: Api) -> None:
    asset_id = image_asset(api)
    author = api.as_user(**EDITOR)
    made = comment(api, asset_id, body="Crop tighter", claims=author)
    path = _path(asset_id, 1, made["comment_id"])
    assert made["edited_at"] is None

    first = api.request("PATCH", path, body={"body": "Crop tighter on the left"}, claims=author)
    second = api.request("PATCH", path, body={"body": "Crop tighter on the right"}, claims=author)
    assert first.status == 200 and second.status == 200, (first.body, second.body)
    assert second.json()["body"] == "Crop tighter on the right" and second.json()["edits"] == 2
    assert second.json()["edited_at"] is not None

    history = api.request("GET", f"{path}/history").json()["items"]
    assert [e["previous_body"] for e in history] == ["Crop tighter", "Crop tighter on the left"]
    assert {e["by"]["id"] for e in history} == {"user-eli"} and [e["number"] for e in history] == [1, 2]
    # Nobody else edits it, not even an admin; an edit that changes nothing records nothing.
    assert api.request("PATCH", path, body={"body": "mine now"}).status == 403
    same = api.request("PATCH", path, body={"body": "Crop tighter on the right"}, claims=author)
    assert same.json()["edits"] == 2
    assert len(api.request("GET", f"{path}/history").json()["items"]) == 2


def test_a_deleted_comment_is_a_placeholder_its_replies_stay_and_admins_see_who_deleted_it(api: Api) -> None:
    asset_id = image_asset(api)
    author, other = api.as_user(**EDITOR), api.as_user(**LEAD)
    top = comment(api, asset_id, body="Use the other logo @user-lena", claims=author)
    reply = comment(api, asset_id, body="Which one?", parent_id=top["comment_id"], claims=other)
    path = _path(asset_id, 1, top["comment_id"])
    assert api.request("PATCH", path, body={"body": "Use the blue logo"}, claims=author).status == 200

    assert api.request("DELETE", path, claims=other).status == 403  # not theirs, and not an admin
    assert api.request("DELETE", path, claims=author).status == 204
    assert api.request("DELETE", path, claims=author).status == 204  # again: nothing changes

    as_lead = listed(api, asset_id, 1, claims=other)["items"]
    assert [c["comment_id"] for c in as_lead] == [top["comment_id"], reply["comment_id"]]
    placeholder = as_lead[0]
    assert placeholder["deleted"] and placeholder["body"] is None and placeholder["author"] is None
    assert placeholder["deleted_by"] is None and placeholder["pin"] is None
    assert as_lead[1]["body"] == "Which one?"
    assert api.request("GET", f"{path}/history", claims=other).json()["items"] == []

    as_admin = api.request("GET", path).json()
    assert as_admin["body"] == "Use the blue logo" and as_admin["deleted_by"]["id"] == "user-eli"
    assert as_admin["deleted_at"] is not None
    assert len(api.request("GET", f"{path}/history").json()["items"]) == 1
    # Gone from the mentions; no reply to it nor edit of it any more.
    assert api.request("GET", "/comments/mentions", claims=other).json()["items"] == []
    refused = api.request("POST", _path(asset_id, 1), body={"body": "x", "parent_id": top["comment_id"]})
    assert refused.status == 409
    assert api.request("PATCH", path, body={"body": "back"}, claims=author).status == 409
    # An admin deletes anyone's comment.
    assert api.request("DELETE", _path(asset_id, 1, reply["comment_id"])).status == 204


def test_mentions_from_the_body_and_the_list_are_queryable_newest_first(api: Api) -> None:
    asset_id = image_asset(api)
    lena = api.as_user(**LEAD)
    older = comment(api, asset_id, body="@user-lena, thoughts? (cc ana@example.com)")
    newer = comment(api, asset_id, body="Second pass", mentions=["user-lena", "user-eli"])
    comment(api, asset_id, body="Nobody here")

    mine = api.request("GET", "/comments/mentions", claims=lena).json()
    assert [m["comment_id"] for m in mine["items"]] == [newer["comment_id"], older["comment_id"]]
    assert mine["items"][1]["excerpt"].startswith("@user-lena") and mine["items"][0]["version"] == 1
    assert older["mentions"] == ["user-lena"] and newer["mentions"] == ["user-lena", "user-eli"]
    page = api.request("GET", "/comments/mentions", query={"limit": "1"}, claims=lena).json()
    rest = api.request("GET", "/comments/mentions", query={"limit": "1", "cursor": page["next_cursor"]}, claims=lena)
    assert [m["comment_id"] for m in page["items"] + rest.json()["items"]] == [newer["comment_id"], older["comment_id"]]

    # An edit that drops a mention drops it from their list; the author never mentions themselves.
    path = _path(asset_id, 1, newer["comment_id"])
    edited = api.request("PATCH", path, body={"body": "Second pass", "mentions": ["user-eli", "user-maya"]})
    assert edited.json()["mentions"] == ["user-eli"]
    mine = api.request("GET", "/comments/mentions", claims=lena).json()
    assert [m["comment_id"] for m in mine["items"]] == [older["comment_id"]]


def test_mentions_on_assets_the_user_cannot_see_stay_hidden(api: Api) -> None:
    secret = api.upload("b.png", "image/png", b"\x89PNG-b", client_id="client-b")["asset_id"]
    comment(api, secret, body="@user-ext see this?")
    external = api.as_user("user-ext", role="editor", clients=["client-a"])

    mine = api.request("GET", "/comments/mentions", claims=external).json()

    assert mine["items"] == [] and mine["partial"]


def test_external_users_comment_only_on_their_clients_assets(api: Api) -> None:
    own = api.upload("a.png", "image/png", b"\x89PNG-a", client_id="client-a")["asset_id"]
    shared = image_asset(api)
    other = api.upload("b.png", "image/png", b"\x89PNG-b", client_id="client-b")["asset_id"]
    external = api.as_user("user-ext", role="editor", clients=["client-a"])

    assert comment(api, own, claims=external)["author"]["id"] == "user-ext"
    assert api.request("POST", _path(shared, 1), body={"body": "x"}, claims=external).status == 403
    assert listed(api, shared, 1, claims=external)["items"] == []  # may read it, not write on it
    assert api.request("POST", _path(other, 1), body={"body": "x"}, claims=external).status == 404
    assert api.request("GET", _path(other, 1), claims=external).status == 404
    # A viewer (no role) reads comments but writes none.
    viewer = api.as_user("user-view", role=None)
    assert api.request("POST", _path(own, 1), body={"body": "x"}, claims=viewer).status == 403
    assert len(listed(api, own, 1, claims=viewer)["items"]) == 1


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"body": ""}, "body.body"),
        ({"body": "   "}, "body.body"),
        ({"body": "x" * 5001}, "body.body"),
        ({"body": "x", "extra": 1}, "body.extra"),
        ({"body": "x", "parent_id": "not-an-id"}, "body.parent_id"),
        ({"body": "x", "mentions": ["has space"]}, "body.mentions.0"),
        ({"body": "x", "mentions": [f"u{n}" for n in range(21)]}, "body.mentions"),
        ({"body": "x", "pin": {}}, "body.pin"),
        ({"body": "x", "pin": {"region": {"shape": "circle", "x": 1}}}, "body.pin.region"),
        ({"body": "x", "pin": {"region": {"shape": "rectangle", "x": -1, "y": 0, "width": 5, "height": 5}}}, "x"),
        ({"body": "x", "pin": {"region": {"shape": "rectangle", "x": 0, "y": 0, "width": 0, "height": 5}}}, "width"),
        ({"body": "x", "pin": {"region": {"shape": "path", "points": [{"x": 1, "y": 1}]}}}, "points"),
        ({"body": "x", "pin": {"region": {"shape": "path", "points": [{"x": 1, "y": 1}] * 501}}}, "points"),
        ({"body": "x", "pin": {"time": -1}}, "body.pin.time"),
        ({"body": "x", "pin": {"time": "NaN"}}, "body.pin.time"),
        ({"body": "x", "pin": {"time": 1e300}}, "body.pin.time"),
        ({"body": "x @" + "a" * 200}, "body.mentions"),
    ],
)
def test_bad_comments_answer_422_with_the_field(api: Api, body: dict[str, Any], where: str) -> None:
    asset_id = image_asset(api)

    response = api.request("POST", _path(asset_id, 1), body=body)

    assert response.status == 422, response.body
    paths = [f["path"] for f in response.json()["error"]["fields"]]
    assert any(where in p for p in paths), paths


def test_bad_ids_versions_and_queries_never_answer_5xx(api: Api) -> None:
    asset_id = image_asset(api)
    made = comment(api, asset_id)
    checks = [
        ("GET", _path(asset_id, 1, "zz"), None, None, 422),
        ("GET", _path(asset_id, 1, "0123456789abcdef"), None, None, 404),
        ("GET", _path(asset_id, 7), None, None, 404),
        ("POST", _path(asset_id, 7), None, {"body": "x"}, 404),
        ("GET", _path("no-such-asset", 1), None, None, 404),
        ("GET", _path(asset_id, 1), {"cursor": "garbage!"}, None, 400),
        ("GET", _path(asset_id, 1), {"limit": "0"}, None, 422),
        ("GET", f"/assets/{asset_id}/comments", {"versions": "1,x"}, None, 422),
        ("GET", f"/assets/{asset_id}/comments", {"versions": "1,2,3,4,5"}, None, 422),
        ("GET", "/comments/mentions", {"cursor": "e30"}, None, 400),
        ("PATCH", _path(asset_id, 1, made["comment_id"]), None, {"body": ""}, 422),
        ("GET", _path(asset_id, 1, made["comment_id"], "history"), {"cursor": "e30"}, None, 400),
    ]
    for method, path, query, body, status in checks:
        response = api.request(method, path, query=query, body=body)
        assert response.status == status, (method, path, query, response.body)


def test_a_version_not_uploaded_yet_takes_no_comments(api: Api) -> None:
    asset_id = image_asset(api)
    body = {"filename": "take.png", "content_type": "image/png", "size": 9}
    assert api.request("POST", f"/assets/{asset_id}/versions", body=body).status == 201

    assert api.request("POST", _path(asset_id, 2), body={"body": "x"}).status == 409


def test_pins_are_checked_against_the_versions_own_pixels_and_duration(pipeline: Api) -> None:
    """An 800×600 first take and a 64×64 second: a region fits the take it is pinned on, or 422."""
    asset = pipeline.upload("hero.jpg", "image/jpeg", corpus.jpeg_photo(800, 600))
    asset_id = asset["asset_id"]
    assert wait_until_processed(pipeline, asset_id)["status"] == "ready"
    small = corpus.png_alpha()
    created = pipeline.request(
        "POST",
        f"/assets/{asset_id}/versions",
        body={"filename": "s.png", "content_type": "image/png", "size": len(small)},
    )
    key = created.json()["upload"]["fields"]["key"]
    pipeline.aws.s3.put_object(Bucket="dam-test-media", Key=key, Body=small, ContentType="image/png")
    pipeline.notify(key, len(small), message_id="m-v2")
    v2 = wait_for_version(pipeline, asset_id, 2)
    width, height = v2["metadata"]["width"], v2["metadata"]["height"]
    assert (width, height) != (800, 600)

    box = {"shape": "rectangle", "x": 700, "y": 500, "width": 100, "height": 100}
    pinned = comment(pipeline, asset_id, 1, body="Here", pin={"region": box})
    assert pinned["pin"] == {"region": {**box}, "time": None}
    refused = pipeline.request("POST", _path(asset_id, 2), body={"body": "Here", "pin": {"region": box}})
    assert refused.status == 422 and refused.json()["error"]["fields"][0]["path"] == "body.pin.region"
    stroke = {"shape": "path", "points": [{"x": 0, "y": 0}, {"x": width, "y": height}]}
    assert comment(pipeline, asset_id, 2, pin={"region": stroke})["pin"]["region"]["points"][1]["x"] == width
    over = {"shape": "path", "points": [{"x": 0, "y": 0}, {"x": width + 1, "y": 1}]}
    assert pipeline.request("POST", _path(asset_id, 2), body={"body": "x", "pin": {"region": over}}).status == 422
    # A still image has no timeline.
    timed = pipeline.request("POST", _path(asset_id, 1), body={"body": "x", "pin": {"time": 2.5}})
    assert timed.status == 422 and timed.json()["error"]["fields"][0]["path"] == "body.pin.time"


def test_a_video_comment_pins_a_time_within_the_clip_and_a_region_of_its_frame(pipeline: Api) -> None:
    clip = pipeline.upload("clip.mp4", "video/mp4", corpus.tiny_mp4(size=(64, 48)), asset_type="video")
    sound = pipeline.upload("take.wav", "audio/wav", corpus.tiny_wav(seconds=1.0), asset_type="audio")
    video = wait_until_processed(pipeline, clip["asset_id"])
    assert video["status"] == "ready" and wait_until_processed(pipeline, sound["asset_id"])["status"] == "ready"
    duration = video["metadata"]["duration"]
    box = {"shape": "rectangle", "x": 10, "y": 10, "width": 54, "height": 38}

    at = comment(pipeline, clip["asset_id"], body="Flash here", pin={"time": duration / 2, "region": box})

    assert at["pin"]["time"] == duration / 2 and at["pin"]["region"] == box
    late = pipeline.request("POST", _path(clip["asset_id"], 1), body={"body": "x", "pin": {"time": duration + 1}})
    assert late.status == 422 and late.json()["error"]["fields"][0]["path"] == "body.pin.time"
    wide = {**box, "width": 55}
    assert (
        pipeline.request("POST", _path(clip["asset_id"], 1), body={"body": "x", "pin": {"region": wide}}).status == 422
    )
    assert comment(pipeline, sound["asset_id"], pin={"time": 0.5})["pin"]["time"] == 0.5
    flat = pipeline.request("POST", _path(sound["asset_id"], 1), body={"body": "x", "pin": {"region": box}})
    assert flat.status == 422 and flat.json()["error"]["fields"][0]["path"] == "body.pin.region"


def test_an_outside_reviewer_known_by_email_comments_through_the_service(api: Api) -> None:
    """What share links will call: a guest actor (no account) writes, edits and deletes their own comment."""
    from dam.api.context import services
    from dam.domain.comments import Actor, Pin

    asset_id = image_asset(api)
    guest = Actor.guest("ws-studio", "Robin@Client.example", "Robin")
    box = Pin.model_validate({"region": {"shape": "rectangle", "x": 1, "y": 1, "width": 2, "height": 2}})
    made = services().comments.add(guest, asset_id, 1, "Can the logo be bigger, @user-maya?", box)
    reply = comment(api, asset_id, body="Yes", parent_id=made.comment_id)

    items = listed(api, asset_id, 1)["items"]
    assert items[0]["author"] == {"kind": "guest", "id": "robin@client.example", "name": "Robin"}
    assert items[1]["comment_id"] == reply["comment_id"]
    assert api.request("GET", "/comments/mentions").json()["items"][0]["author"]["kind"] == "guest"
    services().comments.edit(guest, asset_id, 1, made.comment_id, "Bigger logo, please", None)
    # A workspace user is not the guest, whatever their id; a guest of another workspace finds nothing.
    impostor = api.as_user("robin@client.example", role="editor")
    theirs = _path(asset_id, 1, made.comment_id)
    assert api.request("PATCH", theirs, body={"body": "mine"}, claims=impostor).status == 403
    with pytest.raises(NotFound):
        services().comments.add(Actor.guest("ws-rival", "robin@client.example"), asset_id, 1, "x")
    assert services().comments.delete(guest, asset_id, 1, made.comment_id).deleted
    assert api.request("GET", f"{theirs}/history").json()["items"][0]["by"]["kind"] == "guest"
