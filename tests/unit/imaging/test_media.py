"""Video and audio: the facts a player shows, and a poster frame for videos."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dam.domain.errors import ContentUnreadable
from dam.imaging.renditions import make_renditions
from tests.unit.imaging import corpus
from tests.unit.imaging.conftest import Put
from tests.unit.imaging.helpers import fmt, is_red, picture

VIDEOS: list[tuple[str, Callable[[], bytes], str, str, str | None]] = [
    # (file, builder, format, video codec, audio codec)
    ("clip.mp4", corpus.tiny_mp4, "MP4", "h264", "aac"),
    ("clip.mov", corpus.tiny_mov, "MOV", "mjpeg", None),
    ("clip.webm", corpus.tiny_webm, "WebM", "vp8", "opus"),
    ("clip.mkv", corpus.tiny_mkv, "MKV", "mpeg4", None),
    ("clip.avi", corpus.tiny_avi, "AVI", "mpeg4", None),
]
AUDIO: list[tuple[str, Callable[[], bytes], str, str, int]] = [
    # (file, builder, format, codec, sample rate)
    ("voice.wav", corpus.tiny_wav, "WAV", "pcm_s16le", 16000),
    ("voice.mp3", corpus.tiny_mp3, "MP3", "mp3", 44100),
    ("voice.ogg", corpus.tiny_ogg, "OGG", "opus", 48000),
    ("voice.m4a", corpus.tiny_m4a, "M4A", "aac", 44100),
    ("voice.aac", corpus.tiny_aac, "AAC", "aac", 44100),
    ("voice.flac", corpus.tiny_flac, "FLAC", "flac", 44100),
]


@pytest.mark.parametrize(("name", "build", "format_name", "video", "audio"), VIDEOS, ids=[v[0] for v in VIDEOS])
def test_a_video_gets_its_facts_and_a_poster(
    put: Put, name: str, build: Callable[[], bytes], format_name: str, video: str, audio: str | None
) -> None:
    result = make_renditions(put(name, build()), fmt(format_name))
    facts = result.metadata
    assert facts["duration"] == pytest.approx(1.0, abs=0.15)
    assert (facts["width"], facts["height"]) == (64, 48)
    assert facts["frame_rate"] == pytest.approx(10.0)
    assert (facts["video_codec"], facts["audio_codec"], facts["has_audio"]) == (video, audio, audio is not None)
    assert result.names == ["thumbnail", "preview"]
    poster = picture(result.get("preview")).convert("RGB")
    assert poster.size == (64, 48)  # never enlarged
    assert is_red(poster.getpixel((40, 24)))  # early frames are red
    assert result.placeholder


@pytest.mark.parametrize("rotation", [90, -90])
def test_a_phone_video_recorded_sideways_is_shown_upright(put: Put, rotation: int) -> None:
    result = make_renditions(put("phone.mp4", corpus.tiny_mp4(rotation=rotation, size=(96, 48))), fmt("MP4"))
    assert (result.metadata["width"], result.metadata["height"]) == (48, 96)
    assert picture(result.get("thumbnail")).size == (48, 96)


def test_a_video_without_its_index_is_unreadable(put: Put) -> None:
    cut = corpus.tiny_mp4()[:400]  # the muxer writes the index (moov) last: an interrupted upload lacks it
    with pytest.raises(ContentUnreadable, match="damaged or incomplete"):
        make_renditions(put("clip.mp4", cut), fmt("MP4"))


@pytest.mark.parametrize(("name", "build", "format_name", "codec", "rate"), AUDIO, ids=[a[0] for a in AUDIO])
def test_audio_gets_its_facts_and_no_pictures(
    put: Put, name: str, build: Callable[[], bytes], format_name: str, codec: str, rate: int
) -> None:
    result = make_renditions(put(name, build()), fmt(format_name))
    facts = result.metadata
    assert facts["duration"] == pytest.approx(1.0, abs=0.15)
    assert (facts["audio_codec"], facts["sample_rate"], facts["channels"]) == (codec, rate, 1)
    assert result.files == [] and result.placeholder is None
    assert facts["has_cover_art"] is False


def test_album_art_becomes_the_tracks_thumbnail(put: Put) -> None:
    result = make_renditions(put("song.mp3", corpus.mp3_with_cover()), fmt("MP3"))
    assert result.metadata["has_cover_art"] is True
    thumbnail = picture(result.get("thumbnail"))
    assert thumbnail.size == (120, 120)
    assert is_red(thumbnail.convert("RGB").getpixel((5, 5)))
    assert result.placeholder


def test_a_wav_whose_data_is_garbage_is_unreadable(put: Put) -> None:
    header = corpus.tiny_wav()[:12]  # RIFF....WAVE and nothing a demuxer can use
    with pytest.raises(ContentUnreadable):
        make_renditions(put("voice.wav", header + b"\x00" * 8), fmt("WAV"))
