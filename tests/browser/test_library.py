"""The library in a real browser: sign in, browse the demo, upload, filter, search, edit, delete; roles; widths."""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image
from playwright.sync_api import Page, expect

from dam_local.demo import WORKSPACE
from dam_local.stack import LocalStackProcess

pytestmark = pytest.mark.browser


def _photo(path: Path, seed: int) -> Path:
    """A photo-like JPEG: a gradient with sensor noise (real JPEG bytes the pipeline decodes)."""
    rng = random.Random(seed)
    image = Image.linear_gradient("L").resize((640, 480)).convert("RGB")
    noise = Image.effect_noise((640, 480), 40).convert("RGB")
    image = Image.blend(image, noise, 0.3)
    image.paste((rng.randrange(256), 90, 160), (200, 150, 440, 330))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    path.write_bytes(buffer.getvalue())
    return path


def _api(stack: LocalStackProcess, method: str, path: str, role: str = "admin", **kwargs: Any) -> Any:
    """The API as `ana` (an admin by default), for what a test sets up around the browser."""
    token = stack.token("ana", WORKSPACE, role)
    response = requests.request(
        method, stack.api_url + path, headers={"Authorization": f"Bearer {token}"}, timeout=30, **kwargs
    )
    response.raise_for_status()
    return response.json() if response.content else None


def _sign_in(page: Page, stack: LocalStackProcess, user: str = "maya", role: str = "editor") -> None:
    page.goto(stack.api_url + "/")
    page.get_by_label("Token").fill(stack.token(user, WORKSPACE, role))
    page.get_by_role("button", name="Sign in").click()
    # The first page of a just-started stack warms every route it asks (3.4 s idle here): allow a busy runner.
    expect(page.get_by_role("list", name="Assets").get_by_role("listitem").first).to_be_visible(timeout=20_000)


def test_an_editor_browses_uploads_filters_searches_edits_and_deletes(
    page: Page, web_stack: LocalStackProcess, tmp_path: Path
) -> None:
    _sign_in(page, web_stack)
    cards = page.get_by_role("list", name="Assets").get_by_role("listitem")
    demo_count = cards.count()
    assert demo_count > 3

    # Upload by the file picker and by drag and drop; both reach complete.
    page.get_by_label("Files to upload").set_input_files(str(_photo(tmp_path / "harbour-dawn.jpg", 1)))
    dropped = _photo(tmp_path / "market-stall.jpg", 2).read_bytes()
    handle = page.evaluate_handle(
        """bytes => { const dt = new DataTransfer();
           dt.items.add(new File([new Uint8Array(bytes)], 'market-stall.jpg', {type: 'image/jpeg'})); return dt; }""",
        list(dropped),
    )
    page.dispatch_event("section[aria-label=Upload]", "drop", {"dataTransfer": handle})
    uploads = page.get_by_role("list", name="Uploads").get_by_role("listitem")
    expect(uploads).to_have_count(2)
    for name in ("harbour-dawn.jpg", "market-stall.jpg"):
        expect(uploads.filter(has_text=name)).to_contain_text("complete", timeout=240_000)
    expect(cards).to_have_count(demo_count + 2)

    # A chip filters, and the URL keeps it.
    page.get_by_role("button", name="Images", exact=True).click()
    expect(page).to_have_url(f"{web_stack.api_url}/?chip=image")
    expect(page.get_by_role("button", name="Open harbour-dawn.jpg")).to_be_visible()
    page.get_by_role("button", name="Clear").click()

    # Favorite from the card; the Favorites chip shows it alone.
    page.get_by_role("button", name="Favorite market-stall.jpg").click()
    expect(page.get_by_role("button", name="Unfavorite market-stall.jpg")).to_be_visible()
    page.get_by_role("button", name="Favorites", exact=True).click()
    expect(cards).to_have_count(1)
    page.get_by_role("button", name="All", exact=True).click()

    # Search by keyword.
    page.get_by_label("Search assets").fill("harbour")
    page.get_by_label("Search mode").select_option("keyword")
    page.get_by_label("Search assets").press("Enter")
    expect(page.get_by_role("button", name="Open harbour-dawn.jpg")).to_be_visible()

    # Detail: its own URL, notes saved on blur, then delete with confirmation.
    page.get_by_role("button", name="Open harbour-dawn.jpg").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="harbour-dawn.jpg")).to_be_visible()
    assert "asset=" in page.url
    dialog.get_by_label("Notes").fill("Shot at first light")
    dialog.get_by_role("button", name="Zoom in").click()
    expect(dialog.get_by_text("Saved")).to_be_visible()
    dialog.get_by_role("button", name="Delete", exact=True).click()
    dialog.get_by_role("button", name="Move to trash").click()
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name="Clear").click()
    expect(page.get_by_role("button", name="Open harbour-dawn.jpg")).to_have_count(0)


def test_signing_in_asks_for_the_first_page_once(page: Page, web_stack: LocalStackProcess) -> None:
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if "/assets?" in request.url else None)
    _sign_in(page, web_stack)
    page.wait_for_load_state("networkidle")
    assert len(asked) == 1, asked


def test_a_viewer_sees_no_edit_controls(page: Page, web_stack: LocalStackProcess) -> None:
    _sign_in(page, web_stack, user="vic", role="viewer")
    expect(page.get_by_role("region", name="Upload")).to_have_count(0)
    page.get_by_role("list", name="Assets").get_by_role("button", name="Open").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("link", name="Download")).to_be_visible()
    for control in ("Delete", "Archive"):
        expect(dialog.get_by_role("button", name=control, exact=True)).to_have_count(0)
    expect(dialog.get_by_label("Notes")).to_have_count(0)


@pytest.mark.parametrize("width", [360, 768, 1440])
def test_the_grid_and_detail_fit_the_screen(page: Page, web_stack: LocalStackProcess, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    _sign_in(page, web_stack)
    overflow = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert page.evaluate(overflow) <= 0
    filters = page.get_by_role("form", name="Filters")
    if width < 640:  # a phone sees the filter bar folded until it asks for it
        expect(filters).to_be_hidden()
        page.locator("summary", has_text="Filters").click()
    expect(filters).to_be_visible()
    assert page.evaluate(overflow) <= 0
    page.get_by_role("list", name="Assets").get_by_role("button", name="Open").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", level=2)).not_to_have_text("Loading…")
    expect(dialog.get_by_role("list", name="Version stack")).to_be_visible()
    assert page.evaluate(overflow) <= 0

    # The projects dashboard and a project's story → scene → shot tree fit too.
    project = _api(
        web_stack,
        "post",
        "/projects",
        json={"name": f"A rather long project name {width}", "reference": f"{width:04d}"},
    )
    story = _api(web_stack, "post", f"/projects/{project['project_id']}/stories", json={"title": "Episode one"})
    scene = _api(web_stack, "post", f"/stories/{story['story_id']}/scenes", json={"title": "Harbour at dawn"})
    _api(web_stack, "post", f"/scenes/{scene['scene_id']}/shots", json={"title": "Establishing wide over the water"})
    page.keyboard.press("Escape")
    page.get_by_role("navigation", name="Sections").get_by_role("button", name="Projects").click()
    page.get_by_role("button", name=f"Open project A rather long project name {width}").click()
    expect(page.get_by_role("listitem", name="Shot Establishing wide over the water")).to_contain_text("empty")
    assert page.evaluate(overflow) <= 0
