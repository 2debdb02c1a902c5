"""Documents, archives and text: previews a user can read, counts they expect, bombs refused."""

from __future__ import annotations

import json
import struct

import pytest

from dam.domain.errors import ContentRejected, ContentUnreadable
from dam.imaging.renditions import make_renditions
from tests.unit.imaging import corpus
from tests.unit.imaging.conftest import Put
from tests.unit.imaging.helpers import fmt, is_red, picture

# --- PDF ---------------------------------------------------------------------------------------------------


def test_a_pdf_shows_its_first_page_and_counts_pages(put: Put) -> None:
    result = make_renditions(put("brief.pdf", corpus.minimal_pdf(pages=2)), fmt("PDF"))
    assert result.metadata["pages"] == 2
    preview = picture(result.get("preview")).convert("RGB")
    assert preview.size == (990, 1280)  # US Letter, long edge at preview size
    assert picture(result.get("thumbnail")).size == (248, 320)
    assert is_red(preview.getpixel((495, 640)))  # the rectangle in the middle
    assert preview.getpixel((20, 20)) == (255, 255, 255)  # white paper


def test_a_password_protected_pdf_is_kept_without_pictures(put: Put) -> None:
    result = make_renditions(put("locked.pdf", corpus.encrypted_pdf()), fmt("PDF"))
    assert result.metadata == {"format": "PDF", "encrypted": True}
    assert result.files == []


def test_a_corrupt_pdf_is_unreadable(put: Put) -> None:
    with pytest.raises(ContentUnreadable, match="PDF"):
        make_renditions(put("broken.pdf", corpus.corrupt_pdf()), fmt("PDF"))


# --- Office and ZIP ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "format_name", "facts"),
    [
        ("brief.docx", corpus.docx(pages=3), "DOCX", {"pages": 3}),
        ("deck.pptx", corpus.pptx(slides=2), "PPTX", {"slides": 2}),
        ("plan.xlsx", corpus.xlsx(sheets=2), "XLSX", {"sheets": 2}),
        ("bundle.zip", corpus.zip_archive(), "ZIP", {"entries": 5, "files": 4}),
    ],
    ids=["docx", "pptx", "xlsx", "zip"],
)
def test_office_files_and_zips_get_a_typed_icon_and_counts(
    put: Put, name: str, data: bytes, format_name: str, facts: dict[str, int]
) -> None:
    result = make_renditions(put(name, data), fmt(format_name))
    assert result.metadata | facts == result.metadata
    assert result.names == ["thumbnail"]
    icon = picture(result.get("thumbnail"))
    assert max(icon.size) == 320


def test_the_zip_lists_its_top_level_names(put: Put) -> None:
    result = make_renditions(put("bundle.zip", corpus.zip_archive()), fmt("ZIP"))
    assert result.metadata["top_level"] == ["photos/", "notes.txt", "brief.pdf"]
    assert result.metadata["uncompressed_bytes"] > 0


def test_every_file_of_a_type_gets_the_same_icon_and_types_differ(put: Put) -> None:
    def icon(name: str, data: bytes, format_name: str) -> bytes:
        thumbnail = make_renditions(put(name, data), fmt(format_name)).get("thumbnail")
        assert thumbnail is not None
        return thumbnail.data

    assert icon("a.docx", corpus.docx(pages=1), "DOCX") == icon("b.docx", corpus.docx(pages=9), "DOCX")
    assert icon("a.docx", corpus.docx(), "DOCX") != icon("c.xlsx", corpus.xlsx(), "XLSX")


def test_a_zip_bomb_is_refused(put: Put) -> None:
    with pytest.raises(ContentRejected, match="zip bomb"):
        make_renditions(put("bomb.zip", corpus.zip_bomb()), fmt("ZIP"))


def test_a_zip_claiming_more_than_2_gb_is_refused(put: Put) -> None:
    data = bytearray(corpus.zip_of({"big.bin": b""}))
    central = data.rindex(b"PK\x01\x02")
    data[central + 24 : central + 28] = struct.pack("<I", 3_000_000_000)  # uncompressed size in the listing
    with pytest.raises(ContentRejected, match="GB"):
        make_renditions(put("big.zip", bytes(data)), fmt("ZIP"))


