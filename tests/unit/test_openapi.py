from pathlib import Path

from dam.api.openapi import render

COMMITTED = Path(__file__).resolve().parents[2] / "openapi.json"


def test_committed_openapi_document_matches_the_routes() -> None:
    assert COMMITTED.read_text() == render(), "openapi.json is stale: run `make openapi`"


def test_every_route_but_health_the_document_and_share_links_requires_a_token() -> None:
    import json

    document = json.loads(render())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            # A share link's token in the path is the outside reviewer's whole credential.
            public = path in ("/health", "/openapi.json") or path.startswith("/share/{token}")
            assert (operation.get("security") == []) is public, f"{method} {path}"
    assert document["security"] == [{"bearer": []}]


def test_operations_are_named_after_their_route_functions_in_camel_case() -> None:
    import json

    document = json.loads(render())
    ids = [operation["operationId"] for operations in document["paths"].values() for operation in operations.values()]
    assert document["paths"]["/assets"]["get"]["operationId"] == "listAssets"
    assert document["paths"]["/assets/{asset_id}/favorite"]["put"]["operationId"] == "favoriteAsset"
    assert len(ids) == len(set(ids)), "two routes share an operation id"
    assert all(operation_id.isalnum() and operation_id[0].islower() for operation_id in ids)
