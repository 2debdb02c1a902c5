"""3D models (GLB, OBJ): facts read from the file (vertices, faces, bounds, materials), a typed icon as thumbnail.

GLB is binary glTF 2.0: a 12-byte header, a JSON chunk that describes the scene, then a BIN chunk with the
geometry. Facts come from the JSON alone (accessor counts and POSITION min/max, which glTF requires), so
no geometry is decoded. OBJ is text, read line by line; each line's work is bounded, and so is the file
(the upload limit for models).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from dam.domain.errors import ContentRejected
from dam.domain.formats import Format
from dam.imaging.model import WEBP, RenditionFile, RenditionSet
from dam.imaging.sniff import GLB_HEADER_BYTES

# A real scene's JSON is kilobytes to a few megabytes; past this it is refused rather than parsed.
MAX_GLB_JSON = 16 * 1024 * 1024
# Primitives (a mesh's parts) looked at; past this the counts are of the first ones and say so.
MAX_PRIMITIVES = 100_000
MAX_NAMES = 50  # material names kept in the facts
MAX_DISTINCT = 10_000  # distinct OBJ material names counted
MAX_OBJ_LINE = 64 * 1024  # longer OBJ lines are judged by their start
_READ_CHUNK = 4 * 1024 * 1024
_MAX_NAME = 100
_CHUNK_HEADER = 8
_JSON_CHUNK, _BIN_CHUNK = b"JSON", b"BIN\x00"
_COMPONENT_BYTES = {5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4}
_TYPE_COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
_TRIANGLES, _TRIANGLE_STRIP, _TRIANGLE_FAN = 4, 5, 6


def _rejected(fmt: Format, why: str) -> ContentRejected:
    return ContentRejected(f"The {fmt.name} file {why}.")


def _name(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = "".join(ch for ch in value if ch >= " ").strip()
    return cleaned[:_MAX_NAME] or None


def _round(values: list[float]) -> list[float]:
    return [round(v, 6) for v in values]


class _Bounds:
    """The axis-aligned box around every point added, in the model's own units."""

    def __init__(self) -> None:
        self.low = [math.inf] * 3
        self.high = [-math.inf] * 3

    def add(self, low: list[float], high: list[float]) -> None:
        self.low = [min(a, b) for a, b in zip(self.low, low, strict=True)]
        self.high = [max(a, b) for a, b in zip(self.high, high, strict=True)]

    def facts(self) -> dict[str, list[float]] | None:
        if self.low[0] > self.high[0]:
            return None
        return {"min": _round(self.low), "max": _round(self.high)}


def _finite_triple(value: Any) -> list[float] | None:
    if not isinstance(value, list) or len(value) < 3:
        return None
    triple = value[:3]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in triple):
        return None
    return [float(v) for v in triple]


# --- GLB ------------------------------------------------------------------------------------------------


