"""The words inside a document, for search: bounded, whatever the file's size.

PDFs (every page's text layer, until the budget is spent), plain text and Markdown, subtitles (the cue texts,
without numbers and timings), JSON, XML and YAML (their values and names, without the punctuation), and CSV
(the header and the first rows), 3D models (the names of their objects and materials). Pictures, sound and
archives have no words to extract here.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from dam.domain.formats import Format, MediaType

MAX_TEXT_CHARS = 20_000  # indexed per asset: ~4,000 words, well inside a DynamoDB item and a state's payload
MAX_READ_BYTES = 1024 * 1024  # of a text-like file: the text budget is reached long before on real files
MAX_PDF_PAGES = 200  # pages read at most (the budget usually ends it sooner)
CSV_ROWS = 20  # the header and this many rows
_TEXT_FORMATS = frozenset({"Text", "Markdown", "SRT", "VTT", "JSON", "XML", "YAML"})
_CUE_TIMING = re.compile(r"^\s*(\d+\s*$|(\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{3}\s*-->.*$|WEBVTT.*$|NOTE\b.*$)")
_XML_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"[ \t\f\v]+")


def extracts_text(fmt: Format) -> bool:
    return fmt.name in {"PDF", "CSV"} or fmt.name in _TEXT_FORMATS or fmt.media_type is MediaType.MODEL


def document_text(path: str | Path, fmt: Format) -> str:
    """The file's searchable words, at most `MAX_TEXT_CHARS`; "" when it has none (or none we can read)."""
    if fmt.media_type in (MediaType.IMAGE, MediaType.VIDEO, MediaType.AUDIO, MediaType.ARCHIVE):
        return ""
    path = Path(path)
    if fmt.name == "PDF":
        text = _pdf_text(path)
    elif fmt.name == "CSV":
        text = _csv_text(_read(path))
    elif fmt.media_type is MediaType.MODEL:
        from dam.imaging.mesh import model_words

        text = model_words(path, fmt, MAX_READ_BYTES)
    elif fmt.name in ("SRT", "VTT"):
        text = "\n".join(line for line in _read(path).splitlines() if not _CUE_TIMING.match(line))
    elif fmt.name == "JSON":
        text = _json_text(_read(path))
    elif fmt.name == "XML":
        text = _XML_TAG.sub(" ", _read(path))
    elif fmt.name in _TEXT_FORMATS:
        text = _read(path)
    else:
        return ""
    return bounded(text)


def bounded(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """Whitespace squashed per line, control characters out, blank lines dropped, cut at a word boundary."""
    lines = (_SPACES.sub(" ", "".join(ch for ch in line if ch >= " ")).strip() for line in text.splitlines())
    joined = "\n".join(line for line in lines if line)
    if len(joined) <= limit:
        return joined
    cut = joined[:limit]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    return cut[:space] if space > limit // 2 else cut


def _read(path: Path) -> str:
    from dam.imaging.sniff import decode_text

    with path.open("rb") as f:
        data = f.read(MAX_READ_BYTES)
    decoded = decode_text(data, final=False, legacy=True)
    text = decoded.text if decoded is not None else data.decode("utf-8", errors="replace")
    return text.lstrip("\ufeff").replace("\x00", "")


def _csv_text(text: str) -> str:
    sample = text[: 16 * 1024]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows: list[str] = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), dialect):
            if any(cell.strip() for cell in row):
                rows.append(" ".join(cell.strip() for cell in row if cell.strip()))
            if len(rows) > CSV_ROWS:
                break
    except csv.Error:
        pass  # a malformed row: what came before it
    return "\n".join(rows)


def _json_text(text: str) -> str:
    try:
        value = json.loads(text)
    except ValueError:  # cut at the read limit, or not JSON after all: the words are still words
        return re.sub(r'[{}\[\]",:]+', " ", text)
    words: list[str] = []
    budget = [MAX_TEXT_CHARS]

    def walk(item: Any) -> None:
        if budget[0] <= 0:
            return
        if isinstance(item, dict):
            for key, inner in item.items():
                add(str(key))
                walk(inner)
        elif isinstance(item, list):
            for inner in item:
                walk(inner)
        elif isinstance(item, str):
            add(item)

    def add(part: str) -> None:
        words.append(part)
        budget[0] -= len(part) + 1

    walk(value)
    return "\n".join(words)


def _pdf_text(path: Path) -> str:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError:
        return ""  # encrypted or damaged: the renditions step reports it
    parts: list[str] = []
    size = 0
    try:
        for index in range(min(len(document), MAX_PDF_PAGES)):
            page = document[index]
            try:
                text_page = page.get_textpage()
                try:
                    text = text_page.get_text_range()
                finally:
                    text_page.close()
            except pdfium.PdfiumError:
                continue
            finally:
                page.close()
            parts.append(text)
            size += len(text)
            if size >= MAX_TEXT_CHARS:
                break
    finally:
        document.close()
    return "\n".join(parts)
