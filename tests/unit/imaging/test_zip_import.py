"""The import's archive walker on real ZIPs (zipfile) holding real images (Pillow)."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from PIL import Image

from dam.domain.imports import SkipReason
from dam.imaging.zip_import import (
    ArchiveRefused,
    ImageLimits,
    NotAnImage,
    UnreadableImage,
    WalkLimits,
    prepare_image,
    walk,
)
from tests.zips import mark_encrypted, symlink


def _jpeg(colour: tuple[int, int, int], size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def _image(fmt: str, mode: str = "RGB", size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 10, 10, 128)[: len(mode)]).save(out, fmt)
    return out.getvalue()


def _zip(entries: list[tuple[zipfile.ZipInfo | str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buffer.getvalue()


def _walk(archive: bytes, limits: WalkLimits | None = None) -> dict[str, SkipReason | None]:
    result = walk(io.BytesIO(archive), len(archive), limits or WalkLimits())
    return {entry.name: entry.reason for entry in result.entries}


def test_photos_are_read_and_every_hostile_entry_is_skipped_with_its_reason() -> None:
    photo = _jpeg((10, 120, 200))
    archive = mark_encrypted(
        _zip(
            [
                ("photos/a.jpg", photo),
                ("photos/b.jpg", _jpeg((250, 250, 0))),
                ("photos/", b""),  # a directory: not a file, not counted
                ("../escape.jpg", photo),
                ("/etc/abs.jpg", photo),
                (symlink("link.jpg"), b"/etc/passwd"),
                ("locked.jpg", photo),
                ("inner.zip", _zip([("x.jpg", photo)])),
                ("photos/a.jpg", _jpeg((1, 2, 3))),  # the same name again
            ]
        ),
        "locked.jpg",
    )
    reasons = _walk(archive)
    assert reasons == {
        "photos/a.jpg": SkipReason.DUPLICATE_NAME,  # the second one replaces the first in the mapping
        "photos/b.jpg": None,
        "../escape.jpg": SkipReason.UNSAFE_PATH,
        "/etc/abs.jpg": SkipReason.UNSAFE_PATH,
        "link.jpg": SkipReason.SYMLINK,
        "locked.jpg": SkipReason.ENCRYPTED,
        "inner.zip": SkipReason.NESTED_ARCHIVE,
    }
    result = walk(io.BytesIO(archive), len(archive))
    entries = list(result.entries)
    assert result.total == 8
    assert entries[0].data == photo and entries[0].reason is None


def test_an_entry_that_expands_past_the_ratio_is_a_bomb_even_when_its_header_lies() -> None:
    bomb = b"\0" * (8 * 1024 * 1024)
    archive = bytearray(_zip([("ok.jpg", _jpeg((5, 5, 5))), ("bomb.bin", bomb)]))
    assert _walk(bytes(archive), WalkLimits(max_ratio=1000))["bomb.bin"] is SkipReason.BOMB


def test_an_entry_whose_listing_declares_a_bomb_is_skipped_unread() -> None:
    archive = _zip([("zeros.bin", b"\0" * (50 * 1024 * 1024)), ("ok.jpg", _jpeg((5, 5, 5)))])
    assert _walk(archive) == {"zeros.bin": SkipReason.BOMB, "ok.jpg": None}


def test_the_total_expansion_is_bounded() -> None:
    chunk = bytes(range(256)) * 4096  # 1 MiB that barely compresses
    archive = _zip([(f"f{i}.bin", chunk) for i in range(4)], compression=zipfile.ZIP_STORED)
    assert set(_walk(archive, WalkLimits(max_total_bytes=4 * 1024 * 1024))) == {"f0.bin", "f1.bin", "f2.bin", "f3.bin"}
    with pytest.raises(ArchiveRefused, match="zip bomb"):
        walk(io.BytesIO(archive), len(archive), WalkLimits(max_total_bytes=4 * 1024 * 1024 - 1))


def test_an_entry_over_the_per_file_limit_is_skipped_without_reading_it() -> None:
    archive = _zip([("big.jpg", _jpeg((1, 1, 1), (800, 800)))], compression=zipfile.ZIP_STORED)
    assert _walk(archive, WalkLimits(max_entry_bytes=1000))["big.jpg"] is SkipReason.TOO_LARGE


def test_a_truncated_archive_is_refused_whole() -> None:
    archive = _zip([("a.jpg", _jpeg((9, 9, 9)))])
    with pytest.raises(ArchiveRefused, match="damaged or incomplete"):
        walk(io.BytesIO(archive[:-30]), len(archive) - 30)


def test_a_truncated_entry_is_unreadable() -> None:
    photo = _jpeg((1, 2, 3), (300, 300))
    archive = bytearray(_zip([("a.jpg", photo)], compression=zipfile.ZIP_STORED))
    archive[40:60] = b"\xff" * 20  # damage the entry's bytes: its CRC no longer matches
    assert _walk(bytes(archive))["a.jpg"] is SkipReason.UNREADABLE


def test_a_hundred_thousand_empty_entries_are_refused_before_the_listing_is_parsed() -> None:
    archive = _zip([(f"e{i}", b"") for i in range(100_000)], compression=zipfile.ZIP_STORED)
    with pytest.raises(ArchiveRefused, match="100,000 entries"):
        walk(io.BytesIO(archive), len(archive))


def test_a_cut_archive_is_refused_even_where_a_zip_stored_inside_it_survives_whole() -> None:
    inner = _zip([("inner.jpg", _jpeg((5, 5, 5)))], compression=zipfile.ZIP_STORED)
    archive = _zip([("nested.zip", inner), ("after.bin", os.urandom(len(inner) * 4))], compression=zipfile.ZIP_STORED)
    cut = archive[: archive.index(inner) + len(inner)]  # ends with the inner archive's own end record
    with pytest.raises(ArchiveRefused, match="damaged or incomplete"):
        walk(io.BytesIO(cut), len(cut))
    with pytest.raises(ArchiveRefused, match="damaged or incomplete"):
        walk(io.BytesIO(archive + b"trailing junk"), len(archive) + 13)


def test_non_utf8_names_are_kept_readable() -> None:
    info = zipfile.ZipInfo("x")
    info.filename = b"caf\xe9.jpg".decode("cp437")  # Latin-1 bytes, no UTF-8 flag
    archive = _zip([(info, _jpeg((3, 3, 3))), ("ünï.jpg", _jpeg((4, 4, 4)))])
    names = list(_walk(archive))
    assert names[0].startswith("caf") and names[0].endswith(".jpg")
    assert names[1] == "ünï.jpg"


def test_web_images_are_kept_as_they_are() -> None:
    photo = _jpeg((10, 20, 30))
    prepared = prepare_image(photo)
    assert prepared.data == photo and prepared.content_type == "image/jpeg"
    assert prepared.facts == {"original_format": "JPEG", "original_size": len(photo)} | {
        "original_width": 64,
        "original_height": 48,
    }


def test_tiff_and_heic_become_web_formats_with_the_originals_facts() -> None:
    tiff = prepare_image(_image("TIFF"))
    assert tiff.content_type == "image/jpeg" and tiff.facts["converted_to"] == "JPEG"
    assert Image.open(io.BytesIO(tiff.data)).format == "JPEG"
    transparent = prepare_image(_image("TIFF", "RGBA"))
    assert transparent.content_type == "image/png"
    import pillow_heif

    pillow_heif.register_heif_opener()
    heic = prepare_image(_image("HEIF"))
    assert heic.facts["original_format"] in {"HEIF", "HEIC"} and heic.content_type == "image/jpeg"


def test_images_over_the_pixel_limit_are_scaled_down() -> None:
    prepared = prepare_image(_jpeg((1, 1, 1), (400, 300)), ImageLimits(max_pixels=30_000))
    width, height = Image.open(io.BytesIO(prepared.data)).size
    assert width * height <= 30_000 and prepared.facts["original_width"] == 400
    assert prepared.facts["scaled_to"] == [width, height]


def test_junk_is_not_an_image_and_a_broken_image_is_unreadable() -> None:
    with pytest.raises(NotAnImage):
        prepare_image(b"just some notes\n")
    with pytest.raises(UnreadableImage):
        prepare_image(_jpeg((1, 1, 1), (200, 200))[:300])
