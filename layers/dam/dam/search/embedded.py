"""The embedded search engine: one SQLite file (WAL), FTS5 for BM25, exact vector scoring with numpy.

Storage (the file):
- `docs`: one row per asset id (tombstones included) with the filter fields and the version. `seq` is
  assigned when an asset is first indexed and never changes: cursors use it as their snapshot bound.
- `fts_<workspace hash>`: one FTS5 table per workspace (porter stemming, diacritics folded) over the text
  fields, so a MATCH only walks the caller's workspace (a shared table with a workspace token in the MATCH
  computed BM25 for one more phrase per row: 1.7x slower at 100k).
- `vectors`: unit-length float32 little-endian embeddings.
- `workspaces`: the last change number per workspace; `meta`: the change counter and a generation that
  `clear()` bumps.

Reading: each workspace gets an in-memory view — filter columns as numpy arrays, vectors in one contiguous
float32 matrix — built on first use and brought up to date before every search by reading only the rows
whose change number is newer than the view's (one indexed query; nothing when nothing changed). Filters are
numpy masks; semantic scores are one matrix-vector product; keyword search is one or two FTS5 queries.
Views refresh from the file, so several index objects (or processes) over one file stay consistent.

Threads: one writer at a time (a lock plus SQLite's own), readers in parallel on their own connections
(WAL: readers never block the writer). A view's refresh and scoring run under the view's lock.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
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

SCHEMA_VERSION = 3  # 2: the document_text FTS column, collection_ids; 3: project_id, shot_id, generation_run_id
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
_COLUMNS = (*_FIXED, "phash", "status", *_CODED, *_LINKED)
_AT = {name: index for index, name in enumerate(_COLUMNS)}
_SELECTED = ", ".join(f"d.{name}" for name in _COLUMNS)
_VECTOR = len(_COLUMNS)  # the joined vector's position in a row
_DELETING = "deleting"  # AssetStatus.DELETING: on its way out, never shown
_FULL_SCAN_SHARE = 0.3  # below this share of eligible rows, gather them instead of scoring the whole matrix

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
    collection_ids TEXT
);
CREATE INDEX IF NOT EXISTS docs_by_change ON docs (workspace_id, change);
CREATE TABLE IF NOT EXISTS vectors (seq INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS workspaces (workspace_id TEXT PRIMARY KEY, change INTEGER NOT NULL);
"""
# BM25 with the column weights, as the table's `rank`.
_RANK = "bm25(" + ", ".join(str(FIELD_WEIGHTS[name]) for name in TEXT_FIELDS) + ")"


