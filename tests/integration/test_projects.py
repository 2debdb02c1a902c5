"""Projects through the real handler on moto: hierarchy, stage, tree, deletes, assets of a project, shot status."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.integration.library_support import aws_calls, dynamodb_calls, ok, seed

LEAD = {"user": "user-lead", "role": "shoot_lead"}


def _as(api: Api, role: str | None, user: str = "user-maya") -> dict[str, str]:
    return api.as_user(user=user, role=role)


def _project(api: Api, reference: str = "LH01", **extra: Any) -> dict[str, Any]:
    body = {"name": "Lighthouse heist", "reference": reference, **extra}
    return ok(api.request("POST", "/projects", body=body), 201)


def _hierarchy(api: Api) -> tuple[str, str, str, str]:
    project = _project(api)["project_id"]
    story = ok(api.request("POST", f"/projects/{project}/stories", body={"title": "Act one"}), 201)["story_id"]
    scene = ok(api.request("POST", f"/stories/{story}/scenes", body={"title": "Lamp room"}), 201)["scene_id"]
    shot = ok(api.request("POST", f"/scenes/{scene}/shots", body={"title": "Wide"}), 201)["shot_id"]
    return project, story, scene, shot


def _in_project(asset_id: str, project_id: str) -> None:
    from dam.adapters.dynamodb.assets import AssetRepository

    repository = AssetRepository()
    asset = repository.get(asset_id)
    assert asset is not None
    repository.save(asset.model_copy(update={"project_id": project_id}))


def test_a_project_starts_in_development_and_records_every_stage_change(api: Api) -> None:
    project = _project(api, "lh01", description="A heist")
    assert project["reference"] == "LH01" and project["stage"] == "development"

    for stage in ("production", "complete", "pre_production"):
        ok(api.request("PATCH", f"/projects/{project['project_id']}", body={"stage": stage}))
    got = ok(api.request("GET", f"/projects/{project['project_id']}"))

    assert [(c["from_stage"], c["to_stage"]) for c in got["stage_history"]] == [
        (None, "development"),
        ("development", "production"),
        ("production", "complete"),
        ("complete", "pre_production"),
    ]
    assert all(c["by"] == "user-maya" for c in got["stage_history"])


def test_a_reference_is_unique_in_the_workspace(api: Api) -> None:
    _project(api, "AB12")
    assert api.request("POST", "/projects", body={"name": "Other", "reference": "ab12"}).status == 409
    assert api.request("POST", "/projects", body={"name": "Bad", "reference": "ABC"}).status == 422


def test_a_complete_project_is_read_only_until_reopened(api: Api) -> None:
    project, story, _scene, _shot = _hierarchy(api)
    ok(api.request("PATCH", f"/projects/{project}", body={"stage": "complete"}))

    assert api.request("POST", f"/projects/{project}/stories", body={"title": "More"}).status == 409
    assert api.request("PATCH", f"/stories/{story}", body={"title": "Renamed"}).status == 409
    assert api.request("PATCH", f"/projects/{project}", body={"name": "Renamed"}).status == 409

    ok(api.request("PATCH", f"/projects/{project}", body={"stage": "post_production"}))
    assert ok(api.request("PATCH", f"/stories/{story}", body={"title": "Renamed"}))["title"] == "Renamed"


def test_positions_reorder_siblings(api: Api) -> None:
    project = _project(api)["project_id"]
    ids = [
        ok(api.request("POST", f"/projects/{project}/stories", body={"title": t}), 201)["story_id"]
        for t in ("A", "B", "C")
    ]
    ok(api.request("PATCH", f"/stories/{ids[2]}", body={"position": 0}))
    listed = ok(api.request("GET", f"/projects/{project}/stories"))["items"]
    assert [s["title"] for s in listed] == ["C", "A", "B"]
    assert [s["position"] for s in listed] == [0, 1, 2]


def test_the_tree_is_one_query_however_deep(api: Api) -> None:
    project, _story, scene, shot = _hierarchy(api)
    ok(api.request("POST", f"/scenes/{scene}/shots", body={"title": "Close"}), 201)
    seed("a-1")
    ok(api.request("PUT", f"/shots/{shot}/assets/a-1"))

    with aws_calls() as calls:
        tree = ok(api.request("GET", f"/projects/{project}/tree"))

    assert dynamodb_calls(calls) <= 2, calls
    shots = tree["stories"][0]["scenes"][0]["shots"]
    assert [(s["title"], s["status"], s["asset_count"]) for s in shots] == [("Wide", "wip", 1), ("Close", "empty", 0)]
    assert tree["shot_status_counts"] == {"empty": 1, "wip": 1, "review": 0, "ready": 0}


def test_deleting_with_children_lists_them_unless_forced_and_never_deletes_assets(api: Api) -> None:
    project, story, _scene, shot = _hierarchy(api)
    seed("a-1")
    ok(api.request("PUT", f"/shots/{shot}/assets/a-1"))

    refused = api.request("DELETE", f"/stories/{story}")
    assert refused.status == 409
    assert "Lamp room" in refused.json()["error"]["message"] and "force" in refused.json()["error"]["message"]

    assert api.request("DELETE", f"/stories/{story}", query={"force": "true"}).status == 204
    assert api.request("GET", f"/shots/{shot}").status == 404
    asset = ok(api.request("GET", "/assets/a-1"))
    assert asset["project_id"] == project and asset["shot_id"] is None


def test_an_asset_of_another_project_is_refused_with_a_reason(api: Api) -> None:
    _project_id, _story, _scene, shot = _hierarchy(api)
    other = _project(api, "OT01")["project_id"]
    seed("a-other")
    _in_project("a-other", other)

    refused = api.request("PUT", f"/shots/{shot}/assets/a-other")

    assert refused.status == 422
    assert "another project" in refused.json()["error"]["message"]


def test_uploads_go_into_a_project_and_a_shot_and_the_gallery_filters_by_them(api: Api) -> None:
    project, _story, _scene, shot = _hierarchy(api)
    other_project = _project(api, "OT02")["project_id"]

    attached = api.upload(project_id=project, shot_id=shot)
    loose = api.upload(filename="b.jpg", project_id=project)
    api.upload(filename="c.jpg")
    wrong = api.request(
        "POST",
        "/uploads",
        body={
            "filename": "d.jpg",
            "content_type": "image/jpeg",
            "size": 4,
            "asset_type": "image",
            "project_id": other_project,
            "shot_id": shot,
        },
    )

    assert wrong.status == 422
    in_project = ok(api.request("GET", "/assets", query={"project": project}))["items"]
    assert {a["asset_id"] for a in in_project} == {attached["asset_id"], loose["asset_id"]}
    in_shot = ok(api.request("GET", "/assets", query={"shot": shot}))["items"]
    assert [a["asset_id"] for a in in_shot] == [attached["asset_id"]]
    assert ok(api.request("GET", f"/shots/{shot}"))["status"] == "wip"


def test_a_shot_goes_through_review_and_ready_locks_it(api: Api) -> None:
    _project_id, _story, _scene, shot = _hierarchy(api)
    seed("a-1")
    lead = api.as_user(user="user-lead", role="shoot_lead")
    editor = api.as_user(user="user-ed", role="editor")

    assert api.request("POST", f"/shots/{shot}/submit").status == 409  # empty: nothing to submit
    ok(api.request("PUT", f"/shots/{shot}/assets/a-1"))
    ok(api.request("POST", f"/shots/{shot}/submit", claims=editor))
    assert api.request("POST", f"/shots/{shot}/approve", claims=editor).status == 403

    missing = api.request("POST", f"/shots/{shot}/approve", claims=lead)
    assert missing.status == 409 and "a-1" in missing.json()["error"]["message"]

    sent = ok(api.request("POST", f"/shots/{shot}/send-back", body={"note": "darker"}, claims=lead))
    assert sent["status"] == "wip" and sent["transitions"][-1]["note"] == "darker"
    ok(api.request("POST", f"/shots/{shot}/submit"))
    ok(api.request("POST", "/assets/a-1/versions/1/approve", claims=lead))
    ready = ok(api.request("POST", f"/shots/{shot}/approve", claims=lead))
    assert ready["status"] == "ready"
    assert [t["to_status"] for t in ready["transitions"]] == ["wip", "review", "wip", "review", "ready"]

    new_version = {"filename": "v.png", "content_type": "image/png", "size": 4}
    assert api.request("POST", "/assets/a-1/versions", body=new_version).status == 409
    assert api.request("PATCH", "/assets/a-1", body={"notes": "x"}).status == 409
    assert api.request("DELETE", f"/shots/{shot}/assets/a-1").status == 409
    assert api.request("POST", f"/shots/{shot}/reopen", claims=editor).status == 403

    ok(api.request("POST", f"/shots/{shot}/reopen", claims=lead))
    assert api.request("PATCH", "/assets/a-1", body={"notes": "x"}).status == 200


def test_roles_decide_who_sets_up_projects(api: Api) -> None:
    editor = api.as_user(user="user-ed", role="editor")
    body = {"name": "Nope", "reference": "NO01"}
    assert api.request("POST", "/projects", body=body, claims=editor).status == 403
    project = _project(api, "YE01")["project_id"]
    assert api.request("PATCH", f"/projects/{project}", body={"stage": "production"}, claims=editor).status == 403
    story = api.request("POST", f"/projects/{project}/stories", body={"title": "Ok"}, claims=editor)
    assert story.status == 201


def test_a_clients_project_is_invisible_to_other_clients(api: Api) -> None:
    project = _project(api, "CL01", client_id="client-b")["project_id"]
    outsider = api.as_user(user="user-ext", role="editor", clients=["client-a"])
    assert api.request("GET", f"/projects/{project}", claims=outsider).status == 404
    assert ok(api.request("GET", "/projects", claims=outsider))["items"] == []


def test_deleting_a_shot_leaves_its_assets_in_the_project(api: Api) -> None:
    project, _story, _scene, shot = _hierarchy(api)
    seed("a-1")
    ok(api.request("PUT", f"/shots/{shot}/assets/a-1"))

    assert api.request("DELETE", f"/shots/{shot}").status == 204

    asset = ok(api.request("GET", "/assets/a-1"))
    assert (asset["project_id"], asset["shot_id"]) == (project, None)
    assert [a["asset_id"] for a in ok(api.request("GET", "/assets", query={"project": project}))["items"]] == ["a-1"]


def test_a_project_with_assets_is_deleted_only_with_force_and_its_assets_stay(api: Api) -> None:
    project, _story, _scene, shot = _hierarchy(api)
    seed("a-1")
    ok(api.request("PUT", f"/shots/{shot}/assets/a-1"))

    refused = api.request("DELETE", f"/projects/{project}")
    assert refused.status == 409 and "stay" in refused.json()["error"]["message"]
    assert api.request("DELETE", f"/projects/{project}", query={"force": "true"}).status == 204

    assert api.request("GET", f"/projects/{project}").status == 404
    asset = ok(api.request("GET", "/assets/a-1"))
    assert (asset["project_id"], asset["shot_id"]) == (None, None)
    _project(api, "LH01")  # the reference is free again


def test_a_new_node_can_be_placed_among_its_siblings(api: Api) -> None:
    project = _project(api)["project_id"]
    for title in ("A", "B"):
        ok(api.request("POST", f"/projects/{project}/stories", body={"title": title}), 201)
    first = ok(api.request("POST", f"/projects/{project}/stories", body={"title": "Prologue", "position": 0}), 201)
    assert first["position"] == 0
    listed = ok(api.request("GET", f"/projects/{project}/stories"))["items"]
    assert [s["title"] for s in listed] == ["Prologue", "A", "B"]


def test_the_sample_create_project_event_is_answered_by_the_handler(api: Api) -> None:
    """events/api/create_project.json, as API Gateway hands it to the function, makes the project."""
    from functions.api.handler import handler
    from tests.support import LambdaContext, load_event, to_response

    response = to_response(handler(load_event("api/create_project.json"), LambdaContext()))

    assert response.status == 201, response.body
    project = response.json()
    assert (project["reference"], project["stage"]) == ("AURA", "development")
    assert api.request("GET", f"/projects/{project['project_id']}").json()["name"] == "Aurora launch film"
