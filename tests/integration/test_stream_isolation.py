"""One record the indexer can't process never stops the stream: it is retried, then dead-lettered with its
reason, and the records after it reach search. The real indexer handler, moto's stream, the local poller."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.conftest import ASSETS_TABLE, REGION, Api


@pytest.fixture
def indexed(api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    from dam.api.context import build_services, use_services
    from dam.settings import ApiSettings
    from functions.indexer import handler as indexer
    from tests.conftest import MEDIA_BUCKET, TABLES

    monkeypatch.setenv("DAM_SEARCH_ENGINE", "embedded")
    monkeypatch.setenv("DAM_SEARCH_PATH", str(tmp_path / "search.sqlite"))
    monkeypatch.setenv("DAM_EMBEDDER", "none")
    indexer.indexing_service.cache_clear()
    use_services(
        build_services(
            ApiSettings.from_environment(
                assets_table=ASSETS_TABLE, library_table=TABLES["Library"], media_bucket=MEDIA_BUCKET, embedder="none"
            )
        )
    )
    yield api
    indexer.indexing_service.cache_clear()


def _poller(dead_letters: list[dict[str, Any]], calls: list[int]) -> Any:
    from dam_local import streams
    from dam_local.streams import StreamPoller
    from functions.indexer.handler import handler
    from tests.support import LambdaContext

    def invoke(event: dict[str, Any]) -> Any:
        calls.append(len(event["Records"]))
        return handler(event, LambdaContext())

    table = boto3.client("dynamodb", region_name=REGION).describe_table(TableName=ASSETS_TABLE)["Table"]
    client = boto3.client(
        "dynamodbstreams", region_name=REGION, endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com"
    )
    poller = StreamPoller(client, table["LatestStreamArn"], REGION, invoke, dead_letter=dead_letters.append)
    poller._stop.wait = lambda _seconds: False  # type: ignore[method-assign]  # no backoff sleeps in a test
    assert streams.MAX_ATTEMPTS == 5
    return poller


def test_a_poison_record_is_dead_lettered_and_the_next_upload_still_reaches_search(indexed: Api) -> None:
    api = indexed
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    # Given a record in the table that the indexer can't read (written past the API, as an old bug or a hand
    # edit could), followed by an ordinary upload
    first = api.upload("first.jpg", name="Lighthouse at dusk")
    item = dynamodb.scan(TableName=ASSETS_TABLE)["Items"][0]
    poison = {**item, "created_at": {"S": "the day before yesterday"}, "version": {"S": "seven"}}
    for key, value in poison.items():
        if value.get("S") == first["asset_id"]:
            poison[key] = {"S": "poison-asset"}
        elif "S" in value and first["asset_id"] in value["S"]:
            poison[key] = {"S": value["S"].replace(first["asset_id"], "poison-asset")}
    dynamodb.put_item(TableName=ASSETS_TABLE, Item=poison)
    good = api.upload("second.jpg", name="Harbour crane")

    # When the stream is polled until it is drained
    dead_letters: list[dict[str, Any]] = []
    calls: list[int] = []
    poller = _poller(dead_letters, calls)
    for _ in range(20):
        if not poller.poll_once():
            break

    # Then the poison record was tried five times and dead-lettered with what it is, and nothing else was
    assert len(dead_letters) == 1
    letter = dead_letters[0]
    assert letter["requestContext"] == {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": 5}
    assert "poison-asset" in str(letter["keys"]) and letter["eventName"] == "INSERT"
    assert letter["responseContext"]["functionError"]
    # and the uploads around it are found
    found = api.request("GET", "/search", query={"q": "crane", "mode": "keyword"}).json()["items"]
    assert [hit["asset_id"] for hit in found] == [good["asset_id"]]
    found = api.request("GET", "/search", query={"q": "lighthouse", "mode": "keyword"}).json()["items"]
    assert [hit["asset_id"] for hit in found] == [first["asset_id"]]
