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
