"""The embedded search engine: one SQLite file (WAL) for storage, BM25 and exact vector scoring in numpy.

Storage (the file):
- `docs`: one row per asset id (tombstones included) with the filter fields, the version and the document's
  index terms (`dam.search.terms`): its token count and a blob of (term id, field-weighted frequency) pairs.
  `seq` is assigned when an asset is first indexed and never changes: cursors use it as their snapshot bound.
- `terms`: term ↔ id. Rows are never deleted, so an id, once committed, means one term for good.
- `vectors`: unit-length float32 little-endian embeddings.
- `workspaces`: the last change number per workspace; `meta`: the change counter and a generation that
  `clear()` bumps.

Reading: each workspace gets an in-memory view — filter columns as numpy arrays, vectors in one contiguous
float32 matrix, a posting list per term — built on first use and brought up to date before every search by
reading only the rows whose change number is newer than the view's (one indexed query; nothing when nothing
changed). Filters are numpy masks; semantic scores are one matrix-vector product; keyword scores are FTS5's
bm25() formula over the query terms' postings, vectorised (SQLite's FTS5 computed it at ~1.7 µs a matching
row: 25–50 ms for a common word at 100k assets). Views refresh from the file, so several index objects (or
processes) over one file stay consistent.

Threads: one writer at a time (a lock plus SQLite's own), readers in parallel on their own connections
(WAL: readers never block the writer). A view's refresh and scoring run under the view's lock.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import math
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from dam.domain.errors import InvalidInput
from dam.domain.filters import FILTERS, Filter, Match, active_filters
from dam.domain.library import UNASSIGNED
from dam.search.model import (
    SearchDocument,
    SearchHit,
    SearchPage,
    SearchQuery,
    WriteResult,
)
from dam.search.port import SearchIndexError
from dam.search.scoring import (
    FIELD_WEIGHTS,
    PREFIX_SCORE,
    TEXT_FIELDS,
    Cursor,
    CursorShape,
    KeywordTerms,
    NoiseFloor,
    SearchTuning,
    count,
    decode_cursor,
    encode_cursor,
    fingerprint,
    fuse,
    keyword_terms,
    page_ranked,
    phash_bits,
    semantic_threshold,
)
from dam.search.terms import stems, term_frequencies

# 2: the document_text FTS column, collection_ids; 3: project_id, shot_id, generation_run_id; 4: `terms` (BM25
# in the view) instead of FTS5 tables
SCHEMA_VERSION = 4
# Cursors hold a change number as the snapshot and (created time, change number) as the newest-first key.
CURSOR_SHAPE = CursorShape(snapshot=count, after=(count, count))
_NONE = -1  # code of a missing value in the views' code columns
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The filter columns, derived from the declared filters (dam.domain.filters): facts compared for equality are
# coded as small ints, list facts are linked (value -> positions).
_CODED = tuple(
    dict.fromkeys(
        f.fact for f in FILTERS if f.match in (Match.EQUALS, Match.EQUALS_OR_UNSET, Match.EXCLUDES, Match.SCOPE)
    )
)
_LINKED = tuple(dict.fromkeys(f.fact for f in FILTERS if f.match is Match.CONTAINS))
_FIXED = ("seq", "asset_id", "deleted", "workspace_id", "archived", "created_us", "prompt_folded", "checksum")
_TEXT = ("tokens", "terms")
_COLUMNS = (*_FIXED, *_TEXT, "phash", "status", *_CODED, *_LINKED)
_AT = {name: index for index, name in enumerate(_COLUMNS)}
_SELECTED = ", ".join(f"d.{name}" for name in _COLUMNS)
_VECTOR = len(_COLUMNS)  # the joined vector's position in a row
_DELETING = "deleting"  # AssetStatus.DELETING: on its way out, never shown
_FULL_SCAN_SHARE = 0.3  # below this share of eligible rows, gather them instead of scoring the whole matrix
_GATHER_ROWS = 4096  # vectors gathered at a time (6 MB at 384-d)

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('schema', {SCHEMA_VERSION}), ('change', 0), ('generation', 0);
CREATE TABLE IF NOT EXISTS docs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    asset_id TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    change INTEGER NOT NULL,
    workspace_id TEXT,
    asset_type TEXT, media_type TEXT, status TEXT, archived INTEGER NOT NULL DEFAULT 0,
    client_id TEXT, folder_id TEXT, creator_id TEXT, model TEXT,
    project_id TEXT, shot_id TEXT, generation_run_id TEXT,
    created_us INTEGER,
    prompt_folded TEXT, tags TEXT, brand_ids TEXT,
    checksum TEXT, phash TEXT,
    document TEXT,
    collection_ids TEXT,
    tokens INTEGER,
    terms BLOB
);
CREATE INDEX IF NOT EXISTS docs_by_change ON docs (workspace_id, change);
CREATE TABLE IF NOT EXISTS vectors (seq INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS terms (id INTEGER PRIMARY KEY, term TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS workspaces (workspace_id TEXT PRIMARY KEY, change INTEGER NOT NULL);
"""
# FTS5's bm25() constants (and its floor for the IDF of a term in more than half the documents).
_K1, _B, _IDF_FLOOR = 1.2, 0.75, 1e-6
_REBUILD_MIN = 20_000  # postings added since the sorted arrays were built that trigger a rebuild (at least)
_POSTING = np.dtype([("term", "<i4"), ("frequency", "<f4")])  # one entry of a `terms` blob


