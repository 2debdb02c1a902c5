"""SVG: sanitise, then rasterise the sanitised text with resvg.

An SVG is a document that can carry scripts, event handlers, embedded HTML and references to other
files or URLs. It is never executed or inlined here: it is parsed with defusedxml (no entities, no
external DTDs), stripped down to drawing content, and only that sanitised text is rendered — by resvg
(`resvg-py`, a Rust renderer bundled in its wheel: it has no script engine and fetches nothing from the
network). When resvg is missing the set records `render: "unavailable"` and has no raster renditions;
cairosvg is not used because it needs the native cairo library, which the Lambda runtime lacks.

Cost here: 50–150 ms for vector drawings; resvg draws embedded raster pictures slowly (~1.5 s for any
SVG holding one, at preview size), so such files take that long.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from dam.domain.errors import ContentRejected, ContentUnreadable
from dam.domain.formats import Format
from dam.imaging.limits import DECODE_ERRORS, DEFAULT_LIMITS, ImageLimits, check_dimensions
from dam.imaging.model import PREVIEW_EDGE, SVG, RenditionFile, RenditionSet
from dam.imaging.raster import renditions_from_image

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XHTML_NS = "http://www.w3.org/1999/xhtml"
# Serialise the sanitised tree with the usual prefixes (not ns0:), which browsers and resvg expect.
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)

# Allow-lists: an element or attribute not named here is removed, whatever it is. Element names are
# lower-cased local names in the SVG namespace; anything in another namespace goes too.
_ALLOWED_ELEMENTS = frozenset(
    {
        "svg", "g", "a", "defs", "symbol", "use", "title", "desc", "switch",
        "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
        "text", "tspan", "textpath", "image", "style",
        "lineargradient", "radialgradient", "stop", "pattern", "clippath", "mask", "marker",
        "filter", "feblend", "fecolormatrix", "fecomponenttransfer", "fecomposite", "feconvolvematrix",
        "fediffuselighting", "fedisplacementmap", "fedistantlight", "fedropshadow", "feflood", "fefunca",
        "fefuncb", "fefuncg", "fefuncr", "fegaussianblur", "feimage", "femerge", "femergenode",
        "femorphology", "feoffset", "fepointlight", "fespecularlighting", "fespotlight", "fetile",
        "feturbulence",
        "animate", "animatetransform", "animatemotion", "set", "mpath",
    }
)  # fmt: skip
_ANIMATIONS = frozenset({"set", "animate", "animatetransform", "animatemotion"})
# What an animation may change: how things look and where they are, never a link, a handler or a style.
_ANIMATABLE = frozenset(
    {
        "opacity", "fill", "fill-opacity", "stroke", "stroke-width", "stroke-opacity", "stroke-dasharray",
        "stroke-dashoffset", "stop-color", "stop-opacity", "visibility", "display", "transform", "offset",
        "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "width", "height", "d", "points",
        "stddeviation", "dx", "dy", "font-size", "color",
    }
)  # fmt: skip
_ALLOWED_ATTRIBUTES = _ANIMATABLE | frozenset(
    {
        "id", "class", "style", "viewbox", "preserveaspectratio", "version", "baseprofile", "lang",
        "href", "xlink:href", "xml:space", "xml:lang", "xmlns", "xmlns:xlink",
        "clip-path", "clip-rule", "clippathunits", "mask", "maskunits", "maskcontentunits", "filter",
        "filterunits", "primitiveunits", "fill-rule", "stroke-linecap", "stroke-linejoin",
        "stroke-miterlimit", "paint-order", "vector-effect", "shape-rendering", "image-rendering",
        "color-interpolation", "color-interpolation-filters", "mix-blend-mode", "isolation", "overflow",
        "marker-start", "marker-mid", "marker-end", "markerwidth", "markerheight", "markerunits", "refx",
        "refy", "orient", "pathlength", "gradientunits", "gradienttransform", "spreadmethod", "fx", "fy",
        "fr", "patternunits", "patterncontentunits", "patterntransform", "font-family", "font-weight",
        "font-style", "font-variant", "font-stretch", "text-anchor", "dominant-baseline",
        "alignment-baseline", "baseline-shift", "letter-spacing", "word-spacing", "text-decoration",
        "writing-mode", "direction", "unicode-bidi", "textlength", "lengthadjust", "rotate", "startoffset",
        "method", "spacing", "side", "flood-color", "flood-opacity", "lighting-color", "in", "in2",
        "result", "mode", "operator", "k1", "k2", "k3", "k4", "values", "type", "tablevalues", "slope",
        "intercept", "amplitude", "exponent", "order", "kernelmatrix", "divisor", "bias", "targetx",
        "targety", "edgemode", "kernelunitlength", "preservealpha", "surfacescale", "diffuseconstant",
        "specularconstant", "specularexponent", "azimuth", "elevation", "z", "pointsatx", "pointsaty",
        "pointsatz", "limitingconeangle", "scale", "xchannelselector", "ychannelselector", "radius",
        "basefrequency", "numoctaves", "seed", "stitchtiles", "requiredfeatures", "requiredextensions",
        "systemlanguage", "attributename", "attributetype", "from", "to", "by", "begin", "dur", "end",
        "repeatcount", "repeatdur", "calcmode", "keytimes", "keysplines", "keypoints", "additive",
        "accumulate", "restart", "min", "max", "path",
    }
)  # fmt: skip
_EMBEDDED_FORMATS = ["PNG", "JPEG", "WEBP", "GIF", "BMP"]
_EMBEDDED_ERRORS: tuple[type[BaseException], ...] = (
    binascii.Error,
    Image.DecompressionBombError,
    ContentRejected,
    ContentUnreadable,
    *DECODE_ERRORS,
)
_SAFE_DATA_URI = re.compile(r"data:image/(?:png|jpe?g|gif|webp|bmp)[;,]", re.I)
_EXTERNAL_URL = re.compile(r"url\(\s*['\"]?\s*(?!#)", re.I)
_ACTIVE_VALUE = ("javascript:", "vbscript:", "data:text/html", "expression(", "@import", "behavior:")
_INVISIBLE = re.compile(r"[\s\x00-\x1f]+")
_LENGTH = re.compile(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?\d+)?)\s*(px|pt|pc|mm|cm|in|em|ex)?\s*")
_UNITS = {None: 1.0, "px": 1.0, "pt": 4 / 3, "pc": 16.0, "mm": 96 / 25.4, "cm": 96 / 2.54, "in": 96.0}
_UNITS |= {"em": 16.0, "ex": 8.0}
_DEFAULT_SIZE = (300.0, 150.0)  # what browsers give an SVG with no size at all
# resvg and the serialiser recurse per nesting level: refuse trees deep enough to exhaust a stack.
_MAX_DEPTH = 256


@dataclass(frozen=True)
class SanitizedSvg:
    text: str
    width: float
    height: float
    view_box: list[float] | None
    removed_elements: int
    removed_attributes: int


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower()


def _namespace(name: str) -> str:
    return name[1:].split("}", 1)[0] if name.startswith("{") else ""


def _embedded_image_fits(uri: str, limits: ImageLimits) -> bool:
    """Whether a data: URI holds a raster image within the pixel limits (resvg would decode it whole)."""
    header, _, payload = uri.partition(",")
    if not header.lower().endswith(";base64"):
        return False
    try:
        raw = base64.b64decode(_INVISIBLE.sub("", payload), validate=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw), formats=_EMBEDDED_FORMATS) as image:
                check_dimensions(*image.size, limits, "embedded image")
    except _EMBEDDED_ERRORS:
        return False
    return True


def _attribute_name(name: str) -> str:
    """`{xlink namespace}href` → `xlink:href`, `{xml namespace}space` → `xml:space`; other namespaces → ''."""
    namespace, local = _namespace(name), _local(name)
    if not namespace:
        return local
    prefixes = {XLINK_NS: "xlink", "http://www.w3.org/XML/1998/namespace": "xml"}
    return f"{prefixes[namespace]}:{local}" if namespace in prefixes else ""


def _unsafe_attribute(name: str, value: str, limits: ImageLimits) -> bool:
    local = _attribute_name(name)
    if local not in _ALLOWED_ATTRIBUTES:
        return True  # event handlers, unknown or foreign-namespace attributes
    compact = _INVISIBLE.sub("", value).lower()
    if any(marker in compact for marker in _ACTIVE_VALUE):
        return True
    if local in ("href", "xlink:href"):
        if compact.startswith("#"):
            return False
        return not (_SAFE_DATA_URI.match(compact) and _embedded_image_fits(value.strip(), limits))
    if local == "attributename":
        return value.strip().lower() not in _ANIMATABLE
    # No external references anywhere else: only url(#local) paints, clips, masks, filters and markers.
    return bool(_EXTERNAL_URL.search(value))


def _unsafe_element(element: ET.Element) -> bool:
    local = _local(element.tag)
    if local not in _ALLOWED_ELEMENTS or _namespace(element.tag) != SVG_NS:
        return True
    if local in _ANIMATIONS:
        # <animate attributeName="href" values="https://…"> or <set … to="javascript:…"> swaps a link after
        # load: an animation stays only when what it changes is a look, never a link or a handler.
        target = element.get("attributeName")
        return target is not None and target.strip().lower() not in _ANIMATABLE
    if local == "style":
        css = _INVISIBLE.sub("", element.text or "").lower()
        return any(marker in css for marker in _ACTIVE_VALUE) or bool(_EXTERNAL_URL.search(element.text or ""))
    return False


def _check_depth(root: ET.Element) -> None:
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > _MAX_DEPTH:
            raise ContentRejected(f"The SVG is nested more than {_MAX_DEPTH} levels deep, so it can't be shown safely.")
        stack.extend((child, depth + 1) for child in element)


def _length(value: str | None) -> float | None:
    match = _LENGTH.fullmatch(value or "")
    if match is None:
        return None  # missing, a percentage, or nonsense
    length = float(match.group(1)) * _UNITS[match.group(2)]
    return length if length > 0 else None


def _view_box(value: str | None) -> list[float] | None:
    try:
        numbers = [float(part) for part in re.split(r"[\s,]+", (value or "").strip()) if part]
    except ValueError:
        return None
    return numbers if len(numbers) == 4 and numbers[2] > 0 and numbers[3] > 0 else None


def _intrinsic_size(root: ET.Element) -> tuple[float, float, list[float] | None]:
    view_box = _view_box(root.get("viewBox"))
    width, height = _length(root.get("width")), _length(root.get("height"))
    if view_box is not None:
        aspect = view_box[2] / view_box[3]
        if width is None and height is None:
            width, height = view_box[2], view_box[3]
        elif width is None and height is not None:
            width = height * aspect
        elif height is None and width is not None:
            height = width / aspect
    return width or _DEFAULT_SIZE[0], height or _DEFAULT_SIZE[1], view_box


def sanitize_svg(data: bytes, limits: ImageLimits = DEFAULT_LIMITS) -> SanitizedSvg:
    """The SVG reduced to drawing content. ContentRejected when it isn't a well-formed SVG document."""
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    try:
        root = SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ContentRejected(
            "The SVG declares XML entities or external references, which aren't allowed in uploads."
        ) from exc
    except ET.ParseError as exc:
        raise ContentRejected(f"The SVG isn't well-formed XML ({exc}), so it can't be shown safely.") from exc
    if _local(root.tag) != "svg":
        raise ContentRejected(f"The file's root element is <{_local(root.tag)}>, not <svg>.")
    _check_depth(root)
    if not _namespace(root.tag):
        # Browsers ignore an SVG without its namespace; give unqualified elements the SVG one.
        for element in root.iter():
            if not _namespace(element.tag):
                element.tag = f"{{{SVG_NS}}}{element.tag}"

    removed_elements = removed_attributes = 0
    for parent in list(root.iter()):
        for child in list(parent):
            if _unsafe_element(child):
                parent.remove(child)
                removed_elements += 1
    for element in root.iter():
        for name, value in list(element.attrib.items()):
            if _unsafe_attribute(name, value, limits):
                del element.attrib[name]
                removed_attributes += 1
    width, height, view_box = _intrinsic_size(root)
    text = ET.tostring(root, encoding="unicode")
    return SanitizedSvg(text, width, height, view_box, removed_elements, removed_attributes)


