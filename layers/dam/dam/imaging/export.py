"""An image original converted to PNG or JPEG for download (`?format=png|jpg`): full size, upright, sRGB."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageOps

from dam.domain.errors import ContentUnreadable
from dam.domain.formats import Format
from dam.imaging.limits import DECODE_ERRORS, ImageLimits, open_image
from dam.imaging.raster import to_display_mode, to_srgb

JPEG_QUALITY = 90  # an export is a deliverable, not a preview
# Measured on this 2-core machine under load, 24 MP photo: JPEG 0.6 s; PNG zlib level 6 16–18 s, level 1 6 s
# (+25% bytes). The API answers within 15 s, so PNG uses level 1 and exports stop at 40 MP (~10 s as PNG).
PNG_COMPRESS_LEVEL = 1
EXPORT_LIMITS = ImageLimits(max_pixels=40_000_000)
_WHITE = (255, 255, 255)


def convert_image(path: str | Path, fmt: Format, target: str, limits: ImageLimits = EXPORT_LIMITS) -> bytes:
    """The picture as `target` ("PNG" or "JPEG"); the first frame of an animation. The pixel limit is
    checked before decoding (a larger image is ContentRejected), so an export's memory and time are bounded."""
    with open_image(path, fmt, limits) as image:
        icc = image.info.get("icc_profile")
        try:
            image.load()
            upright = ImageOps.exif_transpose(image)
            picture = to_srgb(to_display_mode(upright), icc)
            if target == "JPEG" and picture.mode not in ("RGB", "L"):
                picture = _flatten(picture)
            out = io.BytesIO()
            if target == "JPEG":
                picture.save(out, "JPEG", quality=JPEG_QUALITY)
            else:
                picture.save(out, "PNG", compress_level=PNG_COMPRESS_LEVEL)
        except DECODE_ERRORS as exc:
            raise ContentUnreadable(f"The {fmt.name} image is damaged or incomplete and can't be read.") from exc
    return out.getvalue()


def _flatten(picture: Image.Image) -> Image.Image:
    """JPEG has no alpha: composite on white (what a viewer shows), never on black."""
    rgba = picture.convert("RGBA")
    background = Image.new("RGB", rgba.size, _WHITE)
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background