def _glb_json(f: BinaryIO, size: int, fmt: Format) -> dict[str, Any]:
    f.seek(GLB_HEADER_BYTES)
    header = f.read(_CHUNK_HEADER)
    if len(header) < _CHUNK_HEADER:
        raise _rejected(fmt, "ends before its first chunk")
    length, kind = int.from_bytes(header[:4], "little"), header[4:]
    if kind != _JSON_CHUNK:
        raise _rejected(fmt, "doesn't start with a JSON chunk")
    if GLB_HEADER_BYTES + _CHUNK_HEADER + length > size:
        raise _rejected(fmt, f"says its JSON chunk is {length:,} bytes, more than the file holds (truncated)")
    if length > MAX_GLB_JSON:
        raise _rejected(fmt, f"has a {length:,}-byte JSON chunk; at most {MAX_GLB_JSON:,} bytes are read")
    try:
        document = json.loads(f.read(length).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _rejected(fmt, "has a JSON chunk that isn't valid JSON") from exc
    if not isinstance(document, dict):
        raise _rejected(fmt, "has a JSON chunk that isn't a glTF object")
    asset = document.get("asset")
    version = asset.get("version") if isinstance(asset, dict) else None
    if not isinstance(version, str) or not version.startswith("2"):
        raise _rejected(fmt, "doesn't say it is glTF 2.0 (asset.version)")
    return document


def _list(document: dict[str, Any], key: str) -> list[Any]:
    value = document.get(key)
    return value if isinstance(value, list) else []


def _accessor(accessors: list[Any], index: Any, size: int, fmt: Format) -> dict[str, Any] | None:
    """The accessor at `index`, with a count the file can hold (an accessor's elements live in the BIN
    chunk, except a sparse one's, which start as zeros: those are held to the file's size too)."""
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(accessors):
        return None
    accessor = accessors[index]
    count = accessor.get("count") if isinstance(accessor, dict) else None
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise _rejected(fmt, f"has accessor {index} without a valid count")
    element = _COMPONENT_BYTES.get(accessor.get("componentType"), 1) * _TYPE_COMPONENTS.get(accessor.get("type"), 1)
    if count * (element if "bufferView" in accessor else 1) > size:
        raise _rejected(fmt, f"says accessor {index} holds {count:,} elements, more than the file can hold")
    return accessor


def _faces(mode: Any, count: int) -> int:
    if mode == _TRIANGLES:
        return count // 3
    if mode in (_TRIANGLE_STRIP, _TRIANGLE_FAN):
        return max(count - 2, 0)
    return 0  # points and lines have no faces


def _primitives(meshes: list[Any]) -> Iterator[dict[str, Any]]:
    """The meshes' primitives (the parts drawn), the first `MAX_PRIMITIVES` of them."""
    seen = 0
    for mesh in meshes:
        parts = mesh.get("primitives") if isinstance(mesh, dict) else None
        for primitive in parts if isinstance(parts, list) else []:
            if seen == MAX_PRIMITIVES:
                return
            if isinstance(primitive, dict):
                seen += 1
                yield primitive


def glb_facts(path: str | Path, fmt: Format) -> dict[str, Any]:
    path = Path(path)
    size = path.stat().st_size
    with path.open("rb") as f:
        document = _glb_json(f, size, fmt)
    accessors = _list(document, "accessors")
    meshes = _list(document, "meshes")
    vertices = faces = primitives = 0
    bounds = _Bounds()
    for primitive in _primitives(meshes):
        primitives += 1
        attributes = primitive.get("attributes")
        if not isinstance(attributes, dict):
            continue
        position = _accessor(accessors, attributes.get("POSITION"), size, fmt)
        if position is None:
            continue
        vertices += position["count"]
        indices = _accessor(accessors, primitive.get("indices"), size, fmt)
        faces += _faces(primitive.get("mode", _TRIANGLES), (indices or position)["count"])
        low, high = _finite_triple(position.get("min")), _finite_triple(position.get("max"))
        if low is not None and high is not None:
            bounds.add(low, high)
    materials = _list(document, "materials")
    names = [n for m in materials[:MAX_NAMES] if isinstance(m, dict) and (n := _name(m.get("name")))]
    asset = document["asset"]
    return {
        "format": fmt.name,
        "gltf_version": _name(asset.get("version")),
        "generator": _name(asset.get("generator")),
        "meshes": len(meshes),
        "primitives": primitives,
        "primitives_truncated": primitives == MAX_PRIMITIVES,
        "vertices": vertices,
        "faces": faces,
        "bounds": bounds.facts(),
        "materials": len(materials),
        "material_names": names,
        "textures": len(_list(document, "textures")),
        "animations": len(_list(document, "animations")),
    }


# --- OBJ ------------------------------------------------------------------------------------------------


def _obj_lines(f: BinaryIO) -> Iterator[bytes]:
    """The file's lines, read in chunks; a line longer than `MAX_OBJ_LINE` keeps its start and the rest of
    the chunk it ends in, so no line holds more than a chunk in memory."""
    rest = b""
    while chunk := f.read(_READ_CHUNK):
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()[:MAX_OBJ_LINE]
        yield from lines
    if rest:
        yield rest


def obj_facts(path: str | Path, fmt: Format) -> dict[str, Any]:
    vertices = faces = triangles = 0
    counts = {b"vt": 0, b"vn": 0, b"o": 0, b"g": 0}
    named: dict[bytes, dict[str, None]] = {b"usemtl": {}, b"mtllib": {}}
    low_x = low_y = low_z = math.inf
    high_x = high_y = high_z = -math.inf
    isfinite = math.isfinite
    with Path(path).open("rb") as f:
        for line in _obj_lines(f):
            words = line.split()  # the hot path: vertices and faces are nearly every line
            if not words:
                continue
            keyword = words[0]
            if keyword == b"v":
                vertices += 1
                try:
                    x, y, z = float(words[1]), float(words[2]), float(words[3])
                except (ValueError, IndexError):
                    continue
                if not (isfinite(x) and isfinite(y) and isfinite(z)):
                    continue
                # Comparisons, not min()/max(): a 2 GB file is ~100 million lines.
                low_x = min(low_x, x)
                high_x = max(high_x, x)
                low_y = min(low_y, y)
                high_y = max(high_y, y)
                low_z = min(low_z, z)
                high_z = max(high_z, z)
            elif keyword == b"f":
                faces += 1
                triangles += max(len(words) - 3, 0)
            elif keyword in counts:
                counts[keyword] += 1
            elif keyword in named and len(words) > 1:
                found = named[keyword]
                name = _name(b" ".join(words[1:]).decode("utf-8", errors="replace"))
                if name and len(found) < MAX_DISTINCT:
                    found[name] = None
    if vertices == 0:
        raise _rejected(fmt, "has no vertices")
    bounds = _Bounds()
    bounds.add([low_x, low_y, low_z], [high_x, high_y, high_z])
    materials = named[b"usemtl"]
    return {
        "format": fmt.name,
        "vertices": vertices,
        "faces": faces,
        "triangles": triangles,
        "normals": counts[b"vn"],
        "texture_coordinates": counts[b"vt"],
        "objects": counts[b"o"],
        "groups": counts[b"g"],
        "bounds": bounds.facts(),
        "materials": len(materials),
        "material_names": list(materials)[:MAX_NAMES],
        "material_libraries": list(named[b"mtllib"])[:MAX_NAMES],
    }


def model_words(path: str | Path, fmt: Format, read_bytes: int) -> str:
    """The names a model carries (scenes, nodes, meshes, materials; OBJ objects, groups, materials), for
    search. An OBJ is read only to `read_bytes`: the facts already stream it whole."""
    path = Path(path)
    names: list[str | None] = []
    if fmt.name == "GLB":
        try:
            with path.open("rb") as f:
                document = _glb_json(f, path.stat().st_size, fmt)
        except ContentRejected:
            return ""  # the facts step says why
        for key in ("scenes", "nodes", "meshes", "materials"):
            names += [_name(item.get("name")) for item in _list(document, key)[:MAX_NAMES] if isinstance(item, dict)]
    else:
        with path.open("rb") as f:
            seen = 0
            for line in _obj_lines(f):
                seen += len(line) + 1
                if seen > read_bytes:
                    break
                words = line.split(maxsplit=1)
                if len(words) == 2 and words[0] in (b"o", b"g", b"usemtl"):
                    names.append(_name(words[1].decode("utf-8", errors="replace")))
    return "\n".join(dict.fromkeys(name for name in names if name))


def model_renditions(path: str | Path, fmt: Format) -> RenditionSet:
    from dam.imaging.archive import ICON_SIZE, typed_icon  # Pillow: only where a tile is drawn, not for words

    metadata = glb_facts(path, fmt) if fmt.name == "GLB" else obj_facts(path, fmt)
    icon, placeholder = typed_icon(fmt.name)
    thumbnail = RenditionFile("thumbnail", icon, WEBP, *ICON_SIZE)
    return RenditionSet(files=[thumbnail], placeholder=placeholder, metadata=metadata)
