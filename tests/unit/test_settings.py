"""Settings come from the environment as each function's CDK definition sets it: `DAM_<FIELD>`, the SDK's
own region variables, JSON for collections; values given in code win, and a wrong one is refused by name."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from dam.settings import ApiSettings, PipelineSettings

REQUIRED = {"DAM_ASSETS_TABLE": "t-assets", "DAM_LIBRARY_TABLE": "t-library", "DAM_MEDIA_BUCKET": "t-media"}


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "DAM_REGION"):
        monkeypatch.delenv(name, raising=False)
    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_fields_are_read_from_their_dam_variables_in_any_case(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("dam_max_upload_bytes", "1000")
    environment.setenv("DAM_SEARCH_ENGINE", "opensearch")
    settings = ApiSettings.from_environment()
    tables = (settings.assets_table, settings.library_table, settings.media_bucket)
    assert tables == ("t-assets", "t-library", "t-media")
    assert settings.max_upload_bytes == 1000 and settings.search_engine == "opensearch"
    assert settings.region == "us-east-1"  # the default when no region variable is set


def test_the_region_is_the_lambda_runtimes_before_the_sdks_default(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("AWS_DEFAULT_REGION", "us-west-2")
    assert ApiSettings.from_environment().region == "us-west-2"
    environment.setenv("AWS_REGION", "eu-west-1")
    assert ApiSettings.from_environment().region == "eu-west-1"


def test_collections_are_json_and_booleans_words(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("DAM_SELF_APPROVAL_WORKSPACES", '["ws-a", "ws-b"]')
    environment.setenv("DAM_OCR", "true")
    assert ApiSettings.from_environment().self_approval_workspaces == {"ws-a", "ws-b"}
    assert PipelineSettings.from_environment().ocr is True


def test_values_given_in_code_win_over_the_environment(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("DAM_TRASH_DAYS", "7")
    environment.setenv("AWS_REGION", "eu-west-1")
    settings = ApiSettings.from_environment(trash_days=14, region="ap-south-1")
    assert (settings.trash_days, settings.region) == (14, "ap-south-1")


@pytest.mark.parametrize(
    ("variable", "value", "field"),
    [
        ("DAM_SELF_APPROVAL_WORKSPACES", "ws-a", "self_approval_workspaces"),  # not JSON
        ("DAM_MAX_UPLOAD_BYTES", "lots", "max_upload_bytes"),
        ("DAM_SEARCH_ENGINE", "elastic", "search_engine"),
        ("DAM_ASSETS_TABLE", "", "assets_table"),
    ],
)
def test_a_wrong_value_is_refused_by_its_field(
    environment: pytest.MonkeyPatch, variable: str, value: str, field: str
) -> None:
    environment.setenv(variable, value)
    with pytest.raises(ValidationError) as refused:
        ApiSettings.from_environment()
    assert [error["loc"] for error in refused.value.errors()] == [(field,)]


def test_a_missing_table_and_an_unknown_setting_are_refused(environment: pytest.MonkeyPatch) -> None:
    environment.delenv("DAM_LIBRARY_TABLE")
    with pytest.raises(ValidationError, match="library_table"):
        ApiSettings.from_environment()
    with pytest.raises(ValidationError, match="max_upload_byte"):
        ApiSettings.from_environment(library_table="t-library", max_upload_byte=5)  # a misspelt name
