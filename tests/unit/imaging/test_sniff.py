"""Sniffing decides the real format from the bytes, and explains every refusal to the user."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Callable

import pytest

from dam.domain.errors import ContentRejected, ContentUnreadable
from dam.domain.formats import FORMATS
from dam.imaging.sniff import sha256_of, sniff
from tests.unit.imaging import corpus
from tests.unit.imaging.conftest import Put
from tests.unit.imaging.helpers import SAMPLES, declared_by, fmt


def test_the_samples_cover_every_supported_format() -> None:
    assert {expected for _, _, expected, _ in SAMPLES} == {f.name for f in FORMATS}


@pytest.mark.parametrize(("name", "build", "declared_as", "from_bytes"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_recognises_each_format(
    put: Put, name: str, build: Callable[[], bytes], declared_as: str, from_bytes: str
) -> None:
    path = put(name, build())
    assert sniff(path, declared_by(name)).name == declared_as
    # Without a declaration the bytes alone decide; CSV, Markdown and YAML then read as plain text.
    assert sniff(path).name == from_bytes


def test_a_png_that_says_it_is_a_jpeg_is_refused_naming_both(put: Put) -> None:
    with pytest.raises(ContentRejected) as refused:
        sniff(put("holiday.jpg", corpus.png_alpha()), fmt("JPEG"))
    assert "JPEG" in refused.value.message and "PNG" in refused.value.message


def test_an_empty_file_is_refused(put: Put) -> None:
    with pytest.raises(ContentRejected, match="empty"):
        sniff(put("nothing.jpg", b""), fmt("JPEG"))


@pytest.mark.parametrize("declared", ["JPEG", "Text", "SVG", None])
def test_a_web_page_is_refused_whatever_it_is_called(put: Put, declared: str | None) -> None:
    with pytest.raises(ContentRejected, match="HTML"):
        sniff(put("cat.jpg", corpus.html_page()), fmt(declared) if declared else None)


def test_xhtml_and_a_leading_script_element_are_web_pages_too(put: Put) -> None:
    xhtml = b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body/></html>'
    with pytest.raises(ContentRejected, match="HTML"):
        sniff(put("page.xml", xhtml), fmt("XML"))
    with pytest.raises(ContentRejected, match="HTML"):
        sniff(put("notes.txt", b"  <script>alert(1)</script>"), fmt("Text"))


@pytest.mark.parametrize(
    ("build", "says"), [(corpus.windows_exe, "program"), (corpus.shell_script, "script")], ids=["exe", "script"]
)
def test_programs_and_scripts_are_refused(put: Put, build: Callable[[], bytes], says: str) -> None:
    with pytest.raises(ContentRejected, match=says):
        sniff(put("invoice.txt", build()), fmt("Text"))


def test_unknown_bytes_are_refused(put: Put) -> None:
    with pytest.raises(ContentRejected, match="recognise"):
        sniff(put("mystery.jpg", corpus.random_binary()), fmt("JPEG"))
    with pytest.raises(ContentRejected, match="Supported formats"):
        sniff(put("mystery", corpus.random_binary()))


def test_a_known_but_unsupported_format_is_named(put: Put) -> None:
    with pytest.raises(ContentRejected, match="Photoshop"):
        sniff(put("layers.png", b"8BPS\x00\x01" + bytes(64)), fmt("PNG"))


@pytest.mark.parametrize(
    ("build", "says"),
    [
        (lambda: corpus.camera_raw_tiff(0xC612, b"\x01\x04\x00\x00"), "camera RAW \\(DNG\\)"),
        (lambda: corpus.camera_raw_tiff(0x00FE, 1), "camera RAW photo"),
        (corpus.canon_cr2, "Canon RAW \\(CR2\\)"),
    ],
    ids=["dng", "reduced-first-image", "cr2"],
)
def test_camera_raw_files_are_refused_though_they_are_tiff_inside(
    put: Put, build: Callable[[], bytes], says: str
) -> None:
    with pytest.raises(ContentRejected, match=says + ".*export it as TIFF or JPEG"):
        sniff(put("shot.tif", build()), fmt("TIFF"))
    with pytest.raises(ContentRejected, match=says):
        sniff(put("shot", build()))


@pytest.mark.parametrize(("mode", "byte_order"), [("RGB", b"II"), ("I;16B", b"MM")])
def test_a_preview_first_tiff_is_told_from_a_full_size_one_in_either_byte_order(
    put: Put, mode: str, byte_order: bytes
) -> None:
    full_size, preview_first = corpus.camera_raw_tiff(0x00FE, 0, mode), corpus.camera_raw_tiff(0x00FE, 1, mode)
    assert full_size[:2] == preview_first[:2] == byte_order
    assert sniff(put("scan.tif", full_size)).name == "TIFF"
    with pytest.raises(ContentRejected, match="camera RAW photo"):
        sniff(put("shot.tif", preview_first))


def test_a_mislabelled_container_of_the_same_family_is_accepted_as_what_it_is(put: Put) -> None:
    assert sniff(put("clip.mp4", corpus.tiny_mov()), fmt("MP4")).name == "MOV"  # QuickTime brand wins
    assert sniff(put("clip.mkv", corpus.tiny_webm()), fmt("MKV")).name == "MKV"  # WebM is Matroska
    assert sniff(put("song.mp4", corpus.tiny_m4a()), fmt("MP4")).name == "M4A"  # M4A brand wins
    # A generic MP4 brand says nothing about the tracks: an audio-only .m4a keeps its declaration.
    assert sniff(put("song.m4a", corpus.tiny_mp4()), fmt("M4A")).name == "M4A"


def test_audio_is_told_apart_from_video_in_different_families(put: Put) -> None:
    with pytest.raises(ContentRejected, match="WAV audio"):
        sniff(put("clip.avi", corpus.tiny_wav()), fmt("AVI"))


def test_aac_behind_an_id3_tag_is_aac(put: Put) -> None:
    tag = b"ID3\x04\x00\x00\x00\x00\x00\x14" + b"\x00" * 20
    assert sniff(put("voice.aac", tag + corpus.tiny_aac()), fmt("AAC")).name == "AAC"
    assert sniff(put("voice.mp3", tag + corpus.tiny_mp3()), fmt("MP3")).name == "MP3"


def test_an_office_file_uploaded_as_zip_is_the_office_file(put: Put) -> None:
    assert sniff(put("brief.zip", corpus.docx()), fmt("ZIP")).name == "DOCX"


def test_a_plain_zip_that_says_it_is_a_word_document_is_refused(put: Put) -> None:
    with pytest.raises(ContentRejected, match="Word document"):
        sniff(put("brief.docx", corpus.zip_archive()), fmt("DOCX"))


def test_a_damaged_zip_is_unreadable(put: Put) -> None:
    with pytest.raises(ContentUnreadable):
        sniff(put("bundle.zip", corpus.corrupt_zip()), fmt("ZIP"))


def test_text_kinds_prefer_the_declaration_when_the_bytes_fit_it(put: Put) -> None:
    assert sniff(put("notes.txt", corpus.markdown()), fmt("Text")).name == "Text"
    assert sniff(put("notes.md", corpus.plain_text()), fmt("Markdown")).name == "Markdown"
    assert sniff(put("data.txt", corpus.json_doc()), fmt("Text")).name == "Text"
    assert sniff(put("logo.xml", corpus.svg_simple()), fmt("XML")).name == "SVG"


@pytest.mark.parametrize(
    ("declared", "reason"),
    [("JSON", "valid JSON"), ("SRT", "timecodes"), ("VTT", "WEBVTT"), ("XML", "XML element"), ("SVG", "XML")],
)
def test_text_that_does_not_fit_its_declared_kind_is_refused_with_the_reason(
    put: Put, declared: str, reason: str
) -> None:
    with pytest.raises(ContentRejected, match=reason):
        sniff(put("file", corpus.plain_text()), fmt(declared))


def test_utf16_text_with_a_byte_order_mark_is_text_not_mp3(put: Put) -> None:
    assert sniff(put("notes.txt", corpus.utf16_text()), fmt("Text")).name == "Text"
    assert sniff(put("notes", corpus.utf16_text())).name == "Text"


def test_a_windows_1252_csv_is_accepted_only_when_declared_as_text(put: Put) -> None:
    path = put("people.csv", corpus.cp1252_csv())
    assert sniff(path, fmt("CSV")).name == "CSV"
    with pytest.raises(ContentRejected):
        sniff(path)


def test_sha256_streams_the_whole_file(put: Put) -> None:
    data = corpus.random_binary(3 * 1024 * 1024 + 17)
    assert sha256_of(put("big.bin", data)) == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("module", "allowed"),
    [("dam.imaging.sniff", set()), ("dam.imaging.renditions", {"PIL"}), ("functions.api.handler", set())],
    ids=["sniff", "renditions", "api-handler"],
)
def test_importing_loads_no_heavy_library_until_needed(module: str, allowed: set[str]) -> None:
    heavy = {"PIL", "av", "pypdfium2", "resvg_py", "pillow_heif", "defusedxml", "blurhash"}
    probe = f"import sys, {module}; print(','.join(sorted({heavy!r} & set(sys.modules))))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert set(filter(None, done.stdout.strip().split(","))) == allowed


@pytest.mark.parametrize("text", [b"Tax-free shopping list\n", b"OggS and GIF89a are signatures\n", b"ID3 tags\n"])
def test_text_that_happens_to_start_like_a_signature_is_text(put: Put, text: bytes) -> None:
    assert sniff(put("notes.txt", text), fmt("Text")).name == "Text"
    assert sniff(put("notes", text)).name == "Text"


def test_rtf_is_named_and_refused(put: Put) -> None:
    with pytest.raises(ContentRejected, match="RTF"):
        sniff(put("letter.txt", b"{\\rtf1\\ansi Hello}"), fmt("Text"))
