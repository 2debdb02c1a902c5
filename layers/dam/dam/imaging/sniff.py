"""Decide a file's real format from its bytes (never from its name), and hash it.

Standard library only, so the Register Lambda can import it without Pillow or ffmpeg.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from dam.domain.errors import ContentRejected, ContentUnreadable
from dam.domain.formats import FORMATS, Format, MediaType

HEAD_BYTES = 64 * 1024
# A declared JSON file is parsed whole up to this size; past it only its first character is checked.
JSON_PARSE_LIMIT = 1024 * 1024
HASH_CHUNK = 1024 * 1024

FORMAT_BY_NAME: dict[str, Format] = {fmt.name: fmt for fmt in FORMATS}
TEXT_FORMATS = frozenset({"CSV", "Markdown", "Text", "JSON", "XML", "YAML", "SRT", "VTT", "OBJ"})
OOXML_FORMATS = frozenset({"DOCX", "PPTX", "XLSX"})
# Formats whose bytes are one container family: a mismatch inside a family is the usual mislabelling
# (an iPhone .mp4 that is QuickTime, a .mkv that is WebM) and the bytes win instead of a rejection.
_FAMILIES = (frozenset({"MP4", "MOV", "M4A"}), frozenset({"WebM", "MKV"}), frozenset({"SVG", "XML"}))

_NOUNS = {
    "PNG": "a PNG image",
    "JPEG": "a JPEG image",
    "WebP": "a WebP image",
    "GIF": "a GIF image",
    "SVG": "an SVG image",
    "HEIC": "a HEIC image",
    "BMP": "a BMP image",
    "TIFF": "a TIFF image",
    "MP4": "an MP4 video",
    "MOV": "a QuickTime (MOV) video",
    "WebM": "a WebM video",
    "AVI": "an AVI video",
    "MKV": "a Matroska (MKV) video",
    "MP3": "MP3 audio",
    "WAV": "WAV audio",
    "OGG": "Ogg audio",
    "M4A": "M4A audio",
    "AAC": "AAC audio",
    "FLAC": "FLAC audio",
    "PDF": "a PDF document",
    "DOCX": "a Word document (DOCX)",
    "PPTX": "a PowerPoint presentation (PPTX)",
    "XLSX": "an Excel spreadsheet (XLSX)",
    "CSV": "a CSV file",
    "Markdown": "a Markdown file",
    "Text": "plain text",
    "JSON": "JSON",
    "XML": "XML",
    "YAML": "YAML",
    "SRT": "SRT subtitles",
    "VTT": "WebVTT subtitles",
    "ZIP": "a ZIP archive",
    "GLB": "a glTF binary 3D model (GLB)",
    "OBJ": "a Wavefront OBJ 3D model",
}

_SUPPORTED = "; ".join(
    f"{media.value} ({', '.join(f.name for f in FORMATS if f.media_type is media)})" for media in MediaType
)
_PROGRAMS = "programs and scripts can't be uploaded"

# Recognised but unsupported: (magic at offset 0, what it is).
_UNSUPPORTED_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"8BPS", "a Photoshop (PSD) file"),
    (b"\x00\x00\x01\x00", "an icon (ICO) file"),
    (b"\xff\x0a", "a JPEG XL image"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "a JPEG XL image"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "a JPEG 2000 image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"\x28\xb5\x2f\xfd", "a Zstandard archive"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an older Microsoft Office file (DOC, XLS or PPT; save it as DOCX, XLSX or PPTX)",
    ),
    (b"FLV\x01", "a Flash video (FLV)"),
    (b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", "a Windows Media file (WMV/WMA)"),
    (b"\x00\x00\x01\xba", "an MPEG program stream"),
    (b"MThd", "a MIDI file"),
    (b"#!AMR", "AMR audio"),
    (b"caff", "a Core Audio (CAF) file"),
    (b"wOFF", "a web font"),
    (b"wOF2", "a web font"),
    (b"OTTO", "a font file"),
    (b"SQLite format 3\x00", "an SQLite database"),
)
_PROGRAM_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x7fELF", "a program (Linux ELF)"),
    (b"\xfe\xed\xfa\xce", "a program (macOS)"),
    (b"\xfe\xed\xfa\xcf", "a program (macOS)"),
    (b"\xce\xfa\xed\xfe", "a program (macOS)"),
    (b"\xcf\xfa\xed\xfe", "a program (macOS)"),
    (b"\xca\xfe\xba\xbe", "a program (Java class or macOS)"),
    (b"\x00asm", "a WebAssembly program"),
    (b"dex\n", "an Android program"),
    (b"#!", "a script"),
)

_TIFF_MAGIC = frozenset({b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"})
_TIFF_MAX_ENTRIES = 512
_TIFF_INT_BYTES = {3: 2, 4: 4}  # SHORT, LONG
_NEW_SUBFILE_TYPE, _PHOTOMETRIC, _DNG_VERSION = 0x00FE, 0x0106, 0xC612
_RAW_PHOTOMETRICS = frozenset({32803, 34892})  # colour filter array, linear raw
_RAW_ADVICE = "it isn't supported; export it as TIFF or JPEG"

_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"})
_HEIF_GENERIC = frozenset({b"mif1", b"msf1", b"mif2", b"miaf"})
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_M4A_BRANDS = frozenset({b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "})
_QT_ATOMS = frozenset({b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"})

# MPEG audio header tables, enough to compute a frame's length and so check that a second frame follows.
_MPEG_BITRATES = {  # (is MPEG-1, layer) -> kbit/s by index
    (True, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MPEG_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}

# Root elements that make a text file a web page: refused, whatever the file is called. (Tags like
# <object> or <meta> also root XML data formats, so they alone don't count.)
_HTML_ELEMENTS = frozenset({"html", "head", "body", "script", "iframe", "frameset"})
_XHTML_NS = "http://www.w3.org/1999/xhtml"
_PROLOG_ITEM = re.compile(r"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]|\[[^\]]*\])*>)", re.S | re.I)
_DOCTYPE_NAME = re.compile(r"<!DOCTYPE\s+([^\s\[>]+)", re.I)
_ELEMENT = re.compile(r"\s*<([A-Za-z_][\w.\-]*(?::[\w.\-]+)?)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)")
_TIMECODE = r"\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}"
_SRT_START = re.compile(r"\s*(?:\d+[ \t]*\r?\n\s*)?" + _TIMECODE)
_VTT_START = re.compile(r"WEBVTT(?:[ \t][^\r\n]*)?(?:\r?\n|\r|$)")
_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v\x1b")
GLB_HEADER_BYTES = 12
# Wavefront OBJ statements: geometry, grouping and materials, display attributes, free-form geometry.
_OBJ_KEYWORDS = (
    frozenset({"v", "vt", "vn", "vp", "f", "l", "p", "o", "g", "s", "mg", "usemtl", "mtllib"})
    | frozenset(
        {"maplib", "usemap", "lod", "bevel", "c_interp", "d_interp", "shadow_obj", "trace_obj", "ctech", "stech"}
    )
    | frozenset(
        {"cstype", "deg", "bmat", "step", "curv", "curv2", "surf", "parm", "trim", "hole", "scrv", "sp", "end", "con"}
    )
)
_OBJ_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_OBJ_FACE_VERTEX = re.compile(r"-?\d+(?:/-?\d*)?(?:/-?\d+)?")


def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in 1 MB chunks so memory stays flat for any size."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        while chunk := f.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def describe(fmt: Format | str) -> str:
    """How a format reads in a sentence: `a JPEG image`, `plain text`."""
    name = fmt if isinstance(fmt, str) else fmt.name
    return _NOUNS.get(name, name)


def sniff(path: str | Path, declared: Format | None = None) -> Format:
    """The file's real format, from its bytes. `declared` (from the client's content type or extension)
    only breaks ties the bytes can't settle (plain text vs Markdown, an MP4 that is audio-only).

    Raises ContentRejected when the file is empty, unsupported, a program/web page, or its bytes
    contradict the declared format; ContentUnreadable when it is a damaged ZIP."""
    path = Path(path)
    with path.open("rb") as f:
        return sniff_stream(f, path.stat().st_size, declared)


def sniff_stream(f: IO[bytes], size: int, declared: Format | None = None) -> Format:
    """`sniff` over a seekable file of `size` bytes: it reads the first 64 KB and, for a ZIP, an ID3-tagged
    audio file or a small JSON document, the few other parts that settle it, so an object in S3 read
    through ranged GETs is never downloaded whole (a JSON document up to 1 MB is parsed whole)."""
    if size == 0:
        raise ContentRejected("The file is empty (0 bytes).")
    f.seek(0)
    head = f.read(HEAD_BYTES)
    found = _binary_format(head, f, size, declared)
    if found is not None:
        detected, also = found
        return _reconcile(detected, declared, also)
    return _text_format(head, size, f, declared)


# --- reconciling bytes and declaration ----------------------------------------------------------------


def _reconcile(detected: str, declared: Format | None, also: frozenset[str] = frozenset()) -> Format:
    if declared is None or declared.name == detected:
        return FORMAT_BY_NAME[detected]
    if declared.name in also:
        return declared
    same_family = any(detected in family and declared.name in family for family in _FAMILIES)
    if same_family or (declared.name == "ZIP" and detected in OOXML_FORMATS):
        return FORMAT_BY_NAME[detected]
    raise ContentRejected(f"The file says it is {describe(declared)} but its bytes are {describe(detected)}.")


def _refuse(noun: str, declared: Format | None, why: str) -> ContentRejected:
    if declared is None:
        return ContentRejected(f"This file is {noun}; {why}.")
    return ContentRejected(f"The file says it is {describe(declared)} but its bytes are {noun}; {why}.")


# --- binary formats -------------------------------------------------------------------------------------


def _binary_format(head: bytes, f: IO[bytes], size: int, declared: Format | None) -> tuple[str, frozenset[str]] | None:
    """(format name, declared names also accepted) for a binary format; None when it may be text."""
    none: frozenset[str] = frozenset()
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return None  # a text byte-order mark (UTF-16 LE's would otherwise pass for an MPEG audio frame)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG", none
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG", none
    if head.lstrip(b" \t\r\n\x00")[:5] == b"%PDF-":
        return "PDF", none  # readers accept a little junk before the header; a PDF may be all ASCII
    if _is_bmp(head):
        return "BMP", none
    if head[:4] in _TIFF_MAGIC:
        _refuse_camera_raw(head, f, size, declared)
        return "TIFF", none
    audio = _audio_stream(head, 0)
    if audio is not None:
        return audio, none
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return _zip_format(f), none
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        doctype = _ebml_doctype(head)
        return ("WebM", frozenset({"MKV"})) if doctype == b"webm" else ("MKV", frozenset({"WebM"}))
    # The remaining signatures are short and printable: "Tax-free…" has "free" (a QuickTime atom) at
    # offset 4. Only bytes that aren't text can carry them.
    if decode_text(head[:1024], final=len(head) <= 1024) is not None:
        return None
    return _weak_magic(head, f, size, declared)


def _weak_magic(head: bytes, f: IO[bytes], size: int, declared: Format | None) -> tuple[str, frozenset[str]] | None:
    none: frozenset[str] = frozenset()
    for magic, name in ((b"GIF87a", "GIF"), (b"GIF89a", "GIF"), (b"fLaC", "FLAC"), (b"OggS", "OGG")):
        if head.startswith(magic):
            if name == "OGG" and b"\x80theora" in head[:512]:
                raise _refuse("an Ogg video (Theora)", declared, "only Ogg audio is supported")
            return name, none
    if head.startswith(b"glTF"):
        _check_glb_header(head, size, declared)
        return "GLB", none
    if head[:4] in (b"RIFF", b"RF64") and len(head) >= 12:
        kind = head[8:12]
        riff = {b"WEBP": "WebP", b"WAVE": "WAV", b"AVI ": "AVI"}.get(kind)
        if riff is None:
            raise _refuse(f"a RIFF file of type {kind.decode('latin-1').strip()!r}", declared, "it isn't supported")
        return riff, none
    if head[4:8] == b"ftyp":
        return _iso_bmff(head, declared)
    if head[4:8] in _QT_ATOMS and int.from_bytes(head[:4], "big") >= 8:
        return "MOV", frozenset({"MP4", "M4A"})  # old QuickTime files start straight with their atoms
    if head.startswith(b"ID3"):
        return _after_id3(head, f), none
    if head.startswith(b"MZ"):
        raise _refuse("a program (Windows EXE/DLL)", declared, _PROGRAMS)
    for magic, noun in _PROGRAM_MAGIC:
        if head.startswith(magic):
            raise _refuse(noun, declared, _PROGRAMS)
    for magic, noun in _UNSUPPORTED_MAGIC:
        if head.startswith(magic):
            raise _refuse(noun, declared, "it isn't supported")
    if head.startswith(b"BZh") and head[4:10] == b"1AY&SY":
        raise _refuse("a bzip2 archive", declared, "it isn't supported")
    if len(head) > 376 and head[0] == head[188] == head[376] == 0x47:
        raise _refuse("an MPEG transport stream (TS)", declared, "it isn't supported")
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        raise _refuse("AIFF audio", declared, "it isn't supported")
    return None


def _refuse_camera_raw(head: bytes, f: IO[bytes], size: int, declared: Format | None) -> None:
    """Camera RAW files are TIFF files too, whose first image is a small preview or undemosaiced sensor
    data: rendering that would show the wrong picture at the wrong size, so they are refused by name."""
    if head[8:10] == b"CR":
        raise _refuse("a Canon RAW (CR2) photo", declared, _RAW_ADVICE)
    order: Literal["little", "big"] = "little" if head[:2] == b"II" else "big"
    big = head[2:4] in (b"+\x00", b"\x00+")  # BigTIFF: 8-byte offsets and counts, 20-byte entries
    offset = int.from_bytes(head[8:16] if big else head[4:8], order)
    count_size, entry_size = (8, 20) if big else (2, 12)  # the entry count's size, an entry's size
    if not 8 <= offset < size:
        return  # Pillow reports a broken header in its own words
    f.seek(offset)
    count = int.from_bytes(f.read(count_size), order)
    entries = f.read(min(count, _TIFF_MAX_ENTRIES) * entry_size)
    for at in range(0, len(entries) - entry_size + 1, entry_size):
        tag, kind = int.from_bytes(entries[at : at + 2], order), int.from_bytes(entries[at + 2 : at + 4], order)
        field = entries[at + entry_size - (8 if big else 4) : at + entry_size]  # after tag, type and count
        value = int.from_bytes(field[: _TIFF_INT_BYTES.get(kind, 0)], order)  # an inline SHORT or LONG
        if tag == _DNG_VERSION or (tag == _PHOTOMETRIC and value in _RAW_PHOTOMETRICS):
            raise _refuse("a camera RAW (DNG) photo", declared, _RAW_ADVICE)
        if tag == _NEW_SUBFILE_TYPE and value & 1:
            # The first image is a reduced-resolution preview of another (NEF, ARW and other RAW files).
            raise _refuse("a camera RAW photo", declared, _RAW_ADVICE)


def _is_bmp(head: bytes) -> bool:
    # "BM" alone is too weak (text can start with it): also require zero reserved bytes and a known header size.
    if len(head) < 18 or not head.startswith(b"BM") or head[6:10] != b"\x00\x00\x00\x00":
        return False
    return int.from_bytes(head[14:18], "little") in (12, 16, 40, 52, 56, 64, 108, 124)


def _check_glb_header(head: bytes, size: int, declared: Format | None) -> None:
    """A GLB's 12-byte header: magic, version 2, and the total length, which must be the file's."""
    if len(head) < GLB_HEADER_BYTES:
        raise _refuse("a truncated glTF file", declared, "its header is incomplete")
    version = int.from_bytes(head[4:8], "little")
    if version != 2:
        raise _refuse(f"a glTF {version} binary file", declared, "only glTF 2.0 (GLB) is supported")
    length = int.from_bytes(head[8:12], "little")
    if length != size:
        state = "truncated" if length > size else "followed by extra bytes"
        raise ContentRejected(f"The GLB file is {state}: its header says {length:,} bytes but the file has {size:,}.")


def _ebml_doctype(head: bytes) -> bytes | None:
    at = head.find(b"\x42\x82", 4, 128)
    if at < 0 or at + 3 > len(head):
        return None
    first = head[at + 2]
    width = next((n for n in range(1, 9) if first & (0x80 >> (n - 1))), 0)
    if width == 0:
        return None
    size = first & (0xFF >> width)
    for byte in head[at + 3 : at + 2 + width]:
        size = (size << 8) | byte
    start = at + 2 + width
    return head[start : start + size].rstrip(b"\x00").lower()


def _iso_bmff(head: bytes, declared: Format | None) -> tuple[str, frozenset[str]]:
    box_size = min(int.from_bytes(head[:4], "big"), len(head), 4096)
    major = head[8:12]
    brands = {major} | {head[i : i + 4] for i in range(16, box_size - 3, 4)}
    if major in _HEIF_BRANDS or (major in _HEIF_GENERIC and brands & _HEIF_BRANDS):
        return "HEIC", frozenset()
    if major in _AVIF_BRANDS or (major in _HEIF_GENERIC and brands & _AVIF_BRANDS):
        raise _refuse("an AVIF image", declared, "it isn't supported")
    if major in _HEIF_GENERIC:
        return "HEIC", frozenset()
    if major == b"crx ":
        raise _refuse("a Canon RAW (CR3) photo", declared, "it isn't supported")
    if major == b"qt  ":
        return "MOV", frozenset()
    if major in _M4A_BRANDS:
        return "M4A", frozenset()
    # Generic brands (isom, mp41, mp42, …) say nothing about the tracks: an audio-only .m4a is common.
    return "MP4", frozenset({"M4A"})


def _zip_format(f: IO[bytes]) -> str:
    try:
        with zipfile.ZipFile(f) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ContentUnreadable("The ZIP archive is damaged or incomplete and can't be opened.") from exc
    if "[Content_Types].xml" in names:
        for prefix, name in (("word/", "DOCX"), ("ppt/", "PPTX"), ("xl/", "XLSX")):
            if any(n.startswith(prefix) for n in names):
                return name
    return "ZIP"


def _mpeg_frame_length(h: bytes) -> int | None:
    if len(h) < 4 or h[0] != 0xFF or (h[1] & 0xE0) != 0xE0:
        return None
    version, layer_bits = (h[1] >> 3) & 3, (h[1] >> 1) & 3
    bitrate_index, rate_index, padding = h[2] >> 4, (h[2] >> 2) & 3, (h[2] >> 1) & 1
    if version == 1 or layer_bits == 0 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    layer = 4 - layer_bits
    bitrate = _MPEG_BITRATES[(version == 3, layer)][bitrate_index] * 1000
    rate = _MPEG_RATES[version][rate_index]
    if layer == 1:
        return (12 * bitrate // rate + padding) * 4
    per_frame = 72 if (layer == 3 and version != 3) else 144
    return per_frame * bitrate // rate + padding


def _adts_frame_length(h: bytes) -> int | None:
    if len(h) < 7 or h[0] != 0xFF or (h[1] & 0xF6) != 0xF0 or ((h[2] >> 2) & 0xF) > 12:
        return None
    length = ((h[3] & 0x03) << 11) | (h[4] << 3) | (h[5] >> 5)
    return length if length >= 7 else None


def _audio_stream(data: bytes, at: int) -> str | None:
    """MP3 or AAC when a frame header sits at `at` and (if the data goes that far) another follows it."""
    for name, frame_length in (("AAC", _adts_frame_length), ("MP3", _mpeg_frame_length)):
        length = frame_length(data[at : at + 7])
        if length is None:
            continue
        following = data[at + length : at + length + 7]
        if len(following) < 4 or frame_length(following) is not None:
            return name
    return None


def _after_id3(head: bytes, f: IO[bytes]) -> str:
    """An ID3 tag fronts MP3 and sometimes AAC or FLAC: look at the audio after it."""
    if len(head) < 10:
        return "MP3"
    tag_size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
    offset = 10 + tag_size + (10 if head[5] & 0x10 else 0)
    f.seek(offset)
    data = f.read(16 * 1024)
    if data.startswith(b"fLaC"):
        return "FLAC"
    sync = 0
    while (sync := data.find(b"\xff", sync)) >= 0:
        found = _audio_stream(data, sync)
        if found:
            return found
        sync += 1
    return "MP3"  # an ID3 tag is MP3 tooling's signature; a bad stream after it shows up when decoding


# --- text formats ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecodedText:
    text: str
    codec: str  # a Python codec name that decodes the whole file
    label: str  # what users call it: UTF-8, UTF-16, Windows-1252


def decode_text(data: bytes, *, final: bool, legacy: bool = False) -> DecodedText | None:
    """The text in `data` when it is UTF-8, or UTF-16 with a byte-order mark (or, with `legacy`,
    Windows-1252 as Excel still writes CSVs), with no NULs and almost no control characters."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = [("utf-16", "UTF-16")]
    elif b"\x00" in data:
        return None
    elif data.startswith(b"\xef\xbb\xbf"):
        candidates = [("utf-8-sig", "UTF-8")]
    else:
        candidates = [("utf-8", "UTF-8")] + ([("cp1252", "Windows-1252")] if legacy else [])
    for codec, label in candidates:
        try:
            text = codecs.getincrementaldecoder(codec)().decode(data, final=final)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text if ch < " " and ch not in _ALLOWED_CONTROLS)
        if "\x00" in text or controls > len(text) // 100:
            return None
        return DecodedText(text, codec, label)
    return None


