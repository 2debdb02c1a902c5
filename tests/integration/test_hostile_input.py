"""Bad input gets a 4xx in the documented error shape, never a 5xx, and one asset can't break a workspace."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest

from tests.conftest import Api
from tests.support import ApiResponse, LambdaContext, api_claims, api_event, to_response


def _raw(method: str, path: str, body: bytes, headers: dict[str, str] | None = None) -> ApiResponse:
    """A request whose body is bytes, as API Gateway hands over a body it can't pass as text."""
    from functions.api.handler import handler

    event = api_event(method, path, claims=api_claims())
    event["headers"].update({"content-type": "application/json", **(headers or {})})
    event["body"] = base64.b64encode(body).decode()
    event["isBase64Encoded"] = True
    return to_response(handler(event, LambdaContext()))


def _fields(response: ApiResponse) -> list[str]:
    return [field["path"] for field in response.json()["error"]["fields"]]


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/folders"), ("POST", "/brands"), ("POST", "/collections"), ("PATCH", "/folders/f-1")],
)
def test_a_body_that_is_not_utf8_is_a_422_in_the_error_shape(api: Api, method: str, path: str) -> None:
    response = _raw(method, path, b"\xe9")
    assert response.status == 422, response.body
    assert response.json()["error"]["code"] == "validation_error"
    assert _fields(response) == ["body"]


def test_a_number_too_long_to_parse_is_a_422(api: Api) -> None:
    body = b'{"filename": "a.jpg", "content_type": "image/jpeg", "asset_type": "image", "size": ' + b"9" * 5000 + b"}"
    assert _raw("POST", "/uploads", body).status == 422


# mtime=0: the same bytes in every process, so xdist's workers collect the same test ids.
@pytest.mark.parametrize(
    "payload",
    [gzip.compress(b'{"name": "x"}', mtime=0), b'{"name": "plain but labelled gzip"}'],
    ids=["gzip", "plain-labelled-gzip"],
)
def test_a_compressed_body_is_a_415(api: Api, payload: bytes) -> None:
    response = _raw("POST", "/collections", payload, {"content-encoding": "gzip"})
    assert response.status == 415, response.body
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert api.request("GET", "/collections").json()["items"] == []  # nothing was created


