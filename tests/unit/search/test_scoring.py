"""The rules both engines share."""

from __future__ import annotations

import pytest

from dam.domain.errors import InvalidInput
from dam.search.model import SearchQuery
from dam.search.scoring import (
    NOISE_TEXTS,
    Cursor,
    NoiseFloor,
    SearchTuning,
    decode_cursor,
    encode_cursor,
    fingerprint,
    fuse,
    hamming,
    keyword_score,
    keyword_terms,
    min_max,
    phash_bands,
    phash_bits,
    semantic_threshold,
)


def test_min_max_follows_opensearchs_normalization_processor():
    assert min_max({"a": 2.0, "b": 5.0, "c": 3.0}) == pytest.approx({"a": 0.001, "b": 1.0, "c": 1 / 3})
    assert min_max({"only": 0.2}) == {"only": 1.0}  # a single hit scores 1.0
    assert min_max({"a": 4.0, "b": 4.0}) == {"a": 1.0, "b": 1.0}
    assert min_max({}) == {}


def test_fusion_is_a_weighted_mean_where_a_missing_list_counts_zero():
    tuning = SearchTuning(keyword_weight=0.5, semantic_weight=0.5)
    fused = fuse({"both": 10.0, "words": 4.0}, {"both": 0.9, "meaning": 0.8}, tuning)
    assert fused == pytest.approx({"both": 1.0, "words": 0.0005, "meaning": 0.0005})
    weighted = fuse({"w": 1.0}, {"m": 1.0}, SearchTuning(keyword_weight=0.25, semantic_weight=0.75))
    assert weighted == pytest.approx({"w": 0.25, "m": 0.75})
    assert fuse({"w": 1.0}, {"m": 1.0}, SearchTuning(hybrid_min_score=0.5)) == {"w": 0.5, "m": 0.5}
    assert fuse({"w": 1.0}, {"m": 1.0}, SearchTuning(hybrid_min_score=0.6)) == {}


def test_keyword_terms_drop_stop_words_and_keep_the_last_word_as_a_prefix():
    assert keyword_terms("The Red Fox") == keyword_terms("red fox")
    terms = keyword_terms("a sword for the knight")
    assert terms.exact == ("sword", "knight")
    assert terms.prefix == "knight"
    assert keyword_terms("sword of").prefix is None  # the last word was a stop word
    assert keyword_terms("sword x").prefix is None  # one letter is too short a prefix
    assert not keyword_terms("the of and")
    assert keyword_terms("café_crème, 4K!").exact == ("café", "crème", "4k")
    assert keyword_score(0.0) == 1.0 and keyword_score(1e9) < 2.0


def test_the_semantic_cut_off_is_the_stricter_of_window_and_noise_floor():
    tuning = SearchTuning(window=0.03, noise_margin=-0.04)
    assert semantic_threshold(0.85, None, tuning) == pytest.approx(0.82)
    assert semantic_threshold(0.85, 0.80, tuning) == pytest.approx(0.82)  # the window binds
    assert semantic_threshold(0.85, 0.88, tuning) == pytest.approx(0.84)  # the floor binds
    assert semantic_threshold(0.81, 0.90, tuning) > 0.81  # the best hit is under the floor: nothing passes


def test_the_noise_floor_embeds_its_decoys_once_and_lazily():
    calls: list[int] = []

    def embed(texts: list[str]) -> list[list[float]]:
        calls.append(len(texts))
        return [[1.0, 0.0] if i == 0 else [0.0, 1.0] for i in range(len(texts))]

    floor = NoiseFloor(embed=embed)
    assert calls == []
    assert floor.floor([3.0, 4.0]) == pytest.approx(0.8)  # vectors are made unit length
    assert floor.floor([1.0, 0.0]) == pytest.approx(1.0)
    assert calls == [len(NOISE_TEXTS)]
    assert NoiseFloor([[1.0, 0.0, 0.0]]).floor([1.0, 0.0]) == -1.0  # another dimension: no floor
    with pytest.raises(ValueError):
        NoiseFloor()


def test_cursors_round_trip_and_refuse_tampering():
    from dam.search.embedded import CURSOR_SHAPE

    query = SearchQuery("ws", text="fox", limit=5)
    cursor = Cursor(fingerprint(query), 42, offset=5, last_id="abc", threshold=0.8)
    token = encode_cursor(cursor)
    assert decode_cursor(token, query, CURSOR_SHAPE) == cursor
    assert decode_cursor(token, SearchQuery("ws", text="fox", limit=30), CURSOR_SHAPE) == cursor  # page size may change
    for other in (
        SearchQuery("ws", text="cat"),
        SearchQuery("ws-2", text="fox"),
        SearchQuery("ws", text="fox", tag="x"),
    ):
        with pytest.raises(InvalidInput, match="does not belong"):
            decode_cursor(token, other, CURSOR_SHAPE)
    for bad in ("", "!!!", encode_cursor(Cursor("x", 1, offset=-1)), "eyJmb28iOjF9"):
        with pytest.raises(InvalidInput):
            decode_cursor(bad, query, CURSOR_SHAPE)


def test_perceptual_hash_bands_find_every_hash_within_seven_bits():
    a = "ffff0000ffff0000"
    b = f"{int(a, 16) ^ 0b1010_1010_1010_1010_1010_1010_1010:016x}"  # 14 bits apart
    assert hamming(phash_bits(a) or 0, phash_bits(b) or 0) == 14
    near = f"{int(a, 16) ^ 0x0101010101010100:016x}"  # 7 bits, one in each of 7 bands
    assert set(phash_bands(a)) & set(phash_bands(near))
    assert phash_bands("not-a-hash") == [] and phash_bits("abc") is None
