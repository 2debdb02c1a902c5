"""The words inside documents, for search: every page of a PDF, text, subtitles, data files and a CSV's
header and first rows, always within a bound."""

from __future__ import annotations

import pytest

from dam.imaging.extract import CSV_ROWS, MAX_TEXT_CHARS, document_text
from tests.unit.imaging import corpus
from tests.unit.imaging.conftest import Put
from tests.unit.imaging.helpers import fmt


def test_a_pdf_gives_the_text_of_every_page(put: Put) -> None:
    pages = ["Rocket launch checklist", "Fuel the second stage", "Countdown from ten"]
    text = document_text(put("brief.pdf", corpus.text_pdf(pages)), fmt("PDF"))
    assert text.split("\n") == pages


def test_a_pdf_without_a_text_layer_or_readable_body_gives_nothing(put: Put) -> None:
    assert document_text(put("drawing.pdf", corpus.minimal_pdf()), fmt("PDF")) == ""
    assert document_text(put("locked.pdf", corpus.encrypted_pdf()), fmt("PDF")) == ""
    assert document_text(put("broken.pdf", corpus.corrupt_pdf()), fmt("PDF")) == ""


def test_a_long_pdf_stops_at_the_bound(put: Put) -> None:
    pages = [f"Page {i} " + "lorem ipsum dolor sit amet " * 40 for i in range(40)]
    text = document_text(put("long.pdf", corpus.text_pdf(pages)), fmt("PDF"))
    assert MAX_TEXT_CHARS // 2 < len(text) <= MAX_TEXT_CHARS
    assert text.startswith("Page 0 lorem")


@pytest.mark.parametrize(
    ("name", "data", "format_name", "expected"),
    [
        ("notes.txt", b"rocket launch\n", "Text", "rocket launch"),
        ("brief.md", corpus.markdown(), "Markdown", "# Campaign brief\n- Hero shot: **red** sneaker\n"
         "- Background: beach at dusk"),
        ("talk.srt", corpus.srt(), "SRT", "Hello there.\nGeneral Kenobi.\nBye."),
        ("talk.vtt", corpus.vtt(), "VTT", "Hello\nWorld"),
        ("data.json", corpus.json_doc(), "JSON", "title\nSpring campaign\ntags\nred\nbeach\ncount"),
        ("catalog.xml", corpus.xml_doc(), "XML", "Sneaker"),
        ("data.yaml", corpus.yaml_doc(), "YAML", "title: Spring campaign\ntags:\n- red\n- beach"),
        ("notes-utf16.txt", corpus.utf16_text(), "Text", "Notes\nCafé ☕"),
    ],
)  # fmt: skip
def test_text_like_files_give_their_words(put: Put, name, data, format_name, expected) -> None:
    text = document_text(put(name, data), fmt(format_name))
    assert expected in text
    assert "-->" not in text and "WEBVTT" not in text


def test_a_csv_gives_its_header_and_first_rows(put: Put) -> None:
    text = document_text(put("prices.csv", corpus.csv_table(rows=150, delimiter=";")), fmt("CSV"))
    lines = text.split("\n")
    assert lines[0] == "id name price"
    assert lines[1] == "1 Item 1 1.50"
    assert len(lines) == CSV_ROWS + 1


def test_a_huge_text_file_is_read_only_up_to_the_bound(put: Put) -> None:
    data = ("rocket launch " * 1_000_000).encode()  # 14 MB
    text = document_text(put("huge.txt", data), fmt("Text"))
    assert len(text) <= MAX_TEXT_CHARS and text.startswith("rocket launch rocket")


def test_pictures_and_sound_have_no_words_here(put: Put) -> None:
    assert document_text(put("a.png", corpus.png_photo()), fmt("PNG")) == ""
    assert document_text(put("a.wav", corpus.tiny_wav()), fmt("WAV")) == ""
