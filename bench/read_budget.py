"""The gallery's read budget at scale: DynamoDB calls, items read and time per page through the real API
handler, on moto in-process. Prints; asserts nothing.

    python bench/read_budget.py                  # 100,000 assets in one workspace, 0.1% tagged `rare`
    python bench/read_budget.py --assets 20000   # a quick look

Items read are DynamoDB's ScannedCount (what a Query evaluated, filtered or not) plus the items a
BatchGetItem returned. moto's ConsumedCapacity counts items, not bytes, so read units are estimated by
DynamoDB's rule instead: a Query costs its evaluated bytes / 4 KB (rounded up), half for the eventually
consistent index reads, at most 1 MB a call (DynamoDB stops a Query there; moto reads on, so on AWS a
filtered page evaluates fewer items than here and a walk takes more pages); a BatchGetItem costs each
item 4 KB-rounded. The item size is the seeded asset's plus 2 KB for the embedding and analysis a real
asset carries. moto's Query takes ~10-20 ms a call in-process (far more for 1,000 items): the times
show the budget's shape, not the product's latency.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench.moto_env  # noqa: F401  (sets the environment before dam is imported)

WORKSPACE = "ws-studio"  # the workspace of the bench caller's claims
T0 = datetime(2026, 1, 1, tzinfo=UTC)


class Meter:
    """DynamoDB calls, items read and read units, from botocore's dispatch (every client passes it)."""

    def __init__(self, item_bytes: int) -> None:
        self.calls: Counter[str] = Counter()
        self.items = 0
        self.units = 0.0
        self.item_bytes = item_bytes

    def reset(self) -> None:
        self.calls.clear()
        self.items, self.units = 0, 0.0

    def install(self) -> None:
        from botocore.client import BaseClient

        dispatch = BaseClient._make_api_call
        meter = self

        def counted(client: Any, operation: str, params: Any) -> Any:
            if client.meta.service_model.service_name != "dynamodb":
                return dispatch(client, operation, params)
            meter.calls[operation] += 1
            response = dispatch(client, operation, params)
            consistency = 1.0 if params.get("ConsistentRead") else 0.5
            if operation == "Query":
                scanned = response.get("ScannedCount", 0)
                size = scanned * (meter.item_bytes if params.get("TableName", "").endswith("assets") else 200)
                meter.items += scanned
                # DynamoDB stops a Query at 1 MB evaluated (moto does not): at most 128 units a call here.
                meter.units += math.ceil(min(size, 1024**2) / 4096) * consistency
            elif operation == "BatchGetItem":
                for table, items in response.get("Responses", {}).items():
                    meter.items += len(items)
                    per_item = math.ceil((meter.item_bytes if table.endswith("assets") else 200) / 4096)
                    meter.units += len(items) * per_item * 0.5
            elif "Item" in response:
                meter.items += 1
                meter.units += 0.5
            return response

        BaseClient._make_api_call = counted  # type: ignore[method-assign]


def seed(count: int, rare_every: int) -> list[str]:
    from tests.integration.library_support import seed_many

    rare = {n: ["rare"] for n in range(rare_every // 2, count, rare_every)}
    return seed_many(count, prefix="a", tagged=rare, start=T0, workspace=WORKSPACE)


def link_in_bulk(brand_id: str, asset_ids: list[str]) -> None:
    """The newest assets carry the brand: links and `brand_ids` written with BatchWriteItem (moto copies
    every table for each transaction, so the API's transactional link is too slow to seed with)."""
    from dam.adapters.dynamodb.assets import AssetRepository, _to_record
    from dam.adapters.dynamodb.library import _brand_pk, _link_to
    from dam.adapters.dynamodb.models import AssetRecord, BrandLinkRecord, LibraryRecord

    assets = AssetRepository().get_many(asset_ids)
    with AssetRecord.batch_write() as asset_batch, LibraryRecord.batch_write() as link_batch:
        for asset in assets.values():
            tagged = asset.model_copy(update={"brand_ids": [brand_id]})
            asset_batch.save(_to_record(tagged))
            pk = _brand_pk(WORKSPACE, brand_id)
            link_batch.save(
                _link_to(BrandLinkRecord, pk, "asset#", asset, "user-maya", f"brand#{brand_id}", brand_id=brand_id)
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assets", type=int, default=100_000)
    args = parser.parse_args()

    import boto3
    from moto import mock_aws

    from dam.adapters.dynamodb.schema import table_specs
    from tests.support import LambdaContext, api_claims, api_event, to_response

    with mock_aws():
        for spec in table_specs():
            boto3.client("dynamodb").create_table(**spec.create_table_kwargs(f"bench-{spec.logical_name.lower()}"))
        boto3.client("s3").create_bucket(Bucket="bench-media")
        from functions.api.handler import handler

        claims = api_claims()

        def call(method: str, path: str, body: Any = None, query: dict[str, str] | None = None) -> Any:
            return to_response(handler(api_event(method, path, body=body, query=query, claims=claims), LambdaContext()))

        call("GET", "/assets")  # the cold start binds the record models to the tables
        started = time.perf_counter()
        asset_ids = seed(args.assets, rare_every=1000)
        print(
            f"seeded {args.assets:,} assets ({args.assets // 1000:,} tagged `rare`, 0.1%) in "
            f"{time.perf_counter() - started:.0f} s"
        )
        brand = call("POST", "/brands", {"name": "Cola", "color": "#ff0000"}).json()["brand_id"]
        link_in_bulk(brand, asset_ids[-300:])

        from dam.adapters.dynamodb.models import AssetRecord

        sample = AssetRecord.get(asset_ids[0])
        item_bytes = len(json.dumps(sample.serialize())) + 2048
        print(f"an asset item: ~{item_bytes:,} bytes (with 2 KB for its embedding and analysis)")
        meter = Meter(item_bytes)
        meter.install()
        print(
            f"\n{'list':<34} {'pages':>5} {'found':>6} {'calls/page':>10} {'items/page':>10} "
            f"{'est. units':>10} {'ms/page p50':>11} {'max':>6}  partial pages"
        )
        scenarios: list[tuple[str, dict[str, str], int]] = [
            ("GET /assets (30)", {}, 3),
            ("GET /assets?tag=rare (0.1%)", {"tag": "rare"}, 1000),
            ("GET /assets?brand (30)", {"brand": brand}, 3),
            ("GET /assets?brand&tag=rare", {"brand": brand, "tag": "rare"}, 1000),
        ]
        for label, query, max_pages in scenarios:
            cursor: str | None = None
            found, calls, items, units, times, partial = 0, [], [], [], [], 0
            for _page in range(max_pages):
                meter.reset()
                t = time.perf_counter()
                body = call("GET", "/assets", query={**query, **({"cursor": cursor} if cursor else {})}).json()
                times.append((time.perf_counter() - t) * 1000)
                calls.append(sum(meter.calls.values()))
                items.append(meter.items)
                units.append(meter.units)
                found += len(body["items"])
                partial += bool(body.get("partial"))
                cursor = body["next_cursor"]
                if cursor is None:
                    break
            print(
                f"{label:<34} {len(calls):>5} {found:>6} {f'{statistics.mean(calls):.1f} (max {max(calls)})':>10} "
                f"{statistics.mean(items):>10.0f} {statistics.mean(units):>10.1f} {statistics.median(times):>11.0f} "
                f"{max(times):>6.0f}  {partial}"
            )


if __name__ == "__main__":
    main()
