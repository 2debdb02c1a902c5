"""Pixel limits, checked from the header before any pixel is decoded."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO

from PIL import Image, UnidentifiedImageError

from dam.domain.errors import ContentRejected, ContentUnreadable
from dam.domain.formats import Format

# Pillow's plugin per format: opening with only that plugin stops Pillow from trying others
# (EPS would start Ghostscript) on bytes we have already identified.
PILLOW_FORMATS = {
    "PNG": "PNG",
    "JPEG": "JPEG",
    "WebP": "WEBP",
    "GIF": "GIF",
    "BMP": "BMP",
    "HEIC": "HEIF",
    "TIFF": "TIFF",
}
# What a damaged file makes Pillow raise while parsing a header or decoding.
DECODE_ERRORS: tuple[type[BaseException], ...] = (
    UnidentifiedImageError,
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    IndexError,
)
_ORIENTATION_TAG = 0x0112
_BOMB_PIXELS = re.compile(r"\((\d+) pixels\)")


@dataclass(frozen=True)
class ImageLimits:
    max_pixels: int = 100_000_000
    max_dimension: int = 30_000
    # An SVG is parsed whole into memory before it is sanitised and rendered.
    max_svg_bytes: int = 10 * 1024 * 1024


DEFAULT_LIMITS = ImageLimits()


def check_dimensions(width: int, height: int, limits: ImageLimits, what: str = "image") -> None:
    """ContentRejected when width × height is over the limits; ContentUnreadable when it is empty."""
    if width <= 0 or height <= 0:
        raise ContentUnreadable(f"The {what} says it is {width} × {height} pixels, which can't be shown.")
    if max(width, height) > limits.max_dimension:
        raise ContentRejected(
            f"The {what} is {width} × {height} pixels; the largest side allowed is {limits.max_dimension:,} pixels."
        )
    if width * height > limits.max_pixels:
        raise ContentRejected(
            f"The {what} is {width} × {height} pixels ({_megapixels(width * height)} megapixels); "
            f"the limit is {_megapixels(limits.max_pixels)} megapixels."
        )


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:,.0f}" if pixels >= 10_000_000 else f"{pixels / 1_000_000:,.1f}"


@lru_cache(maxsize=1)
def register_heif() -> None:
    """Teach Pillow HEIC (pillow-heif), once. Imported only when a HEIC arrives: it loads libheif."""
    import pillow_heif

    # Thumbnails, depth maps and auxiliary images are never used here: don't decode or keep them.
    pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)


@contextmanager
def open_image(
    path: str | Path | IO[bytes], fmt: Format, limits: ImageLimits = DEFAULT_LIMITS
) -> Iterator[Image.Image]:
    """The image opened lazily (header only) after its size passed the limits; closed on exit."""
    pillow_format = PILLOW_FORMATS.get(fmt.name)
    if pillow_format is None:
        raise ValueError(f"{fmt.name} is not a raster image format")
    if pillow_format == "HEIF":
        register_heif()
    # The one place Pillow's own bomb guard is set: it fires inside Image.open, before any decoding.
    Image.MAX_IMAGE_PIXELS = limits.max_pixels
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", Image.DecompressionBombWarning)
            image = Image.open(path, formats=[pillow_format])
    except Image.DecompressionBombError as exc:  # over twice the limit: Pillow refuses to open at all
        found = _BOMB_PIXELS.search(str(exc))
        size = f" ({_megapixels(int(found.group(1)))} megapixels)" if found else ""
        raise ContentRejected(
            f"The image is too large{size}; the limit is {_megapixels(limits.max_pixels)} megapixels."
        ) from exc
    except DECODE_ERRORS as exc:
        raise ContentUnreadable(f"The {fmt.name} image is damaged or incomplete and can't be read.") from exc
    try:
        check_dimensions(*image.size, limits)  # over the limit (Pillow only warned): refused, with the size
        if any(issubclass(w.category, Image.DecompressionBombWarning) for w in caught):
            raise ContentRejected(f"The image is larger than {_megapixels(limits.max_pixels)} megapixels.")
        yield image
    finally:
        image.close()


def oriented_size(image: Image.Image) -> tuple[int, int]:
    """Width and height as displayed: EXIF orientations 5–8 turn the picture a quarter."""
    width, height = image.size
    try:
        orientation = image.getexif().get(_ORIENTATION_TAG, 1)
    except DECODE_ERRORS:
        orientation = 1
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def probe_image(path: str | Path | IO[bytes], fmt: Format, limits: ImageLimits = DEFAULT_LIMITS) -> tuple[int, int]:
    """(width, height) as displayed, read from the header only (an SVG: its intrinsic size).
    ContentRejected when over the limits, ContentUnreadable when the header is damaged."""
    if fmt.name == "SVG":
        from dam.imaging.svg import svg_size

        if not isinstance(path, str | Path):
            raise ValueError("an SVG's size is read from a local file")
        return svg_size(path, limits)
    with open_image(path, fmt, limits) as image:
        return oriented_size(image)
