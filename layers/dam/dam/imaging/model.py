"""What rendering a file produces."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

THUMBNAIL_EDGE = 320
PREVIEW_EDGE = 1280

WEBP = "image/webp"
PNG = "image/png"
SVG = "image/svg+xml"
JSON = "application/json"
TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class RenditionFile:
    name: str  # thumbnail, preview, poster, sanitized
    data: bytes = field(repr=False)
    content_type: str
    width: int | None = None
    height: int | None = None


@dataclass
class RenditionSet:
    files: list[RenditionFile] = field(default_factory=list)
    placeholder: str | None = None  # BlurHash of the thumbnail, for a blurred stand-in while it loads
    metadata: dict[str, Any] = field(default_factory=dict)  # JSON-serialisable

    def get(self, name: str) -> RenditionFile | None:
        return next((f for f in self.files if f.name == name), None)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.files]
