"""Raster images: decode once at reduced size, normalise to 8-bit sRGB, resize, encode WebP, BlurHash."""

from __future__ import annotations

import io
import re
import warnings
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageCms, ImageOps

from dam.domain.errors import ContentUnreadable
from dam.domain.formats import Format
from dam.imaging.limits import DECODE_ERRORS, DEFAULT_LIMITS, ImageLimits, open_image, oriented_size
from dam.imaging.model import PREVIEW_EDGE, THUMBNAIL_EDGE, WEBP, RenditionFile, RenditionSet

# Encoder settings chosen from bench/renditions.py's WebP sweep (photo content, 2 cores): at 1280 px,
# method 2 takes 21 ms for 14.6 KB where method 4 takes 63 ms for 13.7 KB (3× the time for 6% fewer
# bytes; methods 3+ switch on the slow rate-distortion search). At 320 px, method 4 costs 4.6 ms vs 1.9 ms
# and the thumbnail is what every gallery tile loads, so it gets the extra effort. Quality stays at the
# usual default 80 (q85: +16% bytes, q75: −16%; no perceptual metric was run to justify moving it).
WEBP_QUALITY = 80
WEBP_METHOD_THUMBNAIL = 4
WEBP_METHOD_PREVIEW = 2
PLACEHOLDER_EDGE = 32
BLURHASH_COMPONENTS = (4, 3)

# Integer box reduction (Image.reduce) for the whole part of the scale, then bicubic for the rest (<2×).
# Measured (bench/renditions.py): against a plain Lanczos resize the result differs by 48–57 dB PSNR,
# far below what WebP q80 itself changes, for 1.3–4× less time (12 MP → 1280 px: 144 → 37 ms).
_RESAMPLE = Image.Resampling.BICUBIC
_REDUCING_GAP = 1.0
_SIXTEEN_BIT = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I"})
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})
_KEPT_MODES = frozenset({"RGB", "RGBA", "L", "LA", "CMYK"})

_EXIF_IFD, _GPS_IFD, _GPS_LATITUDE, _GPS_LONGITUDE = 0x8769, 0x8825, 2, 4
_MAKE, _MODEL, _ORIENTATION, _DATETIME = 0x010F, 0x0110, 0x0112, 0x0132
_DATETIME_ORIGINAL, _OFFSET_ORIGINAL, _LENS_MODEL = 0x9003, 0x9011, 0xA434
_OFFSET = re.compile(r"[+-]\d{2}:\d{2}")
_MAX_TEXT = 120  # EXIF strings are attacker-controlled: keep what lands in the record short


# --- shared helpers (also used for video posters, PDF pages and SVG renders) -----------------------------


