"""Walking a ZIP for a bulk import: entry by entry, streaming, never trusting its headers.

The archive is read through a seekable file (a ranged reader over S3 in the import), so only the
central directory and one entry at a time are ever in memory. What a hostile archive can do is bounded:
- the entry count is read from the end record before the central directory is parsed, and the
  declared total expansion is bounded before any entry is read;
- each entry's expansion is counted while it is read (ratio to its compressed size, the per-file limit)
  and the whole archive's expansion against a total budget, so a header that lies changes nothing;
- paths are never used to write anything; `../`, absolute paths, symlinks, encrypted entries, nested
  archives and repeated names are reported as skipped with their reason.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import posixpath
import stat
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from dam.domain.imports import SkipReason

_CHUNK = 1024 * 1024
_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_EOCD_SEARCH = 65_535 + 22  # the end record plus the longest comment
_NESTED_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07", b"\x1f\x8b")
_NESTED_EXTENSIONS = (".zip", ".7z", ".rar", ".tar", ".gz", ".tgz")
_MAX_NAME = 255


class ArchiveRefused(Exception):
    """The archive as a whole is not imported; the message says why, for a person."""


@dataclass(frozen=True)
class WalkLimits:
    max_entries: int = 1_000  # read from the end record, before the listing is parsed
    max_entry_bytes: int = 100 * 1024**2  # the per-file limit
    max_total_bytes: int = 2 * 1024**3  # all entries together, as actually expanded
    max_ratio: int = 100
    ratio_floor: int = 1024 * 1024  # below this an entry can't hurt, whatever its ratio


@dataclass(frozen=True)
class Entry:
    """A file in the archive: either its bytes (`data`) or why it was skipped (`reason`)."""

    index: int
    name: str
    data: bytes | None = None
    reason: SkipReason | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data or b"").hexdigest()


@dataclass
class Walk:
    total: int  # files (directories are not counted)
    entries: Iterator[Entry] = field(repr=False)


def entry_count(archive: IO[bytes], size: int) -> int:
    """How many entries the end record announces (ZIP64 aware), read from the archive's last 64 KB."""
    start = max(0, size - _EOCD_SEARCH)
    archive.seek(start)
    tail = archive.read(size - start)
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < 22:
        raise ArchiveRefused("The archive is damaged or incomplete (its end record is missing).")
    count, directory_size, directory_offset, comment_length = struct.unpack("<HIIH", tail[at + 10 : at + 22])
    record_at = start + at
    locator = at - 20
    if locator >= 0 and tail[locator : locator + 4] == _ZIP64_LOCATOR:
        (record_offset,) = struct.unpack("<Q", tail[locator + 8 : locator + 16])
        archive.seek(min(record_offset, size) + 32)
        record = archive.read(24)
        if len(record) != 24:
            raise ArchiveRefused("The archive is damaged or incomplete (its ZIP64 end record is missing).")
        count, directory_size, directory_offset = struct.unpack("<QQQ", record)
        record_at = record_offset
    # A cut archive can still hold the end record of a ZIP stored inside it: that record is not at the very
    # end, or its listing does not end where it starts. Reading it would expand the nested archive.
    if at + 22 + comment_length != len(tail) or directory_offset + directory_size != record_at:
        raise ArchiveRefused("The archive is damaged or incomplete (its end record is not where it belongs).")
    return int(count)


def walk(archive: IO[bytes], size: int, limits: WalkLimits = WalkLimits()) -> Walk:
    """Open the archive (refusing it whole when it is damaged, too many entries or a bomb by its listing) and
    hand back its file entries to read one at a time."""
    count = entry_count(archive, size)
    if count > limits.max_entries:
        raise ArchiveRefused(
            f"The archive has {count:,} entries; an import reads at most {limits.max_entries:,}. "
            "Split it into smaller archives."
        )
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error) as exc:
        raise ArchiveRefused("The archive is damaged or incomplete and can't be opened.") from exc
    infos = [info for info in zf.infolist() if not info.is_dir()]
    declared = sum(info.file_size for info in infos)
    if declared > limits.max_total_bytes:
        zf.close()
        raise ArchiveRefused(
            f"The archive would expand to {declared:,} bytes; an import expands at most "
            f"{limits.max_total_bytes:,} bytes (a zip bomb looks like this)."
        )
    return Walk(total=len(infos), entries=_entries(zf, infos, limits))


def _entries(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], limits: WalkLimits) -> Iterator[Entry]:
    seen_names: set[str] = set()
    budget = limits.max_total_bytes
    with zf:
        for index, info in enumerate(infos):
            name = display_name(info)
            reason = _refused_by_listing(info, name, seen_names, limits)
            seen_names.add(name)
            if reason is None and budget <= 0:
                reason = SkipReason.ARCHIVE_BUDGET
            if reason is not None:
                yield Entry(index, name, reason=reason)
                continue
            data, reason = _read_bounded(zf, info, min(limits.max_entry_bytes, budget), limits)
            budget -= len(data) if data is not None else limits.ratio_floor
            if reason is None and data is not None and _is_archive(name, data):
                reason = SkipReason.NESTED_ARCHIVE
            yield Entry(index, name, data=data if reason is None else None, reason=reason)


def display_name(info: zipfile.ZipInfo) -> str:
    """The entry's name as a person reads it. Names without the UTF-8 flag are often UTF-8 anyway (macOS,
    7-Zip); those that are not keep zipfile's cp437 reading, so nothing is lost or refused for its name."""
    name = info.filename
    if not info.flag_bits & 0x800:
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            name = name.encode("cp437").decode("utf-8")
    return name.replace("\x00", "")[:_MAX_NAME]


