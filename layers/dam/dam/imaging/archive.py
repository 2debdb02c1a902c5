"""ZIP and Office (DOCX, PPTX, XLSX) files: facts from the ZIP listing, a typed icon as thumbnail.

Nothing is ever extracted: the listing (central directory) says what is inside, and the one entry
read (docProps/app.xml, for a Word page count) is size-capped and parsed with defusedxml.
"""

from __future__ import annotations

import re
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from dam.domain.errors import ContentRejected, ContentUnreadable
from dam.domain.formats import Format
from dam.imaging.model import THUMBNAIL_EDGE, WEBP, RenditionFile, RenditionSet
from dam.imaging.raster import blurhash_of, encode_webp

MAX_RATIO = 100
MAX_UNCOMPRESSED = 2 * 1024**3
# An archive that expands to less than this can't hurt anyone, whatever its ratio (a small CSV of
# repeated rows compresses past 100×).
RATIO_FLOOR = 1024 * 1024
MAX_NAMES = 50
_MAX_NAME = 200
_APP_XML = "docProps/app.xml"
_APP_XML_LIMIT = 256 * 1024
_SLIDE = re.compile(r"ppt/slides/slide\d+\.xml")
_SHEET = re.compile(r"xl/worksheets/sheet\d+\.xml")
_ICON_COLOURS = {
    "DOCX": (43, 87, 154),
    "PPTX": (196, 62, 28),
    "XLSX": (33, 115, 70),
    "ZIP": (96, 104, 118),
    "GLB": (118, 72, 170),
    "OBJ": (118, 72, 170),
}
ICON_SIZE = (THUMBNAIL_EDGE * 3 // 4, THUMBNAIL_EDGE)  # a portrait page


@lru_cache(maxsize=8)
def typed_icon(label: str) -> tuple[bytes, str | None]:
    """A page-shaped icon with the format's name on a coloured band (WebP) and its placeholder.
    The same for every file of a type, so it is drawn once per process."""
    width, height = ICON_SIZE
    colour = _ICON_COLOURS.get(label, _ICON_COLOURS["ZIP"])
    image = Image.new("RGB", ICON_SIZE, (241, 243, 246))
    draw = ImageDraw.Draw(image)
    margin, fold = width // 8, width // 5
    page = [(margin, margin), (width - margin - fold, margin), (width - margin, margin + fold)]
    page += [(width - margin, height - margin), (margin, height - margin)]
    draw.polygon(page, fill=(255, 255, 255), outline=(200, 205, 212), width=3)
    draw.polygon(
        [(width - margin - fold, margin), (width - margin - fold, margin + fold), (width - margin, margin + fold)],
        fill=(220, 224, 230),
    )
    band_top = height * 11 // 20
    draw.rectangle([(margin - width // 16, band_top), (width - margin, band_top + height // 6)], fill=colour)
    font = ImageFont.load_default(size=height // 10)
    draw.text((width // 2, band_top + height // 12), label, fill=(255, 255, 255), font=font, anchor="mm")
    return encode_webp(image, method=6), blurhash_of(image)


def _ensure_not_a_bomb(infos: list[zipfile.ZipInfo], archive_bytes: int) -> tuple[int, float]:
    total = sum(info.file_size for info in infos)
    ratio = total / max(archive_bytes, 1)
    if total > MAX_UNCOMPRESSED:
        raise ContentRejected(
            f"The archive would expand to {total / 1024**3:.1f} GB; archives may expand to at most "
            f"{MAX_UNCOMPRESSED / 1024**3:.0f} GB."
        )
    if total > RATIO_FLOOR and ratio > MAX_RATIO:
        raise ContentRejected(
            f"The archive would expand {ratio:,.0f} times its size, which is how zip bombs look; "
            f"at most {MAX_RATIO}× is accepted."
        )
    return total, ratio


def _top_level(names: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for name in names:
        first, slash, _ = name.partition("/")
        key = (first + slash)[:_MAX_NAME]
        if key and key not in seen:
            seen[key] = None
            if len(seen) == MAX_NAMES:
                break
    return list(seen)


def _word_pages(zf: zipfile.ZipFile) -> int | None:
    """Pages as Word last counted them (docProps/app.xml); the listing alone can't tell."""
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    try:
        info = zf.getinfo(_APP_XML)
    except KeyError:
        return None
    if info.file_size > _APP_XML_LIMIT:
        return None
    try:
        with zf.open(info) as entry:
            root = SafeET.fromstring(entry.read(_APP_XML_LIMIT + 1)[:_APP_XML_LIMIT])
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, SafeET.ParseError, DefusedXmlException):
        return None
    pages = next((el.text for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "Pages"), None)
    return int(pages) if pages and pages.strip().isdigit() else None


def archive_renditions(path: str | Path, fmt: Format) -> RenditionSet:
    path = Path(path)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ContentUnreadable(f"The {fmt.name} file is damaged or incomplete and can't be opened.") from exc
    with zf:
        infos = zf.infolist()
        total, ratio = _ensure_not_a_bomb(infos, path.stat().st_size)
        names = [info.filename for info in infos]
        metadata: dict[str, Any] = {
            "format": fmt.name,
            "entries": len(infos),
            "files": sum(1 for info in infos if not info.is_dir()),
            "uncompressed_bytes": total,
            "compression_ratio": round(ratio, 2),
            "encrypted": any(info.flag_bits & 0x1 for info in infos),
        }
        if fmt.name == "ZIP":
            metadata["top_level"] = _top_level(names)
        elif fmt.name == "DOCX":
            metadata["pages"] = _word_pages(zf)
        elif fmt.name == "PPTX":
            metadata["slides"] = sum(1 for name in names if _SLIDE.fullmatch(name))
        elif fmt.name == "XLSX":
            metadata["sheets"] = sum(1 for name in names if _SHEET.fullmatch(name))
    icon, placeholder = typed_icon(fmt.name)
    thumbnail = RenditionFile("thumbnail", icon, WEBP, *ICON_SIZE)
    return RenditionSet(files=[thumbnail], placeholder=placeholder, metadata=metadata)
