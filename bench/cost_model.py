"""What a month of this stack costs on AWS: a pure model of the workload, the deployed sizes and list prices.

    python bench/cost_model.py              # a table a scenario, the knobs ranked, the prices used
    python bench/cost_model.py --markdown   # what README.md's "What it costs to run" shows (a test compares)
    python bench/cost_model.py --update-readme   # writes that into README.md

Nothing here calls AWS. The function memory sizes and the OpenSearch sizings are the stacks' own
(`stacks/sizing.py`, checked against the synthesized template by `tests/infra/test_cost_model.py`); the
Step Functions transitions are counted in the pipeline's ASL (`local/dam_local/pipeline.asl.json`, which an
infrastructure test keeps equal to the deployed definition); the rendition time is the one
`bench/renditions.py` measured. Everything else is an assumption, named below with where it comes from.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as `python bench/cost_model.py` as well as `python -m bench.cost_model`
    sys.path.insert(0, str(ROOT))

from stacks.sizing import DEV_SEARCH, FUNCTION_MEMORY_MB, PROD_SEARCH, SearchSizing  # noqa: E402

ASL_PATH = ROOT / "local" / "dam_local" / "pipeline.asl.json"
HOURS_A_MONTH = 730
MB_PER_GB = 1024
MILLION = 1_000_000


# --- prices (us-east-1, on demand, no free tier applied) ---------------------------------------------------

PRICES_CHECKED = "2026-12-04"
# How far each price was confirmed on PRICES_CHECKED with the search tool (no AWS account is used):
AWS_PAGE = "AWS pricing page"  # read on the AWS page itself
QUOTED = "quoted"  # a 2025-26 third-party page or price table quoting AWS; the AWS page's own text not found
UNCONFIRMED = "not confirmed"  # no current source found (none left on PRICES_CHECKED)


class Price(NamedTuple):
    list_usd: float  # as the pricing page lists it
    per: str  # what that buys
    units: float  # how many billed units that is (1 GB-second, 1,000,000 requests, …)
    source: str
    checked: str
    note: str = ""

    @property
    def usd(self) -> float:
        """The price of one billed unit."""
        return self.list_usd / self.units


LAMBDA = "https://aws.amazon.com/lambda/pricing/"
BEDROCK = "https://aws.amazon.com/bedrock/pricing/"
OPENSEARCH = "https://aws.amazon.com/opensearch-service/pricing/"
S3 = "https://aws.amazon.com/s3/pricing/"
DYNAMODB = "https://aws.amazon.com/dynamodb/pricing/on-demand/"
CLOUDWATCH = "https://aws.amazon.com/cloudwatch/pricing/"

LAMBDA_GB_SECOND = Price(0.0000133334, "GB-second, arm64", 1, LAMBDA, QUOTED)
LAMBDA_REQUEST = Price(0.20, "1M requests", MILLION, LAMBDA, QUOTED)
LAMBDA_EPHEMERAL_GB_SECOND = Price(
    0.0000000309, "GB-second of /tmp above 512 MB", 1, LAMBDA, QUOTED, "quoted for x86; arm64 taken the same"
)
STATE_TRANSITION = Price(
    0.025, "1,000 state transitions", 1000, "https://aws.amazon.com/step-functions/pricing/", AWS_PAGE
)
# The stack calls Claude through the `us.` geographic inference profile. $1 / $5 per million tokens is the
# quoted global-endpoint price; the quoted source says regional and geographic endpoints cost 10% more.
CLAUDE_INPUT_TOKEN = Price(
    1.10, "1M input tokens, Claude Haiku 4.5", MILLION, BEDROCK, QUOTED, "$1.00 global + 10% for the us. profile"
)
CLAUDE_OUTPUT_TOKEN = Price(
    5.50, "1M output tokens, Claude Haiku 4.5", MILLION, BEDROCK, QUOTED, "$5.00 global + 10% for the us. profile"
)
EMBEDDING_TOKEN = Price(0.02, "1M tokens, Titan Text Embeddings V2", MILLION, BEDROCK, QUOTED)
SEARCH_INSTANCE_HOUR: dict[str, Price] = {
    kind: Price(usd, f"hour of {kind}", 1, OPENSEARCH, QUOTED, "a 2026 table read from the AWS Price List API")
    for kind, usd in {
        "t3.small.search": 0.036,
        "m5.large.search": 0.142,
        "m7g.medium.search": 0.068,
        "r7g.large.search": 0.178,
    }.items()
}
SEARCH_GP3_GB_MONTH = Price(0.122, "GB-month of gp3 on a search node", 1, OPENSEARCH, QUOTED)
S3_GB_MONTH = Price(0.023, "GB-month, S3 Standard (first 50 TB)", 1, S3, QUOTED)
S3_PUT = Price(0.005, "1,000 PUT, POST or LIST requests", 1000, S3, QUOTED)
S3_GET = Price(0.0004, "1,000 GET or HEAD requests", 1000, S3, QUOTED)
EGRESS_GB = Price(0.09, "GB out to the internet (first 10 TB)", 1, S3, QUOTED)
DYNAMODB_WRITE_UNIT = Price(0.625, "1M write request units, on demand", MILLION, DYNAMODB, QUOTED)
DYNAMODB_READ_UNIT = Price(0.125, "1M read request units, on demand", MILLION, DYNAMODB, QUOTED)
DYNAMODB_GB_MONTH = Price(0.25, "GB-month, DynamoDB Standard", 1, DYNAMODB, QUOTED)
HTTP_API_REQUEST = Price(
    1.00, "1M HTTP API requests (first 300M)", MILLION, "https://aws.amazon.com/api-gateway/pricing/", QUOTED
)
SQS_REQUEST = Price(0.40, "1M standard-queue requests", MILLION, "https://aws.amazon.com/sqs/pricing/", QUOTED)
LOGS_GB = Price(0.50, "GB of logs ingested", 1, CLOUDWATCH, QUOTED)
ALARM_MONTH = Price(0.10, "standard alarm-month", 1, CLOUDWATCH, QUOTED)
CLOUDFRONT = "https://aws.amazon.com/cloudfront/pricing/"
CLOUDFRONT_GB = Price(0.085, "GB out of CloudFront (United States, first 10 TB)", 1, CLOUDFRONT, AWS_PAGE)
CLOUDFRONT_HTTPS_REQUEST = Price(0.01, "10,000 HTTPS requests (United States)", 10_000, CLOUDFRONT, QUOTED)
CLOUDFRONT_FUNCTION = Price(0.10, "1M CloudFront Function invocations", MILLION, CLOUDFRONT, QUOTED)
TRACE = Price(5.00, "1M traces recorded, X-Ray", MILLION, "https://aws.amazon.com/xray/pricing/", QUOTED)


# --- what one asset and one request take (assumptions, each with its origin) ----------------------------------

# bench/renditions.py (README "Measured"): the full rendition set of a 12 MP JPEG, median on this machine.
# (bench/e2e_ready.py's ~4.5 s upload-to-ready is moto's Step Functions interpreter and local OCR, not the
# functions' own time, so it sets no duration here.)
RENDITIONS_MEASURED_MS = 92
# A Lambda vCPU is taken as half as fast as this machine's core for Pillow (a guess, not measured: no AWS here).
LAMBDA_SLOWDOWN = 2.0
# Seconds each function runs for one asset (or one request), besides the measured rendition work.
S3_READ_WRITE_S = 0.3  # the original read from S3 and the renditions written back (~4 MB at ~30 MB/s)
CHECKSUM_S = 0.1  # Renditions: the SHA-256 of the downloaded file, a checksum Query, one write
REGISTER_S = 0.2  # HEAD + one 256 KB ranged read of the header, one write
ANALYZE_LOCAL_S = 0.1  # the stored preview read back for the model
BEDROCK_VISION_S = 3.0  # the Converse call with one image and ~250 tokens out: waiting, billed as duration
EMBED_S = 0.3  # one Titan call
FINALIZE_S = 0.1
INGEST_S = 0.15  # one SQS message: mark `uploaded`, start the run
INDEXER_S = 0.1  # an asset's share of the stream batches it appears in (~4 records an asset)
AUDIT_S = 0.05  # the same records through the audit function: one small conditional PutItem each
API_REQUEST_S = 0.1  # bench/aws_calls.py: 1-2 DynamoDB calls a request, warm
# The Converse request: the 1280 px preview (~1,450 tokens by Anthropic's w*h/750) + the prompt, and the JSON back.
IMAGE_INPUT_TOKENS = 1_750
IMAGE_OUTPUT_TOKENS = 250
EMBEDDING_TOKENS = 150  # caption, tags and text found in the image
# DynamoDB: ~6 writes of a ~3 KB item an asset (upload, ingest, register, checksum, finalize, version record),
# each also written to the indexes that project it; reads: the gallery page bench/read_budget.py measured (~12
# units). Plus the audit log: ~6 events an asset (~2 KB: only the changed fields), each in the table and its two
# indexes.
WRITE_UNITS_AN_ASSET = 84 + 36
PIPELINE_READ_UNITS_AN_ASSET = 10
READ_UNITS_A_REQUEST = 12
ITEM_KB_AN_ASSET = 25  # the item and its index copies
# S3 requests an asset: the browser's POST, two rendition PUTs; GETs: register's header, renditions' download and
# analyze's preview.
S3_PUTS_AN_ASSET = 3
S3_GETS_AN_ASSET = 3
SQS_REQUESTS_AN_ASSET = 3  # S3's send, the receive, the delete
THUMBNAIL_KB = 25
LOG_KB_AN_ASSET = 15  # the steps' Powertools lines and the state machine's events (no payloads)
LOG_KB_A_REQUEST = 1
TRACED_SHARE = 0.05  # X-Ray's default sampling: the first request a second and 5% of the rest
# The web app from CloudFront (stacks/web.py): a session loads index.html, config.json and the JS and CSS (the
# fingerprinted files are cached a year, so a returning browser revalidates the first two only; all four counted).
API_CALLS_A_SESSION = 50  # an assumption: a session browses, filters and opens a few assets
WEB_REQUESTS_A_SESSION = 4
WEB_KB_A_SESSION = 37  # make web's build gzipped (CloudFront compresses): JS 32.9 kB, CSS 2.9 kB, index.html
ALARMS = 39  # the stack's CloudWatch alarms (tests/infra/test_cost_model.py counts them in the template)


@dataclass(frozen=True)
class Workload:
    """One team's month: what it adds, keeps and asks for."""

    name: str
    assets_stored: int
    assets_added: int  # a month; each runs the pipeline once
    api_calls: int  # a month
    search: SearchSizing
    original_mb: float = 4.0  # average original (a camera JPEG)
    renditions_mb: float = 0.2  # thumbnail (320 px WebP) + preview (1280 px WebP) + placeholder
    thumbnails_a_call: float = 5  # presigned thumbnail GETs a request leads to (browser caching the rest)
    downloads_an_added_asset: float = 1  # originals downloaded a month, per asset added
    analysis: bool = True  # False: DAM_ANALYZER=none and DAM_EMBEDDER=none (no Bedrock)
    image_input_tokens: int = IMAGE_INPUT_TOKENS
    bedrock_vision_s: float = BEDROCK_VISION_S