def test_every_response_says_nosniff_and_no_store(api: Api) -> None:
    upload = api.request(
        "POST", "/uploads", body={"filename": "a.jpg", "content_type": "image/jpeg", "size": 3, "asset_type": "image"}
    )
    for response in (upload, api.request("GET", "/assets"), api.request("GET", "/assets/nope")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"


UPLOAD = {"filename": "render.png", "content_type": "image/png", "size": 3, "asset_type": "generated_content"}


@pytest.mark.parametrize("size", ["12", True, 12.0])
def test_an_integer_field_refuses_other_json_types(api: Api, size: Any) -> None:
    response = api.request("POST", "/uploads", body={**UPLOAD, "size": size})
    assert response.status == 422, response.body
    assert _fields(response) == ["body.size"]


@pytest.mark.parametrize(
    ("parameters", "where"),
    [
        ({"": 1}, "parameters "),
        ({"sampler": {"": 2}}, "parameters.sampler."),
        ({"seed": 10**400}, "parameters.seed "),
        ({"guidance": float("nan")}, "parameters.guidance "),
        ({"a.b": 1}, "parameters.a.b "),
        ({"blob": "x" * 400_000}, "parameters "),
    ],
)
def test_generation_parameters_are_bounded_where_they_enter(api: Api, parameters: dict[str, Any], where: str) -> None:
    body = json.dumps({**UPLOAD, "generation": {"parameters": parameters}})  # json.dumps writes NaN as NaN
    response = api.request("POST", "/uploads", body=body)
    assert response.status == 422, response.body
    assert _fields(response) == ["body.generation.parameters"]
    assert response.json()["error"]["fields"][0]["message"].startswith(f"Value error, {where}")
    # nothing was stored, and the workspace's gallery still answers
    listing = api.request("GET", "/assets")
    assert listing.status == 200 and listing.json()["items"] == []


def test_parameters_nested_a_thousand_deep_are_a_422(api: Api) -> None:
    start = json.dumps({**UPLOAD, "generation": {"parameters": {}}})[:-3]
    for depth in (1000, 100_000):  # the second is deeper than Python's own JSON parser goes
        tower = '{"k":' * depth + "1" + "}" * depth
        response = api.request("POST", "/uploads", body=f"{start}{tower}}}}}")
        assert response.status == 422, response.body


def test_ordinary_parameters_are_kept(api: Api) -> None:
    parameters = {"seed": 4211, "guidance": 7.5, "sampler": {"name": "dpm++", "steps": [10, 20]}, "hires": None}
    response = api.request("POST", "/uploads", body={**UPLOAD, "generation": {"parameters": parameters}})
    assert response.status == 201, response.body
    assert response.json()["asset"]["generation"]["parameters"] == parameters


@pytest.mark.parametrize(
    "text", ["bad\x00name", "tab\x07bell", "invoice\u202egpj.exe", "   ", "\u2067isolate", "line\nbreak"]
)
def test_names_tags_and_file_names_refuse_control_bidi_and_blank_text(api: Api, text: str) -> None:
    filename = f"{text}.png" if text.strip() else text
    assert api.request("POST", "/uploads", body={**UPLOAD, "filename": filename}).status == 422
    assert api.request("POST", "/uploads", body={**UPLOAD, "name": text}).status == 422
    assert api.request("POST", "/folders", body={"name": text}).status == 422
    assert api.request("POST", "/collections", body={"name": text}).status == 422
    assert api.request("POST", "/brands", body={"name": text, "color": "#e4002b"}).status == 422
    asset = api.upload()
    for field in ({"name": text}, {"tags": ["ok", text]}):
        response = api.request("PATCH", f"/assets/{asset['asset_id']}", body=field)
        assert response.status == 422, (field, response.body)


def test_notes_may_hold_line_breaks_but_not_other_control_characters(api: Api) -> None:
    asset_id = api.upload()["asset_id"]
    kept = api.request("PATCH", f"/assets/{asset_id}", body={"notes": "Shot 1:\n\tkeep the red cup\r\n"})
    assert kept.status == 200 and kept.json()["notes"] == "Shot 1:\n\tkeep the red cup\r\n"
    for notes in ("bell\x07", "nul\x00", "\u202eoverride", " \n "):
        assert api.request("PATCH", f"/assets/{asset_id}", body={"notes": notes}).status == 422
    assert api.request("PATCH", f"/assets/{asset_id}", body={"notes": ""}).json()["notes"] == ""


@pytest.mark.parametrize(
    "ref",
    ["javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,<b>x</b>", "file:///etc/passwd", "https:nohost"],
)
def test_a_usage_link_refuses_other_schemes_than_http(api: Api, ref: str) -> None:
    asset_id = api.upload()["asset_id"]
    response = api.request("POST", f"/assets/{asset_id}/usages", body={"kind": "project", "ref": ref})
    assert response.status == 422, response.body
    assert _fields(response) == ["body.ref"]


def test_a_usage_link_takes_an_id_or_an_http_url(api: Api) -> None:
    asset_id = api.upload()["asset_id"]
    for ref in ("PRJ-2041", "https://tracker.example.com/p/2041", "http://intranet/workflows/7"):
        response = api.request("POST", f"/assets/{asset_id}/usages", body={"kind": "workflow", "ref": ref})
        assert response.status in (200, 201), response.body


@pytest.mark.parametrize("path", ["/assets", "/search"])
@pytest.mark.parametrize(
    ("bounds", "includes_now"),
    [
        ({"from": "9999-12-31T23:59:59.999999-23:59"}, False),
        ({"to": "9999-12-31T23:59:59.999999-23:59"}, True),
        ({"from": "0001-01-01T00:00:00+23:59"}, True),
        ({"to": "0001-01-01T00:00:00+23:59"}, False),
    ],
)
def test_dates_at_the_ends_of_the_calendar_bound_the_range_instead_of_failing(
    api: Api, path: str, bounds: dict[str, str], includes_now: bool
) -> None:
    api.upload()
    response = api.request("GET", path, query=bounds)
    assert response.status == 200, response.body
    if path == "/assets":  # (search sees assets once the stream indexer ran: not in this test)
        assert len(response.json()["items"]) == int(includes_now)


def test_folders_nest_at_most_as_deep_as_the_limit_says(api: Api) -> None:
    from dam.domain.library import MAX_FOLDER_DEPTH

    parent = None
    for depth in range(1, MAX_FOLDER_DEPTH + 1):
        created = api.request("POST", "/folders", body={"name": f"level {depth}", "parent_id": parent})
        assert created.status == 201, (depth, created.body)
        parent = created.json()["folder_id"]
    deeper = api.request("POST", "/folders", body={"name": "one too deep", "parent_id": parent})
    assert deeper.status == 422, deeper.body
    assert _fields(deeper) == ["body.parent_id"]
    # a two-level branch can't be moved under the deepest folder's parent either
    branch = api.request("POST", "/folders", body={"name": "branch"}).json()["folder_id"]
    api.request("POST", "/folders", body={"name": "leaf", "parent_id": branch})
    chain = api.request("GET", "/folders").json()["items"]
    second_deepest = next(f["folder_id"] for f in chain if f["name"] == f"level {MAX_FOLDER_DEPTH - 1}")
    moved = api.request("PATCH", f"/folders/{branch}", body={"parent_id": second_deepest})
    assert moved.status == 422, moved.body
    level_two = next(f["folder_id"] for f in chain if f["name"] == "level 2")
    assert api.request("PATCH", f"/folders/{branch}", body={"parent_id": level_two}).status == 200


LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024


def test_a_gallery_of_huge_records_answers_fewer_cards_within_the_lambda_limit(api: Api) -> None:
    from functions.api.handler import handler

    # Given five generated assets, each carrying the longest prompts allowed, in characters that escape widest
    prompt = "\U0001f3a8" * 20_000
    generation = {"prompt": prompt, "enhanced_prompt": prompt, "model": "imagen-4"}
    created = [
        api.request("POST", "/uploads", body={**UPLOAD, "generation": generation}).json()["asset"]["asset_id"]
        for _ in range(5)
    ]

    # When the gallery's first page is read, then the cursor followed
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = {"limit": "30", **({"cursor": cursor} if cursor else {})}
        raw = handler(api_event("GET", "/assets", query=query, claims=api_claims()), LambdaContext())
        pages += 1
        # Then every page fits in a Lambda response, and the cards add up to the whole gallery, once each
        assert raw["statusCode"] == 200, raw["body"][:300]
        assert len(json.dumps(raw)) < LAMBDA_RESPONSE_LIMIT
        page = json.loads(raw["body"])
        seen += [item["asset_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages > 1
    assert sorted(seen) == sorted(created) and len(seen) == len(set(seen))


def _forged(fields: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(fields).encode()).decode().rstrip("=")


@pytest.mark.parametrize("path", ["/assets", "/search", "/collections", "/collections/{collection}/assets"])
def test_a_tampered_or_forged_cursor_is_a_400_in_the_error_shape(api: Api, path: str) -> None:
    # Given two assets in a collection, and a real cursor from the gallery
    assets = [api.upload(f"c{n}.jpg")["asset_id"] for n in range(2)]
    collection = api.request("POST", "/collections", body={"name": "Picks"}).json()["collection_id"]
    api.request("POST", "/collections", body={"name": "Rejects"})
    api.request("POST", f"/collections/{collection}/assets", body={"asset_ids": assets})
    gallery_cursor = api.request("GET", "/assets", query={"limit": "1"}).json()["next_cursor"]
    collections_cursor = api.request("GET", "/collections", query={"limit": "1"}).json()["next_cursor"]
    search_cursor = _forged({"fingerprint": "0" * 16, "snapshot": 1, "offset": 0})
    # Another list's cursor (any newest-first asset list shares the gallery's positions, so a gallery
    # cursor is a real position in a collection's assets: not a forgery there)
    other_list = {"/assets": search_cursor, "/collections/{collection}/assets": collections_cursor}.get(
        path, gallery_cursor
    )
    cursors = [
        "!!not-base64!!",
        _forged([1, 2]),  # JSON, but not a cursor
        _forged({"k": 1, "i": {"$ne": None}}),  # right keys, wrong types
        _forged({"fingerprint": "x", "snapshot": 10**400}),
        gallery_cursor[:-3] + ("AAA" if not gallery_cursor.endswith("AAA") else "BBB"),  # a real one, edited
        other_list,
    ]
    for cursor in cursors:
        # When the list is asked for the page after it
        response = api.request("GET", path.format(collection=collection), query={"limit": "1", "cursor": cursor})
        # Then it is a 400 naming the cursor, never a 422 or a 5xx
        assert response.status == 400, (cursor, response.body)
        assert response.json()["error"]["code"] == "invalid_cursor"
        assert _fields(response) == ["query.cursor"]