def _read(path: str | Path, limits: ImageLimits) -> bytes:
    path = Path(path)
    size = path.stat().st_size
    if size > limits.max_svg_bytes:
        raise ContentRejected(
            f"The SVG is {size / 1_048_576:.1f} MB; SVGs up to {limits.max_svg_bytes / 1_048_576:.0f} MB are accepted."
        )
    return path.read_bytes()


def svg_size(path: str | Path, limits: ImageLimits = DEFAULT_LIMITS) -> tuple[int, int]:
    """The SVG's intrinsic size in CSS pixels (300 × 150 when it declares none)."""
    svg = sanitize_svg(_read(path, limits), limits)
    return max(1, round(svg.width)), max(1, round(svg.height))


def render_svg(svg: SanitizedSvg, edge: int = PREVIEW_EDGE) -> Image.Image:
    """The sanitised SVG rasterised with its long edge at `edge` px (RGBA). ImportError when resvg-py is
    missing; ValueError when resvg can't draw it."""
    import resvg_py

    landscape = svg.width >= svg.height
    png = resvg_py.svg_to_bytes(
        svg_string=svg.text,
        width=edge if landscape else None,
        height=None if landscape else edge,
    )
    with Image.open(io.BytesIO(png), formats=["PNG"]) as image:
        image.load()
        return image.convert("RGBA")


def svg_renditions(path: str | Path, fmt: Format, limits: ImageLimits = DEFAULT_LIMITS) -> RenditionSet:
    svg = sanitize_svg(_read(path, limits), limits)
    width, height = max(1, round(svg.width)), max(1, round(svg.height))
    metadata: dict[str, Any] = {
        "format": fmt.name,
        "width": width,
        "height": height,
        "has_alpha": True,
        "sanitized": {"removed_elements": svg.removed_elements, "removed_attributes": svg.removed_attributes},
    }
    if svg.view_box is not None:
        metadata["view_box"] = svg.view_box
    result = RenditionSet(files=[RenditionFile("sanitized", svg.text.encode(), SVG, width, height)], metadata=metadata)
    try:
        image = render_svg(svg)
    except ImportError:
        metadata["render"] = "unavailable"
        return result
    except (ValueError, OSError) as exc:
        # Browsers may still draw what resvg refuses: keep the asset, without raster renditions.
        metadata["render"] = "failed"
        metadata["render_error"] = str(exc)[:200]
        return result
    metadata["render"] = "resvg"
    files, result.placeholder = renditions_from_image(image)
    result.files.extend(files)
    return result