class EmbeddedIndex:
    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        tuning: SearchTuning | None = None,
        noise: NoiseFloor | None = None,
        keyword_cache: int = 64,
    ) -> None:
        """`noise`: the decoys' vectors for the semantic cut-off (without it only the window applies, and a
        nonsense query returns its few nearest assets). `keyword_cache`: keyword results kept, keyed by the
        workspace's state, so "load more" pages skip BM25 (0 disables it)."""
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
        self._ready = False
        self._fts_cache: OrderedDict[tuple[str, KeywordTerms, int], _Keyword] = OrderedDict()
        self._fts_cache_lock = threading.Lock()
        self._fts_cache_size = keyword_cache
        # Keyword search (SQLite, GIL released while it steps) runs beside vector scoring (numpy, GIL released).
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="search-fts")

    # --- lifecycle -------------------------------------------------------------------------------------

    def ensure_ready(self) -> None:
        if self._ready:
            return
        with self._write_lock:
            if not self._ready:
                conn = self._conn()
                conn.executescript(_SCHEMA)
                _migrate(conn)
                self._ready = True

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="search-fts")
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
        with self._write_lock, _Transaction(self._conn()) as conn:
            change = _next_change(conn)
            touched: set[str] = set()
            for workspace_id in {document.workspace_id for document in batch}:
                _ensure_fts(conn, workspace_id)
            for document in batch:
                try:
                    applied = _upsert_one(conn, document, change)
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
                " brand_ids = NULL, checksum = NULL, phash = NULL, document = NULL, collection_ids = NULL"
                " WHERE seq = ?",
                (version, change, seq),
            )
            if workspace_id:
                conn.execute(f"DELETE FROM {_fts_table(workspace_id)} WHERE rowid = ?", (seq,))
                _touch(conn, {workspace_id}, change)
            conn.execute("DELETE FROM vectors WHERE seq = ?", (seq,))
        return WriteResult(written=(asset_id,))

    def clear(self) -> None:
        self.ensure_ready()
        with self._write_lock, _Transaction(self._conn()) as conn:
            # The FTS tables themselves (fts_<hash>); dropping one drops its shadow tables (fts_<hash>_data, …).
            tables = conn.execute("SELECT name FROM sqlite_master WHERE name GLOB 'fts_*' AND name NOT GLOB 'fts_*_*'")
            for (name,) in tables.fetchall():
                conn.execute(f"DROP TABLE {name}")
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
        # FTS reads the file on another thread while this one refreshes the view and scores vectors; rows
        # newer than the view are dropped when mapped.
        pending = self._pool.submit(self._fts, query.workspace_id, terms) if terms else None
        floor = self._floor(vector) if vector is not None and (cursor is None or cursor.threshold is None) else None
        view = self._view(query.workspace_id)
        with view.lock:
            self._refresh(view)
            snapshot = int(cursor.snapshot) if cursor else view.max_seq
            mask = view.mask(query, snapshot)
            if pending is None and vector is None:
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
            kw_pos, kw_scores = view.keyword_hits(pending.result(), mask) if pending else (_EMPTY_I, _EMPTY_F)
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

    def _fts(self, workspace_id: str, terms: KeywordTerms) -> _Keyword:
        """(seq, keyword score) of every match in the workspace. Exact matches carry BM25; prefix-only matches
        a flat score below every exact one (FTS5's bm25() costs ~1.7 µs a matching row, so it is computed
        once, for the exact query; OpenSearch scores its prefix clause as a constant too)."""
        conn = self._conn()
        table = _fts_table(workspace_id)
        conn.execute("BEGIN")  # the workspace's change number and its matches from one snapshot
        try:
            row = conn.execute("SELECT change FROM workspaces WHERE workspace_id = ?", (workspace_id,)).fetchone()
            # A workspace gets its table with its first document (in the same transaction).
            if row is None:
                return _EMPTY_I, _EMPTY_F
            key = (workspace_id, terms, int(row[0]))
            with self._fts_cache_lock:
                if key in self._fts_cache:
                    self._fts_cache.move_to_end(key)
                    return self._fts_cache[key]
            exact = " OR ".join(_quote(term) for term in terms.exact)
            rows = conn.execute(f"SELECT rowid, rank FROM {table} WHERE {table} MATCH ?", (exact,)).fetchall()
            seqs, scores = _keyword_arrays(rows)
            if terms.prefix:
                prefix = conn.execute(
                    f"SELECT rowid FROM {table} WHERE {table} MATCH ?", (f"{_quote(terms.prefix)}*",)
                ).fetchall()
                prefix_seqs = np.asarray(prefix, dtype=np.int64).reshape(-1)
                prefix_seqs = prefix_seqs[~np.isin(prefix_seqs, seqs)]
                seqs = np.concatenate([seqs, prefix_seqs])
                scores = np.concatenate([scores, np.full(len(prefix_seqs), PREFIX_SCORE)])
        finally:
            conn.execute("COMMIT")
        with self._fts_cache_lock:
            self._fts_cache[key] = (seqs, scores)
            while len(self._fts_cache) > self._fts_cache_size:
                self._fts_cache.popitem(last=False)
        return seqs, scores

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


def _next_change(conn: sqlite3.Connection) -> int:
    row = conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'change' RETURNING value").fetchone()
    return int(row[0])


def _touch(conn: sqlite3.Connection, workspaces: Iterable[str], change: int) -> None:
    conn.executemany(
        "INSERT INTO workspaces VALUES (?, ?) ON CONFLICT (workspace_id) DO UPDATE SET change = excluded.change",
        [(workspace_id, change) for workspace_id in workspaces],
    )


def _upsert_one(conn: sqlite3.Connection, document: SearchDocument, change: int) -> bool:
    """Write one document unless the stored version (document or tombstone) is as new. An asset never
    changes workspace, so only its own workspace's view needs to hear about it."""
    row = conn.execute("SELECT seq, version FROM docs WHERE asset_id = ?", (document.asset_id,)).fetchone()
    if row is not None and document.version <= row[1]:
        return False
    fields = _row_fields(document)
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
    table = _fts_table(document.workspace_id)
    if row is not None:
        conn.execute(f"DELETE FROM {table} WHERE rowid = ?", (seq,))
    conn.execute(
        f"INSERT INTO {table} (rowid, {', '.join(TEXT_FIELDS)}) VALUES (?, {', '.join('?' for _ in TEXT_FIELDS)})",
        (seq, *_fts_texts(document)),
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
        # The whole document minus its vector: for inspection and a future rebuild of the FTS table.
        "document": document.model_dump_json(exclude={"embedding"}),
    }


