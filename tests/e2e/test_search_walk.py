"""Search over real HTTP on the local stack: upload → ready → found by keyword and by meaning → renamed →
found by the new name → deleted → gone. The index is fed only by the assets table's stream."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests

from tests.unit.imaging import corpus


def _eventually(check: Callable[[], bool], timeout: float = 90) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


def test_find_rename_and_delete_through_search(local_stack: Any) -> None:
    api = local_stack.api_url
    headers = {"Authorization": f"Bearer {local_stack.token('maya', 'ws-search', 'editor')}"}
    image = corpus.png_photo(320, 200)
    created = requests.post(
        f"{api}/uploads",
        json={
            "filename": "still.png",
            "content_type": "image/png",
            "size": len(image),
            "asset_type": "generated_content",
            "name": "Morning still life",
            "generation": {"prompt": "a cup of coffee on a wooden table", "model": "imagen-4"},
        },
        headers=headers,
        timeout=10,
    ).json()
    asset_id = created["asset"]["asset_id"]
    upload = created["upload"]
    requests.post(upload["url"], data=upload["fields"], files={"file": ("still.png", image)}, timeout=30)

    def found(**query: str) -> list[str]:
        reply = requests.get(f"{api}/search", params=query, headers=headers, timeout=10)
        assert reply.status_code == 200, reply.text
        return [item["asset_id"] for item in reply.json()["items"]]

    def ready() -> bool:
        return requests.get(f"{api}/assets/{asset_id}", headers=headers, timeout=10).json()["status"] == "ready"

    assert _eventually(ready)
    assert _eventually(lambda: found(q="still life", mode="keyword") == [asset_id])
    # The name was indexed at upload; the description and vector come with the ready record's stream event.
    assert _eventually(lambda: found(q="espresso", mode="semantic")[:1] == [asset_id])
    assert found(q="qwxz zzkv") == []

    requests.patch(f"{api}/assets/{asset_id}", json={"name": "Breakfast hero"}, headers=headers, timeout=10)
    assert _eventually(lambda: found(q="breakfast", mode="keyword") == [asset_id])

    requests.delete(f"{api}/assets/{asset_id}", headers=headers, timeout=10)
    assert _eventually(lambda: found(q="breakfast", mode="keyword") == [])