@dataclass(frozen=True)
class Line:
    part: str
    basis: str
    usd: float


@dataclass(frozen=True)
class Estimate:
    workload: Workload
    lines: tuple[Line, ...] = field(default_factory=tuple)

    @property
    def total(self) -> float:
        return sum(line.usd for line in self.lines)

    def usd(self, part: str) -> float:
        return sum(line.usd for line in self.lines if line.part == part)


# --- what the deployed definitions say ------------------------------------------------------------------


def transitions_an_asset(definition: dict[str, Any] | None = None) -> int:
    """State transitions of a new asset's run when nothing fails: every state entered, the Parallel state and
    the states of each branch included, Choices taking the path a first upload takes (`mode` is not `analyze`)."""
    asl = definition if definition is not None else json.loads(ASL_PATH.read_text())
    return _states_entered(asl)


def _states_entered(graph: dict[str, Any]) -> int:
    count, name = 0, graph["StartAt"]
    while name is not None:
        state = graph["States"][name]
        count += 1
        if state["Type"] == "Parallel":
            count += sum(_states_entered(branch) for branch in state["Branches"])
        if state["Type"] == "Choice":
            name = state["Default"]  # every choice's non-default branch is a re-analysis or a failure
        elif state.get("End") or state["Type"] in ("Succeed", "Fail"):
            name = None
        else:
            name = state["Next"]
    return count