def _markup_start(text: str) -> tuple[str | None, str | None, str]:
    """(doctype name, first element's qualified name, that element's attribute text) of markup,
    skipping the XML declaration, comments and processing instructions. Linear-time regexes only."""
    pos, doctype = 0, None
    while match := _PROLOG_ITEM.match(text, pos):
        if name := _DOCTYPE_NAME.match(match.group().lstrip()):
            doctype = name.group(1)
        pos = match.end()
    element = _ELEMENT.match(text, pos)
    if element is None:
        return doctype, None, ""
    return doctype, element.group(1), element.group(2)


def _local(qualified: str) -> str:
    return qualified.rsplit(":", 1)[-1].lower()


def _text_format(head: bytes, size: int, f: IO[bytes], declared: Format | None) -> Format:
    declared_text = declared is not None and (declared.name in TEXT_FORMATS or declared.name == "SVG")
    decoded = decode_text(head, final=size <= len(head), legacy=declared_text)
    if decoded is None:
        if declared is not None:
            raise ContentRejected(
                f"The file says it is {describe(declared)} but its bytes are not in any format we recognise."
            )
        raise ContentRejected(f"This file's format isn't recognised. Supported formats: {_SUPPORTED}.")
    text = decoded.text.lstrip("\ufeff")
    _refuse_unwanted_text(text, declared)

    _, element, _ = _markup_start(text)
    is_svg = element is not None and _local(element) == "svg"
    if declared is not None and declared_text:
        if is_svg and declared.name in ("SVG", "XML"):
            return FORMAT_BY_NAME["SVG"]
        problem = _inconsistency(declared.name, text, element, size, f, decoded)
        if problem is not None:
            raise ContentRejected(f"The file says it is {describe(declared)} but {problem}.")
        return declared

    detected = "Text"
    if is_svg:
        detected = "SVG"
    elif element is not None:
        detected = "XML"
    elif _VTT_START.match(text):
        detected = "VTT"
    elif _SRT_START.match(text):
        detected = "SRT"
    elif obj_problem(text, complete=size <= len(head)) is None:
        detected = "OBJ"
    elif text.lstrip()[:1] in ("{", "[") and _inconsistency("JSON", text, element, size, f, decoded) is None:
        detected = "JSON"  # an object or array: a bare `42` is valid JSON too, but reads as text
    return _reconcile(detected, declared)


