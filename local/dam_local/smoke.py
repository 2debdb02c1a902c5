"""`dam smoke`: one short walk through a stack over HTTP — upload a real JPEG with the presigned POST, wait
until it is ready, find it by search, delete it, check it is gone — and a table of what passed.

Without --api/--token it targets the running `dam local` (its ready file names the API; a token is minted with
the stack's signing key), so the same command checks a laptop and a deployed stack.
"""

from __future__ import annotations

import contextlib
import io
import random
import string
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

SMOKE_USER = "dam-smoke"
SMOKE_WORKSPACE = "smoke"
SMOKE_ROLE = "editor"  # may upload and delete an asset
REQUEST_SECONDS = 30


class StepFailed(Exception):
    """A step's check did not hold: the message is the table's detail."""


@dataclass
class Step:
    name: str
    result: str = "skipped"
    seconds: float = 0.0
    detail: str = ""


@dataclass
class Smoke:
    api: str
    token: str
    timeout_seconds: float = 120.0
    poll_seconds: float = 0.5
    steps: list[Step] = field(default_factory=list)
    asset_id: str | None = None
    deleted: bool = False
    word: str = field(default_factory=lambda: "".join(random.choices(string.ascii_lowercase, k=12)))

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def run(self) -> bool:
        plan: list[tuple[str, Callable[[], str]]] = [
            ("upload", self._upload),
            ("ready", self._ready),
            ("found by search", self._found),
            ("delete", self._delete),
            ("gone", self._gone),
        ]
        self.steps = [Step(name) for name, _ in plan]
        for step, (_, action) in zip(self.steps, plan, strict=True):
            started = time.monotonic()
            try:
                step.detail = action()
                step.result = "pass"
            except (StepFailed, requests.RequestException) as error:
                step.result, step.detail = "FAIL", str(error)
            step.seconds = time.monotonic() - started
            if step.result != "pass":
                break
        self._clean_up()
        return all(step.result == "pass" for step in self.steps)

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method, f"{self.api}{path}", headers=self.headers, timeout=REQUEST_SECONDS, allow_redirects=False, **kwargs
        )

    def _upload(self) -> str:
        image = smoke_jpeg(self.word)
        created = self._request(
            "POST",
            "/uploads",
            json={
                "filename": f"smoke-{self.word}.jpg",
                "content_type": "image/jpeg",
                "size": len(image),
                "asset_type": "image",
                "name": f"Smoke check {self.word}",
            },
        )
        _expect(created, 201, "POST /uploads")
        self.asset_id = created.json()["asset"]["asset_id"]
        upload = created.json()["upload"]
        posted = requests.post(
            upload["url"],
            data=upload["fields"],
            files={"file": (f"smoke-{self.word}.jpg", image, "image/jpeg")},
            timeout=REQUEST_SECONDS,
        )
        if posted.status_code not in (200, 201, 204):
            raise StepFailed(f"the presigned POST answered {posted.status_code}: {posted.text[:200]}")
        return f"asset {self.asset_id}, {len(image):,} bytes"

    def _ready(self) -> str:
        status = ""

        def ready() -> bool:
            nonlocal status
            reply = self._request("GET", f"/assets/{self.asset_id}")
            _expect(reply, 200, "GET /assets/{id}")
            status = reply.json()["status"]
            if status in ("failed", "rejected"):
                raise StepFailed(f"the pipeline ended {status}")
            return status == "ready"

        if not self._within(ready):
            raise StepFailed(f"still {status!r} after {self.timeout_seconds:.0f} s")
        return "status ready"

    def _found(self) -> str:
        def found() -> bool:
            reply = self._request("GET", "/search", params={"q": self.word, "mode": "keyword"})
            _expect(reply, 200, "GET /search")
            return self.asset_id in [item["asset_id"] for item in reply.json()["items"]]

        if not self._within(found):
            raise StepFailed(f"q={self.word} did not find it within {self.timeout_seconds:.0f} s")
        return f"q={self.word}"

    def _delete(self) -> str:
        # Permanently: a smoke run leaves nothing behind, not even in the trash.
        reply = self._request("DELETE", f"/assets/{self.asset_id}", params={"permanent": "true"})
        _expect(reply, 204, "DELETE /assets/{id}?permanent=true")
        self.deleted = True
        return "204"

    def _gone(self) -> str:
        _expect(self._request("GET", f"/assets/{self.asset_id}"), 404, "GET /assets/{id} after the delete")
        return "404"

    def _clean_up(self) -> None:
        """A walk that stopped halfway leaves no smoke asset behind (best effort)."""
        if self.asset_id is None or self.deleted:
            return
        with contextlib.suppress(requests.RequestException):
            self._request("DELETE", f"/assets/{self.asset_id}", params={"permanent": "true"})

    def _within(self, check: Callable[[], bool]) -> bool:
        deadline = time.monotonic() + self.timeout_seconds
        while True:
            if check():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(self.poll_seconds)


def _expect(reply: requests.Response, status: int, what: str) -> None:
    if reply.status_code != status:
        raise StepFailed(f"{what} answered {reply.status_code}, not {status}: {reply.text[:200]}")


def smoke_jpeg(seed: str, width: int = 640, height: int = 480) -> bytes:
    """A real photo-like JPEG (gradients, shapes, grain), different for every run."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.merge(
        "RGB",
        [Image.linear_gradient("L").rotate(rng.choice((0, 90, 180, 270))).resize((width, height)) for _ in range(3)],
    )
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y, r = rng.randrange(width), rng.randrange(height), rng.randrange(10, min(width, height) // 4)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    image = Image.blend(image, Image.effect_noise((width, height), 18).convert("RGB"), 0.12)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def table(steps: list[Step]) -> str:
    rows = [("step", "result", "seconds", "detail")]
    rows += [(s.name, s.result, f"{s.seconds:.1f}" if s.result != "skipped" else "-", s.detail) for s in steps]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        f"{row[0].ljust(widths[0])}  {row[1].ljust(widths[1])}  {row[2].rjust(widths[2])}  {row[3]}".rstrip()
        for row in rows
    )


def local_target(data_dir: Path) -> tuple[str, str]:
    """The running `dam local`'s API and a token it accepts, found as `dam reindex` finds the stack."""
    from dam_local.home import running_api_url
    from dam_local.tokens import issue_token, signing_key

    api = running_api_url(data_dir)
    if api is None:
        hint = "start `dam local`, or give --api and --token"
        raise SystemExit(f"dam smoke: no running local stack in {data_dir}: {hint}")
    token = issue_token(signing_key(data_dir), user=SMOKE_USER, workspace=SMOKE_WORKSPACE, role=SMOKE_ROLE)
    return api, token


def smoke(data_dir: Path, *, api: str | None, token: str | None, timeout_seconds: float) -> int:
    if bool(api) != bool(token):
        print("dam smoke: give both --api and --token (or neither, for the local stack)", file=sys.stderr)
        return 2
    if not api or not token:
        api, token = local_target(data_dir)
    check = Smoke(api.rstrip("/"), token, timeout_seconds=timeout_seconds)
    passed = check.run()
    print(f"dam smoke against {check.api}")
    print(table(check.steps))
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1