def gb_seconds_an_asset(workload: Workload) -> dict[str, float]:
    """Lambda GB-seconds per processed asset, per function, at the deployed memory sizes."""
    renditions_s = RENDITIONS_MEASURED_MS / 1000 * LAMBDA_SLOWDOWN + S3_READ_WRITE_S + CHECKSUM_S
    analyze_s = ANALYZE_LOCAL_S + (workload.bedrock_vision_s if workload.analysis else 0)
    embed_s = EMBED_S if workload.analysis else 0.05
    seconds = {
        "Ingest/Handler": INGEST_S,
        "Pipeline/Register": REGISTER_S,
        "Pipeline/Renditions": renditions_s,
        "Pipeline/Analyze": analyze_s,
        "Pipeline/Embed": embed_s,
        "Pipeline/Finalize": FINALIZE_S,
        "Search/Indexer": INDEXER_S,
        "Audit/Handler": AUDIT_S,
    }
    return {path: FUNCTION_MEMORY_MB[path] / MB_PER_GB * s for path, s in seconds.items()}


# Functions with 10 GB of /tmp (stacks/pipeline.py): billed for the 9.5 GB above the included 512 MB.
EPHEMERAL_FUNCTIONS = ("Pipeline/Register", "Pipeline/Renditions", "Pipeline/Analyze")
EPHEMERAL_EXTRA_GB = (10240 - 512) / MB_PER_GB


