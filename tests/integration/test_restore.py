"""The README's restore path, in moto: the assets table is backed up, lost, restored from the backup into a
new table, `dam reindex --aws` rebuilds search from it, and the API pointed at it finds every asset again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest

from dam_local.cli import main
from dam_local.reindex import reindex
from tests.conftest import ASSETS_TABLE, MEDIA_BUCKET, REGION, TABLES, Api
from tests.integration.test_search import StreamFeed, _found, _upload, search  # noqa: F401 - the fixture

RESTORED_TABLE = f"{ASSETS_TABLE}-restored"


def _point_the_api_at(assets_table: str) -> None:
    from dam.api.context import build_services, use_services
    from dam.settings import ApiSettings

    use_services(
        build_services(
            ApiSettings.from_environment(
                assets_table=assets_table, library_table=TABLES["Library"], media_bucket=MEDIA_BUCKET
            )
        )
    )


def test_a_table_restored_from_a_backup_and_reindexed_finds_every_asset_again(
    search: tuple[Api, StreamFeed],  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    api, feed = search
    ids = {name: _upload(api, name) for name in ("harbour at dawn", "neon alley", "quiet meadow")}
    feed.drain()
    assert _found(api, q="neon", mode="keyword") == [ids["neon alley"]]

    # An on-demand backup (PITR's restore takes the same path: a new table, then reindex)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    backup = dynamodb.create_backup(TableName=ASSETS_TABLE, BackupName="dam-test-assets-before")["BackupDetails"]
    assert backup["BackupStatus"] == "AVAILABLE"

    # The table is lost, and with it whatever the search index could be rebuilt from
    dynamodb.delete_table(TableName=ASSETS_TABLE)
    restored = dynamodb.restore_table_from_backup(TargetTableName=RESTORED_TABLE, BackupArn=backup["BackupArn"])
    assert restored["TableDescription"]["TableName"] == RESTORED_TABLE
    dynamodb.get_waiter("table_exists").wait(TableName=RESTORED_TABLE)
    assert dynamodb.scan(TableName=RESTORED_TABLE, Select="COUNT")["Count"] == len(ids)
    table = dynamodb.describe_table(TableName=RESTORED_TABLE)["Table"]
    assert not table.get("StreamSpecification", {}).get("StreamEnabled"), "a restore brings no stream back"

    # The API on the restored table and an empty index finds nothing until dam reindex --aws rebuilds it
    monkeypatch.setenv("DAM_ASSETS_TABLE", RESTORED_TABLE)
    monkeypatch.setenv("DAM_SEARCH_PATH", str(tmp_path / "rebuilt.sqlite"))
    _point_the_api_at(RESTORED_TABLE)
    assert _found(api, q="neon", mode="keyword") == []
    assert reindex(tmp_path, use_aws=True, clear=True) == 0
    assert "indexed 3 assets" in capsys.readouterr().out

    for name, asset_id in ids.items():
        assert _found(api, q=name.split()[-1], mode="keyword") == [asset_id], name
        detail: Any = api.request("GET", f"/assets/{asset_id}").json()
        assert (detail["name"], detail["status"]) == (name, "ready")


def test_restored_items_copied_back_into_the_stacks_table_are_found_after_a_clearing_reindex(
    search: tuple[Api, StreamFeed],  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The path for the stack's own table (CloudFormation's, retained in prod): restore beside it, copy back."""
    api, feed = search
    ids = {name: _upload(api, name) for name in ("harbour at dawn", "neon alley")}
    feed.drain()
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    backup = dynamodb.create_backup(TableName=ASSETS_TABLE, BackupName="dam-test-assets-before")["BackupDetails"]

    # A bad script wipes the records (not the API's delete, which takes the files too)
    for item in dynamodb.scan(TableName=ASSETS_TABLE)["Items"]:
        dynamodb.delete_item(TableName=ASSETS_TABLE, Key={"asset_id": item["asset_id"]})
    feed.drain()
    assert _found(api, q="neon", mode="keyword") == []
    assert api.request("GET", f"/assets/{ids['neon alley']}").status == 404

    dynamodb.restore_table_from_backup(TargetTableName=RESTORED_TABLE, BackupArn=backup["BackupArn"])
    copy = ["copy-table", "--source", RESTORED_TABLE, "--target", ASSETS_TABLE, "--region", REGION]
    assert main(copy) == 0
    assert f"copied 2 items from {RESTORED_TABLE} into {ASSETS_TABLE}" in capsys.readouterr().out

    # The copy's writes reach the indexer through the stream, but the index keeps each deleted asset's
    # tombstone at that version (so a late record never revives it): the same versions stay out of search
    feed.drain()
    assert _found(api, q="neon", mode="keyword") == []
    # Hence the README's last step, dam reindex --aws --clear: an empty index, rebuilt from the table
    assert reindex(Path("."), use_aws=True, clear=True) == 0
    assert "indexed 2 assets" in capsys.readouterr().out
    for name, asset_id in ids.items():
        assert _found(api, q=name.split()[-1], mode="keyword") == [asset_id], name
        assert api.request("GET", f"/assets/{asset_id}").json()["status"] == "ready"


def test_copying_between_tables_of_different_kinds_is_refused_in_one_line(
    aws: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = ["copy-table", "--source", TABLES["Library"], "--target", ASSETS_TABLE, "--region", REGION]
    assert main(copy) == 1
    err = capsys.readouterr().err
    assert err.startswith("dam copy-table: ") and "different keys" in err and err.count("\n") == 1
    assert main(["copy-table", "--source", "no-such-table", "--target", ASSETS_TABLE, "--region", REGION]) == 1
    assert "ResourceNotFoundException" in capsys.readouterr().err
