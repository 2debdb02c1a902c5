from __future__ import annotations

import importlib.util
import time

import pytest
from PIL import Image

from dam.adapters.local_analysis import LocalImageAnalyzer, color_name, prop_type_from_hint
from dam.domain.analysis import PropType
from dam.domain.errors import ContentUnreadable
from dam.services.analysis_ports import ImageAnalyzer
from tests.unit.analysis.images import encode, red_and_white, sign

analyzer = LocalImageAnalyzer(ocr=False)


def test_it_is_an_image_analyzer():
    assert isinstance(analyzer, ImageAnalyzer)


def test_dominant_colors_of_a_red_and_white_image():
    analysis = analyzer.analyze(encode(red_and_white()), "image/png")
    assert set(analysis.colors) == {"red", "white"}
    assert analysis.themes == ["landscape"]
    assert analysis.description == "A landscape image (400x200 px), mostly red and white."
    assert analysis.source == "local"


def test_never_invents_objects_or_brands():
    analysis = analyzer.analyze(encode(red_and_white().convert("RGB"), "JPEG", quality=80), "image/jpeg")
    assert analysis.objects == []
    assert analysis.brands == []
    assert analysis.prop_type is PropType.OTHER


def test_exif_rotation_is_honoured_for_orientation():
    image = red_and_white((400, 200)).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape, shown rotated 90°: a portrait photo
    analysis = analyzer.analyze(encode(image, "JPEG", exif=exif), "image/jpeg")
    assert "portrait" in analysis.themes
    assert analysis.description.startswith("A portrait image (200x400 px)")


def test_square_and_monochrome_and_transparent():
    gray = Image.new("RGBA", (300, 300), (128, 128, 128, 255))
    gray.paste((0, 0, 0, 0), (0, 0, 300, 150))
    analysis = analyzer.analyze(encode(gray), "image/png")
    assert analysis.themes == ["square", "monochrome", "transparent background"]
    assert analysis.colors == ["gray"]


def test_camera_facts_come_from_exif():
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "Canon EOS R5"
    exif.get_ifd(0x8769)[0x9003] = "2024:05:01 10:30:00"
    data = encode(red_and_white().convert("RGB"), "JPEG", exif=exif)
    analysis = analyzer.analyze(data, "image/jpeg")
    assert "Taken with Canon EOS R5 on 2024-05-01." in analysis.description
    assert "photo" in analysis.themes


def test_a_hint_sets_the_prop_type_and_is_noted():
    analysis = analyzer.analyze(encode(red_and_white()), "image/png", hint="This is set dressing, not a costume")
    assert analysis.prop_type is PropType.SET_DRESSING
    assert analysis.description.endswith("Note: This is set dressing, not a costume.")


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        ("this is a prop sword, not a real one", PropType.HAND_PROP),
        ("not a costume, it's set dressing", PropType.SET_DRESSING),
        ("Branded merch: a Star Wars mug", PropType.BRANDED_MERCH),
        ("it's food for the diner scene", PropType.FOOD),
        ("Wardrobe piece for the lead", PropType.COSTUME),
        ("this isn't a hand prop", None),
        ("the logo is upside down", None),
        (None, None),
    ],
)
def test_prop_type_from_hint(hint, expected):
    assert prop_type_from_hint(hint) is expected


@pytest.mark.parametrize(
    ("rgb", "name"),
    [
        ((250, 250, 250), "white"),
        ((12, 12, 12), "black"),
        ((0, 0, 120), "navy"),
        ((200, 30, 40), "red"),
        ((70, 130, 180), "blue"),
        ((60, 120, 60), "green"),
        ((100, 60, 30), "brown"),
        ((255, 215, 0), "yellow"),
    ],
)
def test_color_names(rgb, name):
    assert color_name(rgb) == name


def test_undecodable_bytes_are_content_unreadable():
    with pytest.raises(ContentUnreadable):
        analyzer.analyze(b"\xff\xd8\xff not really a jpeg", "image/jpeg")


def test_without_ocr_there_is_no_text():
    assert analyzer.analyze(encode(sign()), "image/png").text_in_image == []


@pytest.mark.skipif(
    importlib.util.find_spec("rapidocr_onnxruntime") is None, reason="rapidocr-onnxruntime is not installed"
)
def test_ocr_reads_large_text():
    started = time.perf_counter()
    analysis = LocalImageAnalyzer(ocr=True).analyze(encode(sign().convert("RGB"), "JPEG", quality=90), "image/jpeg")
    elapsed = time.perf_counter() - started
    assert analysis.text_in_image == ["SPRING SALE"]
    assert '"SPRING SALE"' in analysis.description
    assert analysis.colors[0] == "navy"
    assert analysis.objects == []  # words are not objects
    assert elapsed < 20  # a generous bound: ~0.5-1.5 s here, most of it the first call's model load


def test_ocr_is_skipped_gracefully_when_the_package_is_missing(monkeypatch):
    import sys

    from dam.adapters import local_analysis

    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)  # makes the import fail
    monkeypatch.setattr(local_analysis, "_ocr_engines", {})
    analysis = LocalImageAnalyzer(ocr=True).analyze(encode(sign()), "image/png")
    assert analysis.text_in_image == []
    assert not local_analysis.ocr_available()