# --- the model ---------------------------------------------------------------------------------------------


def estimate(workload: Workload) -> Estimate:
    w = workload
    transitions = transitions_an_asset()
    per_asset = gb_seconds_an_asset(w)
    pipeline_gb_s = sum(per_asset.values()) * w.assets_added
    api_gb_s = FUNCTION_MEMORY_MB["Api/Handler"] / MB_PER_GB * API_REQUEST_S * w.api_calls
    durations = {path: gb_s / (FUNCTION_MEMORY_MB[path] / MB_PER_GB) for path, gb_s in per_asset.items()}
    ephemeral_gb_s = sum(durations[path] for path in EPHEMERAL_FUNCTIONS) * EPHEMERAL_EXTRA_GB * w.assets_added
    invocations = len(per_asset) * w.assets_added + w.api_calls
    stored_gb = w.assets_stored * (w.original_mb + w.renditions_mb) / MB_PER_GB
    thumbnail_gets = w.api_calls * w.thumbnails_a_call
    egress_gb = (
        thumbnail_gets * THUMBNAIL_KB / MB_PER_GB + w.assets_added * w.downloads_an_added_asset * w.original_mb
    ) / MB_PER_GB
    search_hours = HOURS_A_MONTH * (
        w.search.data_nodes * SEARCH_INSTANCE_HOUR[w.search.data_instance_type].usd
        + w.search.master_nodes * SEARCH_INSTANCE_HOUR[w.search.master_instance_type].usd
    )
    search_storage = w.search.data_nodes * w.search.volume_gb * SEARCH_GP3_GB_MONTH.usd
    log_gb = (w.assets_added * LOG_KB_AN_ASSET + w.api_calls * LOG_KB_A_REQUEST) / MB_PER_GB / MB_PER_GB
    sessions = w.api_calls / API_CALLS_A_SESSION
    web_requests = sessions * WEB_REQUESTS_A_SESSION
    traces = TRACED_SHARE * (w.api_calls + w.assets_added * (len(per_asset) + 1))

    lines = []
    if w.analysis:
        lines.append(
            Line(
                "Bedrock Claude Haiku 4.5",
                f"{w.image_input_tokens:,} in + {IMAGE_OUTPUT_TOKENS} out tokens an image",
                w.assets_added
                * (w.image_input_tokens * CLAUDE_INPUT_TOKEN.usd + IMAGE_OUTPUT_TOKENS * CLAUDE_OUTPUT_TOKEN.usd),
            )
        )
        lines.append(
            Line(
                "Bedrock Titan embeddings",
                f"{EMBEDDING_TOKENS} tokens an asset, one call",
                w.assets_added * EMBEDDING_TOKENS * EMBEDDING_TOKEN.usd,
            )
        )
    lines += [
        Line(
            "Step Functions Standard",
            f"{transitions} transitions an asset",
            w.assets_added * transitions * STATE_TRANSITION.usd,
        ),
        Line(
            "Lambda (arm64)",
            f"{sum(per_asset.values()):.1f} GB-s an asset, {api_gb_s / max(w.api_calls, 1):.2f} GB-s a request",
            (pipeline_gb_s + api_gb_s) * LAMBDA_GB_SECOND.usd
            + invocations * LAMBDA_REQUEST.usd
            + ephemeral_gb_s * LAMBDA_EPHEMERAL_GB_SECOND.usd,
        ),
        Line(
            "DynamoDB on demand",
            f"{WRITE_UNITS_AN_ASSET} write units an asset, {READ_UNITS_A_REQUEST} read units a request",
            w.assets_added
            * (WRITE_UNITS_AN_ASSET * DYNAMODB_WRITE_UNIT.usd + PIPELINE_READ_UNITS_AN_ASSET * DYNAMODB_READ_UNIT.usd)
            + w.api_calls * READ_UNITS_A_REQUEST * DYNAMODB_READ_UNIT.usd
            + w.assets_stored * ITEM_KB_AN_ASSET / MB_PER_GB / MB_PER_GB * DYNAMODB_GB_MONTH.usd,
        ),
        Line(
            "S3 storage and requests",
            f"{stored_gb:,.0f} GB ({w.original_mb:g} MB original + {w.renditions_mb:g} MB renditions an asset)",
            stored_gb * S3_GB_MONTH.usd
            + w.assets_added * (S3_PUTS_AN_ASSET * S3_PUT.usd + S3_GETS_AN_ASSET * S3_GET.usd)
            + thumbnail_gets * S3_GET.usd,
        ),
        Line(
            "Data transfer out",
            f"{egress_gb:,.0f} GB: thumbnails and downloads, straight from S3 (presigned, not through CloudFront)",
            egress_gb * EGRESS_GB.usd,
        ),
        Line(
            "CloudFront (the web app)",
            f"{sessions:,.0f} sessions: {WEB_REQUESTS_A_SESSION} requests and {WEB_KB_A_SESSION} kB each",
            web_requests * (CLOUDFRONT_HTTPS_REQUEST.usd + CLOUDFRONT_FUNCTION.usd)
            + sessions * WEB_KB_A_SESSION / MB_PER_GB / MB_PER_GB * CLOUDFRONT_GB.usd,
        ),
        Line("API Gateway HTTP API", f"{w.api_calls:,} requests", w.api_calls * HTTP_API_REQUEST.usd),
        Line(
            "SQS",
            f"{SQS_REQUESTS_AN_ASSET} requests an upload",
            w.assets_added * SQS_REQUESTS_AN_ASSET * SQS_REQUEST.usd,
        ),
        Line(
            "CloudWatch and X-Ray",
            f"{log_gb:,.1f} GB of logs, {ALARMS} alarms, {TRACED_SHARE:.0%} of requests traced",
            log_gb * LOGS_GB.usd + ALARMS * ALARM_MONTH.usd + traces * TRACE.usd,
        ),
        Line(
            "OpenSearch",
            _search_basis(w.search),
            search_hours + search_storage,
        ),
    ]
    return Estimate(w, tuple(lines))


