"""3D models (GLB, OBJ) through the real pipeline: ready with their facts and a typed tile, downloaded as
uploaded; a damaged model ends rejected with its reason."""

from __future__ import annotations

import struct
from urllib.parse import parse_qs, unquote, urlparse

import pytest

from tests.conftest import Api
from tests.integration.conftest import wait_until_processed
from tests.integration.version_support import downloaded
from tests.unit.imaging import corpus

# A header and JSON chunk that are fine, describing a mesh whose positions accessor has no count.
_JUNK_GLB = corpus.glb_file(
    {"asset": {"version": "2.0"}, "accessors": [{}], "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}]}
)
_CUBE_BOUNDS = {"min": [0, 0, 0], "max": list(corpus.CUBE_SIZE)}


@pytest.mark.parametrize(
    ("filename", "content_type", "data", "faces"),
    [
        ("car.glb", "model/gltf-binary", corpus.glb_cube(), 12),
        ("car.obj", "model/obj", corpus.obj_cube(), 6),
    ],
)
def test_a_model_is_ready_with_its_facts_and_a_tile_and_downloads_as_uploaded(
    pipeline: Api, filename: str, content_type: str, data: bytes, faces: int
) -> None:
    # Given a 3D model uploaded through the pipeline
    asset = pipeline.upload(filename, content_type, data, asset_type="document")
    # When it has been processed
    done = wait_until_processed(pipeline, asset["asset_id"])
    # Then it is ready, a model, with its facts
    assert done["status"] == "ready", done["status_reason"]
    assert (done["media_type"], done["content_type"]) == ("model", content_type)
    facts = done["metadata"]
    assert (facts["vertices"], facts["faces"], facts["bounds"]) == (8, faces, _CUBE_BOUNDS)
    assert facts["material_names"] == ["Paint", "Chrome"]
    # And a typed tile to show in the grid
    tile = done["renditions"]["thumbnail"]
    assert tile["content_type"] == "image/webp" and tile["url"] and done["placeholder"]
    # And the download is the original bytes, with the model's content type and its own extension
    path = f"/assets/{asset['asset_id']}/download"
    assert downloaded(pipeline, path) == data
    location = parse_qs(urlparse(pipeline.request("GET", path).headers["location"]).query)
    assert location["response-content-type"] == [content_type]
    assert f'filename="{filename}"' in unquote(location["response-content-disposition"][0])


@pytest.mark.parametrize(
    ("filename", "content_type", "data", "words"),
    [
        ("cut.glb", "model/gltf-binary", corpus.glb_cube()[:-40], "truncated"),  # refused on its header
        ("junk.glb", "model/gltf-binary", _JUNK_GLB, "valid count"),
        ("bad.glb", "model/gltf-binary", struct.pack("<4sII", b"glTF", 2, 24) + b"\x04\0\0\0JSON{{{{", "JSON"),
        ("notes.obj", "model/obj", b"Dear team,\nthe model is attached.\n", "OBJ statement"),
    ],
)
def test_a_damaged_model_ends_rejected_with_its_reason(
    pipeline: Api, filename: str, content_type: str, data: bytes, words: str
) -> None:
    asset = pipeline.upload(filename, content_type, data, asset_type="document")
    done = wait_until_processed(pipeline, asset["asset_id"])
    assert done["status"] == "rejected" and words in (done["status_reason"] or ""), done["status_reason"]
