"""Search: keyword (BM25), semantic (embeddings) and hybrid search over assets, behind one port.

- `model`: the document an asset becomes, the query, the page (pure; cheap to import).
- `port`: the `SearchIndex` protocol both engines implement.
- `scoring`: the rules both engines share (query terms, score fusion, semantic cut-off, cursors).
- `embedded`: one SQLite file, BM25 from in-memory postings and exact vector scoring (local stack, tests).
- `terms`: the embedded engine's tokenizer and stemmer (FTS5's `porter unicode61 remove_diacritics 2`).
- `opensearch`: OpenSearch (BM25 + k-NN HNSW + hybrid normalization) on AWS.

Nothing here imports numpy, sqlite3 or opensearch-py at package import time.
"""