def _search_basis(sizing: SearchSizing) -> str:
    nodes = f"{sizing.data_nodes} × {sizing.data_instance_type}"
    if sizing.master_nodes:
        nodes += f" + {sizing.master_nodes} × {sizing.master_instance_type} masters"
    return f"{nodes}, {sizing.data_nodes} × {sizing.volume_gb} GB gp3, always on"


# --- scenarios and knobs -------------------------------------------------------------------------------------

# The cheapest sensible dev stage: the dev sizing on a t3.small.search (`-c search_data_instance_type=…`;
# check that the region offers it for the engine version first, stacks/sizing.py says how).
DEV_STAGE = Workload(
    "dev stage: 1,000 assets, 200 added, 5,000 calls",
    assets_stored=1_000,
    assets_added=200,
    api_calls=5_000,
    search=replace(DEV_SEARCH, data_instance_type="t3.small.search"),
)
SCENARIOS: tuple[Workload, ...] = (
    Workload("10k assets: 1,000 added, 100,000 calls", 10_000, 1_000, 100_000, DEV_SEARCH),
    Workload("100k assets: 10,000 added, 1M calls", 100_000, 10_000, 1_000_000, PROD_SEARCH),
    Workload("1M assets: 100,000 added, 10M calls", 1_000_000, 100_000, 10_000_000, PROD_SEARCH),
)
KNOB_SCENARIO = SCENARIOS[1]
# Each numeric input moved ±50% on KNOB_SCENARIO; the switches set as named.
NUMERIC_KNOBS: dict[str, str] = {
    "assets_added": "assets added a month",
    "bedrock_vision_s": "Bedrock vision latency (Lambda waits)",
    "image_input_tokens": "image tokens sent to Claude",
    "api_calls": "API calls a month",
    "assets_stored": "assets stored",
    "original_mb": "average original size",
    "downloads_an_added_asset": "downloads an asset",
}
SWITCHES: dict[str, Callable[[Workload], Workload]] = {
    "analysis off (`DAM_ANALYZER=none`)": lambda w: replace(w, analysis=False),
    "search at the dev sizing (one m5.large.search)": lambda w: replace(w, search=DEV_SEARCH),
}


