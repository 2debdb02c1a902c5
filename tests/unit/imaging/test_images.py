"""Raster images: what a user sees in the gallery and the detail view, and what gets refused."""

from __future__ import annotations

import io
import json
import time

import pytest
from PIL import Image, ImageStat

from dam.domain.errors import ContentRejected, ContentUnreadable
from dam.imaging.limits import ImageLimits, probe_image
from dam.imaging.renditions import make_renditions
from dam.imaging.webp import decode_scaled
from tests.unit.imaging import corpus
from tests.unit.imaging.conftest import Put
from tests.unit.imaging.helpers import fmt, is_blue, is_red, picture, rgba


def test_a_photo_gets_a_320_thumbnail_a_1280_preview_and_a_placeholder(put: Put) -> None:
    result = make_renditions(put("photo.jpg", corpus.jpeg_photo(2000, 1500)), fmt("JPEG"))
    assert result.names == ["thumbnail", "preview"]
    assert picture(result.get("thumbnail")).size == (320, 240)
    assert picture(result.get("preview")).size == (1280, 960)
    assert result.placeholder and len(result.placeholder) > 6  # a BlurHash string
    assert result.metadata | {"format": "JPEG", "width": 2000, "height": 1500, "has_alpha": False} == result.metadata
    json.dumps(result.metadata)


def test_a_small_image_is_never_enlarged(put: Put) -> None:
    result = make_renditions(put("icon.png", corpus.png_photo(200, 100)), fmt("PNG"))
    assert picture(result.get("preview")).size == (200, 100)
    assert picture(result.get("thumbnail")).size == (200, 100)


def test_an_exif_rotated_photo_is_shown_upright(put: Put) -> None:
    # Stored 400×200 landscape with orientation 6 ("turn 90° clockwise to display"): a portrait photo.
    result = make_renditions(put("phone.jpg", corpus.jpeg_photo(400, 200, orientation=6)), fmt("JPEG"))
    assert (result.metadata["width"], result.metadata["height"]) == (200, 400)
    thumbnail = picture(result.get("thumbnail")).convert("RGB")
    assert thumbnail.size == (160, 320)
    # The red block stored top-left ends up top-right once turned clockwise.
    assert is_red(thumbnail.getpixel((thumbnail.width - 5, 5)))
    assert not is_red(thumbnail.getpixel((5, 5)))


def test_camera_facts_are_kept_but_never_the_gps_coordinates(put: Put) -> None:
    result = make_renditions(put("trip.jpg", corpus.jpeg_photo(320, 240, camera=True)), fmt("JPEG"))
    assert result.metadata["exif"] == {
        "make": "Fujifilm",
        "model": "X-T5",
        "taken_at": "2025-06-01T18:30:05+02:00",
        "has_gps": True,
    }
    for rendition in result.files:  # renditions carry no EXIF at all
        assert not picture(rendition).getexif()


