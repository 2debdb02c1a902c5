"""Search: keyword (BM25), semantic (embeddings) and hybrid search over assets, behind one port.

- `model`: the document an asset becomes, the query, the page (pure; cheap to import).
- `port`: the `SearchIndex` protocol both engines implement.
- `scoring`: the rules both engines share (query terms, score fusion, semantic cut-off, cursors).
- `embedded`: SQLite FTS5 + exact vector scoring in one file (local stack, tests).
- `opensearch`: OpenSearch (BM25 + k-NN HNSW + hybrid normalization) on AWS.

Nothing here imports numpy, sqlite3 or opensearch-py at package import time.
"""
