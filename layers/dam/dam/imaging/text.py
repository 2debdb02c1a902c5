"""Text-like files: a bounded UTF-8 preview (text, data, subtitles) or a table preview (CSV)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from dam.domain.formats import Format
from dam.imaging.model import JSON, TEXT, RenditionFile, RenditionSet
from dam.imaging.sniff import DecodedText, decode_text

PREVIEW_BYTES = 64 * 1024
CSV_BYTES = 2 * 1024 * 1024  # what the product's CSV preview promises to read at most
CSV_ROWS = 100
CSV_SNIFF_CHARS = 16 * 1024
_CSV_DELIMITERS = ",;\t|"
# CSV metadata goes into the asset record (DynamoDB items stop at 400 KB): keep it short.
_MAX_COLUMNS_IN_METADATA = 100
_MAX_NAME = 100
_CUE = re.compile(rb"-->")


def _read_text(path: Path, limit: int) -> tuple[DecodedText, bool]:
    """Up to `limit` bytes decoded (replacing what doesn't decode), and whether the file goes on."""
    with path.open("rb") as f:
        data = f.read(limit + 1)
    more = len(data) > limit
    data = data[:limit]
    decoded = decode_text(data, final=not more, legacy=True)
    if decoded is None:  # sniffing saw only the start: fall back to a forgiving decode of the rest
        codec = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
        label = "UTF-16" if codec == "utf-16" else "UTF-8"
        decoded = DecodedText(data.decode(codec, errors="replace").replace("\x00", ""), codec, label)
    return DecodedText(decoded.text.lstrip("\ufeff"), decoded.codec, decoded.label), more


def _cut_at_line(text: str, limit_bytes: int) -> str:
    """At most `limit_bytes` of UTF-8, ending at a line break when there is one."""
    encoded = text.encode("utf-8")
    if len(encoded) > limit_bytes:
        text = encoded[:limit_bytes].decode("utf-8", errors="ignore")
    cut = max(text.rfind("\n"), text.rfind("\r"))
    return text[: cut + 1] if cut > 0 else text


def _count_cues(path: Path) -> int:
    """Subtitle cues in the whole file (one timing line each), streamed line by line."""
    with path.open("rb") as f:
        return sum(1 for line in f if _CUE.search(line))


def text_renditions(path: str | Path, fmt: Format) -> RenditionSet:
    path = Path(path)
    decoded, more = _read_text(path, PREVIEW_BYTES)
    preview = _cut_at_line(decoded.text, PREVIEW_BYTES) if more else decoded.text
    metadata: dict[str, Any] = {
        "format": fmt.name,
        "encoding": decoded.label,
        "lines": len(preview.splitlines()),
        "truncated": more,
    }
    if fmt.name in ("SRT", "VTT"):
        metadata["cues"] = _count_cues(path)
    if fmt.name == "JSON" and not more:
        try:
            value = json.loads(decoded.text)
        except ValueError:
            value = None
        metadata["json_type"] = type(value).__name__ if value is not None else None
    data = preview.encode("utf-8")
    return RenditionSet(files=[RenditionFile("preview", data, TEXT)], metadata=metadata)


def _dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample, delimiters=_CSV_DELIMITERS)
    except csv.Error:
        return csv.excel  # one column, or too irregular to tell: the standard comma


def csv_renditions(path: str | Path, fmt: Format) -> RenditionSet:
    path = Path(path)
    decoded, more_bytes = _read_text(path, CSV_BYTES)
    text = _cut_at_line(decoded.text, CSV_BYTES) if more_bytes else decoded.text
    dialect = _dialect(_cut_at_line(text[:CSV_SNIFF_CHARS], CSV_SNIFF_CHARS))
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    columns: list[str] = []
    rows: list[list[str]] = []
    more_rows = False
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # blank lines
            if not columns:
                columns = row
            elif len(rows) == CSV_ROWS:
                more_rows = True
                break
            else:
                rows.append(row)
    except csv.Error:
        more_rows = True  # a malformed row (or a field past csv's size limit): preview what came before it
    truncated = more_rows or more_bytes
    table = {"columns": columns, "rows": rows, "truncated": truncated}
    metadata: dict[str, Any] = {
        "format": fmt.name,
        "encoding": decoded.label,
        "delimiter": dialect.delimiter,
        "columns": [name[:_MAX_NAME] for name in columns[:_MAX_COLUMNS_IN_METADATA]],
        "column_count": len(columns),
        "rows_previewed": len(rows),
        "truncated": truncated,
    }
    data = json.dumps(table, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return RenditionSet(files=[RenditionFile("preview", data, JSON)], metadata=metadata)
