"""3D models (GLB, OBJ): recognised by their bytes, described by their facts, shown as a typed tile, and
refused with a reason when they are truncated, garbage or built to make the reader work forever."""

from __future__ import annotations

import json
import struct
import time

import pytest

from dam.domain.errors import ContentRejected
from dam.imaging.extract import document_text, extracts_text
from dam.imaging.mesh import MAX_GLB_JSON
from dam.imaging.renditions import make_renditions
from dam.imaging.sniff import sniff
from tests.unit.imaging import corpus
from tests.unit.imaging.conftest import Put
from tests.unit.imaging.helpers import fmt, picture

_CUBE_BOUNDS = {"min": [0.0, 0.0, 0.0], "max": list(corpus.CUBE_SIZE)}


def _refused(put: Put, name: str, data: bytes, declared: str | None = None) -> str:
    path = put(name, data)
    with pytest.raises(ContentRejected) as refused:
        found = sniff(path, fmt(declared) if declared else None)
        make_renditions(path, found)
    return refused.value.message


def _triangle_glb(**accessor: object) -> bytes:
    """One triangle whose POSITION accessor is changed by `accessor` (the hostile part)."""
    positions = struct.pack("<9f", 0, 0, 0, 1, 0, 0, 0, 1, 0)
    document = {
        "asset": {"version": "2.0"},
        "bufferViews": [{"buffer": 0, "byteLength": len(positions)}],
        "accessors": [{"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3", **accessor}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}],
    }
    return corpus.glb_file(document, positions)


def test_a_glb_cube_has_its_vertices_faces_bounds_and_materials(put: Put) -> None:
    path = put("cube.glb", corpus.glb_cube())
    found = sniff(path, fmt("GLB"))
    assert found.name == "GLB" and found.content_type == "model/gltf-binary" and found.media_type == "model"
    made = make_renditions(path, found)
    facts = made.metadata
    assert (facts["vertices"], facts["faces"], facts["bounds"]) == (8, 12, _CUBE_BOUNDS)
    assert (facts["materials"], facts["material_names"]) == (2, ["Paint", "Chrome"])
    assert facts["meshes"] == 1 and facts["generator"] == "dam tests"
    # the tile: a typed icon as thumbnail, with a placeholder
    assert made.names == ["thumbnail"] and made.placeholder
    picture(made.get("thumbnail"))


def test_a_glb_without_indices_counts_a_face_per_three_vertices(put: Put) -> None:
    facts = make_renditions(put("tri.glb", _triangle_glb(min=[0, 0, 0], max=[1, 1, 0])), fmt("GLB")).metadata
    assert (facts["vertices"], facts["faces"]) == (3, 1)
    assert facts["bounds"] == {"min": [0.0, 0.0, 0.0], "max": [1.0, 1.0, 0.0]}


def test_an_obj_cube_has_its_vertices_faces_bounds_and_materials(put: Put) -> None:
    path = put("cube.obj", corpus.obj_cube())
    found = sniff(path, fmt("OBJ"))
    assert found.name == "OBJ" and found.content_type == "model/obj"
    made = make_renditions(path, found)
    facts = made.metadata
    assert (facts["vertices"], facts["faces"], facts["triangles"], facts["bounds"]) == (8, 6, 12, _CUBE_BOUNDS)
    assert (facts["materials"], facts["material_names"]) == (2, ["Paint", "Chrome"])
    assert facts["material_libraries"] == ["cube.mtl"] and facts["objects"] == 1
    assert made.names == ["thumbnail"] and made.placeholder


@pytest.mark.parametrize(("name", "data"), [("cube.glb", corpus.glb_cube()), ("cube.obj", corpus.obj_cube())])
def test_a_models_object_and_material_names_are_its_searchable_words(put: Put, name: str, data: bytes) -> None:
    model = fmt(name[-3:].upper())
    assert extracts_text(model)
    assert document_text(put(name, data), model).split("\n") == ["Cube", "Paint", "Chrome"]


def test_an_obj_is_recognised_from_its_text_and_plain_text_is_not_an_obj(put: Put) -> None:
    assert sniff(put("cube", corpus.obj_cube())).name == "OBJ"
    assert sniff(put("notes", corpus.plain_text())).name == "Text"
    assert sniff(put("readme", b"# Vertices\n\nv is for vertex.\n")).name == "Text"
    # a text file declared plain text stays plain text, whatever it looks like
    assert sniff(put("cube.txt", corpus.obj_cube()), fmt("Text")).name == "Text"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"Dear team,\nthe model is attached.\n", "line 1 is not an OBJ statement"),
        (b"# only a comment\no Empty\n", "no vertex (v) lines"),
        (b"v 1 2\n", "line 1 is not a vertex of three numbers"),
        (b"v 0 0 0\nv 1 0 0\nf 1 two 3\n", "line 3 is not a face"),
    ],
)
def test_text_declared_obj_that_is_not_one_is_refused_saying_why(put: Put, data: bytes, words: str) -> None:
    message = _refused(put, "model.obj", data, "OBJ")
    assert "OBJ" in message and words in message