def _refuse_unwanted_text(text: str, declared: Format | None) -> None:
    start = text.lstrip()
    for prefix, noun in (("{\\rtf", "an RTF document"), ("%!PS", "a PostScript file")):
        if start.startswith(prefix):
            raise _refuse(noun, declared, "it isn't supported")
    if start.startswith("#!"):
        raise _refuse("a script", declared, _PROGRAMS)
    if start[:5].lower() == "<?php":
        raise _refuse("a PHP script", declared, _PROGRAMS)
    if not start.startswith("<"):
        return
    doctype, element, attributes = _markup_start(start[:HEAD_BYTES])
    html = (doctype or "").lower() == "html"
    html = html or (element is not None and _local(element) in _HTML_ELEMENTS)
    html = html or (element is not None and _local(element) != "svg" and _XHTML_NS in attributes)
    if html:
        raise _refuse("a web page (HTML)", declared, "web pages can't be uploaded")


def _inconsistency(
    name: str, text: str, element: str | None, size: int, f: IO[bytes], decoded: DecodedText
) -> str | None:
    """Why text can't be `name`, or None when it can. CSV, Markdown, YAML and plain text accept any text."""
    if name == "SVG":
        return "its root element is not <svg>" if element is not None else "it isn't XML"
    if name == "XML":
        return None if element is not None else "it doesn't start with an XML element"
    if name == "VTT":
        return None if _VTT_START.match(text) else "it doesn't start with the WEBVTT header"
    if name == "SRT":
        return None if _SRT_START.match(text) else "it doesn't start with a numbered cue and its timecodes"
    if name == "OBJ":
        return obj_problem(text, complete=size <= HEAD_BYTES)
    if name == "JSON":
        if size > JSON_PARSE_LIMIT:
            return None if text.lstrip()[:1] in ("{", "[") else "it doesn't start with { or ["
        try:
            f.seek(0)
            json.loads(f.read(size).decode(decoded.codec))
        except UnicodeDecodeError:
            return "it isn't valid UTF-8 text"
        except ValueError as exc:
            where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
            return f"it isn't valid JSON{where}"
    return None


def obj_problem(text: str, *, complete: bool) -> str | None:
    """Why the start of a file (`text`) isn't a Wavefront OBJ model, or None when it is one: every line a
    known statement or a comment, with vertices of three numbers and faces of vertex numbers. `complete`
    says the text is the whole file (else its last line may be cut and isn't judged)."""
    lines = text.splitlines()
    if not complete and len(lines) > 1:
        lines.pop()
    vertices = 0
    for number, line in enumerate(lines, 1):
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        keyword = words[0]
        if keyword not in _OBJ_KEYWORDS:
            return f"line {number} is not an OBJ statement"
        if keyword == "v":
            if len(words) < 4 or not all(_OBJ_NUMBER.fullmatch(word) for word in words[1:4]):
                return f"line {number} is not a vertex of three numbers"
            vertices += 1
        elif keyword == "f" and (len(words) < 4 or not all(_OBJ_FACE_VERTEX.fullmatch(w) for w in words[1:])):
            return f"line {number} is not a face of three or more vertex numbers"
    return None if vertices else "it has no vertex (v) lines"
