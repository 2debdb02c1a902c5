from datetime import UTC, date, datetime

import pytest

from dam.domain.assets import (
    Asset,
    AssetStatus,
    AssetType,
    GenerationMetadata,
    download_filename,
    new_asset_id,
    original_key,
    parse_original_key,
)
from dam.domain.formats import (
    FORMATS,
    MediaType,
    format_for_content_type,
    format_for_extension,
)
from dam.domain.queries import end_of_day, start_of_day


def _asset(**changes) -> Asset:
    now = datetime(2026, 11, 22, tzinfo=UTC)
    fields = dict(
        asset_id="0f8e2a7c9b1d4e6fa3c5b7d9e1f2a4c6",
        workspace_id="ws",
        asset_type=AssetType.IMAGE,
        media_type=MediaType.IMAGE,
        name="Hero",
        filename="IMG_2847.JPG",
        content_type="image/jpeg",
        size=1,
        status=AssetStatus.READY,
        creator_id="u",
        created_at=now,
        updated_at=now,
        original_key="k",
    )
    return Asset(**{**fields, **changes})


@pytest.mark.parametrize(
    ("extension", "media_type"),
    [
        ("png", "image"),
        ("jpeg", "image"),
        ("webp", "image"),
        ("gif", "image"),
        ("svg", "image"),
        ("heic", "image"),
        ("bmp", "image"),
        ("mp4", "video"),
        ("mov", "video"),
        ("webm", "video"),
        ("avi", "video"),
        ("mkv", "video"),
        ("mp3", "audio"),
        ("wav", "audio"),
        ("ogg", "audio"),
        ("m4a", "audio"),
        ("aac", "audio"),
        ("flac", "audio"),
        ("pdf", "document"),
        ("docx", "document"),
        ("pptx", "document"),
        ("xlsx", "document"),
        ("csv", "document"),
        ("md", "document"),
        ("txt", "document"),
        ("json", "data"),
        ("xml", "data"),
        ("yaml", "data"),
        ("srt", "subtitles"),
        ("vtt", "subtitles"),
        ("zip", "archive"),
        ("glb", "model"),
        ("obj", "model"),
    ],
)
def test_every_format_the_product_lists_is_supported(extension: str, media_type: str) -> None:
    fmt = format_for_extension(extension)
    assert fmt is not None and fmt.media_type == media_type
    assert format_for_content_type(fmt.content_type) is fmt


def test_content_types_are_unique_across_formats() -> None:
    seen = [ct for fmt in FORMATS for ct in fmt.content_types]
    assert len(seen) == len(set(seen))
    assert format_for_content_type("IMAGE/JPG; charset=binary").name == "JPEG"
    assert format_for_content_type("text/html") is None


def test_download_name_for_generated_content_is_model_and_id_prefix() -> None:
    generated = _asset(filename="out.PNG", generation=GenerationMetadata(model="Imagen 4 / ultra"))
    assert download_filename(generated) == "Imagen-4-ultra-0f8e2a7c.png"


def test_download_name_otherwise_is_the_asset_name_with_its_extension() -> None:
    assert download_filename(_asset(name="Hero")) == "Hero.jpg"
    assert download_filename(_asset(name="hero.jpg")) == "hero.jpg"


def test_original_keys_round_trip_and_reject_other_objects() -> None:
    asset_id = new_asset_id()
    assert len(asset_id) == 32 and asset_id != new_asset_id()
    assert parse_original_key(original_key("ws-1", asset_id)) == ("ws-1", asset_id)
    for other in ("assets/ws/id/thumbnail.webp", "assets//id/original", "x/ws/id/original", "original"):
        assert parse_original_key(other) is None


def test_day_bounds_cover_the_whole_day_in_utc() -> None:
    assert start_of_day(date(2026, 11, 2)) == datetime(2026, 11, 2, tzinfo=UTC)
    assert end_of_day(date(2026, 11, 2)) == datetime(2026, 11, 2, 23, 59, 59, 999999, tzinfo=UTC)