def test_a_small_zip_that_compresses_well_is_fine(put: Put) -> None:
    data = corpus.zip_of({"rows.csv": b"a,b,c\n" * 50_000})  # 300 KB of repeats: ~300× but harmless
    assert make_renditions(put("rows.zip", data), fmt("ZIP")).metadata["files"] == 1


# --- CSV ---------------------------------------------------------------------------------------------------


def test_a_csv_previews_its_first_100_rows_as_a_table(put: Put) -> None:
    result = make_renditions(put("products.csv", corpus.csv_table(rows=150)), fmt("CSV"))
    preview = result.get("preview")
    assert preview is not None and preview.content_type == "application/json"
    table = json.loads(preview.data)
    assert table["columns"] == ["id", "name", "price"]
    assert len(table["rows"]) == 100 and table["rows"][0] == ["1", "Item 1", "1.50"]
    assert table["truncated"] is True
    assert result.metadata | {"delimiter": ",", "rows_previewed": 100, "columns": ["id", "name", "price"]} == (
        result.metadata
    )


def test_a_short_csv_is_not_truncated_and_its_delimiter_is_found(put: Put) -> None:
    result = make_renditions(put("eu.csv", corpus.csv_table(rows=5, delimiter=";")), fmt("CSV"))
    preview = result.get("preview")
    assert preview is not None
    table = json.loads(preview.data)
    assert table["truncated"] is False and len(table["rows"]) == 5
    assert result.metadata["delimiter"] == ";"


def test_an_excel_windows_1252_csv_reads_correctly(put: Put) -> None:
    result = make_renditions(put("people.csv", corpus.cp1252_csv()), fmt("CSV"))
    preview = result.get("preview")
    assert preview is not None
    assert json.loads(preview.data)["rows"] == [["René", "Orléans"]]
    assert result.metadata["encoding"] == "Windows-1252"


# --- text --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "format_name"),
    [
        ("readme.md", corpus.markdown(), "Markdown"),
        ("notes.txt", corpus.plain_text(), "Text"),
        ("data.json", corpus.json_doc(), "JSON"),
        ("feed.xml", corpus.xml_doc(), "XML"),
        ("config.yaml", corpus.yaml_doc(), "YAML"),
    ],
    ids=["md", "txt", "json", "xml", "yaml"],
)
def test_text_previews_as_utf8(put: Put, name: str, data: bytes, format_name: str) -> None:
    result = make_renditions(put(name, data), fmt(format_name))
    preview = result.get("preview")
    assert preview is not None and preview.content_type == "text/plain; charset=utf-8"
    assert preview.data == data
    assert result.metadata["lines"] == data.count(b"\n")
    assert result.metadata["truncated"] is False


def test_a_long_text_is_cut_at_a_line_boundary(put: Put) -> None:
    data = corpus.plain_text(lines=10_000)  # ~200 KB
    result = make_renditions(put("log.txt", data), fmt("Text"))
    preview = result.get("preview")
    assert preview is not None
    assert len(preview.data) <= 64 * 1024 and preview.data.endswith(b"\n")
    assert data.startswith(preview.data)
    assert result.metadata["truncated"] is True
    assert result.metadata["lines"] == preview.data.count(b"\n")


def test_utf16_text_previews_as_utf8(put: Put) -> None:
    result = make_renditions(put("notes.txt", corpus.utf16_text()), fmt("Text"))
    preview = result.get("preview")
    assert preview is not None
    assert preview.data.decode("utf-8") == "Notes\nCafé ☕\n"
    assert result.metadata["encoding"] == "UTF-16"


@pytest.mark.parametrize(("name", "data", "cues"), [("film.srt", corpus.srt(), 3), ("film.vtt", corpus.vtt(), 2)])
def test_subtitles_count_their_cues(put: Put, name: str, data: bytes, cues: int) -> None:
    result = make_renditions(put(name, data), fmt(name.rsplit(".", maxsplit=1)[-1].upper()))
    assert result.metadata["cues"] == cues
