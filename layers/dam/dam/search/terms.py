"""Words to index terms for the embedded engine's BM25: what SQLite's FTS5 did with
`tokenize = 'porter unicode61 remove_diacritics 2'`, in Python, so the engine can keep its postings in memory.

A token is a run of letters and digits (`[^\\W_]+`), lower-cased, Latin letters without their diacritics
(NFD, combining marks dropped), then stemmed with the original Porter algorithm (Snowball's `porter`, the
one FTS5's porter tokenizer implements) unless it is shorter than 3 or longer than 64 characters, as in
FTS5. Compatibility forms (ligatures, full-width letters) stay as they are, as in FTS5. One known
difference: FTS5 stems UTF-8 bytes, so a word with letters outside ASCII may stem differently ("straße":
FTS5 "straß", here "straße"); documents and queries go through the same function, so they still match.

A document is indexed as its token count and each term's field-weighted frequency (BM25's weighted term
frequency, as FTS5's bm25() sums column weights).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from typing import Any

_TOKEN = re.compile(r"[^\W_]+")
_STEMMED = range(3, 65)  # FTS5's porter tokenizer passes shorter and longer tokens through unstemmed
_STEM_CACHE_SIZE = 200_000  # distinct words; a stem costs ~35 µs uncached, a dict lookup ~50 ns


class _Stemmer:
    def __init__(self) -> None:
        self._lock = threading.Lock()  # Snowball's stemmer objects keep state between calls
        self._stemmer: Any = None
        self._cache: dict[str, str] = {}

    def stem(self, word: str) -> str:
        if len(word) not in _STEMMED:
            return word
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        with self._lock:
            if self._stemmer is None:
                import snowballstemmer  # only the embedded engine stems: keep it off other import paths

                self._stemmer = snowballstemmer.stemmer("porter")
            stem: str = self._stemmer.stemWord(word)
            if len(self._cache) >= _STEM_CACHE_SIZE:
                self._cache.clear()
            self._cache[word] = stem
        return stem


_STEMMER = _Stemmer()


def _unaccented(token: str) -> str:
    """Latin letters lose their marks (FTS5's remove_diacritics covers Latin only: Greek ά stays)."""
    return "".join(_base_letter(char) if _is_latin(char) else char for char in token)


def _is_latin(char: str) -> bool:
    code = ord(char)
    return 0xC0 <= code <= 0x24F or 0x1E00 <= code <= 0x1EFF


def _base_letter(char: str) -> str:
    return "".join(part for part in unicodedata.normalize("NFD", char) if not unicodedata.combining(part))


def words(text: str) -> list[str]:
    """Folded, unstemmed tokens."""
    found = []
    for token in _TOKEN.findall(text):
        if token.isascii():
            found.append(token.lower())
        else:  # without its marks a token may split (a letter with a mark that is not a letter): tokenize again
            found.extend(part.lower() for part in _TOKEN.findall(_unaccented(token)))
    return found


def stems(text: str) -> list[str]:
    stem = _STEMMER.stem
    return [stem(word) for word in words(text)]


def term_frequencies(fields: Iterable[tuple[str, float]]) -> tuple[int, dict[str, float]]:
    """(text, weight) of each field → the total token count and each term's weighted frequency: the sum of
    the weights of the fields it occurs in, once per occurrence (as FTS5's bm25() weighs columns)."""
    frequency: dict[str, float] = {}
    total = 0
    for text, weight in fields:
        found = stems(text)
        total += len(found)
        for term in found:
            frequency[term] = frequency.get(term, 0.0) + weight
    return total, frequency
