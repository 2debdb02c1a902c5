"""The supported formats: what may be uploaded, and which media kind each format is."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class MediaType(StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    DOCUMENT = "document"
    DATA = "data"
    SUBTITLES = "subtitles"
    ARCHIVE = "archive"
    MODEL = "model"  # 3D models


@dataclass(frozen=True)
class Format:
    name: str
    media_type: MediaType
    content_type: str
    extensions: tuple[str, ...]
    # Other content types browsers and tools send for the same format.
    aliases: tuple[str, ...] = ()

    @property
    def content_types(self) -> tuple[str, ...]:
        return (self.content_type, *self.aliases)


FORMATS: tuple[Format, ...] = (
    Format("PNG", MediaType.IMAGE, "image/png", ("png",)),
    Format("JPEG", MediaType.IMAGE, "image/jpeg", ("jpg", "jpeg"), ("image/jpg", "image/pjpeg")),
    Format("WebP", MediaType.IMAGE, "image/webp", ("webp",)),
    Format("GIF", MediaType.IMAGE, "image/gif", ("gif",)),
    Format("SVG", MediaType.IMAGE, "image/svg+xml", ("svg",)),
    Format("HEIC", MediaType.IMAGE, "image/heic", ("heic", "heif"), ("image/heif",)),
    Format("BMP", MediaType.IMAGE, "image/bmp", ("bmp",), ("image/x-ms-bmp", "image/x-bmp")),
    Format("TIFF", MediaType.IMAGE, "image/tiff", ("tif", "tiff"), ("image/tif", "image/x-tiff")),
    Format("MP4", MediaType.VIDEO, "video/mp4", ("mp4", "m4v")),
    Format("MOV", MediaType.VIDEO, "video/quicktime", ("mov",)),
    Format("WebM", MediaType.VIDEO, "video/webm", ("webm",)),
    Format("AVI", MediaType.VIDEO, "video/x-msvideo", ("avi",), ("video/avi", "video/msvideo")),
    Format("MKV", MediaType.VIDEO, "video/x-matroska", ("mkv",), ("video/matroska",)),
    Format("MP3", MediaType.AUDIO, "audio/mpeg", ("mp3",), ("audio/mp3",)),
    Format("WAV", MediaType.AUDIO, "audio/wav", ("wav",), ("audio/x-wav", "audio/wave", "audio/vnd.wave")),
    Format("OGG", MediaType.AUDIO, "audio/ogg", ("ogg", "oga"), ("audio/vorbis",)),
    Format("M4A", MediaType.AUDIO, "audio/mp4", ("m4a",), ("audio/x-m4a", "audio/m4a")),
    Format("AAC", MediaType.AUDIO, "audio/aac", ("aac",), ("audio/x-aac",)),
    Format("FLAC", MediaType.AUDIO, "audio/flac", ("flac",), ("audio/x-flac",)),
    Format("PDF", MediaType.DOCUMENT, "application/pdf", ("pdf",)),
    Format(
        "DOCX",
        MediaType.DOCUMENT,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ("docx",),
    ),
    Format(
        "PPTX",
        MediaType.DOCUMENT,
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ("pptx",),
    ),
    Format(
        "XLSX",
        MediaType.DOCUMENT,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ("xlsx",),
    ),
    Format("CSV", MediaType.DOCUMENT, "text/csv", ("csv",), ("application/csv", "application/vnd.ms-excel")),
    Format("Markdown", MediaType.DOCUMENT, "text/markdown", ("md", "markdown"), ("text/x-markdown",)),
    Format("Text", MediaType.DOCUMENT, "text/plain", ("txt",)),
    Format("JSON", MediaType.DATA, "application/json", ("json",)),
    Format("XML", MediaType.DATA, "application/xml", ("xml",), ("text/xml",)),
    Format(
        "YAML",
        MediaType.DATA,
        "application/yaml",
        ("yaml", "yml"),
        ("application/x-yaml", "text/yaml", "text/x-yaml"),
    ),
    Format("SRT", MediaType.SUBTITLES, "application/x-subrip", ("srt",), ("text/srt", "application/srt")),
    Format("VTT", MediaType.SUBTITLES, "text/vtt", ("vtt",)),
    Format("ZIP", MediaType.ARCHIVE, "application/zip", ("zip",), ("application/x-zip-compressed",)),
    Format("GLB", MediaType.MODEL, "model/gltf-binary", ("glb",)),
    Format("OBJ", MediaType.MODEL, "model/obj", ("obj",)),
)

_BY_CONTENT_TYPE = {ct: fmt for fmt in FORMATS for ct in fmt.content_types}
_BY_EXTENSION = {ext: fmt for fmt in FORMATS for ext in fmt.extensions}


def normalize_content_type(content_type: str) -> str:
    """`Image/JPEG; charset=x` → `image/jpeg`."""
    return content_type.split(";", 1)[0].strip().lower()


def format_for_content_type(content_type: str) -> Format | None:
    return _BY_CONTENT_TYPE.get(normalize_content_type(content_type))


def extension_of(filename: str) -> str:
    _, dot, ext = filename.rpartition(".")
    return ext.lower() if dot else ""


def format_for_extension(extension: str) -> Format | None:
    return _BY_EXTENSION.get(extension.lower().lstrip("."))


def supported_content_types() -> list[str]:
    return sorted(_BY_CONTENT_TYPE)
