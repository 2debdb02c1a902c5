"""Video and audio with PyAV (its wheel bundles the ffmpeg libraries): facts and a poster frame."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from dam.domain.errors import ContentUnreadable
from dam.domain.formats import Format
from dam.imaging.limits import DEFAULT_LIMITS, ImageLimits, check_dimensions
from dam.imaging.model import PREVIEW_EDGE, RenditionSet
from dam.imaging.raster import fit, renditions_from_image

if TYPE_CHECKING:
    import av.container
    import av.stream

# The demuxer per sniffed format: naming it stops ffmpeg from probing its way to another one
# (a playlist demuxer would open URLs).
_DEMUXERS = {
    "MP4": "mov",
    "MOV": "mov",
    "M4A": "mov",
    "WebM": "matroska",
    "MKV": "matroska",
    "AVI": "avi",
    "MP3": "mp3",
    "WAV": "wav",
    "OGG": "ogg",
    "AAC": "aac",
    "FLAC": "flac",
}
# How far to look for a decodable frame before giving up (a damaged stream can be long).
_MAX_PACKETS = 400
_POSTER_AT = 0.1  # of the duration; 1 s when the duration is unknown
_TAGS = ("title", "artist", "album", "date", "genre")
_MAX_TEXT = 120
# ffmpeg's display rotation is counterclockwise degrees in [-180, 180]; Pillow's ROTATE_90 is counterclockwise.
_ROTATIONS = {
    90: Image.Transpose.ROTATE_90,
    -90: Image.Transpose.ROTATE_270,
    180: Image.Transpose.ROTATE_180,
    -180: Image.Transpose.ROTATE_180,
}


def _unreadable(fmt: Format, detail: str = "is damaged or incomplete and can't be read") -> ContentUnreadable:
    return ContentUnreadable(f"The {fmt.name} file {detail}.")


@contextmanager
def _open(path: str | Path, fmt: Format) -> Iterator[av.container.InputContainer]:
    import av

    try:
        container = av.open(str(path), mode="r", format=_DEMUXERS[fmt.name], metadata_errors="ignore")
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise _unreadable(fmt) from exc
    try:
        yield container
    finally:
        container.close()


def _duration(container: av.container.InputContainer, stream: av.stream.Stream | None) -> float | None:
    if container.duration and container.duration > 0:
        return round(container.duration / 1_000_000, 3)  # ffmpeg's AV_TIME_BASE: microseconds
    if stream is not None and stream.duration and stream.time_base:
        return round(float(stream.duration * stream.time_base), 3)
    return None


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = "".join(ch for ch in value if ch >= " ").strip()
    return cleaned[:_MAX_TEXT] or None


def _tags(container: av.container.InputContainer) -> dict[str, str]:
    found = {key.lower(): _text(value) for key, value in container.metadata.items()}
    return {key: value for key in _TAGS if (value := found.get(key))}


def _first_frame(container: av.container.InputContainer, stream: av.stream.Stream) -> Any | None:
    """The first frame `stream` decodes from the current position, skipping damaged packets."""
    import av

    for count, packet in enumerate(container.demux(stream)):
        if count >= _MAX_PACKETS:
            return None
        try:
            frames = packet.decode()
        except av.FFmpegError:
            continue
        if frames:
            return frames[0]
    return None


def _poster(container: av.container.InputContainer, stream: av.stream.Stream, duration: float | None) -> Any | None:
    """A frame from ~10% in (the keyframe at or before it), else the very first decodable frame."""
    import av

    target = duration * _POSTER_AT if duration else 1.0
    if stream.time_base:
        try:
            container.seek(int(target / stream.time_base) + (stream.start_time or 0), stream=stream, backward=True)
            if (frame := _first_frame(container, stream)) is not None:
                return frame
        except av.FFmpegError:
            pass  # unseekable (a stream without an index): decode from the start instead
    try:
        container.seek(0)
    except av.FFmpegError:
        return None
    return _first_frame(container, stream)


def _frame_image(frame: Any, aspect: float) -> Image.Image:
    """The frame scaled by ffmpeg straight to preview size (with its pixel aspect), then turned upright."""
    size = fit((max(1, round(frame.width * aspect)), frame.height), PREVIEW_EDGE)
    image: Image.Image = frame.reformat(width=size[0], height=size[1], format="rgb24").to_image()
    turn = _ROTATIONS.get(round(frame.rotation or 0))
    return image.transpose(turn) if turn is not None else image


def _codec(stream: av.stream.Stream) -> str:
    """The codec's canonical name (mp3, aac, h264), not the decoder's (mp3float)."""
    return str(stream.codec_context.codec.canonical_name)


def _is_cover_art(stream: av.stream.Stream) -> bool:
    import av

    return bool(stream.disposition & av.stream.Disposition.attached_pic)


def video_renditions(path: str | Path, fmt: Format, limits: ImageLimits = DEFAULT_LIMITS) -> RenditionSet:
    with _open(path, fmt) as container:
        video = next((s for s in container.streams.video if not _is_cover_art(s)), None)
        audio = next(iter(container.streams.audio), None)
        duration = _duration(container, video or audio)
        metadata: dict[str, Any] = {
            "format": fmt.name,
            "duration": duration,
            "has_video": video is not None,
            "has_audio": audio is not None,
            "audio_codec": _codec(audio) if audio is not None else None,
        }
        if container.bit_rate:
            metadata["bit_rate"] = container.bit_rate
        if tags := _tags(container):
            metadata["tags"] = tags
        if video is None:
            return RenditionSet(metadata=metadata)
        context = video.codec_context
        check_dimensions(context.width, context.height, limits, "video")
        rate = video.average_rate or video.guessed_rate
        aspect = float(video.sample_aspect_ratio) if video.sample_aspect_ratio else 1.0
        metadata |= {
            "video_codec": _codec(video),
            "width": max(1, round(context.width * aspect)),
            "height": context.height,
            "frame_rate": round(float(rate), 3) if rate else None,
        }
        frame = _poster(container, video, duration)
        if frame is None:
            raise _unreadable(fmt, "has a video track but none of its frames could be decoded")
        rotation = round(frame.rotation or 0)  # phones record sideways and say how to turn it
        if rotation:
            metadata["rotation"] = rotation
        if rotation in (90, -90):
            metadata["width"], metadata["height"] = metadata["height"], metadata["width"]
        metadata["poster_at"] = round(float(frame.time), 3) if frame.time is not None else None
        image = _frame_image(frame, aspect)
    files, placeholder = renditions_from_image(image)
    return RenditionSet(files=files, placeholder=placeholder, metadata=metadata)


def audio_renditions(path: str | Path, fmt: Format, limits: ImageLimits = DEFAULT_LIMITS) -> RenditionSet:
    with _open(path, fmt) as container:
        audio = next(iter(container.streams.audio), None)
        if audio is None:
            raise _unreadable(fmt, "has no audio track")
        context = audio.codec_context
        metadata: dict[str, Any] = {
            "format": fmt.name,
            "duration": _duration(container, audio),
            "audio_codec": _codec(audio),
            "sample_rate": context.sample_rate,
            "channels": context.channels,
        }
        if bit_rate := (context.bit_rate or container.bit_rate):
            metadata["bit_rate"] = bit_rate
        if tags := _tags(container):
            metadata["tags"] = tags
        # Decode one frame: a header can be intact over a stream that isn't.
        if _first_frame(container, audio) is None:
            raise _unreadable(fmt)
        cover = next((s for s in container.streams.video if _is_cover_art(s)), None)
        image = None
        if cover is not None:
            # Album art is a tiny picture muxed in as one packet: a free thumbnail for the track.
            container.seek(0)
            check_dimensions(cover.codec_context.width or 1, cover.codec_context.height or 1, limits, "cover art")
            frame = _first_frame(container, cover)
            image = _frame_image(frame, 1.0) if frame is not None else None
    metadata["has_cover_art"] = image is not None
    if image is None:
        return RenditionSet(metadata=metadata)
    files, placeholder = renditions_from_image(image)
    return RenditionSet(files=files, placeholder=placeholder, metadata=metadata)