@dataclass(frozen=True)
class Knob:
    name: str
    low: float  # the total with the input halved (a switch: the total with it set)
    high: float  # the total at 1.5× (a switch: the base total)

    @property
    def swing(self) -> float:
        return abs(self.high - self.low)


def knobs(workload: Workload = KNOB_SCENARIO) -> list[Knob]:
    """Every knob's effect on the month's total, largest first."""
    found = []
    for attribute, name in NUMERIC_KNOBS.items():
        value = getattr(workload, attribute)
        low, high = (estimate(replace(workload, **{attribute: type(value)(value * f)})).total for f in (0.5, 1.5))
        found.append(Knob(f"{name} ±50%", low, high))
    base = estimate(workload).total
    for name, switch in SWITCHES.items():
        found.append(Knob(name, estimate(switch(workload)).total, base))
    return sorted(found, key=lambda knob: knob.swing, reverse=True)


# --- output ------------------------------------------------------------------------------------------------


def _usd(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.2f}"


def markdown() -> str:
    """The README section's figures: a table a scenario, the knobs, the prices and how far each was checked."""
    out: list[str] = []
    for workload in (*SCENARIOS, DEV_STAGE):
        result = estimate(workload)
        out += [f"**{workload.name}** — about **${_usd(result.total)}** a month", ""]
        out += ["| part | assumption | $/month |", "|---|---|---:|"]
        out += [f"| {line.part} | {line.basis} | {_usd(line.usd)} |" for line in result.lines]
        out += [f"| **total** | | **{_usd(result.total)}** |", ""]
    base = estimate(KNOB_SCENARIO).total
    out += [
        f"What moves the bill most, on the {KNOB_SCENARIO.name.split(':')[0]} month (${_usd(base)}): each input at "
        "half and one and a half times its value, each switch flipped.",
        "",
        "| knob | total low / set | total high / base | swing |",
        "|---|---:|---:|---:|",
    ]
    out += [f"| {k.name} | {_usd(k.low)} | {_usd(k.high)} | {_usd(k.swing)} |" for k in knobs()]
    out += [
        "",
        f"Prices used (us-east-1, on demand, free tiers ignored), as checked on {PRICES_CHECKED}: *{AWS_PAGE}* read "
        f"there, *{QUOTED}* from a 2025-26 page or price table quoting it (the AWS page's own text was not "
        "found: check the quoted ones before relying on a line).",
        "",
    ]
    out += ["| price | per | source | checked |", "|---|---|---|---|"]
    for price in _prices():
        note = f" ({price.note})" if price.note else ""
        out.append(f"| ${_list_price(price.list_usd)} | {price.per} | {price.source} | {price.checked}{note} |")
    return "\n".join(out) + "\n"


