"""Stage configuration read from CDK context, as cdk.json and `-c key=value` give it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.synth import INFRA_MARKS

pytestmark = INFRA_MARKS


def _config(context: dict[str, Any]) -> Any:
    from aws_cdk import App

    from stacks.config import StageConfig

    return StageConfig.from_context(App(context=context).node)


def test_defaults() -> None:
    config = _config({})
    assert (config.stage, config.allowed_origins, config.max_upload_bytes) == (
        "dev",
        ("http://localhost:5173",),
        5368709120,
    )
    assert (config.throttle_burst, config.throttle_rate, config.skip_bundling) == (100, 50, False)


@pytest.mark.parametrize(
    "origins",
    [
        ["https://a.example", "https://b.example"],
        '["https://a.example", "https://b.example"]',
        "https://a.example, https://b.example",
    ],
)
def test_allowed_origins_from_a_list_or_a_cli_string(origins: Any) -> None:
    assert _config({"allowed_origins": origins}).allowed_origins == ("https://a.example", "https://b.example")


def test_cli_strings_become_numbers_and_flags() -> None:
    config = _config({"max_upload_bytes": "1024", "throttle_burst": "20", "skip_bundling": "true", "stage": "prod"})
    assert (config.max_upload_bytes, config.throttle_burst, config.skip_bundling) == (1024, 20, True)
    assert config.is_production


@pytest.mark.parametrize(
    "context",
    [
        {"stage": "Prod!"},
        {"max_upload_bytes": "0"},
        {"max_upload_bytes": str(5 * 1024**3 + 1)},  # more than the API's settings accept
        {"throttle_rate": "-1"},
    ],
)
def test_bad_values_fail_the_synth_early(context: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        _config(context)
