"""Screenshots of the web app's main screens for the README, at desktop (1440 px) and phone (390 px) widths:
`make screenshots` starts `dam local --demo` in a temporary data dir and drives Debian's chromium.

Writes docs/screenshots/{library,detail,projects}-{desktop,phone}.png (the library shows the upload panel).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/lib/chromium/chromium"
WIDTHS = {"desktop": (1440, 900), "phone": (390, 844)}


def _demo_project(api: str, token: str) -> str:
    """A project with a story, two scenes and their shots, so the projects screen shows a tree."""
    import requests

    headers = {"Authorization": f"Bearer {token}"}

    def post(path: str, body: dict[str, str], key: str) -> str:
        answer = requests.post(f"{api}{path}", json=body, headers=headers, timeout=30)
        answer.raise_for_status()
        return str(answer.json()[key])

    project = post(
        "/projects", {"name": "Aurora launch film", "reference": "AURA", "description": "60 s spot"}, "project_id"
    )
    story = post(
        f"/projects/{project}/stories", {"title": "The first light", "synopsis": "A sneaker at dawn"}, "story_id"
    )
    for scene_title, shots in (
        ("EXT. HARBOUR - DAWN", ("Wide on the pier", "Close on the laces")),
        ("INT. STUDIO - DAY", ("Turntable",)),
    ):
        scene = post(f"/stories/{story}/scenes", {"title": scene_title}, "scene_id")
        for shot in shots:
            post(f"/scenes/{scene}/shots", {"title": shot}, "shot_id")
    return project


def main() -> None:
    from playwright.sync_api import expect, sync_playwright

    from dam_local.demo import WORKSPACE
    from dam_local.stack import LocalStackProcess

    OUT.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as data_dir,
        LocalStackProcess(data_dir, extra_args=["--demo"], timeout_seconds=120) as stack,
        sync_playwright() as playwright,
    ):
        stack.wait_for_log("Ctrl-C stops it", timeout_seconds=180)
        token = stack.token("ana", WORKSPACE, "admin")
        project_id = _demo_project(stack.api_url, token)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for label, (width, height) in WIDTHS.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(f"{stack.api_url}/#token={token}")
            cards = page.get_by_role("list", name="Assets").get_by_role("listitem")
            expect(cards.first).to_be_visible()
            page.wait_for_load_state("networkidle")
            page.screenshot(path=OUT / f"library-{label}.png")
            page.get_by_role("button", name="Open foggy-pier.jpg").click()
            page.get_by_role("dialog").wait_for()
            expect(page.get_by_text("Loading versions…")).to_have_count(0)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=OUT / f"detail-{label}.png")
            page.goto(f"{stack.api_url}/?page=projects&project={project_id}#token={token}")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=OUT / f"projects-{label}.png")
            page.close()
        browser.close()
    for path in sorted(OUT.glob("*.png")):
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size / 1024:.0f} kB")


if __name__ == "__main__":
    main()