def fit(size: tuple[int, int], edge: int) -> tuple[int, int]:
    """`size` scaled so its long edge is `edge`, never enlarged, never below 1 px."""
    width, height = size
    scale = min(1.0, edge / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def resize(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    if image.size == size:
        return image
    return image.resize(size, _RESAMPLE, reducing_gap=_REDUCING_GAP)


def encode_webp(image: Image.Image, method: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", quality=WEBP_QUALITY, method=method)
    return buffer.getvalue()


def blurhash_of(image: Image.Image) -> str | None:
    """BlurHash of a small image; transparency is flattened onto white, as a gallery tile shows it."""
    import blurhash

    small = image.copy()
    small.thumbnail((PLACEHOLDER_EDGE, PLACEHOLDER_EDGE), Image.Resampling.BILINEAR)
    if small.mode in _ALPHA_MODES:
        flat = Image.new("RGB", small.size, (255, 255, 255))
        flat.paste(small.convert("RGBA"), mask=small.convert("RGBA").getchannel("A"))
        small = flat
    with warnings.catch_warnings():
        # blurhash-python 1.2.2 reads pixels with Image.getdata, deprecated in Pillow 13 (removed in 14).
        warnings.simplefilter("ignore", DeprecationWarning)
        return str(blurhash.encode(small.convert("RGB"), *BLURHASH_COMPONENTS))


def perceptual_hash(encoded: bytes) -> str:
    """64-bit difference hash (dHash) of an encoded picture, as 16 hex digits: resized copies, re-encodes and
    small edits stay within a few bits (Hamming distance), different pictures differ in about half."""
    with Image.open(io.BytesIO(encoded)) as picture:
        grey = picture.convert("L").resize((9, 8), Image.Resampling.BILINEAR)
    pixels = grey.tobytes()
    bits = 0
    for row in range(8):
        for column in range(8):
            bits = (bits << 1) | (pixels[row * 9 + column] > pixels[row * 9 + column + 1])
    return f"{bits:016x}"


def renditions_from_image(image: Image.Image) -> tuple[list[RenditionFile], str | None]:
    """Thumbnail + preview WebP and a placeholder from a decoded image already upright and in
    RGB/RGBA/L/LA. The preview is never enlarged; the thumbnail is made from the preview."""
    preview = resize(image, fit(image.size, PREVIEW_EDGE))
    thumbnail = resize(preview, fit(preview.size, THUMBNAIL_EDGE))
    files = [
        RenditionFile("thumbnail", encode_webp(thumbnail, WEBP_METHOD_THUMBNAIL), WEBP, *thumbnail.size),
        RenditionFile("preview", encode_webp(preview, WEBP_METHOD_PREVIEW), WEBP, *preview.size),
    ]
    return files, blurhash_of(thumbnail)


# --- colour and bit depth ---------------------------------------------------------------------------------


def to_display_mode(image: Image.Image) -> Image.Image:
    """8-bit RGB/RGBA/L/LA (CMYK is kept for the colour-managed step after resizing)."""
    mode = image.mode
    if mode in _KEPT_MODES:
        return image
    if mode in _SIXTEEN_BIT:
        # Pillow's convert("L") clips 16-bit values at 255 (an all-white picture): scale 0–65535 to 0–255.
        return image.convert("I").point(lambda value: value * (1 / 257)).convert("L")
    if mode in ("P", "PA"):
        transparent = mode == "PA" or "transparency" in image.info
        return image.convert("RGBA" if transparent else "RGB")
    if mode in ("RGBa", "La"):
        return image.convert("RGBA" if mode == "RGBa" else "LA")
    if mode == "F":
        # Floating-point TIFFs usually hold 0.0–1.0 (convert("L") would show them black); others 0–255.
        _low, high = image.getextrema()
        scale = 255.0 if isinstance(high, float) and high <= 1.0 else 1.0
        return image.point(lambda value: value * scale).convert("L")
    if mode == "1":
        return image.convert("L")
    return image.convert("RGB")  # YCbCr, LAB, HSV, RGBX


@lru_cache(maxsize=1)
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def icc_description(icc: bytes | None) -> str | None:
    if not icc:
        return None
    try:
        description = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc)))
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None
    return description.strip()[:_MAX_TEXT] or None


def to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """CMYK → RGB through the embedded profile when there is one (else Pillow's plain conversion), and
    RGB(A) in another colour space (Display P3, Adobe RGB) → sRGB, so renditions need no profile."""
    description = icc_description(icc)
    if image.mode == "CMYK" or (description and "srgb" not in description.lower() and image.mode in ("RGB", "RGBA")):
        if description and icc:
            try:
                source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
                output = "RGB" if image.mode == "CMYK" else image.mode
                converted = ImageCms.profileToProfile(image, source, _srgb(), outputMode=output)
            except (ImageCms.PyCMSError, OSError, ValueError):
                converted = None  # a broken or mismatched profile: fall back to the plain conversion
            if converted is not None:
                return converted
        if image.mode == "CMYK":
            return image.convert("RGB")
    return image


# --- metadata ---------------------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not isinstance(value, str):
        return None
    cleaned = "".join(ch for ch in value if ch >= " ").strip()
    return cleaned[:_MAX_TEXT] or None


def _taken_at(value: Any, offset: Any) -> str | None:
    text = _text(value)
    if not text:
        return None
    try:
        moment = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    zone = _text(offset)
    return moment.isoformat() + (zone if zone and _OFFSET.fullmatch(zone) else "")