def _list_price(value: float) -> str:
    """As pricing pages write them: $0.20, $0.0000133334."""
    digits = f"{value:.10f}".rstrip("0")
    whole, _, fraction = digits.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def _prices() -> Iterator[Price]:
    for value in globals().values():
        if isinstance(value, Price):
            yield value
        elif isinstance(value, dict) and value and all(isinstance(v, Price) for v in value.values()):
            yield from value.values()


def text() -> str:
    out = []
    for workload in (*SCENARIOS, DEV_STAGE):
        result = estimate(workload)
        out.append(workload.name)
        out += [f"  {line.part:<26} {line.usd:>10,.2f}  {line.basis}" for line in result.lines]
        out.append(f"  {'total':<26} {result.total:>10,.2f}\n")
    out.append(f"Knobs on {KNOB_SCENARIO.name}: low / high / swing")
    out += [f"  {k.name:<52} {k.low:>9,.0f} {k.high:>9,.0f} {k.swing:>9,.0f}" for k in knobs()]
    out.append(f"\nPer asset: {transitions_an_asset()} transitions; GB-s by function:")
    out += [f"  {path:<22} {gb_s:.2f}" for path, gb_s in gb_seconds_an_asset(KNOB_SCENARIO).items()]
    return "\n".join(out)


README = ROOT / "README.md"
README_BLOCK = re.compile(r"(<!-- cost-model:start[^>]*-->\n)(.*?)(<!-- cost-model:end -->)", re.S)


def update_readme() -> bool:
    """Rewrites README.md's generated block; True when it changed."""
    before = README.read_text()
    after = README_BLOCK.sub(lambda found: found[1] + markdown() + found[3], before)
    README.write_text(after)
    return after != before


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--markdown", action="store_true", help="print what the README shows")
    parser.add_argument("--update-readme", action="store_true", help="write it into README.md's cost block")
    args = parser.parse_args(argv)
    if args.update_readme:
        print("README.md updated" if update_readme() else "README.md already current")
    else:
        print(markdown() if args.markdown else text(), end="" if args.markdown else "\n")


if __name__ == "__main__":
    main()
