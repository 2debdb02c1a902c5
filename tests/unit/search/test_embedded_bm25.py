"""The embedded engine's keyword scores are SQLite FTS5's: the same matches and the same BM25 (FTS5's bm25() with
the field weights, `porter unicode61 remove_diacritics 2`), now computed from postings in memory. FTS5 itself,
from Python's sqlite3, is the reference; the engine kept its documents in FTS5 tables before schema 4."""

from __future__ import annotations

import sqlite3

import pytest

from dam.search import embedded
from dam.search.embedded import EmbeddedIndex
from dam.search.model import SearchDocument, SearchQuery
from dam.search.scoring import FIELD_WEIGHTS, PREFIX_SCORE, TEXT_FIELDS, keyword_score, keyword_terms
from dam.search.terms import stems
from tests.unit.search.conftest import WORKSPACE, doc

CORPUS = [
    doc("run-1", name="Running shoes", tags=["sport", "shoes"], analysis_text="A runner's shoes on a track"),
    doc("run-2", name="Runs", filename="runs_final_v2.png", notes="she runs, he ran, they are running"),
    doc("cafe", name="Café crème", analysis_text="Crème brûlée at the CAFÉ, Noël market", tags=["café"]),
    doc("zeppelin", name="zeppelin_final", filename="zeppelin_final.png", text_in_image="ZEPPELIN NT 2024"),
    doc("rocket", name="Launch day", document_text="rocket launch checklist: fuel, rocket, rockets, launchpad"),
    doc("prompt", name="Generated", prompt="a cinematic shot of a lighthouse", enhanced_prompt="lighthouses at dusk"),
    doc("cjk", name="東京 tower", analysis_text="Tokyo tower at night 東京"),
    doc("long", name="Long notes", notes=" ".join(["shoes"] * 40 + ["market"] * 3)),
    doc("empty", name="", filename=""),
    doc("mixed", name="Ünïcödé ﬁle ½", analysis_text="Ａｒｔ ｗｏｒｋ fullwidth, résumé, naïve façade"),
    doc("places", name="Øresund Łódź Straße İstanbul ǅemal Ελλάδα Москва", tags=["Ñandú"]),
    doc(
        "porter",
        name="Generalizations of happiness",
        analysis_text="agreed feed relational conditional probate oscillators controlling hopping falling sky "
        "skies dying lying ties cats caresses ponies meetings agreement electricity hopeful goodness ab abc "
        + "x"
        * 70,
    ),
]
QUERIES = [
    "shoes",
    "running",
    "ran",
    "runner shoes",
    "café",
    "cafe creme",
    "noel",
    "zeppelin",
    "zeppelin_final",
    "2024",
    "rocket launch",
    "launc",
    "lighthouse",
    "cinematic",
    "東京",
    "market shoes",
    "resume",
    "facade",
    "file",
    "art",
    "ru",
    "sho",
    "nothing here",
    "generalization",
    "happy",
    "oscillator",
    "skies",
    "łodz",
    "Москва",
    "ab",
]


def _fts5_reference(documents: list[SearchDocument], text: str) -> dict[str, float]:
    """What the engine answered with its FTS5 tables: BM25 for the exact words, a flat score for prefix-only
    matches of the last word."""
    conn = sqlite3.connect(":memory:")
    conn.execute(
        f"CREATE VIRTUAL TABLE t USING fts5 ({', '.join(TEXT_FIELDS)},"
        " tokenize = 'porter unicode61 remove_diacritics 2')"
    )
    rank = "bm25(" + ", ".join(str(FIELD_WEIGHTS[name]) for name in TEXT_FIELDS) + ")"
    conn.execute("INSERT INTO t (t, rank) VALUES ('rank', ?)", (rank,))
    for rowid, document in enumerate(documents, start=1):
        conn.execute(
            f"INSERT INTO t (rowid, {', '.join(TEXT_FIELDS)}) VALUES (?, {', '.join('?' for _ in TEXT_FIELDS)})",
            (rowid, *embedded._texts(document)),
        )
    terms = keyword_terms(text)
    if not terms:
        return {}
    ids = {rowid: document.asset_id for rowid, document in enumerate(documents, start=1)}
    exact = " OR ".join('"' + term.replace('"', '""') + '"' for term in terms.exact)
    rows = conn.execute("SELECT rowid, rank FROM t WHERE t MATCH ?", (exact,))
    found = {ids[row]: keyword_score(-rank) for row, rank in rows}
    if terms.prefix:
        for (row,) in conn.execute("SELECT rowid FROM t WHERE t MATCH ?", (f'"{terms.prefix}"*',)):
            found.setdefault(ids[row], PREFIX_SCORE)
    return found


