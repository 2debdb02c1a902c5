"""AWS calls per API request, counted with botocore's `before-call` event hooks (moto in-process).

Goal: a list page is one Query, a detail one GetItem, presigning makes no call. Prints; asserts nothing.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench.moto_env  # noqa: F401  (sets the environment before dam is imported)

CALLS: Counter[str] = Counter()


def _count(model: Any, **_: Any) -> None:
    CALLS[f"{model.service_model.service_name}:{model.name}"] += 1


def main() -> None:
    import boto3
    from moto import mock_aws

    from dam.adapters.dynamodb.schema import table_specs
    from tests.support import LambdaContext, api_claims, api_event, to_response

    with mock_aws():
        for spec in table_specs():
            boto3.client("dynamodb").create_table(**spec.create_table_kwargs(f"bench-{spec.logical_name.lower()}"))
        boto3.client("s3").create_bucket(Bucket="bench-media")
        from functions.api.handler import handler
        from functions.ingest.handler import handler as ingest

        claims = api_claims()

        def call(method: str, path: str, body: Any = None, query: dict[str, str] | None = None) -> Any:
            return to_response(handler(api_event(method, path, body=body, query=query, claims=claims), LambdaContext()))

        # Warm up (cold start builds clients) and seed 40 uploaded assets.
        ids = []
        s3 = boto3.client("s3")
        for n in range(40):
            created = call(
                "POST",
                "/uploads",
                {"filename": f"p{n}.png", "content_type": "image/png", "size": 3, "asset_type": "image"},
            ).json()
            s3.put_object(Bucket="bench-media", Key=created["upload"]["fields"]["key"], Body=b"png")
            from tests.support import sqs_s3_event

            ingest(sqs_s3_event("bench-media", created["upload"]["fields"]["key"], 3), LambdaContext())
            ids.append(created["asset"]["asset_id"])

        # Every client the API uses (S3's, and PynamoDB's one per record class) dispatches through here.
        from botocore.client import BaseClient

        dispatch = BaseClient._make_api_call

        def counted(self: Any, operation: str, params: Any) -> Any:
            _count(self.meta.service_model.operation_model(operation))
            return dispatch(self, operation, params)

        BaseClient._make_api_call = counted  # type: ignore[method-assign]
        for asset_id in ids[10:20]:
            call("PUT", f"/assets/{asset_id}/favorite")
        brand = call("POST", "/brands", {"name": "Cola", "color": "#ff0000"}).json()["brand_id"]
        collection = call("POST", "/collections", {"name": "Picks"}).json()["collection_id"]
        for asset_id in ids[:35]:
            call("PUT", f"/assets/{asset_id}/brands/{brand}")
            call("PUT", f"/collections/{collection}/assets/{asset_id}")

        requests: list[tuple[str, Callable[[], Any]]] = [
            (
                "POST /uploads",
                lambda: call(
                    "POST",
                    "/uploads",
                    {"filename": "x.png", "content_type": "image/png", "size": 3, "asset_type": "image"},
                ),
            ),
            ("GET /assets (30)", lambda: call("GET", "/assets")),
            ("GET /assets?media_type", lambda: call("GET", "/assets", query={"media_type": "image"})),
            (
                "GET /assets?creator&type",
                lambda: call("GET", "/assets", query={"creator": "user-maya", "asset_type": "image"}),
            ),
            ("GET /assets/{id}", lambda: call("GET", f"/assets/{ids[0]}")),
            ("PATCH /assets/{id}", lambda: call("PATCH", f"/assets/{ids[1]}", {"notes": "n"})),
            ("GET /assets/{id}/download", lambda: call("GET", f"/assets/{ids[2]}/download")),
            ("GET /assets?favorites", lambda: call("GET", "/assets", query={"favorites": "true"})),
            ("GET /assets?brand (30)", lambda: call("GET", "/assets", query={"brand": brand})),
            ("GET /collections/{id}/assets", lambda: call("GET", f"/collections/{collection}/assets")),
            ("PUT /assets/{id}/favorite", lambda: call("PUT", f"/assets/{ids[4]}/favorite")),
            ("PUT /assets/{id}/brands/{b}", lambda: call("PUT", f"/assets/{ids[36]}/brands/{brand}")),
            ("DELETE /assets/{id}", lambda: call("DELETE", f"/assets/{ids[3]}")),
        ]
        print(f"{'request':<28} {'status':>6} {'calls':>5}  by operation")
        for label, run in requests:
            CALLS.clear()
            status = run().status
            detail = ", ".join(f"{op} x{n}" for op, n in sorted(CALLS.items()))
            print(f"{label:<28} {status:>6} {sum(CALLS.values()):>5}  {detail}")


if __name__ == "__main__":
    main()
