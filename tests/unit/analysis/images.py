"""Small generated images for the analysis tests."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont


def encode(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def red_and_white(size: tuple[int, int] = (400, 200)) -> Image.Image:
    """Left half red, right half white."""
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).rectangle((0, 0, size[0] // 2 - 1, size[1]), fill=(220, 20, 20))
    return image


def sign(text: str = "SPRING SALE", size: tuple[int, int] = (1000, 500)) -> Image.Image:
    """Big white text on navy, the way a poster or banner looks."""
    image = Image.new("RGB", size, (10, 20, 110))
    font = ImageFont.load_default(size=110)
    ImageDraw.Draw(image).text((60, 190), text, fill="white", font=font)
    return image