def test_a_cmyk_jpeg_becomes_rgb_with_its_colours(put: Put) -> None:
    result = make_renditions(put("print.jpg", corpus.cmyk_jpeg()), fmt("JPEG"))
    thumbnail = picture(result.get("thumbnail"))
    assert thumbnail.mode == "RGB"
    assert is_red(thumbnail.getpixel((thumbnail.width // 2, thumbnail.height // 2)))
    assert result.metadata["mode"] == "CMYK"


def test_an_embedded_colour_profile_is_named(put: Put) -> None:
    result = make_renditions(put("tagged.jpg", corpus.srgb_tagged_jpeg()), fmt("JPEG"))
    assert "sRGB" in result.metadata["icc_profile"]


def test_a_16_bit_png_keeps_its_tones(put: Put) -> None:
    result = make_renditions(put("scan.png", corpus.png16()), fmt("PNG"))
    thumbnail = picture(result.get("thumbnail")).convert("L")
    left, right = thumbnail.getpixel((2, 10)), thumbnail.getpixel((thumbnail.width - 3, 10))
    assert isinstance(left, int) and isinstance(right, int)
    assert left < 30 and right > 225  # the 0 → 65535 ramp is still a black → white ramp
    assert 90 < ImageStat.Stat(thumbnail).mean[0] < 165


def test_transparency_is_kept(put: Put) -> None:
    for name, data, format_name in [
        ("cut.png", corpus.png_alpha(), "PNG"),
        ("clear.webp", corpus.webp_rgba(), "WebP"),
        ("palette.png", corpus.palette_png_transparent(), "PNG"),
    ]:
        result = make_renditions(put(name, data), fmt(format_name))
        thumbnail = picture(result.get("thumbnail"))
        assert thumbnail.mode == "RGBA", name
        assert rgba(thumbnail.getpixel((1, 1)))[3] < 20, name  # top-left is see-through in every sample
        assert result.metadata["has_alpha"] is True


def test_palette_transparency_keeps_its_opaque_colour(put: Put) -> None:
    result = make_renditions(put("palette.png", corpus.palette_png_transparent()), fmt("PNG"))
    assert is_red(picture(result.get("preview")).getpixel((48, 16)))


@pytest.mark.parametrize(("name", "format_name"), [("loop.gif", "GIF"), ("loop.webp", "WebP")])
def test_an_animation_shows_its_first_frame(put: Put, name: str, format_name: str) -> None:
    data = corpus.animated_gif() if format_name == "GIF" else corpus.animated_webp()
    result = make_renditions(put(name, data), fmt(format_name))
    assert result.metadata["frames"] == 3 and result.metadata["animated"] is True
    assert is_red(picture(result.get("thumbnail")).convert("RGB").getpixel((10, 10)))


@pytest.mark.parametrize(
    ("name", "data", "format_name"), [("still.gif", corpus.gif(), "GIF"), ("scan.bmp", corpus.bmp(), "BMP")]
)
def test_gif_and_bmp_render(put: Put, name: str, data: bytes, format_name: str) -> None:
    result = make_renditions(put(name, data), fmt(format_name))
    with Image.open(put("again", data)) as source:
        assert picture(result.get("preview")).size == source.size


def test_heic_renders_upright(put: Put) -> None:
    result = make_renditions(put("phone.heic", corpus.heic(96, 64, orientation=6)), fmt("HEIC"))
    preview = picture(result.get("preview")).convert("RGB")
    assert preview.size == (64, 96)
    assert (result.metadata["width"], result.metadata["height"]) == (64, 96)
    assert is_red(preview.getpixel((preview.width - 4, 4)))
    assert not is_blue(preview.getpixel((preview.width - 4, 4)))


def test_a_truncated_jpeg_is_unreadable(put: Put) -> None:
    with pytest.raises(ContentUnreadable, match="damaged or incomplete"):
        make_renditions(put("cut.jpg", corpus.truncated_jpeg()), fmt("JPEG"))


def test_a_decompression_bomb_is_refused_without_decoding(put: Put) -> None:
    path = put("bomb.png", corpus.png_bomb(20_000, 20_000))
    assert path.stat().st_size < 2048
    started = time.perf_counter()
    with pytest.raises(ContentRejected, match="megapixels"):
        make_renditions(path, fmt("PNG"))
    with pytest.raises(ContentRejected, match="megapixels"):
        probe_image(path, fmt("PNG"))
    assert time.perf_counter() - started < 1.0


def test_a_gif_claiming_60000_pixels_a_side_is_refused_before_decoding(put: Put) -> None:
    path = put("huge.gif", corpus.gif_huge_dimensions())
    started = time.perf_counter()
    with pytest.raises(ContentRejected, match="too large"):
        probe_image(path, fmt("GIF"))
    with pytest.raises(ContentRejected, match="too large"):
        make_renditions(path, fmt("GIF"))
    assert time.perf_counter() - started < 1.0  # decoding 3.6 gigapixels would take far longer (and 3.6 GB)


def test_our_own_limits_apply_with_a_readable_reason(put: Put) -> None:
    photo = put("wide.jpg", corpus.jpeg_photo(1200, 900))
    with pytest.raises(ContentRejected, match=r"1200 × 900 pixels \(1\.1 megapixels\); the limit is 1\.0"):
        probe_image(photo, fmt("JPEG"), ImageLimits(max_pixels=1_000_000))
    with pytest.raises(ContentRejected, match="largest side allowed is 1,000 pixels"):
        make_renditions(photo, fmt("JPEG"), ImageLimits(max_dimension=1000))


def test_probe_reads_the_displayed_size(put: Put) -> None:
    assert probe_image(put("phone.jpg", corpus.jpeg_photo(400, 200, orientation=6)), fmt("JPEG")) == (200, 400)
    assert probe_image(put("logo.svg", corpus.svg_simple()), fmt("SVG")) == (200, 100)


def test_a_big_photo_is_reduced_in_one_decode(put: Put) -> None:
    result = make_renditions(put("big.jpg", corpus.jpeg_photo(3000, 2000)), fmt("JPEG"))
    assert picture(result.get("preview")).size == (1280, 853)
    assert (result.metadata["width"], result.metadata["height"]) == (3000, 2000)


def _psnr(a: Image.Image, b: Image.Image) -> float:
    import numpy as np

    difference = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    return float(10 * np.log10(255**2 / max(float((difference**2).mean()), 1e-9)))


def test_a_large_webp_is_decoded_by_libwebp_at_the_preview_size_and_looks_like_a_full_decode() -> None:
    data = corpus.webp_photo(2400, 1600)
    scaled = decode_scaled(data, (1280, 853))
    assert scaled is not None and (scaled.mode, scaled.size) == ("RGB", (1280, 853))
    with Image.open(io.BytesIO(data)) as full:
        reference = full.convert("RGB").resize((1280, 853), Image.Resampling.LANCZOS)
    assert _psnr(scaled, reference) > 35  # a different scaler, the same picture
    assert _psnr(scaled, Image.new("RGB", scaled.size, (128, 128, 128))) < 20  # and the check can fail


def test_libwebp_scaling_declines_what_pillow_must_decode() -> None:
    assert decode_scaled(corpus.animated_webp(), (24, 16)) is None
    assert decode_scaled(corpus.webp_photo(2400, 1600)[:4000], (1280, 853)) is None
    assert decode_scaled(b"RIFF\x00\x00\x00\x00WEBPVP8 junk", (10, 10)) is None


def test_a_large_rotated_webp_is_shown_upright_at_the_preview_size(put: Put) -> None:
    result = make_renditions(put("phone.webp", corpus.webp_photo(2400, 1600, orientation=6)), fmt("WebP"))
    preview = picture(result.get("preview")).convert("RGB")
    assert preview.size == (853, 1280)
    assert (result.metadata["width"], result.metadata["height"]) == (1600, 2400)
    assert is_red(preview.getpixel((preview.width - 20, 20)))
    assert not is_red(preview.getpixel((20, 20)))


def test_a_large_webp_keeps_its_transparency(put: Put) -> None:
    result = make_renditions(put("cut.webp", corpus.webp_photo(2400, 1600, alpha=True)), fmt("WebP"))
    preview = picture(result.get("preview"))
    assert (preview.mode, preview.size) == ("RGBA", (1280, 853))
    assert rgba(preview.getpixel((5, 400)))[3] < 20
    assert rgba(preview.getpixel((600, 400)))[3] > 240
    assert result.metadata["has_alpha"] is True


def test_a_truncated_large_webp_is_unreadable(put: Put) -> None:
    with pytest.raises(ContentUnreadable, match="damaged or incomplete"):
        make_renditions(put("cut.webp", corpus.webp_photo(2400, 1600)[:30_000]), fmt("WebP"))


def test_a_tiff_gets_its_renditions_and_facts(put: Put) -> None:
    result = make_renditions(put("scan.tif", corpus.tiff_photo(1600, 1200)), fmt("TIFF"))
    preview = picture(result.get("preview")).convert("RGB")
    assert preview.size == (1280, 960) and picture(result.get("thumbnail")).size == (320, 240)
    assert is_red(preview.getpixel((20, 20))) and not is_red(preview.getpixel((1260, 940)))
    assert result.metadata | {"format": "TIFF", "width": 1600, "height": 1200, "frames": 1} == result.metadata
    assert "pages" not in result.metadata


def test_a_rotated_tiff_is_shown_upright(put: Put) -> None:
    data = corpus.tiff_photo(400, 200, orientation=6)
    result = make_renditions(put("turned.tif", data), fmt("TIFF"))
    thumbnail = picture(result.get("thumbnail")).convert("RGB")
    assert thumbnail.size == (160, 320)
    assert is_red(thumbnail.getpixel((thumbnail.width - 5, 5))) and not is_red(thumbnail.getpixel((5, 5)))


def test_tiff_modes_print_and_scan_workflows_use_render_as_they_look(put: Put) -> None:
    cut = picture(make_renditions(put("cut.tif", corpus.tiff_photo(800, 600, "RGBA")), fmt("TIFF")).get("preview"))
    assert cut.mode == "RGBA" and rgba(cut.getpixel((5, 300)))[3] < 20 and rgba(cut.getpixel((400, 300)))[3] > 240
    cmyk = make_renditions(put("print.tif", corpus.tiff_photo(800, 600, "CMYK")), fmt("TIFF"))
    assert cmyk.metadata["mode"] == "CMYK" and is_red(picture(cmyk.get("preview")).convert("RGB").getpixel((20, 20)))
    deep = make_renditions(put("scan16.tif", corpus.tiff_photo(800, 600, "I;16")), fmt("TIFF"))
    assert deep.metadata["mode"].startswith("I;16")
    assert 40 < ImageStat.Stat(picture(deep.get("preview")).convert("L")).mean[0] < 215  # not clipped white


def test_a_float_tiff_of_zero_to_one_is_not_black(put: Put) -> None:
    ramp = Image.linear_gradient("L").convert("F").point(lambda value: value / 255)
    buffer = io.BytesIO()
    ramp.save(buffer, "TIFF")
    preview = picture(make_renditions(put("hdr.tif", buffer.getvalue()), fmt("TIFF")).get("preview")).convert("L")
    top, bottom = preview.getpixel((128, 2)), preview.getpixel((128, 253))
    assert isinstance(top, int) and isinstance(bottom, int) and top < 10 and bottom > 245


def test_a_multi_page_tiff_shows_its_first_page_and_counts_the_pages(put: Put) -> None:
    result = make_renditions(put("pages.tif", corpus.tiff_photo(800, 600, pages=3)), fmt("TIFF"))
    assert result.metadata["pages"] == 3
    assert result.metadata["frames"] == 1 and result.metadata["animated"] is False
    assert picture(result.get("preview")).size == (800, 600)  # the first page, not a turned one