def _fts_texts(document: SearchDocument) -> list[str]:
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


def _migrate(conn: sqlite3.Connection) -> None:
    """A file from an older version: its FTS tables are rebuilt with today's columns from each row's stored
    document (the `document` column), in one transaction."""
    (version,) = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    if version >= SCHEMA_VERSION:
        return
    with _Transaction(conn):
        columns = {row[1] for row in conn.execute("PRAGMA table_info(docs)")}
        for name in (*_CODED, *_LINKED):  # filled again as assets change (or by `dam reindex`)
            if name not in columns:
                conn.execute(f"ALTER TABLE docs ADD COLUMN {name} TEXT")
        tables = conn.execute("SELECT name FROM sqlite_master WHERE name GLOB 'fts_*' AND name NOT GLOB 'fts_*_*'")
        for (name,) in tables.fetchall():
            conn.execute(f"DROP TABLE {name}")
        rows = conn.execute("SELECT seq, document FROM docs WHERE deleted = 0 AND document IS NOT NULL")
        for seq, stored in rows.fetchall():
            document = SearchDocument.model_validate_json(stored)
            _ensure_fts(conn, document.workspace_id)
            conn.execute(
                f"INSERT INTO {_fts_table(document.workspace_id)} (rowid, {', '.join(TEXT_FIELDS)})"
                f" VALUES (?, {', '.join('?' for _ in TEXT_FIELDS)})",
                (seq, *_fts_texts(document)),
            )
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (SCHEMA_VERSION,))


def _fts_table(workspace_id: str) -> str:
    """The workspace's FTS table name: hashed, so any workspace id makes a safe SQL identifier."""
    return "fts_" + hashlib.sha256(workspace_id.encode()).hexdigest()[:24]


def _ensure_fts(conn: sqlite3.Connection, workspace_id: str) -> None:
    table = _fts_table(workspace_id)
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone() is None:
        columns = ", ".join(TEXT_FIELDS)
        conn.execute(
            f"CREATE VIRTUAL TABLE {table} USING fts5 ({columns},"
            " tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3')"
        )
        conn.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('rank', ?)", (_RANK,))


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


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


def _keyword_arrays(rows: list[Any]) -> _Keyword:
    if not rows:
        return _EMPTY_I, _EMPTY_F
    table = np.asarray(rows, dtype=np.float64)
    bm25 = np.maximum(-table[:, 1], 0.0)  # FTS5's rank is the negated BM25
    return table[:, 0].astype(np.int64), 1.0 + bm25 / (1.0 + bm25)  # scoring.keyword_score, vectorised


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
        self.seq_to_pos = np.full(1, -1, dtype=np.int64)
        self.asset_ids: list[str] = []
        self.prompts: list[str] = []
        self.checksums: list[str | None] = []
        self.pos_by_asset: dict[str, int] = {}
        self.links: dict[str, dict[str, set[int]]] = {name: {} for name in _LINKED}  # fact -> value -> positions
        self.hidden = np.zeros(0, dtype=bool)  # being deleted: never a hit, whatever the filters
        self._links_of: dict[str, list[tuple[str, ...]]] = {name: [] for name in _LINKED}

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
            if row[_AT["deleted"]] or row[_AT["workspace_id"]] != self.workspace_id:
                self.alive[pos] = False
                continue
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
        if int(seqs.max()) >= len(self.seq_to_pos):
            grown = np.full(max(int(seqs.max()) + 1, len(self.seq_to_pos) * 2), -1, dtype=np.int64)
            grown[: len(self.seq_to_pos)] = self.seq_to_pos
            self.seq_to_pos = grown
        self.seq_to_pos[seqs] = positions
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
        self.size = end

    def _link(self, pos: int, stored: dict[str, str | None]) -> None:
        """`stored`: each list fact's JSON column."""
        for name, text in stored.items():
            values = tuple(json.loads(text or "[]"))
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

    def keyword_hits(self, keyword: _Keyword, mask: npt.NDArray[np.bool_]) -> _Keyword:
        seqs, scores = keyword
        inside = seqs < len(self.seq_to_pos)
        seqs, scores = seqs[inside], scores[inside]
        positions = self.seq_to_pos[seqs]
        known = positions >= 0
        positions, scores = positions[known], scores[known]
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
        if len(positions) < _FULL_SCAN_SHARE * self.size:
            return self.vectors[positions] @ vector  # gathering a subset beats scoring everything
        return (self.vectors[: self.size] @ vector)[positions]

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
