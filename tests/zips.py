"""Real ZIPs for import tests: real photos (Pillow), junk, and every hostile entry an import must survive."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

from PIL import Image, ImageDraw


def photo(seed: int, size: tuple[int, int] = (320, 240), fmt: str = "JPEG") -> bytes:
    """A small photo-like image, different for every seed (so no two are duplicates)."""
    image = Image.new("RGB", size, ((seed * 37) % 256, (seed * 91) % 256, (seed * 53) % 256))
    draw = ImageDraw.Draw(image)
    for step in range(8):
        x = (seed * 13 + step * 29) % size[0]
        draw.ellipse([x, step * 20, x + 40, step * 20 + 40], fill=((step * 40) % 256, 200, (seed * 7) % 256))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def build(entries: Sequence[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buffer.getvalue()


def mark_encrypted(archive: bytes, name: str) -> bytes:
    """Set an entry's encryption flag in the central directory (zipfile writes no encrypted entries)."""
    data = bytearray(archive)
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        name_length = int.from_bytes(data[at + 28 : at + 30], "little")
        if data[at + 46 : at + 46 + name_length] == name.encode():
            data[at + 8] |= 0x1
        at = data.find(b"PK\x01\x02", at + 46)
    return bytes(data)


def symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = 0o120777 << 16
    return info


def latin1_name(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo("x")
    info.filename = name.encode("latin-1").decode("cp437")  # raw Latin-1 bytes, no UTF-8 flag
    return info


def hostile_mix(photos: int = 3) -> tuple[bytes, list[tuple[str, str | None]]]:
    """Photos, junk and hostile entries; with what each entry should come to (None: queued)."""
    pictures = [photo(i) for i in range(photos)]
    tiff = photo(100, fmt="TIFF")
    entries: list[tuple[zipfile.ZipInfo | str, bytes]] = [(f"shoot/p{i}.jpg", p) for i, p in enumerate(pictures)]
    entries += [
        ("shoot/scan.tiff", tiff),
        (latin1_name("shoot/caf\xe9.jpg"), photo(200)),
        ("shoot/copy-of-p0.jpg", pictures[0]),
        ("notes.txt", b"call sheet for day 2\n"),
        ("broken.jpg", pictures[1][:200]),
        ("../../etc/evil.jpg", photo(300)),
        ("/abs/evil.jpg", photo(301)),
        (symlink("link.jpg"), b"/etc/passwd"),
        ("locked.jpg", photo(302)),
        ("nested.zip", build([("inner.jpg", photo(303))])),
        ("bomb.bin", b"\0" * (60 * 1024 * 1024)),
        ("shoot/p1.jpg", photo(304)),
    ]
    expected: list[tuple[str, str | None]] = [(f"shoot/p{i}.jpg", None) for i in range(photos)]
    expected += [
        ("shoot/scan.tiff", None),
        ("shoot/caf" + b"\xe9".decode("cp437") + ".jpg", None),  # not UTF-8: kept as zipfile reads it
        ("shoot/copy-of-p0.jpg", "duplicate_in_archive"),
        ("notes.txt", "not_an_image"),
        ("broken.jpg", "unreadable"),
        ("../../etc/evil.jpg", "unsafe_path"),
        ("/abs/evil.jpg", "unsafe_path"),
        ("link.jpg", "symlink"),
        ("locked.jpg", "encrypted"),
        ("nested.zip", "nested_archive"),
        ("bomb.bin", "zip_bomb"),
        ("shoot/p1.jpg", "duplicate_name"),
    ]
    return mark_encrypted(build(entries), "locked.jpg"), expected
