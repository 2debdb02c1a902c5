"""Small helpers the imaging tests share: look up a format, open a rendition as a picture."""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image

from dam.domain.formats import Format, format_for_extension
from dam.imaging.model import RenditionFile
from dam.imaging.sniff import FORMAT_BY_NAME
from tests.unit.imaging import corpus

# (file name as uploaded, builder, format decided with the name's declaration, format from bytes alone)
SAMPLES: list[tuple[str, Callable[[], bytes], str, str]] = [
    ("photo.jpg", corpus.jpeg_photo, "JPEG", "JPEG"),
    ("alpha.png", corpus.png_alpha, "PNG", "PNG"),
    ("clear.webp", corpus.webp_rgba, "WebP", "WebP"),
    ("loop.gif", corpus.animated_gif, "GIF", "GIF"),
    ("logo.svg", corpus.svg_simple, "SVG", "SVG"),
    ("phone.heic", corpus.heic, "HEIC", "HEIC"),
    ("scan.bmp", corpus.bmp, "BMP", "BMP"),
    ("scan.tif", corpus.tiff, "TIFF", "TIFF"),
    ("clip.mp4", corpus.tiny_mp4, "MP4", "MP4"),
    ("clip.mov", corpus.tiny_mov, "MOV", "MOV"),
    ("clip.webm", corpus.tiny_webm, "WebM", "WebM"),
    ("clip.avi", corpus.tiny_avi, "AVI", "AVI"),
    ("clip.mkv", corpus.tiny_mkv, "MKV", "MKV"),
    ("voice.mp3", corpus.tiny_mp3, "MP3", "MP3"),
    ("voice.wav", corpus.tiny_wav, "WAV", "WAV"),
    ("voice.ogg", corpus.tiny_ogg, "OGG", "OGG"),
    ("voice.m4a", corpus.tiny_m4a, "M4A", "M4A"),
    ("voice.aac", corpus.tiny_aac, "AAC", "AAC"),
    ("voice.flac", corpus.tiny_flac, "FLAC", "FLAC"),
    ("brief.pdf", corpus.minimal_pdf, "PDF", "PDF"),
    ("brief.docx", corpus.docx, "DOCX", "DOCX"),
    ("deck.pptx", corpus.pptx, "PPTX", "PPTX"),
    ("plan.xlsx", corpus.xlsx, "XLSX", "XLSX"),
    ("products.csv", corpus.csv_table, "CSV", "Text"),
    ("readme.md", corpus.markdown, "Markdown", "Text"),
    ("notes.txt", corpus.plain_text, "Text", "Text"),
    ("data.json", corpus.json_doc, "JSON", "JSON"),
    ("feed.xml", corpus.xml_doc, "XML", "XML"),
    ("config.yaml", corpus.yaml_doc, "YAML", "Text"),
    ("film.srt", corpus.srt, "SRT", "SRT"),
    ("film.vtt", corpus.vtt, "VTT", "VTT"),
    ("bundle.zip", corpus.zip_archive, "ZIP", "ZIP"),
    ("cube.glb", corpus.glb_cube, "GLB", "GLB"),
    ("cube.obj", corpus.obj_cube, "OBJ", "OBJ"),
]


def fmt(name: str) -> Format:
    return FORMAT_BY_NAME[name]


def declared_by(filename: str) -> Format | None:
    """The format a client declares by the file's extension."""
    return format_for_extension(filename.rsplit(".", 1)[-1]) if "." in filename else None


def picture(rendition: RenditionFile | None) -> Image.Image:
    """The rendition decoded, after checking its stated size and type match its bytes."""
    assert rendition is not None
    image = Image.open(io.BytesIO(rendition.data))
    image.load()
    assert image.size == (rendition.width, rendition.height)
    assert Image.MIME[image.format or ""] == rendition.content_type
    return image


def rgba(pixel: object) -> tuple[int, ...]:
    """A pixel from Image.getpixel as a tuple of channels (it is typed loosely)."""
    assert isinstance(pixel, tuple)
    return pixel


def is_red(pixel: object) -> bool:
    red, green, blue = rgba(pixel)[:3]
    return red > 170 and green < 90 and blue < 90


def is_blue(pixel: object) -> bool:
    red, green, blue = rgba(pixel)[:3]
    return blue > 170 and red < 90 and green < 120