def exif_highlights(image: Image.Image) -> dict[str, Any]:
    """Camera make/model, lens, taken-at, orientation and whether GPS is present — never the coordinates."""
    try:
        exif = image.getexif()
        sub = exif.get_ifd(_EXIF_IFD)
        gps = exif.get_ifd(_GPS_IFD)
    except Exception:  # EXIF is best effort: a malformed block must not fail the whole image
        return {}
    found: dict[str, Any] = {
        "make": _text(exif.get(_MAKE)),
        "model": _text(exif.get(_MODEL)),
        "lens": _text(sub.get(_LENS_MODEL)),
        "taken_at": _taken_at(sub.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME), sub.get(_OFFSET_ORIGINAL)),
    }
    # pillow-heif applies the HEIC rotation itself and resets the tag; it keeps the original value aside.
    orientation = image.info.get("original_orientation") or exif.get(_ORIENTATION)
    if isinstance(orientation, int) and 1 <= orientation <= 8:
        found["orientation"] = orientation
    found = {key: value for key, value in found.items() if value is not None}
    has_gps = _GPS_LATITUDE in gps and _GPS_LONGITUDE in gps  # a GPS block without a fix says nothing
    if found or has_gps:
        found["has_gps"] = has_gps
    return found


def _image_metadata(image: Image.Image, fmt: Format) -> dict[str, Any]:
    width, height = oriented_size(image)
    # A camera's MPO (JPEG + depth/preview pictures) has several frames but is no animation; a TIFF's
    # frames are pages (a scan, a layered export), counted apart.
    still = image.format in ("MPO", "TIFF")
    count = getattr(image, "n_frames", 1)
    if count > 1:
        image.seek(0)  # counting frames moved through the file; the first frame is the one rendered
    frames = 1 if still else count
    has_alpha = image.mode in _ALPHA_MODES or "transparency" in image.info
    metadata: dict[str, Any] = {
        "format": fmt.name,
        "width": width,
        "height": height,
        "mode": image.mode,
        "has_alpha": has_alpha,
        "frames": frames,
        "animated": frames > 1,
    }
    if image.format == "TIFF" and count > 1:
        metadata["pages"] = count
    if highlights := exif_highlights(image):
        metadata["exif"] = highlights
    if profile := icc_description(image.info.get("icc_profile")):
        metadata["icc_profile"] = profile
    return metadata


# --- images -----------------------------------------------------------------------------------------------


def image_renditions(path: str | Path, fmt: Format, limits: ImageLimits = DEFAULT_LIMITS) -> RenditionSet:
    with open_image(path, fmt, limits) as image:
        metadata = _image_metadata(image, fmt)
        icc = image.info.get("icc_profile")
        if image.format in ("JPEG", "MPO"):
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale (DCT scaling) while staying ≥ the preview size:
            # a 24 MP photo decodes as 1.5 MP, which is most of the time and memory saved.
            image.draft(None, fit(image.size, PREVIEW_EDGE))
        try:
            source = _loaded(path, image)
            ImageOps.exif_transpose(source, in_place=True)
            display = to_display_mode(source)
            preview = to_srgb(resize(display, fit(display.size, PREVIEW_EDGE)), icc)
        except DECODE_ERRORS as exc:
            raise ContentUnreadable(f"The {fmt.name} image is damaged or incomplete and can't be read.") from exc
        # Still inside: a small image needs no resize, so `preview` may be the opened image itself.
        files, placeholder = renditions_from_image(preview)
    return RenditionSet(files=files, placeholder=placeholder, metadata=metadata)


def _loaded(path: str | Path, image: Image.Image) -> Image.Image:
    """The opened image decoded; a large still WebP straight at the preview's size by libwebp (Pillow
    would decode every pixel first: 4× the time at 12 MP), with its EXIF and profile carried over."""
    if image.format == "WEBP" and max(image.size) > PREVIEW_EDGE and getattr(image, "n_frames", 1) == 1:
        from dam.imaging.webp import decode_scaled

        scaled = decode_scaled(Path(path).read_bytes(), fit(image.size, PREVIEW_EDGE))
        if scaled is not None:
            scaled.info.update(image.info)
            return scaled
    image.load()
    return image
