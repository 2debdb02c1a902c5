"""Demo content for `dam local --demo`, seeded the way a client would: through the HTTP API.

Each file is made here (Pillow images, a CSV, a Markdown note), announced with `POST /uploads`,
uploaded with the presigned POST it returns, and followed until the pipeline has finished it (`ready`).
"""

from __future__ import annotations

import csv
import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

logger = logging.getLogger("dam_local.demo")

WORKSPACE = "studio"
TokenFor = Callable[[str, str, str], str]  # (user, workspace, role) → bearer token


# The demo team: user → role (their Cognito group).
CREATORS = {"maya": "editor", "jon": "shoot_lead", "priya": "post_lead", "sam": "power_user", "ana": "admin"}
CONTENT_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".csv": "text/csv",
    ".md": "text/markdown",
}


@dataclass(frozen=True)
class DemoAsset:
    filename: str
    asset_type: str
    creator: str
    make: Callable[[], bytes]
    generation: dict[str, Any] | None = None
    tags: tuple[str, ...] = ()

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.filename[self.filename.rindex(".") :]]


def _image(title: str, colors: tuple[str, str], shape: str, fmt: str, size: tuple[int, int] = (960, 640)) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    width, height = size
    top, bottom = Image.new("RGB", size, colors[0]), Image.new("RGB", size, colors[1])
    mask = Image.linear_gradient("L").resize(size)
    image = Image.composite(bottom, top, mask)
    draw = ImageDraw.Draw(image)
    box = (width // 3, height // 4, 2 * width // 3, 3 * height // 4)
    if shape == "circle":
        draw.ellipse(box, fill="#ffffffaa", outline="white", width=6)
    elif shape == "diamond":
        cx, cy = width // 2, height // 2
        draw.polygon([(cx, box[1]), (box[2], cy), (cx, box[3]), (box[0], cy)], fill="#101820")
    else:
        draw.rounded_rectangle(box, radius=40, outline="white", width=8)
    font = ImageFont.load_default(size=max(24, height // 12))
    draw.text((width // 2, height - height // 8), title, fill="white", font=font, anchor="mm")
    out = io.BytesIO()
    options: dict[str, Any] = {"quality": 88} if fmt in ("JPEG", "WEBP") else {}
    image.save(out, fmt, **options)
    return out.getvalue()


def _gif(title: str) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    frames = []
    font = ImageFont.load_default(size=28)
    for step in range(8):
        frame = Image.new("RGB", (240, 240), (20 + step * 25, 30, 90))
        draw = ImageDraw.Draw(frame)
        radius = 30 + step * 8
        draw.ellipse((120 - radius, 120 - radius, 120 + radius, 120 + radius), outline="white", width=5)
        draw.text((120, 120), title, fill="white", font=font, anchor="mm")
        frames.append(frame.convert("P", palette=Image.Palette.ADAPTIVE))
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=90, loop=0)
    return out.getvalue()


def _shot_list() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["shot", "scene", "description", "lens", "status"])
    writer.writerow(["SH010", "SC01", "Wide establishing of the neon alley at dusk", "24mm", "Ready"])
    writer.writerow(["SH020", "SC01", "Nova steps out of the doorway, rain on the sign", "50mm", "WIP"])
    writer.writerow(["SH030", "SC02", "Close-up: Aurora sneaker hits a puddle", "100mm macro", "Review"])
    writer.writerow(["SH040", "SC02", "Logo sting over the pier fog", "35mm", "Empty"])
    return out.getvalue().encode()


def _brief() -> bytes:
    return (
        "# Aurora launch — creative brief\n\n"
        "**Client:** Aurora Footwear  \n**Deliverables:** 3 hero stills, 1 logo sting, 6 social cuts\n\n"
        "## Look\n\n- Teal and magenta neon against warm fog\n- Nova is always lit from the sign side\n"
        "- Keep the sneaker's reflective stripe visible in every product shot\n\n"
        "## Don'ts\n\n- No competitor logos on set dressing\n- No daylight exteriors\n"
    ).encode()


# Two outputs of one generation run (the library groups them into an auto-collection).
NEON_ALLEY_RUN: dict[str, Any] = {
    "prompt": "rain-soaked neon alley at dusk, teal and magenta signs, cinematic",
    "model": "imagen-4",
    "provider": "google",
    "generation_run_id": "run-2026-11-20-neon-alley",
}


def _picture(
    title: str, top: str, bottom: str, shape: str, fmt: str, size: tuple[int, int] = (960, 640)
) -> Callable[[], bytes]:
    return partial(_image, title, (top, bottom), shape, fmt, size)


DEMO_ASSETS: tuple[DemoAsset, ...] = (
    DemoAsset(
        "nova-character-sheet.png",
        "character",
        "maya",
        _picture("Nova", "#1b2a6b", "#c2185b", "circle", "PNG"),
        tags=("nova", "hero"),
    ),
    DemoAsset(
        "aurora-sneaker-hero.jpg",
        "product",
        "jon",
        _picture("Aurora sneaker", "#0f3d3e", "#f2c14e", "rounded", "JPEG", (1200, 800)),
        tags=("aurora", "footwear"),
    ),
    DemoAsset(
        "neon-alley-dusk.webp",
        "generated_content",
        "priya",
        _picture("Neon alley at dusk", "#0b0033", "#00c2a8", "rounded", "WEBP", (1280, 720)),
        generation={
            **NEON_ALLEY_RUN,
            "enhanced_prompt": "A narrow rain-soaked alley at dusk lit by teal and magenta neon signs, "
            "reflections on wet cobblestones, volumetric fog, 35mm cinematic still",
            "parameters": {"aspect_ratio": "16:9", "seed": 4211, "guidance": 7.5},
        },
        tags=("alley", "night"),
    ),
    DemoAsset(
        "neon-alley-wide.webp",
        "generated_content",
        "priya",
        _picture("Neon alley, wide", "#1a0033", "#ff4f9a", "diamond", "WEBP", (1280, 720)),
        generation={**NEON_ALLEY_RUN, "parameters": {"aspect_ratio": "16:9", "seed": 4212}},
    ),
    DemoAsset(
        "desert-temple-concept.png",
        "generated_content",
        "sam",
        _picture("Desert temple concept", "#7a3e00", "#ffd8a8", "diamond", "PNG"),
        generation={
            "prompt": "ancient sandstone temple half buried in dunes, golden hour, matte painting",
            "model": "flux-pro",
            "provider": "black-forest-labs",
            "parameters": {"width": 960, "height": 640, "steps": 28},
            "generation_run_id": "run-2026-11-18-temple",
        },
    ),
    DemoAsset(
        "foggy-pier.jpg",
        "background",
        "jon",
        _picture("Foggy pier", "#4b5d67", "#d9e4ec", "rounded", "JPEG"),
        tags=("pier", "fog"),
    ),
    DemoAsset("studio-loop.gif", "logo", "maya", partial(_gif, "LOOP"), tags=("logo",)),
    DemoAsset("shot-list.csv", "document", "jon", _shot_list),
    DemoAsset("aurora-brief.md", "document", "ana", _brief, tags=("brief",)),
)


def _asset_of(body: dict[str, Any]) -> dict[str, Any]:
    inner = body.get("asset")
    return inner if isinstance(inner, dict) else body


def upload(api_url: str, token: str, item: DemoAsset, data: bytes, librarian_token: str | None = None) -> str:
    """Upload as the creator; tags are added afterwards by the librarian (editing tags is a Power User's or an
    Admin's job in the permission table), as a studio would."""
    """Announce, upload with the presigned POST, return the asset id."""
    import requests

    request: dict[str, Any] = {
        "filename": item.filename,
        "content_type": item.content_type,
        "size": len(data),
        "asset_type": item.asset_type,
    }
    if item.generation:
        request["generation"] = item.generation
    headers = {"Authorization": f"Bearer {token}"}
    created = requests.post(f"{api_url}/uploads", json=request, headers=headers, timeout=30)
    if created.status_code != 201:
        raise RuntimeError(f"POST /uploads for {item.filename}: {created.status_code} {created.text}")
    body = created.json()
    asset_id = str(_asset_of(body)["asset_id"])
    form = body["upload"]
    sent = requests.post(
        form["url"], data=form["fields"], files={"file": (item.filename, data, item.content_type)}, timeout=30
    )
    if sent.status_code not in (200, 201, 204):
        raise RuntimeError(f"upload of {item.filename}: {sent.status_code} {sent.text}")
    if item.tags:
        # Tags are an edit after upload, like a user would make; best effort for the demo.
        librarian = {"Authorization": f"Bearer {librarian_token or token}"}
        tagged = requests.patch(
            f"{api_url}/assets/{asset_id}", json={"tags": list(item.tags)}, headers=librarian, timeout=30
        )
        if not tagged.ok:
            logger.warning("tagging %s: %s %s", item.filename, tagged.status_code, tagged.text)
    return asset_id


FINISHED = ("ready", "failed", "rejected")


def wait_until_finished(api_url: str, token: str, asset_ids: list[str], timeout_seconds: float = 120) -> dict[str, str]:
    """Poll until each asset is ready, failed or rejected; returns every id's last status."""
    import requests

    statuses = dict.fromkeys(asset_ids, "unknown")
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        for asset_id in [i for i, status in statuses.items() if status not in FINISHED]:
            reply = requests.get(
                f"{api_url}/assets/{asset_id}", headers={"Authorization": f"Bearer {token}"}, timeout=30
            )
            if reply.ok:
                statuses[asset_id] = str(_asset_of(reply.json()).get("status"))
        if all(status in FINISHED for status in statuses.values()):
            break
        time.sleep(0.2)
    return statuses


def seed(api_url: str, token_for: TokenFor, workspace: str = WORKSPACE) -> list[str]:
    """Upload every demo asset into `workspace` and wait until the pipeline finished each; returns their ids."""
    asset_ids = []
    for item in DEMO_ASSETS:
        creator = token_for(item.creator, workspace, CREATORS[item.creator])
        asset_id = upload(
            api_url, creator, item, item.make(), librarian_token=token_for("sam", workspace, "power_user")
        )
        logger.info("seeded %s (%s) as %s", item.filename, item.asset_type, asset_id)
        asset_ids.append(asset_id)
    statuses = wait_until_finished(api_url, token_for("ana", workspace, "admin"), asset_ids)
    not_ready = {
        item.filename: statuses[asset_id]
        for item, asset_id in zip(DEMO_ASSETS, asset_ids, strict=True)
        if statuses[asset_id] != "ready"
    }
    if not_ready:
        listed = ", ".join(f"{name} ({status})" for name, status in not_ready.items())
        logger.warning("%d of %d demo assets are not ready: %s", len(not_ready), len(asset_ids), listed)
    return asset_ids
