"""Every supported format goes from bytes to a rendition set the pipeline can store as is."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from dam.imaging.model import PREVIEW_EDGE
from dam.imaging.renditions import make_renditions
from dam.imaging.sniff import sniff
from tests.unit.imaging.conftest import Put
from tests.unit.imaging.helpers import SAMPLES, declared_by, picture


@pytest.mark.parametrize(("name", "build", "declared_as", "_"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_every_format_renders_to_storable_output(
    put: Put, name: str, build: Callable[[], bytes], declared_as: str, _: str
) -> None:
    path = put(name, build())
    fmt = sniff(path, declared_by(name))
    result = make_renditions(path, fmt)
    assert result.metadata["format"] == fmt.name
    assert json.loads(json.dumps(result.metadata)) == result.metadata  # plain JSON, nothing lost
    assert len({f.name for f in result.files}) == len(result.files)
    for rendition in result.files:
        assert rendition.data
        if rendition.content_type == "image/webp":
            assert max(picture(rendition).size) <= PREVIEW_EDGE
    if any(f.content_type == "image/webp" for f in result.files):
        assert result.placeholder


def test_pictures_get_a_perceptual_hash_that_survives_resizing_but_tells_pictures_apart(put: Put) -> None:
    from dam.domain.formats import format_for_extension
    from tests.unit.imaging import corpus

    jpeg, png, csv = (format_for_extension(ext) for ext in ("jpg", "png", "csv"))
    assert jpeg is not None and png is not None and csv is not None
    import io

    from PIL import Image

    original = corpus.jpeg_photo(1600, 1200)
    shrunk = io.BytesIO()
    Image.open(io.BytesIO(original)).resize((400, 300)).save(shrunk, "JPEG", quality=60)  # a re-encoded copy
    big = make_renditions(put("big.jpg", original), jpeg).metadata["perceptual_hash"]
    small = make_renditions(put("small.jpg", shrunk.getvalue()), jpeg).metadata["perceptual_hash"]
    other = make_renditions(put("other.png", corpus.png_alpha()), png).metadata["perceptual_hash"]

    def distance(a: str, b: str) -> int:
        return bin(int(a, 16) ^ int(b, 16)).count("1")

    assert len(big) == 16
    assert distance(big, small) <= 6
    assert distance(big, other) > 12
    assert "perceptual_hash" not in make_renditions(put("t.csv", corpus.csv_table()), csv).metadata
