"""Renditions for any supported format: one entry point, one result shape.

| format | files | placeholder |
|---|---|---|
| PNG JPEG WebP GIF BMP HEIC TIFF | thumbnail (320 px) + preview (1280 px) WebP | BlurHash |
| SVG | sanitized (image/svg+xml) + thumbnail + preview rendered from it | BlurHash |
| MP4 MOV WebM AVI MKV | thumbnail + preview of a poster frame | BlurHash |
| MP3 WAV OGG M4A AAC FLAC | none, or thumbnail + preview of embedded album art | BlurHash if art |
| PDF | thumbnail + preview of page 1 | BlurHash |
| CSV | preview: `{"columns", "rows", "truncated"}` JSON of the first 100 rows | — |
| text, Markdown, JSON, XML, YAML, SRT, VTT | preview: first 64 KB as UTF-8 text | — |
| DOCX PPTX XLSX ZIP | thumbnail: a typed icon | BlurHash |
| GLB OBJ | thumbnail: a typed icon (facts: vertices, faces, bounds, materials) | BlurHash |

Thumbnails and previews are never enlarged past the source's own size (SVG and PDF are vectors and
render at full preview size). Raises ContentRejected (over a limit, a zip bomb, an unsafe SVG) or
ContentUnreadable (damaged or truncated content).
"""

from __future__ import annotations

from pathlib import Path

from dam.domain.formats import Format, MediaType
from dam.imaging.limits import DEFAULT_LIMITS, ImageLimits
from dam.imaging.model import PREVIEW_EDGE, THUMBNAIL_EDGE, RenditionFile, RenditionSet

__all__ = ["PREVIEW_EDGE", "THUMBNAIL_EDGE", "ImageLimits", "RenditionFile", "RenditionSet", "make_renditions"]

_ARCHIVES = frozenset({"DOCX", "PPTX", "XLSX", "ZIP"})


def make_renditions(path: str | Path, fmt: Format, limits: ImageLimits = DEFAULT_LIMITS) -> RenditionSet:
    """Renditions, placeholder and metadata for the file at `path`, whose format `sniff` decided; pictures
    (images, video posters, PDF first pages) also get a perceptual hash, which finds near duplicates."""
    made = _family_renditions(path, fmt, limits)
    thumbnail = made.get("thumbnail")
    if thumbnail is not None and (fmt.media_type in (MediaType.IMAGE, MediaType.VIDEO) or fmt.name == "PDF"):
        from dam.imaging.raster import perceptual_hash

        made.metadata["perceptual_hash"] = perceptual_hash(thumbnail.data)
    return made


def _family_renditions(path: str | Path, fmt: Format, limits: ImageLimits) -> RenditionSet:
    # Each family's module is imported on demand: PyAV, pdfium and resvg load only when needed.
    if fmt.name == "SVG":
        from dam.imaging.svg import svg_renditions

        return svg_renditions(path, fmt, limits)
    if fmt.media_type is MediaType.IMAGE:
        from dam.imaging.raster import image_renditions

        return image_renditions(path, fmt, limits)
    if fmt.media_type is MediaType.VIDEO:
        from dam.imaging.media import video_renditions

        return video_renditions(path, fmt, limits)
    if fmt.media_type is MediaType.AUDIO:
        from dam.imaging.media import audio_renditions

        return audio_renditions(path, fmt, limits)
    if fmt.name == "PDF":
        from dam.imaging.pdf import pdf_renditions

        return pdf_renditions(path, fmt)
    if fmt.name in _ARCHIVES:
        from dam.imaging.archive import archive_renditions

        return archive_renditions(path, fmt)
    if fmt.media_type is MediaType.MODEL:
        from dam.imaging.mesh import model_renditions

        return model_renditions(path, fmt)
    if fmt.name == "CSV":
        from dam.imaging.text import csv_renditions

        return csv_renditions(path, fmt)
    from dam.imaging.text import text_renditions

    return text_renditions(path, fmt)
