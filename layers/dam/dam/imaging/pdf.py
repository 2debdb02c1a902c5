"""PDF with pypdfium2 (its wheel bundles pdfium): page count, metadata, first page rendered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

from dam.domain.errors import ContentUnreadable
from dam.domain.formats import Format
from dam.imaging.model import PREVIEW_EDGE, RenditionSet
from dam.imaging.raster import renditions_from_image

_FPDF_ERR_PASSWORD = 4
_INFO_KEYS = {"Title": "title", "Author": "author", "Subject": "subject", "Creator": "creator", "Producer": "producer"}
_MAX_TEXT = 120


def _info(document: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, name in _INFO_KEYS.items():
        value = document.get_metadata_value(key)
        cleaned = "".join(ch for ch in value if ch >= " ").strip()[:_MAX_TEXT] if isinstance(value, str) else ""
        if cleaned:
            found[name] = cleaned
    return found


def pdf_renditions(path: str | Path, fmt: Format) -> RenditionSet:
    import pypdfium2 as pdfium

    unreadable = "The PDF is damaged or incomplete and can't be read."
    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if exc.err_code == _FPDF_ERR_PASSWORD:
            # Kept, like any file: there is just nothing to show without the password.
            return RenditionSet(metadata={"format": fmt.name, "encrypted": True})
        raise ContentUnreadable(unreadable) from exc
    try:
        pages = len(document)
        if pages == 0:
            raise ContentUnreadable("The PDF has no pages.")
        metadata: dict[str, Any] = {"format": fmt.name, "pages": pages, "encrypted": False, **_info(document)}
        try:
            page = document[0]
            try:
                width, height = page.get_size()  # points (1/72 in), after the page's own rotation
                if width <= 0 or height <= 0:
                    raise ContentUnreadable("The PDF's first page has no size.")
                metadata["page_width_pt"], metadata["page_height_pt"] = round(width, 1), round(height, 1)
                # Render straight at preview size, whatever the page size, so memory stays bounded.
                bitmap = page.render(scale=PREVIEW_EDGE / max(width, height), may_draw_forms=False)
                image: Image.Image = bitmap.to_pil().convert("RGB")
                bitmap.close()
            finally:
                page.close()
        except pdfium.PdfiumError as exc:
            raise ContentUnreadable(unreadable) from exc
    finally:
        document.close()
    files, placeholder = renditions_from_image(image)
    return RenditionSet(files=files, placeholder=placeholder, metadata=metadata)