class EmbeddedIndex:
    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        tuning: SearchTuning | None = None,
        noise: NoiseFloor | None = None,
    ) -> None:
        """`noise`: the decoys' vectors for the semantic cut-off (without it only the window applies, and a
        nonsense query returns its few nearest assets)."""
        self.path = os.fspath(path)
        self.tuning = tuning or SearchTuning()
        self._noise = noise
        self._noise_matrix: npt.NDArray[np.float32] | None = None
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._views: dict[str, _View] = {}
        self._views_lock = threading.Lock()
        self._term_ids = _TermIds()  # the writers' cache of the `terms` table
        self._vocabulary = _Vocabulary()  # the readers' copy of it
        self._ready = False

    # --- lifecycle -------------------------------------------------------------------------------------

    def ensure_ready(self) -> None:
        if self._ready:
            return
        with self._write_lock:
            if not self._ready:
                conn = self._conn()
                conn.executescript(_SCHEMA)
                _migrate(conn, self._term_ids)
                self._ready = True

    def close(self) -> None:
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            directory = os.path.dirname(self.path)
            if directory:
                os.makedirs(directory, exist_ok=True)
            # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE for writes). One connection per
            # thread; check_same_thread is off only so close() can close them all.
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at checkpoints, never corrupt
            conn.execute("PRAGMA cache_size=-65536")  # 64 MB page cache
            conn.execute("PRAGMA mmap_size=268435456")
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    # --- writes ----------------------------------------------------------------------------------------

    def upsert(self, documents: Iterable[SearchDocument]) -> WriteResult:
        batch = list(documents)
        if not batch:
            return WriteResult()
        self.ensure_ready()
        written: list[str] = []
        stale: list[str] = []
        failed: dict[str, str] = {}
        with self._write_lock, self._term_ids.transaction(self._conn()) as conn:
            change = _next_change(conn)
            touched: set[str] = set()
            for document in batch:
                try:
                    applied = _upsert_one(conn, document, change, self._term_ids)
                except (ValueError, sqlite3.Error) as error:
                    failed[document.asset_id] = str(error)
                    continue
                (written if applied else stale).append(document.asset_id)
                if applied:
                    touched.add(document.workspace_id)
            _touch(conn, touched, change)
        if failed:
            raise SearchIndexError(f"{len(failed)} of {len(batch)} documents failed", failed)
        return WriteResult(tuple(written), tuple(stale))

    def delete(self, asset_id: str, version: int) -> WriteResult:
        self.ensure_ready()
        with self._write_lock, _Transaction(self._conn()) as conn:
            row = conn.execute(
                "SELECT seq, version, deleted, workspace_id FROM docs WHERE asset_id = ?", (asset_id,)
            ).fetchone()
            # A delete wins over an equal version (the deleted record's own version); see the port.
            if row is not None and (version < row[1] or (row[2] and version <= row[1])):
                return WriteResult(stale=(asset_id,))
            change = _next_change(conn)
            if row is None:
                conn.execute(
                    "INSERT INTO docs (asset_id, version, deleted, change) VALUES (?, ?, 1, ?)",
                    (asset_id, version, change),
                )
                return WriteResult(written=(asset_id,))
            seq, workspace_id = row[0], row[3]
            conn.execute(
                "UPDATE docs SET version = ?, deleted = 1, change = ?, prompt_folded = NULL, tags = NULL,"
                " brand_ids = NULL, checksum = NULL, phash = NULL, document = NULL, collection_ids = NULL,"
                " tokens = NULL, terms = NULL WHERE seq = ?",
                (version, change, seq),
            )
            if workspace_id:
                _touch(conn, {workspace_id}, change)
            conn.execute("DELETE FROM vectors WHERE seq = ?", (seq,))
        return WriteResult(written=(asset_id,))

    def clear(self) -> None:
        self.ensure_ready()
        with self._write_lock, _Transaction(self._conn()) as conn:
            for table in ("docs", "vectors", "workspaces"):
                conn.execute(f"DELETE FROM {table}")
            conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")

    def count(self, workspace_id: str) -> int:
        self.ensure_ready()
        row = (
            self._conn()
            .execute("SELECT count(*) FROM docs WHERE workspace_id = ? AND deleted = 0", (workspace_id,))
            .fetchone()
        )
        return int(row[0])

    # --- reads -----------------------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchPage:
        self.ensure_ready()
        cursor = decode_cursor(query.cursor, query, CURSOR_SHAPE) if query.cursor else None
        vector = self._query_vector(query)
        terms = keyword_terms(query.text) if query.mode != "semantic" else KeywordTerms((), None)
        floor = self._floor(vector) if vector is not None and (cursor is None or cursor.threshold is None) else None
        view = self._view(query.workspace_id)
        with view.lock:
            self._refresh(view)
            snapshot = int(cursor.snapshot) if cursor else view.max_seq
            mask = view.mask(query, snapshot)
            if not terms and vector is None:
                if query.text:  # only stop words, and nothing to embed them with: matches nothing
                    return SearchPage([])
                # Nothing to rank by: filters alone, newest first.
                candidates = view.refine(np.flatnonzero(mask), query)
                return self._page(view, query, candidates, np.zeros(len(candidates)), cursor, snapshot, newest=True)
            threshold: float | None = None
            sem_pos, sem_scores = _EMPTY_I, _EMPTY_F
            if vector is not None:
                threshold = cursor.threshold if cursor and cursor.threshold is not None else None
                sem_pos, sem_scores, threshold = view.semantic_hits(vector, mask, floor, threshold, self.tuning)
                sem_pos, sem_scores = _refined(view, query, sem_pos, sem_scores)
            kw_pos, kw_scores = view.keyword_hits(terms, mask, self._vocabulary) if terms else (_EMPTY_I, _EMPTY_F)
            kw_pos, kw_scores = _refined(view, query, kw_pos, kw_scores)
            positions, scores = self._combine(query, kw_pos, kw_scores, sem_pos, sem_scores)
            newest = query.sort == "newest"
            return self._page(view, query, positions, scores, cursor, snapshot, threshold, newest=newest)

    def similar(
        self, workspace_id: str, asset_id: str, *, limit: int = 10, visible_clients: tuple[str, ...] | None = None
    ) -> list[SearchHit]:
        self.ensure_ready()
        view = self._view(workspace_id)
        with view.lock:
            self._refresh(view)
            return view.similar(asset_id, limit, visible_clients, self.tuning.near_duplicate_bits)

    # --- internals -------------------------------------------------------------------------------------

    def _query_vector(self, query: SearchQuery) -> npt.NDArray[np.float32] | None:
        if query.mode == "keyword":
            return None
        if query.query_vector is None:
            if query.mode == "semantic":
                raise InvalidInput("semantic search needs a query vector", field="mode")
            return None  # hybrid without an embedder: keyword alone
        return _unit(np.asarray(query.query_vector, dtype=np.float32))

    def _floor(self, vector: npt.NDArray[np.float32]) -> float | None:
        if self._noise is None:
            return None
        if self._noise_matrix is None:
            self._noise_matrix = np.asarray(self._noise.vectors(), dtype=np.float32)
        matrix = self._noise_matrix
        if matrix.ndim != 2 or matrix.shape[1] != vector.shape[0]:
            return None
        return float((matrix @ vector).max())

    def _combine(
        self,
        query: SearchQuery,
        kw_pos: npt.NDArray[np.int64],
        kw_scores: npt.NDArray[np.float64],
        sem_pos: npt.NDArray[np.int64],
        sem_scores: npt.NDArray[np.float64],
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        depth = self.tuning.depth
        if query.mode == "keyword" or (query.mode == "hybrid" and query.query_vector is None):
            return _top(kw_pos, kw_scores, depth) if query.sort == "relevance" else (kw_pos, kw_scores)
        if query.mode == "semantic":
            return _top(sem_pos, sem_scores, depth)
        kw_pos, kw_scores = _top(kw_pos, kw_scores, depth)
        sem_pos, sem_scores = _top(sem_pos, sem_scores, depth)
        fused = fuse(
            dict(zip(kw_pos.tolist(), kw_scores.tolist(), strict=True)),
            dict(zip(sem_pos.tolist(), sem_scores.tolist(), strict=True)),
            self.tuning,
        )
        positions = np.fromiter(fused.keys(), dtype=np.int64, count=len(fused))
        scores = np.fromiter(fused.values(), dtype=np.float64, count=len(fused))
        return _top(positions, scores, depth)

    def _page(
        self,
        view: _View,
        query: SearchQuery,
        positions: npt.NDArray[np.int64],
        scores: npt.NDArray[np.float64],
        cursor: Cursor | None,
        snapshot: int,
        threshold: float | None = None,
        *,
        newest: bool,
    ) -> SearchPage:
        if not newest:
            order = np.lexsort((view.seq[positions], -scores))  # ties: first indexed first
            ids = view.asset_ids
            ranked = [(ids[p], s) for p, s in zip(positions[order].tolist(), scores[order].tolist(), strict=True)]
            return page_ranked(query, ranked, cursor, snapshot, threshold)
        # Newest first: a keyset on (created, seq), sorting only what the page needs.
        created, seq = view.created[positions], view.seq[positions]
        if cursor is not None and cursor.after:
            after_created, after_seq = int(cursor.after[0]), int(cursor.after[1])
            keep = (created < after_created) | ((created == after_created) & (seq < after_seq))
            positions, scores, created, seq = positions[keep], scores[keep], created[keep], seq[keep]
        take = query.limit + 1
        if take < len(positions):  # only the newest page (plus one) needs sorting: ties at its edge included
            kth = np.partition(created, len(created) - take)[len(created) - take]
            keep = created >= kth
            positions, scores, created, seq = positions[keep], scores[keep], created[keep], seq[keep]
        order = np.lexsort((-seq, -created))[: query.limit + 1]
        ids = view.asset_ids
        hits = [SearchHit(ids[positions[i]], float(scores[i])) for i in order.tolist()]
        next_cursor = None
        if len(hits) > query.limit:
            hits = hits[: query.limit]
            last = order[query.limit - 1]
            after = [int(created[last]), int(seq[last])]
            next_cursor = encode_cursor(Cursor(fingerprint(query), snapshot, after=after, threshold=threshold))
        return SearchPage(hits, next_cursor)

    def _view(self, workspace_id: str) -> _View:
        with self._views_lock:
            view = self._views.get(workspace_id)
            if view is None:
                view = self._views[workspace_id] = _View(workspace_id)
            return view

    def _refresh(self, view: _View) -> None:
        conn = self._conn()
        conn.execute("BEGIN")  # one read snapshot for the check and the rows
        try:
            generation, change = conn.execute(
                "SELECT (SELECT value FROM meta WHERE key = 'generation'),"
                " (SELECT change FROM workspaces WHERE workspace_id = ?)",
                (view.workspace_id,),
            ).fetchone()
            if generation != view.generation:
                view.reset(generation)
            if change is None or change <= view.change:
                return
            self._vocabulary.refresh(conn)  # the ids of every term the new rows carry
            since = (view.workspace_id, view.change)
            (count,) = conn.execute("SELECT count(*) FROM docs WHERE workspace_id = ? AND change > ?", since).fetchone()
            view.reserve(view.size + count)
            rows = conn.execute(
                f"SELECT {_SELECTED}, v.data FROM docs d LEFT JOIN vectors v ON v.seq = d.seq"
                " WHERE d.workspace_id = ? AND d.change > ? ORDER BY d.change",
                since,
            )
            while batch := rows.fetchmany(2048):  # in batches: the vectors' bytes never all sit in memory twice
                view.apply(batch)
            view.change = change
        finally:
            conn.execute("COMMIT")


# --- the write path ---------------------------------------------------------------------------------------


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on error (the caller holds the process's write lock)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        self.conn.execute("ROLLBACK" if kind is not None else "COMMIT")


class _TermIds:
    """term -> id in the `terms` table, for writers. Committed ids never change, so they are cached; the ids
    a transaction assigns join the cache only once it commits (a rolled-back id may go to another term)."""

    _CACHE_SIZE = 1_000_000

    def __init__(self) -> None:
        self._known: dict[str, int] = {}
        self._assigned: dict[str, int] = {}

    @contextlib.contextmanager
    def transaction(self, conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        try:
            with _Transaction(conn):
                yield conn
        except BaseException:
            self._assigned.clear()
            raise
        if len(self._known) + len(self._assigned) > self._CACHE_SIZE:
            self._known.clear()
        self._known.update(self._assigned)
        self._assigned.clear()

    def ids(self, conn: sqlite3.Connection, terms: list[str]) -> list[int]:
        known, assigned = self._known, self._assigned
        missing = [term for term in terms if term not in known and term not in assigned]
        if missing:
            conn.executemany("INSERT OR IGNORE INTO terms (term) VALUES (?)", [(term,) for term in missing])
            for first in range(0, len(missing), 500):  # well under SQLite's limit on bound parameters
                chunk = missing[first : first + 500]
                marks = ", ".join("?" for _ in chunk)
                assigned.update(conn.execute(f"SELECT term, id FROM terms WHERE term IN ({marks})", chunk))
        return [known[term] if term in known else assigned[term] for term in terms]


class _Vocabulary:
    """The readers' copy of the `terms` table (term -> id, and the terms in order for prefixes), brought up to
    date inside each refresh's read transaction, so every id a view's rows carry is known."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids: dict[str, int] = {}
        self._sorted: list[str] = []
        self._last = 0

    def refresh(self, conn: sqlite3.Connection) -> None:
        with self.lock:
            rows = conn.execute("SELECT id, term FROM terms WHERE id > ? ORDER BY id", (self._last,)).fetchall()
            if not rows:
                return
            fresh = [term for _, term in rows]
            self.ids.update((term, term_id) for term_id, term in rows)
            self._last = rows[-1][0]
            if len(fresh) > 64:
                self._sorted = sorted(self.ids)
            else:
                for term in fresh:
                    bisect.insort(self._sorted, term)

    def starting_with(self, prefix: str) -> list[int]:
        with self.lock:
            first = bisect.bisect_left(self._sorted, prefix)
            last = bisect.bisect_left(self._sorted, prefix + "\U0010ffff", first)
            return [self.ids[term] for term in self._sorted[first:last]]


def _next_change(conn: sqlite3.Connection) -> int:
    row = conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'change' RETURNING value").fetchone()
    return int(row[0])


def _touch(conn: sqlite3.Connection, workspaces: Iterable[str], change: int) -> None:
    conn.executemany(
        "INSERT INTO workspaces VALUES (?, ?) ON CONFLICT (workspace_id) DO UPDATE SET change = excluded.change",
        [(workspace_id, change) for workspace_id in workspaces],
    )


def _upsert_one(conn: sqlite3.Connection, document: SearchDocument, change: int, term_ids: _TermIds) -> bool:
    """Write one document unless the stored version (document or tombstone) is as new. An asset never
    changes workspace, so only its own workspace's view needs to hear about it."""
    row = conn.execute("SELECT seq, version FROM docs WHERE asset_id = ?", (document.asset_id,)).fetchone()
    if row is not None and document.version <= row[1]:
        return False
    fields = _row_fields(document) | _text_fields(conn, document, term_ids)
    if row is None:
        columns = ", ".join(fields)
        placeholders = ", ".join("?" for _ in fields)
        cursor = conn.execute(
            f"INSERT INTO docs (asset_id, version, deleted, change, {columns}) VALUES (?, ?, 0, ?, {placeholders})",
            (document.asset_id, document.version, change, *fields.values()),
        )
        seq = int(cursor.lastrowid or 0)
    else:
        seq = int(row[0])
        assignments = ", ".join(f"{name} = ?" for name in fields)
        conn.execute(
            f"UPDATE docs SET version = ?, deleted = 0, change = ?, {assignments} WHERE seq = ?",
            (document.version, change, *fields.values(), seq),
        )
    if document.embedding:
        vector = _unit(np.asarray(document.embedding, dtype=np.float32))
        conn.execute("INSERT OR REPLACE INTO vectors VALUES (?, ?)", (seq, vector.astype("<f4").tobytes()))
    else:
        conn.execute("DELETE FROM vectors WHERE seq = ?", (seq,))
    return True


def _row_fields(document: SearchDocument) -> dict[str, Any]:
    return {
        "workspace_id": document.workspace_id,
        "asset_type": document.asset_type,
        "media_type": document.media_type,
        "status": document.status,
        "archived": int(document.archived),
        **{name: getattr(document, name) or None for name in _CODED},
        "created_us": _micros(document.created_at),
        "prompt_folded": document.prompt_folded,
        **{name: json.dumps(getattr(document, name)) for name in _LINKED},
        "checksum": document.checksum_sha256,
        "phash": document.perceptual_hash,
        # The whole document minus its vector: for inspection and rebuilding the terms when they change.
        "document": document.model_dump_json(exclude={"embedding"}),
    }


def _text_fields(conn: sqlite3.Connection, document: SearchDocument, term_ids: _TermIds) -> dict[str, Any]:
    """The `tokens` and `terms` columns: the token count and the (term id, frequency) pairs."""
    weights = (FIELD_WEIGHTS[name] for name in TEXT_FIELDS)
    tokens, frequencies = term_frequencies(zip(_texts(document), weights, strict=True))
    pairs = np.empty(len(frequencies), dtype=_POSTING)
    pairs["term"] = term_ids.ids(conn, list(frequencies))
    pairs["frequency"] = list(frequencies.values())
    return {"tokens": tokens, "terms": pairs.tobytes()}


def _texts(document: SearchDocument) -> list[str]:
    values = {
        "name": document.name,
        "tags": "\n".join(document.tags),
        "filename": document.filename,
        "analysis_text": document.analysis_text,
        "text_in_image": document.text_in_image,
        "prompt": document.prompt or "",
        "enhanced_prompt": document.enhanced_prompt or "",
        "notes": document.notes,
        "document_text": document.document_text,
    }
    return [values[name] for name in TEXT_FIELDS]


def _migrate(conn: sqlite3.Connection, term_ids: _TermIds) -> None:
    """A file from an older version: missing columns are added and every row's terms are computed from its
    stored document (the `document` column), in one transaction. Version 3 and older kept the text in FTS5
    tables (`fts_<workspace hash>`): they are dropped."""
    (version,) = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    if version >= SCHEMA_VERSION:
        return
    with term_ids.transaction(conn):
        columns = {row[1] for row in conn.execute("PRAGMA table_info(docs)")}
        added = {name: "TEXT" for name in (*_CODED, *_LINKED)} | {"tokens": "INTEGER", "terms": "BLOB"}
        for name, kind in added.items():  # filter columns are filled again as assets change
            if name not in columns:
                conn.execute(f"ALTER TABLE docs ADD COLUMN {name} {kind}")
        # Dropping an FTS table (fts_<hash>) drops its shadow tables (fts_<hash>_data, …).
        tables = conn.execute("SELECT name FROM sqlite_master WHERE name GLOB 'fts_*' AND name NOT GLOB 'fts_*_*'")
        for (name,) in tables.fetchall():
            conn.execute(f"DROP TABLE {name}")
        rows = conn.execute("SELECT seq, document FROM docs WHERE deleted = 0 AND document IS NOT NULL")
        for seq, stored in rows.fetchall():
            text = _text_fields(conn, SearchDocument.model_validate_json(stored), term_ids)
            conn.execute("UPDATE docs SET tokens = ?, terms = ? WHERE seq = ?", (text["tokens"], text["terms"], seq))
        # Views of this file built before the migration hold no terms: a new generation rebuilds them.
        conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (SCHEMA_VERSION,))


def _micros(moment: datetime) -> int:
    """Microseconds since the epoch, exactly (float timestamps round at this magnitude)."""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _unit(vector: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


_EMPTY_I: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
_EMPTY_F: npt.NDArray[np.float64] = np.zeros(0, dtype=np.float64)
_Keyword = tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]


def _top(
    positions: npt.NDArray[np.int64], scores: npt.NDArray[np.float64], depth: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    if len(positions) <= depth:
        return positions, scores
    keep = np.argpartition(-scores, depth - 1)[:depth]
    return positions[keep], scores[keep]


def _refined(
    view: _View, query: SearchQuery, positions: npt.NDArray[np.int64], scores: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    if not query.prompt_contains or not len(positions):
        return positions, scores
    keep = view.prompt_matches(positions, query.prompt_contains)
    return positions[keep], scores[keep]


def _bm25(
    frequency: npt.NDArray[np.float32], relative_length: npt.NDArray[np.float64], matches: int, documents: int
) -> npt.NDArray[np.float64]:
    """One term's part of FTS5's bm25(): IDF × saturated field-weighted frequency, normalised by the document's
    token count relative to the average (a query's score is the sum over its terms)."""
    idf = math.log((documents - matches + 0.5) / (matches + 0.5))
    idf = idf if idf > 0 else _IDF_FLOOR
    frequency64 = frequency.astype(np.float64)
    return idf * frequency64 * (_K1 + 1) / (frequency64 + _K1 * (1 - _B + _B * relative_length))


def _sum_by_position(parts: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]]) -> _Keyword:
    if not parts:
        return _EMPTY_I, _EMPTY_F
    if len(parts) == 1:
        return parts[0]
    positions, inverse = np.unique(np.concatenate([p for p, _ in parts]), return_inverse=True)
    summed = np.bincount(inverse, weights=np.concatenate([s for _, s in parts]))
    return positions.astype(np.int64), summed.astype(np.float64)


class _Postings:
    """A view's inverted index: for each term the positions it occurs at and its field-weighted frequency
    there, plus each position's token count. Postings live in one array sorted by term (CSR: a term's
    postings are one slice) and, for those added since it was built, a small array per term. Positions never
    move; a changed or deleted document's old postings stay until the next rebuild and are skipped when read
    (each carries its position's stamp at the time, and `forget` bumps the stamp)."""

    def __init__(self) -> None:
        self.lengths = np.zeros(0, dtype=np.float64)
        self._stamps = np.zeros(0, dtype=np.int32)
        self._offsets = np.zeros(1, dtype=np.int64)  # term id -> its slice of the arrays below
        self._positions = _EMPTY_I
        self._frequencies = np.zeros(0, dtype=np.float32)
        self._stamped = np.zeros(0, dtype=np.int32)
        self._recent: dict[int, tuple[npt.NDArray[Any], ...]] = {}  # term id -> (positions, frequencies, stamps)
        self._recent_size = 0
        self._pending: list[tuple[npt.NDArray[Any], ...]] = []

    def reserve(self, capacity: int) -> None:
        grow = capacity - len(self.lengths)
        if grow > 0:
            self.lengths = np.concatenate([self.lengths, np.zeros(grow)])
            self._stamps = np.concatenate([self._stamps, np.zeros(grow, dtype=np.int32)])

    def forget(self, pos: int) -> None:
        self._stamps[pos] += 1
        self.lengths[pos] = 0

    def add(self, positions: Sequence[int], tokens: Sequence[int | None], blobs: Sequence[bytes | None]) -> None:
        """Documents' `tokens` and `terms` columns, many at once: their blobs are joined and read as one array,
        so a first load of 100k documents costs tens of milliseconds."""
        where = np.asarray(positions, dtype=np.int64)
        self.lengths[where] = [count or 0 for count in tokens]
        counts = [len(blob) // _POSTING.itemsize if blob else 0 for blob in blobs]
        pairs = np.frombuffer(b"".join(blob for blob in blobs if blob), dtype=_POSTING)
        if len(pairs):
            at = np.repeat(where, counts)
            self._pending.append((pairs["term"].astype(np.int64), at, pairs["frequency"], self._stamps[at]))

    def of(self, term_id: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """The term's live postings: positions and frequencies."""
        self._merge()
        parts: list[tuple[npt.NDArray[Any], ...]] = []
        if term_id + 1 < len(self._offsets):
            chunk = slice(self._offsets[term_id], self._offsets[term_id + 1])
            parts.append((self._positions[chunk], self._frequencies[chunk], self._stamped[chunk]))
        if term_id in self._recent:
            parts.append(self._recent[term_id])
        if not parts:
            return _EMPTY_I, np.zeros(0, dtype=np.float32)
        positions, frequencies, stamped = parts[0] if len(parts) == 1 else _joined(parts)
        live = stamped == self._stamps[positions]
        return positions[live], frequencies[live]

    def _merge(self) -> None:
        """Pending postings join the index: a few go to their terms' recent arrays; many (a first load, or
        recent arrays grown past an eighth of the index) rebuild the sorted arrays, live postings only."""
        if not self._pending:
            return
        term_ids, positions, weights, stamps = _joined(self._pending)
        self._pending.clear()
        if len(term_ids) + self._recent_size > max(_REBUILD_MIN, len(self._positions) // 8):
            self._rebuild(term_ids, positions, weights, stamps)
            return
        order = np.argsort(term_ids, kind="stable")
        term_ids, positions, weights, stamps = term_ids[order], positions[order], weights[order], stamps[order]
        starts = np.flatnonzero(np.diff(term_ids, prepend=-1)).tolist()
        for start, end in zip(starts, [*starts[1:], len(term_ids)], strict=True):
            term_id = int(term_ids[start])
            added = (positions[start:end], weights[start:end].astype(np.float32), stamps[start:end].astype(np.int32))
            known = self._recent.get(term_id)
            self._recent[term_id] = added if known is None else _joined([known, added])
        self._recent_size += len(term_ids)

    def _rebuild(self, *pending: npt.NDArray[Any]) -> None:
        counts = np.diff(self._offsets)
        columns = [
            (np.repeat(np.arange(len(counts)), counts), self._positions, self._frequencies, self._stamped),
            *((np.full(len(p), t), p, f, s) for t, (p, f, s) in self._recent.items()),
            pending,
        ]
        term_ids, positions, weights, stamps = _joined(columns)
        live = stamps == self._stamps[positions]
        term_ids, positions, weights, stamps = term_ids[live], positions[live], weights[live], stamps[live]
        order = np.argsort(term_ids, kind="stable")
        self._positions = positions[order].astype(np.int64)
        self._frequencies = weights[order].astype(np.float32)
        self._stamped = stamps[order].astype(np.int32)
        self._offsets = np.concatenate([[0], np.cumsum(np.bincount(term_ids))])
        self._recent, self._recent_size = {}, 0


def _joined(parts: Sequence[Sequence[npt.NDArray[Any]]]) -> tuple[npt.NDArray[Any], ...]:
    """Column-wise concatenation of same-shaped tuples of arrays."""
    return tuple(np.concatenate(column) for column in zip(*parts, strict=True))


# --- the per-workspace view ------------------------------------------------------------------------------


@dataclass
class _Codes:
    """Strings of one filter column ↔ small ints, so filters are integer comparisons."""

    by_value: dict[str, int]

    def code(self, value: str | None) -> int:
        if value is None:
            return _NONE
        code = self.by_value.get(value)
        if code is None:
            code = self.by_value[value] = len(self.by_value)
        return code

    def lookup(self, value: str) -> int | None:
        return self.by_value.get(value)


class _View:
    """One workspace's documents in memory, positions in append order. Dead rows (deleted, moved) stay
    as holes with alive=False: positions never move, so a refresh only touches what changed."""

    def __init__(self, workspace_id: str) -> None:
        self.workspace_id = workspace_id
        self.lock = threading.Lock()
        self.generation: int | None = None
        self.reset(None)

    def reset(self, generation: int | None) -> None:
        self.generation = generation
        self.change = 0
        self.size = 0
        self.max_seq = 0
        self.dim: int | None = None
        self.seq = np.zeros(0, dtype=np.int64)
        self.alive = np.zeros(0, dtype=bool)
        self.archived = np.zeros(0, dtype=bool)
        self.has_vec = np.zeros(0, dtype=bool)
        self.created = np.zeros(0, dtype=np.int64)
        self.phash = np.zeros(0, dtype=np.uint64)
        self.has_phash = np.zeros(0, dtype=bool)
        self.codes = {name: np.zeros(0, dtype=np.int32) for name in _CODED}
        self.vocab = {name: _Codes({}) for name in _CODED}
        self.vectors = np.zeros((0, 0), dtype=np.float32)
        self.asset_ids: list[str] = []
        self.prompts: list[str] = []
        self.checksums: list[str | None] = []
        self.pos_by_asset: dict[str, int] = {}
        self.links: dict[str, dict[str, set[int]]] = {name: {} for name in _LINKED}  # fact -> value -> positions
        self.hidden = np.zeros(0, dtype=bool)  # being deleted: never a hit, whatever the filters
        self._links_of: dict[str, list[tuple[str, ...]]] = {name: [] for name in _LINKED}
        self.postings = _Postings()
        self._gather: npt.NDArray[np.float32] | None = None  # scores()'s buffer

    # --- refresh ---------------------------------------------------------------------------------------

    def apply(self, rows: Sequence[Sequence[Any]]) -> None:
        """Rows of `docs` (joined with their vector) changed since the view's last refresh. An asset has one
        row, so it appears once: new assets are appended in bulk, known ones updated in place."""
        if self.dim is None:
            self.dim = next((len(row[-1]) // 4 for row in rows if row[-1]), None)
        self.reserve(self.size + len(rows))
        known = self.pos_by_asset
        changed = [row for row in rows if row[1] in known]
        fresh = [row for row in rows if row[1] not in known and not row[2] and row[3] == self.workspace_id]
        for row in changed:
            pos = known[row[_AT["asset_id"]]]
            self._unlink(pos)
            self.postings.forget(pos)
            if row[_AT["deleted"]] or row[_AT["workspace_id"]] != self.workspace_id:
                self.alive[pos] = False
                continue
            self.postings.add([pos], [row[_AT["tokens"]]], [row[_AT["terms"]]])
            self.alive[pos] = True
            self.archived[pos] = bool(row[_AT["archived"]])
            self.created[pos] = row[_AT["created_us"]]
            for name in _CODED:
                self.codes[name][pos] = self.vocab[name].code(row[_AT[name]])
            self.prompts[pos] = row[_AT["prompt_folded"]] or ""
            self.checksums[pos] = row[_AT["checksum"]]
            self._link(pos, {name: row[_AT[name]] for name in _LINKED})
            self.hidden[pos] = row[_AT["status"]] == _DELETING
            bits = phash_bits(row[_AT["phash"]])
            self.has_phash[pos] = bits is not None
            self.phash[pos] = bits or 0
            self._set_vector(pos, row[_VECTOR])
        if fresh:
            self._append(fresh)

    def reserve(self, needed: int) -> None:
        """Room for `needed` rows (and vectors of the view's dimension once known); grows by doubling."""
        capacity = len(self.seq)
        if needed <= capacity and (self.dim is None or self.vectors.shape[1] == self.dim):
            return
        capacity = max(needed, capacity * 2 if needed > capacity else capacity, 1024)
        grow = capacity - len(self.seq)

        def extend(array: npt.NDArray[Any], fill: Any = 0) -> npt.NDArray[Any]:
            return np.concatenate([array, np.full(grow, fill, dtype=array.dtype)])

        self.seq, self.created, self.phash = extend(self.seq), extend(self.created), extend(self.phash)
        self.alive, self.archived = extend(self.alive, False), extend(self.archived, False)
        self.hidden = extend(self.hidden, False)
        self.has_vec, self.has_phash = extend(self.has_vec, False), extend(self.has_phash, False)
        self.codes = {name: extend(array, _NONE) for name, array in self.codes.items()}
        self.postings.reserve(capacity)
        vectors = np.zeros((capacity, self.dim or 0), dtype=np.float32)
        if self.vectors.shape[1] == (self.dim or 0):
            vectors[: len(self.vectors)] = self.vectors
        self.vectors = vectors

    def _set_vector(self, pos: int, data: bytes | None) -> None:
        if data and self.dim is not None and len(data) == 4 * self.dim:
            self.vectors[pos] = np.frombuffer(data, dtype="<f4")
            self.has_vec[pos] = True
        else:  # no embedding, or another model's dimension: not searchable by meaning
            self.has_vec[pos] = False

    def _append(self, rows: Sequence[Sequence[Any]]) -> None:
        """New assets, column by column: ~4x faster than row by row, which matters for the first search."""
        start, count = self.size, len(rows)
        end = start + count
        columns = list(zip(*rows, strict=True))
        seqs = np.asarray(columns[0], dtype=np.int64)
        positions = np.arange(start, end, dtype=np.int64)
        self.seq[start:end] = seqs
        self.max_seq = max(self.max_seq, int(seqs.max()))
        self.alive[start:end] = True
        self.archived[start:end] = np.asarray(columns[_AT["archived"]], dtype=bool)
        self.created[start:end] = np.asarray(columns[_AT["created_us"]], dtype=np.int64)
        for name in _CODED:
            code, values = self.vocab[name].code, columns[_AT[name]]
            self.codes[name][start:end] = np.fromiter((code(v) for v in values), dtype=np.int32, count=count)
        asset_ids = columns[_AT["asset_id"]]
        self.asset_ids.extend(asset_ids)
        self.pos_by_asset.update(zip(asset_ids, range(start, end), strict=True))
        self.prompts.extend(prompt or "" for prompt in columns[_AT["prompt_folded"]])
        self.checksums.extend(columns[_AT["checksum"]])
        for name in _LINKED:
            self._links_of[name].extend([()] * count)
        linked = [columns[_AT[name]] for name in _LINKED]
        for offset, values in enumerate(zip(*linked, strict=True)):
            if any(links and links != "[]" for links in values):
                self._link(start + offset, dict(zip(_LINKED, values, strict=True)))
        statuses = columns[_AT["status"]]
        self.hidden[start:end] = np.fromiter((s == _DELETING for s in statuses), dtype=bool, count=count)
        bits = [phash_bits(value) for value in columns[_AT["phash"]]]
        self.has_phash[start:end] = [b is not None for b in bits]
        self.phash[start:end] = [b or 0 for b in bits]
        blobs = columns[_VECTOR]
        width = 4 * (self.dim or 0)
        ok = np.fromiter((bool(b) and len(b) == width for b in blobs), dtype=bool, count=count)
        self.has_vec[start:end] = ok
        if width and ok.any():
            packed = b"".join(blob for blob, good in zip(blobs, ok, strict=True) if good)
            self.vectors[positions[ok]] = np.frombuffer(packed, dtype="<f4").reshape(-1, self.dim or 0)
        self.postings.add(range(start, end), columns[_AT["tokens"]], columns[_AT["terms"]])
        self.size = end

    def _link(self, pos: int, stored: dict[str, str | None]) -> None:
        """`stored`: each list fact's JSON column."""
        for name, text in stored.items():
            values = tuple(json.loads(text)) if text and text != "[]" else ()
            self._links_of[name][pos] = values
            index = self.links[name]
            for value in values:
                index.setdefault(value, set()).add(pos)

    def _unlink(self, pos: int) -> None:
        for name, index in self.links.items():
            for value in self._links_of[name][pos]:
                index.get(value, set()).discard(pos)

    # --- filters ---------------------------------------------------------------------------------------

    def tenancy(self, visible_clients: tuple[str, ...] | None, *, archived: bool) -> npt.NDArray[np.bool_]:
        n = self.size
        mask = self.alive[:n] & ~self.hidden[:n] & (self.archived[:n] == archived)
        if visible_clients is not None:
            clients = self.codes["client_id"][:n]
            codes = [c for c in (self.vocab["client_id"].lookup(v) for v in visible_clients) if c is not None]
            mask &= (clients == _NONE) | np.isin(clients, codes)
        return mask

    def mask(self, query: SearchQuery, snapshot: int) -> npt.NDArray[np.bool_]:
        """Tenancy (shelf, clients, not being deleted) and every declared filter (dam.domain.filters) the
        query sets, as one mask. The prompt substring is left to `refine` (a Python scan, on candidates)."""
        n = self.size
        mask = self.tenancy(query.visible_clients, archived=query.archived) & (self.seq[:n] <= snapshot)
        for declared, value in active_filters(query):
            narrowed = self._filter_mask(declared, value)
            if narrowed is not None:
                mask &= narrowed
        return mask

    def _filter_mask(self, declared: Filter, value: Any) -> npt.NDArray[np.bool_] | None:
        """One declared filter as a mask over the view (None: applied elsewhere)."""
        n, fact = self.size, declared.fact
        match declared.match:
            case Match.EQUALS | Match.EQUALS_OR_UNSET:
                codes = self.codes[fact][:n]
                if declared.match is Match.EQUALS_OR_UNSET and value == UNASSIGNED:
                    return codes == _NONE
                code = self.vocab[fact].lookup(value)
                return codes == (code if code is not None else -2)
            case Match.EXCLUDES:
                excluded = self.vocab[fact].lookup(str(declared.constant))
                return None if excluded is None else self.codes[fact][:n] != excluded
            case Match.SINCE:
                return self.created[:n] >= _micros(value)
            case Match.UNTIL:
                return self.created[:n] <= _micros(value)
            case Match.CONTAINS:
                return self._positions_mask(self.links[fact].get(value, set()))
            case Match.AMONG:
                return self._positions_mask({self.pos_by_asset[a] for a in value if a in self.pos_by_asset})
            case Match.SUBSTRING | Match.SHELF | Match.SCOPE:
                return None  # `refine`, and the tenancy
        raise AssertionError(declared.match)  # pragma: no cover

    def _positions_mask(self, positions: set[int]) -> npt.NDArray[np.bool_]:
        mask = np.zeros(self.size, dtype=bool)
        if positions:
            mask[np.fromiter(positions, dtype=np.int64, count=len(positions))] = True
        return mask

    def refine(self, positions: npt.NDArray[np.int64], query: SearchQuery) -> npt.NDArray[np.int64]:
        """The prompt substring filter: a Python scan, so it runs on candidates, never the whole workspace
        unless there is nothing else to narrow by."""
        if not query.prompt_contains or not len(positions):
            return positions
        return positions[self.prompt_matches(positions, query.prompt_contains)]

    def prompt_matches(self, positions: npt.NDArray[np.int64], needle: str) -> npt.NDArray[np.bool_]:
        folded, prompts = needle.casefold(), self.prompts
        return np.fromiter((folded in prompts[p] for p in positions.tolist()), dtype=bool, count=len(positions))

    # --- scoring ---------------------------------------------------------------------------------------

    def keyword_hits(self, terms: KeywordTerms, mask: npt.NDArray[np.bool_], vocabulary: _Vocabulary) -> _Keyword:
        """(position, keyword score) of every match inside `mask`. Exact matches carry BM25; prefix-only
        matches a flat score below every exact one (OpenSearch scores its prefix clause as a constant too)."""
        n = self.size
        alive = self.alive[:n]
        documents = int(alive.sum())
        if not documents:
            return _EMPTY_I, _EMPTY_F
        lengths = self.postings.lengths[:n]
        average = float(lengths[alive].sum()) / documents or 1.0
        exact = dict.fromkeys(stem for term in terms.exact for stem in stems(term))
        parts = []
        for term_id in (vocabulary.ids[term] for term in exact if term in vocabulary.ids):
            positions, frequency = self.postings.of(term_id)
            if len(positions):
                parts.append((positions, _bm25(frequency, lengths[positions] / average, len(positions), documents)))
        positions, scores = _sum_by_position(parts)
        scores = 1.0 + scores / (1.0 + scores)  # scoring.keyword_score, vectorised
        if terms.prefix:
            prefixed = stems(terms.prefix)
            if prefixed:
                found = [self.postings.of(term_id)[0] for term_id in vocabulary.starting_with(prefixed[-1])]
                extra = np.unique(np.concatenate(found)) if found else _EMPTY_I
                extra = extra[~np.isin(extra, positions)]
                positions = np.concatenate([positions, extra])
                scores = np.concatenate([scores, np.full(len(extra), PREFIX_SCORE)])
        keep = mask[positions]
        return positions[keep], scores[keep]

    def semantic_hits(
        self,
        vector: npt.NDArray[np.float32],
        mask: npt.NDArray[np.bool_],
        floor: float | None,
        threshold: float | None,
        tuning: SearchTuning,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], float | None]:
        if self.dim != vector.shape[0]:
            return _EMPTY_I, _EMPTY_F, threshold
        eligible = np.flatnonzero(mask & self.has_vec[: self.size])
        if not len(eligible):
            return _EMPTY_I, _EMPTY_F, threshold
        scores = self.scores(vector, eligible)
        if threshold is None:
            threshold = semantic_threshold(float(scores.max()), floor, tuning)
        keep = scores >= threshold
        return eligible[keep], scores[keep].astype(np.float64), threshold

    def scores(self, vector: npt.NDArray[np.float32], positions: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        if len(positions) >= _FULL_SCAN_SHARE * self.size:
            return (self.vectors[: self.size] @ vector)[positions]
        # Gathering a subset beats scoring everything; in blocks, into one buffer, so a query never allocates a
        # copy of tens of MB of vectors.
        scores = np.empty(len(positions), dtype=np.float32)
        if self._gather is None or self._gather.shape[1] != self.vectors.shape[1]:
            self._gather = np.empty((_GATHER_ROWS, self.vectors.shape[1]), dtype=np.float32)
        for start in range(0, len(positions), _GATHER_ROWS):
            block = positions[start : start + _GATHER_ROWS]
            rows = self._gather[: len(block)]
            np.take(self.vectors, block, axis=0, out=rows)
            np.matmul(rows, vector, out=scores[start : start + len(block)])
        return scores

    def similar(
        self, asset_id: str, limit: int, visible_clients: tuple[str, ...] | None, near_bits: int
    ) -> list[SearchHit]:
        pos = self.pos_by_asset.get(asset_id)
        if pos is None or not self.alive[pos]:
            return []
        mask = self.tenancy(visible_clients, archived=False)
        mask[pos] = False
        hits: list[SearchHit] = []
        checksum = self.checksums[pos]
        # A scan (~3 ms at 100k) rather than an index: duplicates are asked for one asset at a time.
        twins = [i for i, value in enumerate(self.checksums) if value == checksum] if checksum else []
        for other in sorted(twins, key=lambda i: int(self.seq[i])):
            if mask[other]:
                hits.append(SearchHit(self.asset_ids[other], 1.0, "duplicate"))
                mask[other] = False
        if self.has_phash[pos]:
            distance = np.bitwise_count(self.phash[: self.size] ^ self.phash[pos])
            near = np.flatnonzero(mask & self.has_phash[: self.size] & (distance <= near_bits))
            for other in near[np.lexsort((self.seq[near], distance[near]))].tolist():
                hits.append(SearchHit(self.asset_ids[other], 1.0 - float(distance[other]) / 64, "near_duplicate"))
                mask[other] = False
        if self.has_vec[pos] and len(hits) < limit:
            eligible = np.flatnonzero(mask & self.has_vec[: self.size])
            scores = self.scores(self.vectors[pos], eligible)
            take = min(limit - len(hits), len(eligible))
            if take:
                best = np.argpartition(-scores, take - 1)[:take]
                for i in best[np.lexsort((self.seq[eligible[best]], -scores[best]))].tolist():
                    hits.append(SearchHit(self.asset_ids[int(eligible[i])], float(scores[i]), "similar"))
        return hits[:limit]
