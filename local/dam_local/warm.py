"""Warm the stack's own execution environments right after start, in the background, as provisioned
concurrency would: the services each function builds on its first event, the route modules, the imaging
libraries, the OCR engine and the embedding model. Without it the first upload after a start took ~8 s,
most of it loading (OCR and its ONNX session ~3 s in Analyze, the embedder ~1 s, Ingest and Register ~1 s
each); a worker process still loads on its own when it starts.

A failure here is logged and never stops the stack: that function's first event loads what it needs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger("dam_local.warm")

WARMED = "environments warmed"  # the log line's start (benchmarks wait for it)


def _api() -> None:
    from dam.api.app import app
    from dam.api.context import services

    app.include_all_routes()
    services().build_all()


def _stream_consumers() -> None:
    from functions.audit.handler import audit
    from functions.indexer.handler import indexing_service
    from functions.ingest.handler import ingest_service

    ingest_service()
    indexing_service()
    audit()


def _pipeline() -> None:
    import dam.imaging.extract
    import dam.imaging.limits
    import dam.imaging.renditions
    import dam.imaging.sniff  # noqa: F401  (what Register and Renditions import on their first event)
    from dam import tasks

    tasks.service()
    tasks.service(with_analyzer=True)
    tasks.service(with_embedder=True)


def _models() -> None:
    from PIL import Image

    from dam import tasks
    from dam.adapters.local_analysis import LocalTextEmbedder, ocr_available, read_text

    config = tasks.settings()
    if config.analyzer == "local" and config.ocr and ocr_available():
        read_text(Image.new("RGB", (96, 32), "white"))  # the ONNX sessions' first run is the slow one
    if config.embedder == "local":
        embedder = LocalTextEmbedder()  # the model and its centre are cached per process
        embedder.load()
        embedder.embed_documents(["warm-up"])


STEPS: tuple[tuple[str, Callable[[], None]], ...] = (
    ("api", _api),
    ("ingest, indexer and audit", _stream_consumers),
    ("pipeline", _pipeline),
    ("models", _models),
)


def warm_up() -> float:
    """Run every step (each failure logged); the seconds it took."""
    started = time.monotonic()
    for name, step in STEPS:
        try:
            step()
        except Exception:
            logger.warning("warming %s failed; its first event loads it", name, exc_info=True)
    seconds = time.monotonic() - started
    logger.info("%s in %.1f s", WARMED, seconds)
    return seconds


def warm_in_background() -> threading.Thread:
    thread = threading.Thread(target=warm_up, name="warm-up", daemon=True)
    thread.start()
    return thread
