"""The library's working screens in a real browser: the filter bar, upload options and ZIP imports, an asset's
versions, and projects with their story → scene → shot tree."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from dam_local.demo import WORKSPACE
from dam_local.stack import LocalStackProcess
from tests.browser.test_library import _api, _photo, _sign_in

pytestmark = pytest.mark.browser


def _asset_named(stack: LocalStackProcess, name: str) -> Any:
    return next(item for item in _api(stack, "get", "/assets")["items"] if item["name"] == name)


def test_the_filter_bar_filters_and_survives_a_reload(page: Page, web_stack: LocalStackProcess) -> None:
    _sign_in(page, web_stack)
    cards = page.get_by_role("list", name="Assets").get_by_role("listitem")
    everything = cards.count()
    filters = page.get_by_role("form", name="Filters")

    filters.get_by_label("Media type").select_option("image")
    filters.get_by_label("Prompt").fill("TEMPLE")
    filters.get_by_label("Prompt").press("Enter")
    expect(cards).to_have_count(1)
    expect(page.get_by_role("button", name="Open desert-temple-concept.png")).to_be_visible()
    assert "media=image" in page.url and "prompt=TEMPLE" in page.url

    # Reloaded (or shared), the view is the same filtered view.
    page.reload()
    expect(cards).to_have_count(1)
    expect(page.get_by_role("button", name="Open desert-temple-concept.png")).to_be_visible()
    expect(filters.get_by_label("Prompt")).to_have_value("TEMPLE")
    expect(filters.get_by_label("Media type")).to_have_value("image")

    # Dates: a range ending today includes today's assets (the end day is inclusive); one ending yesterday, none.
    page.get_by_role("button", name="Clear").click()
    expect(cards).to_have_count(everything)
    today = dt.datetime.now(dt.UTC).date()
    filters.get_by_label("From", exact=True).fill((today - dt.timedelta(days=3)).isoformat())
    filters.get_by_label("To", exact=True).fill(today.isoformat())
    expect(cards).to_have_count(everything)
    filters.get_by_label("To", exact=True).fill((today - dt.timedelta(days=1)).isoformat())
    expect(page.get_by_text("Nothing here yet.")).to_be_visible()
    expect(cards).to_have_count(0)

    # A tag, a model and a brand (tagged through the API) narrow the same way; Clear resets everything.
    page.get_by_role("button", name="Clear").click()
    expect(cards).to_have_count(everything)
    filters.get_by_label("Tag").fill("nova")
    filters.get_by_label("Tag").press("Enter")
    expect(cards).to_have_count(1)
    expect(page.get_by_role("button", name="Open nova-character-sheet.png")).to_be_visible()
    page.get_by_role("button", name="Clear").click()
    filters.get_by_label("Model").fill("flux-pro")
    filters.get_by_label("Model").press("Enter")
    expect(cards).to_have_count(1)
    page.get_by_role("button", name="Clear").click()

    brand = _api(web_stack, "post", "/brands", json={"name": "Aurora", "color": "#0f3d3e"})
    sneaker = _asset_named(web_stack, "aurora-sneaker-hero.jpg")
    _api(web_stack, "put", f"/assets/{sneaker['asset_id']}/brands/{brand['brand_id']}")
    page.reload()
    filters.get_by_label("Brand").select_option(label="Aurora")
    expect(cards).to_have_count(1)
    expect(page.get_by_role("button", name="Open aurora-sneaker-hero.jpg")).to_be_visible()
    assert f"brand={brand['brand_id']}" in page.url
    page.get_by_role("button", name="Clear").click()
    expect(cards).to_have_count(everything)
    assert page.url == web_stack.api_url + "/"


def test_an_upload_into_a_chosen_folder_and_project_lands_there(
    page: Page, web_stack: LocalStackProcess, tmp_path: Path
) -> None:
    folder = _api(web_stack, "post", "/folders", role="power_user", json={"name": "Spring campaign"})
    project = _api(web_stack, "post", "/projects", json={"name": "Lighthouse heist", "reference": "LH01"})
    _sign_in(page, web_stack)
    upload = page.get_by_role("region", name="Upload")
    upload.get_by_label("Type").select_option("background")
    upload.get_by_label("Folder").select_option(label="Spring campaign")
    upload.get_by_label("Project").select_option(label="Lighthouse heist")
    upload.get_by_label("Client").fill("acme")
    # The first progress polls are lost (no answer, then a 503): a lost poll is asked again, not a failed upload.
    lost: list[str] = []

    def lose_two_polls(route: Route) -> None:
        lost.append(route.request.url)
        if len(lost) == 1:
            route.abort("connectionreset")
        elif len(lost) == 2:
            route.fulfill(status=503, json={"message": "Service Unavailable"})
        else:
            route.continue_()

    page.route(re.compile(r".*/assets/[0-9a-f]{32}$"), lose_two_polls)
    upload.get_by_label("Files to upload").set_input_files(str(_photo(tmp_path / "cliff-path.jpg", 7)))
    expect(upload.get_by_role("list", name="Uploads").get_by_role("listitem")).to_contain_text(
        "complete", timeout=240_000
    )
    assert len(lost) > 2

    page.get_by_role("navigation").get_by_role("button", name="Spring campaign").click()
    cards = page.get_by_role("list", name="Assets").get_by_role("listitem")
    expect(cards).to_have_count(1)
    expect(page.get_by_role("button", name="Open cliff-path.jpg")).to_be_visible()
    (landed,) = _api(web_stack, "get", "/assets", params={"folder": folder["folder_id"]})["items"]
    asset = _api(web_stack, "get", f"/assets/{landed['asset_id']}")
    assert (asset["asset_type"], asset["project_id"], asset["client_id"]) == (
        "background",
        project["project_id"],
        "acme",
    )


def test_a_zip_import_shows_its_live_counts(page: Page, web_stack: LocalStackProcess, tmp_path: Path) -> None:
    archive = tmp_path / "shoot-day-2.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(_photo(tmp_path / "a.jpg", 11), "day2/boat.jpg")
        zipped.write(_photo(tmp_path / "b.jpg", 12), "day2/crane.jpg")
        zipped.write(tmp_path / "a.jpg", "day2/boat-copy.jpg")  # the same bytes again
        zipped.writestr("day2/call-sheet.txt", "call time 6am")
    _sign_in(page, web_stack)
    upload = page.get_by_role("region", name="Upload")
    upload.get_by_label("ZIP to import").set_input_files(str(archive))
    job = upload.get_by_role("list", name="Imports").get_by_role("listitem").first
    expect(job).to_have_attribute("data-state", "done", timeout=300_000)
    counts = job.get_by_label("Counts for shoot-day-2.zip")
    for name, value in (("Total", 4), ("Queued", 2), ("Skipped", 2), ("Ready", 2), ("Failed", 0)):
        expect(counts.locator("div", has=page.get_by_text(name, exact=True)).locator("dd")).to_have_text(str(value))
    skipped = job.get_by_role("list", name="Skipped in shoot-day-2.zip").get_by_role("listitem")
    expect(skipped).to_have_count(2)
    expect(skipped.filter(has_text="call-sheet.txt")).to_be_visible()
    expect(page.get_by_role("button", name="Open crane.jpg")).to_be_visible()

    # An archive that is not a ZIP fails as a whole, says why, and offers a retry.
    broken = tmp_path / "not-really.zip"
    broken.write_bytes(b"these bytes are no archive" * 40)
    upload.get_by_label("ZIP to import").set_input_files(str(broken))
    failed = upload.get_by_role("list", name="Imports").get_by_role("listitem").filter(has_text="not-really.zip")
    expect(failed).to_have_attribute("data-state", "failed", timeout=120_000)
    retry = failed.get_by_role("button", name="Retry import of not-really.zip")
    expect(retry).to_be_visible()
    retry.click()
    expect(failed).to_have_attribute("data-state", "failed", timeout=120_000)


def test_a_version_uploaded_and_approved_in_the_detail(
    page: Page, web_stack: LocalStackProcess, tmp_path: Path
) -> None:
    _sign_in(page, web_stack)  # an editor: uploads takes, reviews nothing
    page.get_by_role("button", name="Open foggy-pier.jpg").click()
    dialog = page.get_by_role("dialog")
    stack = dialog.get_by_role("list", name="Version stack").get_by_role("listitem")
    expect(stack).to_have_count(1)
    expect(stack.first).to_contain_text("_v001")
    expect(dialog.get_by_role("button", name="Approve v1")).to_have_count(0)
    dialog.get_by_label("What changed").fill("Warmer grade")
    expect(dialog.get_by_label("Make it active when it lands")).to_have_count(0)  # choosing is for leads
    dialog.get_by_label("New version file").set_input_files(str(_photo(tmp_path / "foggy-pier-v2.jpg", 21)))
    expect(dialog.get_by_text("v2 is ready")).to_be_visible(timeout=240_000)
    second = dialog.get_by_role("listitem", name="Version 2")
    expect(second).to_contain_text("_v002")
    expect(second).to_contain_text("draft")
    expect(second.get_by_text("active", exact=True)).to_have_count(0)
    expect(second).to_contain_text("Warmer grade")

    # A post lead (not the uploader) approves it with a note; the stack shows who and why.
    page.get_by_role("button", name="Close").click()
    page.get_by_role("button", name="Sign out").click()
    _sign_in(page, web_stack, user="lee", role="post_lead")
    page.get_by_role("button", name="Open foggy-pier.jpg").click()
    dialog.get_by_label("Review note").fill("Grade matches the brief")
    dialog.get_by_role("button", name="Approve v2").click()
    expect(second).to_contain_text("approved")
    expect(second).to_contain_text("Grade matches the brief")
    expect(dialog.get_by_role("button", name="Revoke v2")).to_be_visible()
    dialog.get_by_role("button", name="Make v2 active").click()
    expect(second.get_by_text("active", exact=True)).to_be_visible()
    expect(dialog.get_by_role("button", name="Make v1 active")).to_be_visible()
    versions = _api(web_stack, "get", f"/assets/{page.url.split('asset=')[1]}/versions")
    assert (versions["active"], versions["approved"]) == (2, 2)


def test_a_projects_tree_shows_each_shots_status_and_moves_it(page: Page, web_stack: LocalStackProcess) -> None:
    project = _api(web_stack, "post", "/projects", json={"name": "Harbour ad", "reference": "HB26"})
    story = _api(web_stack, "post", f"/projects/{project['project_id']}/stories", json={"title": "Launch film"})
    scene = _api(web_stack, "post", f"/stories/{story['story_id']}/scenes", json={"title": "Night market"})
    opening = _api(web_stack, "post", f"/scenes/{scene['scene_id']}/shots", json={"title": "Opening wide"})
    _api(web_stack, "post", f"/scenes/{scene['scene_id']}/shots", json={"title": "Close-up"})
    nova = _asset_named(web_stack, "nova-character-sheet.png")
    _api(web_stack, "put", f"/shots/{opening['shot_id']}/assets/{nova['asset_id']}")

    _sign_in(page, web_stack)  # an editor submits work; reviewing is for leads
    page.get_by_role("navigation", name="Sections").get_by_role("button", name="Projects").click()
    card = page.get_by_role("button", name="Open project Harbour ad")
    expect(card).to_contain_text("development")
    card.click()
    assert f"project={project['project_id']}" in page.url
    shot = page.get_by_role("listitem", name="Shot Opening wide")
    expect(shot).to_contain_text("wip")
    expect(shot).to_contain_text("1 asset")
    expect(page.get_by_role("listitem", name="Shot Close-up")).to_contain_text("empty")
    shot.get_by_role("button", name="Submit Opening wide for review").click()
    expect(shot).to_contain_text("review")
    expect(shot.get_by_role("button", name="Approve Opening wide")).to_have_count(0)
    expect(page.get_by_label("Stage")).to_have_count(0)

    # A shoot lead approves; the shot needs its asset's version approved first (the API says why).
    page.get_by_role("button", name="Sign out").click()
    _sign_in(page, web_stack, user="kai", role="shoot_lead")
    page.goto(f"{web_stack.api_url}/?page=projects&project={project['project_id']}")
    shot.get_by_role("button", name="Approve Opening wide").click()
    expect(page.get_by_role("alert")).to_be_visible()
    _api(web_stack, "post", f"/assets/{nova['asset_id']}/versions/1/approve", json={"note": "ok"})
    shot.get_by_role("button", name="Approve Opening wide").click()
    expect(shot).to_contain_text("ready")
    expect(page.get_by_label("Shots by status")).to_contain_text("ready1")
    shot.get_by_role("button", name="Reopen Opening wide").click()
    expect(shot).to_contain_text("wip")

    # Leads move the project through its stages; complete makes it read-only (no shot moves offered).
    page.get_by_label("Stage").select_option("post_production")
    expect(page.get_by_role("heading", level=2)).to_contain_text("post production")
    page.get_by_label("Stage").select_option("complete")
    expect(shot.get_by_role("button", name="Submit Opening wide for review")).to_have_count(0)
    page.get_by_role("button", name="All projects").click()
    expect(page.get_by_role("button", name="Open project Harbour ad")).to_contain_text("complete")

    # A shot's asset count opens the library on that shot's assets.
    page.get_by_role("button", name="Open project Harbour ad").click()
    shot.get_by_role("button", name="Assets of Opening wide").click()
    cards = page.get_by_role("list", name="Assets").get_by_role("listitem")
    expect(cards).to_have_count(1)
    expect(page.get_by_role("button", name="Open nova-character-sheet.png")).to_be_visible()
    assert f"shot={opening['shot_id']}" in page.url


def test_cards_paint_their_blurhash_at_once(page: Page, web_stack: LocalStackProcess) -> None:
    _sign_in(page, web_stack)
    # Every demo photo's card has its BlurHash painted under the thumbnail: opaque pixels, not an empty canvas.
    placeholder = page.locator("ul[aria-label=Assets] canvas.placeholder").first
    expect(placeholder).to_be_attached()
    alpha = placeholder.evaluate("canvas => canvas.getContext('2d').getImageData(16, 16, 1, 1).data[3]")
    assert alpha == 255


def test_the_upload_forms_client_picker_offers_the_clients_the_caller_may_use(
    page: Page, web_stack: LocalStackProcess
) -> None:
    _api(web_stack, "post", "/folders", json={"name": "Globex shoots", "client_id": "globex"})
    _api(web_stack, "post", "/collections", json={"name": "Hooli picks", "client_id": "hooli"})
    _sign_in(page, web_stack)
    options = page.locator("#upload-clients option")
    page.wait_for_function("document.querySelectorAll('#upload-clients option').length >= 2")
    staff = options.evaluate_all("options => options.map(o => o.value)")
    assert {"globex", "hooli"} <= set(staff)

    # An external user of globex is offered globex alone.
    page.evaluate("localStorage.clear()")
    page.goto(web_stack.api_url + "/")
    page.get_by_label("Token").fill(web_stack.token("gus", WORKSPACE, "editor", ["globex"]))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_function("document.querySelectorAll('#upload-clients option').length >= 1")
    assert options.evaluate_all("options => options.map(o => o.value)") == ["globex"]


def test_a_deleted_asset_waits_in_the_trash_and_restore_brings_it_back(
    page: Page, web_stack: LocalStackProcess
) -> None:
    poster = _asset_named(web_stack, "desert-temple-concept.png")
    _api(web_stack, "delete", f"/assets/{poster['asset_id']}")  # to the trash, as the detail's button does
    _sign_in(page, web_stack)
    expect(page.get_by_role("button", name="Open desert-temple-concept.png")).to_have_count(0)

    page.get_by_role("navigation", name="Sections").get_by_role("button", name="Trash").click()
    deleted = page.get_by_role("list", name="Deleted assets").get_by_role("listitem")
    expect(deleted.filter(has_text="desert-temple-concept.png")).to_contain_text("deleted by ana")
    assert "page=trash" in page.url
    page.get_by_role("button", name="Restore desert-temple-concept.png").click()
    expect(deleted.filter(has_text="desert-temple-concept.png")).to_have_count(0)

    page.get_by_role("navigation", name="Sections").get_by_role("button", name="Library").click()
    expect(page.get_by_role("button", name="Open desert-temple-concept.png")).to_be_visible()
    assert _asset_named(web_stack, "desert-temple-concept.png")["asset_id"] == poster["asset_id"]
