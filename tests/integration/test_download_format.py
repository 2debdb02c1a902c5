"""`?format=png|jpg` on a download: an image original (of the active version or a pinned one) converted to PNG
or JPEG, upright and full size, named for its new type; anything else a clear 422."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, unquote, urlparse

import pytest
from PIL import Image

from tests.conftest import MEDIA_BUCKET, Api
from tests.integration.conftest import wait_until_processed
from tests.integration.version_support import downloaded, new_version, wait_for_version
from tests.unit.imaging import corpus


def _ready(api: Api, filename: str, content_type: str, data: bytes, asset_type: str = "image") -> str:
    asset = api.upload(filename, content_type, data, asset_type=asset_type)
    done = wait_until_processed(api, asset["asset_id"])
    assert done["status"] == "ready", done["status_reason"]
    return str(asset["asset_id"])


def _converted(api: Api, path: str, fmt: str) -> tuple[Image.Image, str]:
    """The picture the download redirects to, and the file name the link asks the browser to save it as."""
    response = api.request("GET", path, query={"format": fmt})
    assert response.status == 302, response.body
    disposition = parse_qs(urlparse(response.headers["location"]).query)["response-content-disposition"][0]
    image = Image.open(io.BytesIO(downloaded(api, path, format=fmt)))
    image.load()
    return image, unquote(disposition)


@pytest.mark.parametrize(
    ("filename", "content_type", "data", "size"),
    [
        ("camera.jpg", "image/jpeg", corpus.jpeg_photo(640, 480, orientation=6), (480, 640)),  # turned upright
        ("cut-out.png", "image/png", corpus.png_alpha(400, 300), (400, 300)),
        ("phone.heic", "image/heic", corpus.heic(96, 64), (96, 64)),
        ("art.webp", "image/webp", corpus.webp_rgba(200, 100), (200, 100)),
        ("scan.tif", "image/tiff", corpus.tiff_photo(300, 200, orientation=6), (200, 300)),
    ],
)
def test_an_image_downloads_as_png_and_as_jpeg_at_full_size(
    pipeline: Api, filename: str, content_type: str, data: bytes, size: tuple[int, int]
) -> None:
    # Given an image that was processed
    asset_id = _ready(pipeline, filename, content_type, data)
    for fmt, pillow_format in (("png", "PNG"), ("jpg", "JPEG")):
        # When it is downloaded with ?format=
        image, disposition = _converted(pipeline, f"/assets/{asset_id}/download", fmt)
        # Then the file is that format, the original's full (upright) size, and named .png / .jpg
        assert image.format == pillow_format and image.size == size
        assert disposition.endswith(f'.{fmt}"') or disposition.endswith(f".{fmt}"), disposition
    # And without ?format= the original is untouched
    assert downloaded(pipeline, f"/assets/{asset_id}/download") == data


def test_a_transparent_png_becomes_a_jpeg_on_white(pipeline: Api) -> None:
    asset_id = _ready(pipeline, "logo.png", "image/png", corpus.png_alpha(400, 300))
    image, _ = _converted(pipeline, f"/assets/{asset_id}/download", "jpg")
    corner = image.convert("RGB").getpixel((0, 0))
    assert isinstance(corner, tuple) and min(corner) > 240  # where the PNG was transparent, not black


def test_a_pinned_version_converts_its_own_file_and_the_second_request_reuses_the_conversion(pipeline: Api) -> None:
    # Given an asset whose version 2 (a different picture) is active
    asset_id = _ready(pipeline, "take.png", "image/png", corpus.png_photo(64, 48))
    new_version(pipeline, asset_id, corpus.png_photo(120, 90), promote=True)
    assert wait_for_version(pipeline, asset_id, 2)["file_status"] == "ready"
    # When version 1 is downloaded as JPEG, and the stable link as JPEG
    first, name = _converted(pipeline, f"/assets/{asset_id}/versions/1/download", "jpg")
    active, _ = _converted(pipeline, f"/assets/{asset_id}/download", "jpg")
    # Then each is its own version's picture, and the pinned one is named by its studio id
    assert first.size == (64, 48) and active.size == (120, 90)
    studio_id = pipeline.request("GET", f"/assets/{asset_id}/versions/1").json()["studio_id"]
    assert f"{studio_id}.jpg" in name
    # And the conversion is kept beside the version's renditions: asking again converts nothing new
    prefix = f"assets/ws-studio/{asset_id}/renditions/export."
    stored = pipeline.aws.s3.list_object_versions(Bucket=MEDIA_BUCKET, Prefix=prefix).get("Versions", [])
    _converted(pipeline, f"/assets/{asset_id}/versions/1/download", "jpg")
    again = pipeline.aws.s3.list_object_versions(Bucket=MEDIA_BUCKET, Prefix=prefix).get("Versions", [])
    assert len(stored) == len(again) == 1


@pytest.mark.parametrize(
    ("filename", "content_type", "data", "asset_type", "kind"),
    [
        ("clip.mp4", "video/mp4", corpus.tiny_mp4(), "video", "MP4"),
        ("voice.wav", "audio/wav", corpus.tiny_wav(), "audio", "WAV"),
        ("mark.svg", "image/svg+xml", corpus.svg_simple(), "logo", "SVG"),
    ],
)
def test_a_file_that_is_not_a_raster_image_answers_422_naming_format(
    pipeline: Api, filename: str, content_type: str, data: bytes, asset_type: str, kind: str
) -> None:
    asset_id = _ready(pipeline, filename, content_type, data, asset_type)
    for path in (f"/assets/{asset_id}/download", f"/assets/{asset_id}/versions/1/download"):
        response = pipeline.request("GET", path, query={"format": "png"})
        assert response.status == 422, response.body
        error = response.json()["error"]
        assert error["fields"][0]["path"] == "query.format" and kind in error["message"]


def test_an_unknown_format_is_a_validation_error(api: Api) -> None:
    asset_id = api.upload()["asset_id"]
    response = api.request("GET", f"/assets/{asset_id}/download", query={"format": "tiff"})
    assert response.status == 422 and response.json()["error"]["fields"][0]["path"] == "query.format"