def _refused_by_listing(info: zipfile.ZipInfo, name: str, seen: set[str], limits: WalkLimits) -> SkipReason | None:
    raw = info.filename.replace("\\", "/")
    if raw.startswith("/") or posixpath.isabs(raw) or ".." in raw.split("/") or (len(raw) > 1 and raw[1] == ":"):
        return SkipReason.UNSAFE_PATH
    if stat.S_ISLNK(info.external_attr >> 16):
        return SkipReason.SYMLINK
    if info.flag_bits & 0x1:
        return SkipReason.ENCRYPTED
    if name in seen:
        return SkipReason.DUPLICATE_NAME
    if info.file_size > limits.max_entry_bytes:
        return SkipReason.TOO_LARGE
    if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
        return SkipReason.BOMB  # what the listing declares; what it really expands to is counted while reading
    return None


def _read_bounded(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, limits: WalkLimits
) -> tuple[bytes | None, SkipReason | None]:
    """The entry's bytes, counted as they expand: past `cap`, or past the ratio, reading stops."""
    out = io.BytesIO()
    allowed_by_ratio = max(limits.ratio_floor, limits.max_ratio * max(info.compress_size, 1))
    try:
        with zf.open(info) as entry:
            while chunk := entry.read(_CHUNK):
                out.write(chunk)
                if out.tell() > allowed_by_ratio:
                    return None, SkipReason.BOMB
                if out.tell() > cap:
                    return None, SkipReason.TOO_LARGE if cap == limits.max_entry_bytes else SkipReason.ARCHIVE_BUDGET
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError, struct.error):
        return None, SkipReason.UNREADABLE  # a bad CRC, a truncated entry, an unknown compression
    return out.getvalue(), None


def _is_archive(name: str, data: bytes) -> bool:
    return data.startswith(_NESTED_MAGIC) or name.lower().endswith(_NESTED_EXTENSIONS)


# --- images --------------------------------------------------------------------------------------

_KEPT = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
_KEPT |= {"GIF": ("image/gif", "gif"), "BMP": ("image/bmp", "bmp"), "MPO": ("image/jpeg", "jpg")}
_CONVERTED = {"TIFF", "HEIF", "HEIC", "AVIF"}


@dataclass(frozen=True)
class ImageLimits:
    max_pixels: int = 40_000_000  # larger images are scaled down to this
    max_decode_pixels: int = 400_000_000  # larger ones are not decoded at all
    jpeg_quality: int = 90


@dataclass(frozen=True)
class PreparedImage:
    data: bytes
    content_type: str
    extension: str
    facts: dict[str, Any]  # the original's format, size and dimensions, and what was done to it


class NotAnImage(Exception):
    pass


class UnreadableImage(Exception):
    pass


def prepare_image(data: bytes, limits: ImageLimits = ImageLimits()) -> PreparedImage:
    """The entry as the library stores it: web formats as they are; HEIC and TIFF converted (JPEG, or PNG
    when there is transparency); anything over the pixel limit scaled down."""
    if _looks_like_svg(data):
        return PreparedImage(data, "image/svg+xml", "svg", {"original_format": "SVG", "original_size": len(data)})
    from PIL import Image, UnidentifiedImageError  # here: the API imports this module and never decodes

    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypmsf1", b"ftypavif"):
        from dam.imaging.limits import register_heif

        register_heif()
    try:
        image: Image.Image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError as exc:
        raise NotAnImage from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise UnreadableImage from exc
    fmt = (image.format or "").upper()
    if fmt not in _KEPT and fmt not in _CONVERTED:
        raise NotAnImage(fmt)
    width, height = image.size
    facts: dict[str, Any] = {"original_format": fmt, "original_size": len(data), "original_width": width}
    facts["original_height"] = height
    if width * height > limits.max_decode_pixels:
        raise UnreadableImage("too many pixels to decode")
    too_big = width * height > limits.max_pixels
    if fmt in _KEPT and not too_big:
        try:
            image.verify()  # the whole stream decodes (a truncated file fails here, not in the pipeline)
        except (OSError, ValueError, SyntaxError) as exc:
            raise UnreadableImage from exc
        content_type, extension = _KEPT[fmt]
        return PreparedImage(data, content_type, extension, facts)
    try:
        image.load()
        if too_big:
            scale = (limits.max_pixels / (width * height)) ** 0.5
            image = image.resize((max(1, int(width * scale)), max(1, int(height * scale))), Image.Resampling.LANCZOS)
            facts["scaled_to"] = list(image.size)
        has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        out = io.BytesIO()
        if has_alpha:
            image.save(out, "PNG", optimize=True)
            content_type, extension = "image/png", "png"
        else:
            image.convert("RGB").save(out, "JPEG", quality=limits.jpeg_quality, optimize=True)
            content_type, extension = "image/jpeg", "jpg"
    except (OSError, ValueError, SyntaxError) as exc:
        raise UnreadableImage from exc
    facts["converted_to"] = extension.upper() if extension != "jpg" else "JPEG"
    return PreparedImage(out.getvalue(), content_type, extension, facts)


def looks_like_image(data: bytes) -> bool:
    """Whether the bytes are an image, by their header alone (nothing decoded): for entries past the limit."""
    if _looks_like_svg(data):
        return True
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            return (image.format or "").upper() in _KEPT.keys() | _CONVERTED
    except (OSError, ValueError, SyntaxError):
        return data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypmsf1")


def _looks_like_svg(data: bytes) -> bool:
    head = data[:1024].lstrip().lower()
    return head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head)
