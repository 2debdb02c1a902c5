"""`dam local` serves the built web app at / next to the API: API paths keep answering as API Gateway does."""

from __future__ import annotations

import json
from pathlib import Path

from werkzeug.test import Client

from dam_local.gateway import Gateway, WebApp, api_prefixes
from dam_local.stack import REPO_ROOT, LocalStack

KEY = b"k" * 32


def _web(tmp_path: Path) -> WebApp:
    (tmp_path / "static").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>Asset Library</title>")
    (tmp_path / "static" / "index-abc.js").write_text("console.log(1)")
    return WebApp(tmp_path, api_prefixes(REPO_ROOT / "openapi.json"))


def _client(web: WebApp | None, calls: list[dict[str, object]]) -> Client:
    def invoke(event: dict[str, object]) -> dict[str, object]:
        calls.append(event)
        return {"statusCode": 200, "body": json.dumps({"items": []}), "headers": {"content-type": "application/json"}}

    return Client(Gateway(invoke, KEY, web=web), use_cookies=False)


def test_the_root_and_unknown_pages_answer_the_app_and_its_files_are_served(tmp_path: Path) -> None:
    calls: list[dict[str, object]] = []
    client = _client(_web(tmp_path), calls)

    root = client.get("/")
    page = client.get("/library/some/page?chip=favorites")
    script = client.get("/static/index-abc.js")

    assert root.status_code == page.status_code == 200
    assert b"Asset Library" in root.data and page.data == root.data
    assert root.headers["Cache-Control"] == "no-cache"
    assert script.data == b"console.log(1)" and "immutable" in script.headers["Cache-Control"]
    assert script.mimetype in ("text/javascript", "application/javascript")
    assert calls == []


def test_api_paths_still_reach_the_api_and_its_authorizer(tmp_path: Path) -> None:
    calls: list[dict[str, object]] = []
    client = _client(_web(tmp_path), calls)

    assert client.get("/assets").status_code == 401  # the JWT authorizer, not index.html
    assert client.get("/assets/abc").status_code == 401
    assert client.get("/health").json == {"items": []} and len(calls) == 1
    assert client.post("/library").status_code == 401  # only GET/HEAD fall back to the app


def test_a_path_outside_the_app_folder_is_never_read(tmp_path: Path) -> None:
    web = _web(tmp_path / "dist") if (tmp_path / "dist").mkdir() is None else None
    (tmp_path / "secret.txt").write_text("secret")
    response = _client(web, []).get("/../secret.txt")
    assert b"secret" not in response.data


def test_without_a_build_the_stack_serves_the_api_alone(tmp_path: Path) -> None:
    assert LocalStack(web_dir=tmp_path / "missing").web_app() is None
    assert _client(None, []).get("/").status_code == 401
