"""SVG: what is stored and drawn is the sanitised document, never the uploaded one."""

from __future__ import annotations

import base64
import sys
import xml.etree.ElementTree as ET

import pytest

from dam.domain.errors import ContentRejected
from dam.imaging.renditions import make_renditions
from dam.imaging.svg import sanitize_svg
from tests.unit.imaging import corpus
from tests.unit.imaging.conftest import Put
from tests.unit.imaging.helpers import fmt, is_blue, is_red, picture

HOSTILE = ("<script", "alert", "onload", "onclick", "javascript:", "foreignObject", "iframe", "tracker.example")


def test_scripts_handlers_and_external_references_are_removed(put: Put) -> None:
    result = make_renditions(put("logo.svg", corpus.svg_with_script()), fmt("SVG"))
    sanitized = result.get("sanitized")
    assert sanitized is not None and sanitized.content_type == "image/svg+xml"
    text = sanitized.data.decode()
    for marker in HOSTILE:
        assert marker not in text, marker
    # Drawing content and internal references survive.
    assert 'href="#g"' in text and "url(#g)" in text and "<circle" in text
    root = ET.fromstring(text)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert result.metadata["sanitized"]["removed_elements"] >= 4
    assert result.metadata["sanitized"]["removed_attributes"] >= 3


def test_only_allowed_elements_and_attributes_survive_so_animated_links_and_unknown_parts_go() -> None:
    text = sanitize_svg(corpus.svg_allow_list_escapes()).text
    for marker in ("phish.example", "tracker.example", "alert", "discard", "cursor", "font-face", "evil", "ev:"):
        assert marker not in text, marker
    root = ET.fromstring(text)
    animations = [e for e in root.iter() if e.tag.endswith("}animate") or e.tag.endswith("}set")]
    assert [a.get("attributeName") for a in animations] == ["opacity"]  # a look may animate, a link never
    assert root.find(".//{http://www.w3.org/2000/svg}rect").get("fill") == "#dc1e1e"
    assert 'href="#ok"' in text  # internal references survive


def test_the_sanitised_svg_is_rendered(put: Put) -> None:
    result = make_renditions(put("logo.svg", corpus.svg_with_script()), fmt("SVG"))
    assert result.metadata["render"] == "resvg"
    preview = picture(result.get("preview"))
    assert preview.size == (1280, 1280)
    assert picture(result.get("thumbnail")).size == (320, 320)
    assert is_red(preview.getpixel((40, 40)))  # the gradient-filled background
    assert is_blue(preview.getpixel((640, 640)))  # the circle, even with its javascript: link gone
    assert result.placeholder


def test_a_plain_svg_keeps_its_aspect_and_size(put: Put) -> None:
    result = make_renditions(put("logo.svg", corpus.svg_simple()), fmt("SVG"))
    assert (result.metadata["width"], result.metadata["height"]) == (200, 100)
    assert picture(result.get("preview")).size == (1280, 640)
    assert result.metadata["sanitized"] == {"removed_elements": 0, "removed_attributes": 0}


def test_an_svg_without_its_namespace_gets_it(put: Put) -> None:
    bare = b'<svg width="10" height="10"><rect width="10" height="10" fill="red"/></svg>'
    result = make_renditions(put("bare.svg", bare), fmt("SVG"))
    sanitized = result.get("sanitized")
    assert sanitized is not None
    assert ET.fromstring(sanitized.data).tag == "{http://www.w3.org/2000/svg}svg"
    assert is_red(picture(result.get("thumbnail")).getpixel((5, 5)))


def test_without_resvg_the_svg_is_kept_and_marked_unrendered(put: Put, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "resvg_py", None)  # makes `import resvg_py` fail
    result = make_renditions(put("logo.svg", corpus.svg_with_script()), fmt("SVG"))
    assert result.metadata["render"] == "unavailable"
    assert result.names == ["sanitized"]
    assert result.placeholder is None


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (corpus.svg_entity_bomb(), "entities"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><rect></svg>', "well-formed"),
        (b'<?xml version="1.0"?><notsvg/>', "not <svg>"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'>" + b"<g>" * 300 + b"</g>" * 300 + b"</svg>", "nested"),
    ],
    ids=["entity-bomb", "malformed", "wrong-root", "too-deep"],
)
def test_unsafe_or_broken_svgs_are_refused(put: Put, data: bytes, reason: str) -> None:
    with pytest.raises(ContentRejected, match=reason):
        make_renditions(put("logo.svg", data), fmt("SVG"))


def test_embedded_pictures_are_kept_only_when_small_enough(put: Put) -> None:
    def embedded(data: bytes) -> bytes:
        uri = b"data:image/png;base64," + base64.b64encode(data)
        return b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><image href="' + uri + b'"/></svg>'

    # (Only sanitised here: resvg takes ~1.5 s to draw any embedded picture at preview size.)
    assert sanitize_svg(embedded(corpus.png_photo(8, 8))).removed_attributes == 0
    bomb = make_renditions(put("bomb.svg", embedded(corpus.png_bomb())), fmt("SVG"))
    assert bomb.metadata["sanitized"]["removed_attributes"] == 1
    assert bomb.metadata["render"] == "resvg"