def test_a_glb_declared_as_obj_and_an_obj_declared_as_glb_are_refused_naming_both(put: Put) -> None:
    assert "GLB" in _refused(put, "cube.obj", corpus.glb_cube(), "OBJ")
    message = _refused(put, "cube.glb", corpus.obj_cube(), "GLB")
    assert "GLB" in message and "OBJ" in message


def test_a_truncated_glb_is_refused(put: Put) -> None:
    whole = corpus.glb_cube()
    assert "truncated" in _refused(put, "cut.glb", whole[: len(whole) // 2], "GLB")
    assert "header" in _refused(put, "stub.glb", b"glTF\x02\x00\x00", "GLB")


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (struct.pack("<4sII", b"glTF", 1, 12), "only glTF 2.0"),
        (corpus.glb_file({"asset": {"version": "1.0"}}), "glTF 2.0"),
        (struct.pack("<4sII", b"glTF", 2, 20) + struct.pack("<I4s", 0, b"BIN\x00"), "JSON chunk"),
        (struct.pack("<4sII", b"glTF", 2, 24) + struct.pack("<I4s", 4, b"JSON") + b"{{{{", "isn't valid JSON"),
        (corpus.glb_file([1, 2, 3]), "isn't a glTF object"),  # type: ignore[arg-type]
        (_triangle_glb(count=10**12), "more than the file can hold"),
        (_triangle_glb(count="three"), "without a valid count"),
    ],
    ids=["version-1", "asset-1.0", "no-json-chunk", "bad-json", "json-array", "huge-count", "bad-count"],
)
def test_garbage_glbs_are_refused_with_a_reason(put: Put, data: bytes, words: str) -> None:
    assert words in _refused(put, "bad.glb", data, "GLB")


def test_a_json_chunk_larger_than_the_file_or_the_limit_is_refused_without_reading_it(put: Put) -> None:
    claims_huge = struct.pack("<4sII", b"glTF", 2, 28) + struct.pack("<I4s", 2**32 - 1, b"JSON") + b"{}  "
    assert "truncated" in _refused(put, "huge.glb", claims_huge, "GLB")
    too_big = corpus.glb_file({"asset": {"version": "2.0"}, "extras": "x" * MAX_GLB_JSON})
    assert "at most" in _refused(put, "big.glb", too_big, "GLB")


def test_a_json_chunk_of_countless_accessors_and_primitives_or_deep_nesting_is_bounded_work(put: Put) -> None:
    primitives = [{"attributes": {"POSITION": 0}, "indices": 10**9} for _ in range(110_000)]
    document = {
        "asset": {"version": "2.0"},
        "accessors": [{"count": 0, "type": "VEC3"}] * 250_000,
        "meshes": [{"primitives": primitives}],
    }
    started = time.monotonic()
    facts = make_renditions(put("many.glb", corpus.glb_file(document)), fmt("GLB")).metadata
    assert facts["primitives"] == 100_000 and facts["primitives_truncated"] is True
    nested = b"[" * 1_000_000 + b"]" * 1_000_000
    glb = struct.pack("<4sII", b"glTF", 2, 20 + len(nested)) + struct.pack("<I4s", len(nested), b"JSON") + nested
    assert "isn't valid JSON" in _refused(put, "deep.glb", glb, "GLB")
    assert time.monotonic() - started < 20


def test_an_obj_with_one_enormous_line_and_odd_values_still_gets_its_facts(put: Put) -> None:
    data = b"v 0 0 0\nv 1 nan 2\nv 1 2 3\n# " + b"x" * 300_000 + b"\nusemtl " + b"m" * 500 + b"\nf 1 2 3\n"
    facts = make_renditions(put("odd.obj", data), fmt("OBJ")).metadata
    assert (facts["vertices"], facts["faces"]) == (3, 1)
    assert facts["bounds"] == {"min": [0.0, 0.0, 0.0], "max": [1.0, 2.0, 3.0]}  # the NaN is left out
    assert len(facts["material_names"][0]) == 100
    assert json.loads(json.dumps(facts)) == facts
