"""What only the embedded engine has: one file shared by several engines and threads, kept across restarts."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from dam.search.embedded import EmbeddedIndex
from dam.search.model import SearchQuery
from tests.unit.search.conftest import WORKSPACE, doc, later, vector


def test_engines_over_one_file_see_each_others_writes(tmp_path):
    path = tmp_path / "search.sqlite"
    writer, reader = EmbeddedIndex(path), EmbeddedIndex(path)
    writer.upsert([doc("a", name="Oak table", embedding=vector(1, 0)), doc("b", name="Oak chair")])
    keyword = SearchQuery(WORKSPACE, text="oak", mode="keyword")
    assert {h.asset_id for h in reader.search(keyword).hits} == {"a", "b"}  # the reader's view loads
    writer.upsert([doc("a", version=2, name="Pine table", embedding=vector(0, 1))])
    writer.delete("b", 1)
    writer.upsert([doc("c", name="Oak shelf", created_at=later(1))])
    assert [h.asset_id for h in reader.search(keyword).hits] == ["c"]  # refreshed: only what changed is read
    semantic = SearchQuery(WORKSPACE, mode="semantic", query_vector=vector(0, 1))
    assert [h.asset_id for h in reader.search(semantic).hits] == ["a"]
    writer.clear()
    assert reader.search(keyword).hits == []
    assert reader.count(WORKSPACE) == 0
    writer.close()
    reader.close()


def test_the_index_survives_a_restart(tmp_path):
    path = tmp_path / "nested" / "search.sqlite"
    first = EmbeddedIndex(path)
    first.upsert([doc("a", name="Copper kettle", embedding=vector(1, 0))])
    first.close()
    again = EmbeddedIndex(path)
    assert [h.asset_id for h in again.search(SearchQuery(WORKSPACE, text="kettle", mode="keyword")).hits] == ["a"]
    assert again.upsert([doc("a", name="Copper kettle")]).stale == ("a",)  # the version survived too
    again.close()


def test_one_writer_and_many_readers_on_threads(tmp_path):
    index = EmbeddedIndex(tmp_path / "search.sqlite")
    index.upsert([doc(f"seed-{i}", name="Lamp", embedding=vector(1, i / 50), created_at=later(i)) for i in range(20)])
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        query = SearchQuery(WORKSPACE, text="lamp", mode="hybrid", query_vector=vector(1, 0), limit=5)
        try:
            while not stop.is_set():
                page = index.search(query)
                assert page.hits
                if page.next_cursor:
                    index.search(replace(query, cursor=page.next_cursor))
        except BaseException as error:  # report from the main thread
            errors.append(error)

    readers = [threading.Thread(target=read) for _ in range(4)]
    for thread in readers:
        thread.start()
    for i in range(40):
        index.upsert([doc(f"new-{i}", name="Lamp", embedding=vector(1, 0.5), created_at=later(100 + i))])
        if i % 5 == 0:
            index.delete(f"seed-{i // 5}", 1)
    stop.set()
    for thread in readers:
        thread.join()
    assert errors == []
    assert index.count(WORKSPACE) == 20 + 40 - 8
    index.close()


def test_vectors_of_another_dimension_are_not_searchable_by_meaning(tmp_path):
    index = EmbeddedIndex(tmp_path / "search.sqlite")
    index.upsert([doc("a", name="Brass bell", embedding=[1.0, 0.0, 0.0])])
    query = SearchQuery(WORKSPACE, text="bell", mode="hybrid", query_vector=vector(1, 0))  # 8-d
    assert [h.asset_id for h in index.search(query).hits] == ["a"]  # found by its words
    assert index.search(replace(query, mode="semantic")).hits == []
    index.close()


def test_a_file_from_before_the_in_memory_postings_is_migrated_and_keeps_its_matches(tmp_path):
    import sqlite3

    path = tmp_path / "search.sqlite"
    first = EmbeddedIndex(path)
    first.upsert([doc("a", name="Copper kettle", document_text="rocket launch checklist")])
    first.close()
    # What schema 3 left on disk: the text in an FTS5 table per workspace, no terms in `docs`.
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("ALTER TABLE docs DROP COLUMN tokens")
    conn.execute("ALTER TABLE docs DROP COLUMN terms")
    conn.execute("DROP TABLE terms")
    conn.execute(
        "CREATE VIRTUAL TABLE fts_0123456789abcdef01234567 USING fts5 (name, tags, filename, analysis_text,"
        " text_in_image, prompt, enhanced_prompt, notes, document_text,"
        " tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3')"
    )
    conn.execute("INSERT INTO fts_0123456789abcdef01234567 (rowid, name) SELECT seq, 'Copper kettle' FROM docs")
    conn.execute("UPDATE meta SET value = 3 WHERE key = 'schema'")
    conn.close()

    again = EmbeddedIndex(path)
    found = {text: [h.asset_id for h in again.search(SearchQuery(WORKSPACE, text=text, mode="keyword")).hits]
             for text in ("kettle", "rocket launch")}  # fmt: skip
    assert found == {"kettle": ["a"], "rocket launch": ["a"]}
    again.upsert([doc("b", name="Tin cup", document_text="launch party")])  # today's columns
    assert {h.asset_id for h in again.search(SearchQuery(WORKSPACE, text="launch", mode="keyword")).hits} == {"a", "b"}
    again.close()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name GLOB 'fts_*'").fetchone() == (0,)  # dropped
    conn.close()


def test_semantic_scores_of_a_filtered_subset_match_a_full_scan(tmp_path, monkeypatch):
    """Under 30% of the workspace eligible, the vectors are gathered in blocks (here of 3) instead of scoring
    every row; the scores must be the full scan's."""
    from dam.search import embedded

    index = EmbeddedIndex(tmp_path / "search.sqlite")
    kinds = ["video" if i % 5 == 0 else "image" for i in range(40)]  # a fifth eligible
    index.upsert([doc(f"a{i}", media_type=m, embedding=vector(1, i / 7, (i % 3) / 5)) for i, m in enumerate(kinds)])
    query = SearchQuery(WORKSPACE, mode="semantic", query_vector=vector(1, 2, 0.3), media_type="video", limit=20)
    monkeypatch.setattr(embedded, "_GATHER_ROWS", 3)
    gathered = [(h.asset_id, h.score) for h in index.search(query).hits]
    monkeypatch.setattr(embedded, "_FULL_SCAN_SHARE", 0.0)  # every query scores the whole matrix
    scanned = [(h.asset_id, h.score) for h in index.search(query).hits]
    assert len(gathered) >= 4 and {a for a, _ in gathered} <= {f"a{i}" for i in range(0, 40, 5)}
    assert [a for a, _ in gathered] == [a for a, _ in scanned]
    assert [s for _, s in gathered] == pytest.approx([s for _, s in scanned], rel=1e-6)
    index.close()
