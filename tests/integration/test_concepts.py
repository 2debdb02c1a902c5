"""Concepts through the real handler on moto: saving briefs, scripts and notes in a project, their versions,
finding them by their words, who sees and changes them, and accepting the assistant's drafts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.conftest import Api
from tests.integration.library_support import field_paths, ok


def _project(api: Api, reference: str = "LH01", **extra: Any) -> str:
    body = {"name": "Lighthouse heist", "reference": reference, **extra}
    return str(ok(api.request("POST", "/projects", body=body), 201)["project_id"])


def _concept(api: Api, project: str, **body: Any) -> dict[str, Any]:
    fields = {"kind": "brief", "title": "The brief", "text": "A heist in a lighthouse.", **body}
    return ok(api.request("POST", f"/projects/{project}/concepts", body=fields), 201)  # type: ignore[no-any-return]


def test_a_concept_is_saved_read_edited_and_deleted(api: Api) -> None:
    project = _project(api)
    created = api.request(
        "POST", f"/projects/{project}/concepts", body={"kind": "script", "title": " Act one ", "text": "INT. LAMP"}
    )
    concept = ok(created, 201)
    assert created.headers["location"] == f"/concepts/{concept['concept_id']}"
    assert (concept["kind"], concept["title"], concept["version"], concept["size"]) == ("script", "Act one", 1, 9)
    assert concept["created_by"] == concept["updated_by"] == "user-maya"

    got = ok(api.request("GET", f"/concepts/{concept['concept_id']}"))
    assert got["text"] == "INT. LAMP" and got["project_id"] == project

    edited = ok(api.request("PATCH", f"/concepts/{concept['concept_id']}", body={"text": "INT. LAMP ROOM – NIGHT"}))
    assert edited["version"] == 2 and edited["size"] == len("INT. LAMP ROOM – NIGHT".encode())

    listed = ok(api.request("GET", f"/projects/{project}/concepts"))
    assert [(c["title"], c["version"]) for c in listed["items"]] == [("Act one", 2)]
    assert "text" not in listed["items"][0] and listed["truncated"] is False

    assert api.request("DELETE", f"/concepts/{concept['concept_id']}").status == 204
    assert api.request("GET", f"/concepts/{concept['concept_id']}").status == 404
    assert api.request("GET", f"/concepts/{concept['concept_id']}/versions/1").status == 404
    assert ok(api.request("GET", f"/projects/{project}/concepts"))["items"] == []


def test_each_save_keeps_the_text_it_replaced(api: Api) -> None:
    concept = _concept(api, _project(api), text="first")
    path = f"/concepts/{concept['concept_id']}"
    ok(api.request("PATCH", path, body={"text": "second"}))
    ok(api.request("PATCH", path, body={"title": "The brief, v3", "kind": "note"}))
    assert ok(api.request("PATCH", path, body={"text": "second"}))["version"] == 3, "a save that changes nothing"

    versions = ok(api.request("GET", f"{path}/versions"))["items"]
    assert [(v["number"], v["title"], v["kind"], v["is_current"]) for v in versions] == [
        (3, "The brief, v3", "note", True),
        (2, "The brief", "brief", False),
        (1, "The brief", "brief", False),
    ]
    assert "text" not in versions[0]
    assert ok(api.request("GET", f"{path}/versions/1"))["text"] == "first"
    assert ok(api.request("GET", f"{path}/versions/2"))["text"] == "second"
    assert ok(api.request("GET", f"{path}/versions/3"))["text"] == "second"
    assert api.request("GET", f"{path}/versions/4").status == 404


def test_a_save_from_a_stale_read_is_refused(api: Api) -> None:
    concept = _concept(api, _project(api))
    path = f"/concepts/{concept['concept_id']}"
    ok(api.request("PATCH", path, body={"text": "mine"}, headers={"if-match": "1"}))

    stale = api.request("PATCH", path, body={"text": "theirs"}, headers={"if-match": "1"})
    assert stale.status == 409 and "version 2, not 1" in stale.json()["error"]["message"]
    assert ok(api.request("GET", path))["text"] == "mine"
    assert field_paths(api.request("PATCH", path, body={"text": "x"}, headers={"if-match": "two"})) == [
        "header.if-match"
    ]
    assert ok(api.request("PATCH", path, body={"text": "theirs"}, headers={"if-match": '"2"'}))["version"] == 3


def test_bad_input_names_its_field(api: Api) -> None:
    project = _project(api)
    concept = _concept(api, project)

    def post(body: dict[str, Any]) -> list[str]:
        return field_paths(api.request("POST", f"/projects/{project}/concepts", body=body))

    assert post({"kind": "poem", "title": "T"}) == ["body.kind"]
    assert post({"kind": "note"}) == ["body.title"]
    assert post({"kind": "note", "title": "two\nlines"}) == ["body.title"]
    assert post({"kind": "note", "title": "T", "text": "bell\x07"}) == ["body.text"]
    assert post({"kind": "note", "title": "T", "extra": 1}) == ["body.extra"]
    # The bound is on UTF-8 bytes: 100 000 two-byte characters pass the length check but not the size.
    too_big = post({"kind": "note", "title": "T", "text": "é" * 100_001})
    assert too_big == ["body.text"]
    assert post({"kind": "note", "title": "T", "text": "x" * 200_001}) == ["body.text"]
    assert field_paths(api.request("PATCH", f"/concepts/{concept['concept_id']}", body={"title": ""})) == ["body.title"]
    assert field_paths(api.request("GET", f"/projects/{project}/concepts", query={"q": "   "})) == ["query.q"]
    assert field_paths(api.request("GET", f"/concepts/{concept['concept_id']}/versions/0")) == ["path.number"]


def test_the_largest_concept_fits_and_keeps_its_versions(api: Api) -> None:
    concept = _concept(api, _project(api), text="é" * 100_000)  # 200 000 bytes
    path = f"/concepts/{concept['concept_id']}"
    ok(api.request("PATCH", path, body={"text": "ü" * 100_000}))
    assert ok(api.request("GET", f"{path}/versions/1"))["text"] == "é" * 100_000
    assert ok(api.request("GET", path))["size"] == 200_000


def test_search_finds_every_word_in_the_title_or_the_text_whatever_the_case(api: Api) -> None:
    project = _project(api)
    lamp = _concept(api, project, title="Lamp room", text="The LIGHTHOUSE keeper sleeps.", kind="script")
    _concept(api, project, title="Harbour", text="Boats at dawn.", kind="note")
    heist = _concept(api, project, title="Heist at the lighthouse", text="Nobody sleeps.", kind="brief")
    other = _project(api, "OT01")
    _concept(api, other, title="Lighthouse elsewhere")

    def found(q: str, **extra: str) -> list[str]:
        listed = ok(api.request("GET", f"/projects/{project}/concepts", query={"q": q, **extra}))
        return [c["concept_id"] for c in listed["items"]]

    assert found("lighthouse") == [heist["concept_id"], lamp["concept_id"]]  # by title
    assert found("Light SLEEPS") == [heist["concept_id"], lamp["concept_id"]]
    assert found("keeper lighthouse") == [lamp["concept_id"]]
    assert found("lighthouse", kind="script") == [lamp["concept_id"]]
    assert found("submarine") == []


def test_the_tree_never_reads_concepts(api: Api) -> None:
    project = _project(api)
    ok(api.request("POST", f"/projects/{project}/stories", body={"title": "Act one"}), 201)
    for n in range(3):
        _concept(api, project, title=f"Draft {n}", text="x" * 150_000)

    with _queries() as queries:
        tree = ok(api.request("GET", f"/projects/{project}/tree"))
    assert [s["title"] for s in tree["stories"]] == ["Act one"]
    assert [q["ScannedCount"] for q in queries] == [2], "one Query, which read the project and its story only"


def test_a_complete_project_keeps_its_concepts_read_only(api: Api) -> None:
    project = _project(api)
    concept = _concept(api, project)
    path = f"/concepts/{concept['concept_id']}"
    ok(api.request("PATCH", f"/projects/{project}", body={"stage": "complete"}))

    assert api.request("POST", f"/projects/{project}/concepts", body={"kind": "note", "title": "T"}).status == 409
    assert api.request("PATCH", path, body={"text": "late"}).status == 409
    assert api.request("DELETE", path).status == 409
    assert ok(api.request("GET", path))["text"] == "A heist in a lighthouse."  # reading still works

    ok(api.request("PATCH", f"/projects/{project}", body={"stage": "post_production"}))
    assert ok(api.request("PATCH", path, body={"text": "late"}))["version"] == 2


def test_a_concept_of_a_project_you_cannot_see_is_not_found(api: Api) -> None:
    admin = api.as_user(role="admin")
    theirs = _project(api, "CB01", client_id="client-b")
    concept = _concept(api, theirs)
    external = api.as_user(user="user-ext", role="editor", clients=["client-a"])
    rival = api.as_user(user="user-rival", workspace="ws-rival", role="admin")
    path = f"/concepts/{concept['concept_id']}"

    for claims in (external, rival):
        assert api.request("GET", path, claims=claims).status == 404
        assert api.request("PATCH", path, body={"text": "x"}, claims=claims).status == 404
        assert api.request("DELETE", path, claims=claims).status == 404
        assert api.request("GET", f"{path}/versions", claims=claims).status == 404
        assert api.request("GET", f"{path}/versions/1", claims=claims).status == 404
        assert api.request("GET", f"/projects/{theirs}/concepts", claims=claims).status == 404
        body = {"kind": "note", "title": "T"}
        assert api.request("POST", f"/projects/{theirs}/concepts", body=body, claims=claims).status == 404

    # An external user sees a shared project's concepts but changes only their own client's.
    shared = _concept(api, _project(api, "SH01"))
    assert ok(api.request("GET", f"/concepts/{shared['concept_id']}", claims=external))
    assert api.request("PATCH", f"/concepts/{shared['concept_id']}", body={"text": "x"}, claims=external).status == 403
    own = _project(api, "CA01", client_id="client-a")
    mine = ok(
        api.request("POST", f"/projects/{own}/concepts", body={"kind": "note", "title": "Mine"}, claims=external), 201
    )
    assert ok(api.request("GET", f"/concepts/{mine['concept_id']}", claims=admin))["created_by"] == "user-ext"


def test_deleting_a_project_takes_its_concepts_only_when_forced(api: Api) -> None:
    project = _project(api)
    concept = _concept(api, project)
    ok(api.request("PATCH", f"/concepts/{concept['concept_id']}", body={"text": "v2"}))

    refused = api.request("DELETE", f"/projects/{project}")
    assert refused.status == 409 and "1 concept(s)" in refused.json()["error"]["message"]
    assert api.request("DELETE", f"/projects/{project}", query={"force": "true"}).status == 204
    assert api.request("GET", f"/concepts/{concept['concept_id']}").status == 404
    from dam.adapters.dynamodb.models import LibraryRecord

    assert not [r.sk for r in LibraryRecord.scan() if concept["concept_id"] in r.pk + r.sk]


def test_the_assistants_drafts_are_accepted_with_the_hierarchy_routes(api: Api) -> None:
    """Offline, the assistant breaks a screenplay into scenes and a scene into shots; each draft becomes a
    scene or a shot as it stands (the scene's `heading` aside), in the order drafted."""
    screenplay = (
        "INT. LAMP ROOM - NIGHT\n\nThe lens turns.\n\nA shadow passes the glass.\n\nEXT. CLIFF - DAWN\n\nGulls."
    )
    project = _project(api)
    story = ok(
        api.request("POST", f"/projects/{project}/stories", body={"title": "Act one", "script": screenplay}), 201
    )
    scenes = ok(api.request("POST", "/assistant/scenes", body={"story": screenplay}))["scenes"]
    made = [
        ok(api.request("POST", f"/stories/{story['story_id']}/scenes", body=_without(draft, "heading")), 201)
        for draft in scenes
    ]
    shots = ok(api.request("POST", "/assistant/shots", body={"scene": "The lens turns.\n\nA shadow passes the glass."}))
    for draft in shots["shots"]:
        ok(api.request("POST", f"/scenes/{made[0]['scene_id']}/shots", body=draft), 201)

    tree = ok(api.request("GET", f"/projects/{project}/tree"))
    assert [s["title"] for s in tree["stories"][0]["scenes"]] == [d["title"] for d in scenes]
    assert len(tree["stories"][0]["scenes"][0]["shots"]) == len(shots["shots"]) == 2


def _without(draft: dict[str, Any], field: str) -> dict[str, Any]:
    return {k: v for k, v in draft.items() if k != field}


@contextmanager
def _queries() -> Iterator[list[dict[str, Any]]]:
    """The answers of every DynamoDB Query made inside the block."""
    from botocore.client import BaseClient

    answers: list[dict[str, Any]] = []
    original = BaseClient._make_api_call

    def recorded(self: Any, operation_name: str, api_params: Any) -> Any:
        answer = original(self, operation_name, api_params)
        if operation_name == "Query":
            answers.append(answer)
        return answer

    BaseClient._make_api_call = recorded  # type: ignore[method-assign]
    try:
        yield answers
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]
