"""Synthesizes the CDK app once per test session and shares it between the infra tests."""

from __future__ import annotations

import pytest

from tests.infra.synth import ALARM_TOPIC, Synth, synthesize


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The dev stage, as `cdk synth` with the default context builds it."""
    return synthesize(tmp_path_factory.mktemp("cdk-dev"), {})


@pytest.fixture(scope="session")
def prod_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(
        tmp_path_factory.mktemp("cdk-prod"),
        {
            "stage": "prod",
            "allowed_origins": '["https://dam.example.com"]',
            "max_upload_bytes": "1048576",
            "alarm_topic_arn": ALARM_TOPIC,
        },
    )