def _engine_scores(index: EmbeddedIndex, text: str) -> dict[str, float]:
    page = index.search(SearchQuery(WORKSPACE, text=text, mode="keyword", limit=100))
    return {hit.asset_id: hit.score for hit in page.hits}


@pytest.mark.parametrize("text", QUERIES)
def test_keyword_matches_and_scores_are_fts5s(tmp_path, text):
    index = EmbeddedIndex(tmp_path / "search.sqlite")
    index.upsert(CORPUS)
    expected = _fts5_reference(CORPUS, text)
    assert _engine_scores(index, text) == pytest.approx(expected, rel=1e-5)
    index.close()


def test_the_corpus_exercises_stems_diacritics_and_prefixes(tmp_path):
    # Guards the parity test above against a corpus where nothing interesting matches.
    matched = {text: set(_fts5_reference(CORPUS, text)) for text in QUERIES}
    assert matched["ran"] == {"run-2"} and {"run-1", "run-2"} <= matched["running"]
    assert matched["cafe creme"] == {"cafe"} and matched["resume"] == {"mixed"} and matched["noel"] == {"cafe"}
    assert matched["launc"] == {"rocket"}  # a prefix only
    assert matched["nothing here"] == set()


def test_tokens_are_fts5s(tmp_path):
    """Every distinct word of the corpus becomes the terms FTS5's tokenizer makes of it."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5 (x, tokenize = 'porter unicode61 remove_diacritics 2')")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    words = sorted({word for document in CORPUS for text in embedded._texts(document) for word in text.split()})
    for rowid, word in enumerate(words, start=1):
        conn.execute("INSERT INTO t (rowid, x) VALUES (?, ?)", (rowid, word))
    fts5: dict[int, list[str]] = {rowid: [] for rowid in range(1, len(words) + 1)}
    for term, rowid in conn.execute("SELECT term, doc FROM v ORDER BY doc, offset"):
        fts5[rowid].append(term)
    fts5_terms = {word: fts5[rowid] for rowid, word in enumerate(words, start=1)}
    # FTS5 stems UTF-8 bytes: outside ASCII the Porter rules may cut differently (dam.search.terms).
    assert fts5_terms.pop("Straße") == ["straß"] and stems("Straße") == ["straße"]
    assert {word: stems(word) for word in fts5_terms} == fts5_terms


def test_scores_stay_fts5s_as_documents_change_and_the_postings_are_rebuilt(tmp_path, monkeypatch):
    """Updates and deletes leave stale postings behind; reads skip them and rebuilds drop them. Rebuilding after a
    few postings (instead of 20,000) exercises both paths in a few documents."""
    monkeypatch.setattr(embedded, "_REBUILD_MIN", 12)
    index = EmbeddedIndex(tmp_path / "search.sqlite")
    index.upsert(CORPUS)
    current = {document.asset_id: document for document in CORPUS}
    assert _engine_scores(index, "shoes") == pytest.approx(_fts5_reference(list(current.values()), "shoes"))
    changes = [
        doc("run-1", version=2, name="Trail boots", tags=["boots"]),  # loses "shoes"
        doc("cafe", version=2, name="Café shoes"),  # gains it
        doc("new-1", name="Shoes and boots", created_at=CORPUS[0].created_at),
    ]
    for step, change in enumerate(changes):
        index.upsert([change])
        current[change.asset_id] = change
        if step == 1:
            index.delete("long", 1)
            del current["long"]
        for text in ("shoes", "boots", "market", "sho"):
            reference = _fts5_reference(list(current.values()), text)
            assert _engine_scores(index, text) == pytest.approx(reference, rel=1e-5), (step, text)
    index.close()


def test_a_write_that_rolls_back_leaves_no_term_behind_for_later_writes(tmp_path, monkeypatch):
    """A new term's id is taken in the write's transaction; if the transaction rolls back, the id may go to
    another term, so the writer must not remember it."""
    index = EmbeddedIndex(tmp_path / "search.sqlite")
    index.upsert([doc("a", name="Harbour crane")])

    def refuse(*args: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    with monkeypatch.context() as patched:
        patched.setattr(embedded, "_touch", refuse)
        with pytest.raises(sqlite3.OperationalError):
            index.upsert([doc("b", name="Zeppelin hangar")])  # "zeppelin" and "hangar" get ids, then roll back
    index.upsert([doc("c", name="Lighthouse keeper")])  # takes the ids the rolled-back write had
    index.upsert([doc("b", name="Zeppelin hangar")])
    found = {text: [h.asset_id for h in index.search(SearchQuery(WORKSPACE, text=text, mode="keyword")).hits]
             for text in ("zeppelin", "hangar", "lighthouse", "keeper", "crane")}  # fmt: skip
    assert found == {"zeppelin": ["b"], "hangar": ["b"], "lighthouse": ["c"], "keeper": ["c"], "crane": ["a"]}
    index.close()
