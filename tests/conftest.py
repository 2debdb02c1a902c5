"""Shared fixtures: moto-backed AWS (tables and bucket from the same definitions CDK deploys), and
an API client that calls the real Lambda handler with real-shaped events."""

from __future__ import annotations

import os
import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support import ApiResponse, LambdaContext, api_claims, api_event, sqs_s3_event, to_response

REGION = "us-east-1"


def pytest_configure(config: pytest.Config) -> None:
    """`make aws-calls`: record what each function calls (DAM_RECORD_AWS_CALLS), before any client exists."""
    from dam_local.aws_calls import install_from_environment

    install_from_environment()


_HANDLER_LOCK = threading.Lock()
ASSETS_TABLE = "dam-test-assets"


def _test_table_name(logical_name: str) -> str:
    return ASSETS_TABLE if logical_name == "Assets" else f"dam-test-{logical_name.lower()}"


def _tables() -> dict[str, str]:
    from dam.adapters.dynamodb.schema import table_specs

    return {spec.logical_name: _test_table_name(spec.logical_name) for spec in table_specs()}


# Every table the record models define, by logical name (the same names `bind_tables` takes).
TABLES: dict[str, str] = _tables()
MEDIA_BUCKET = "dam-test-media"


def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_credentials(monkeypatch)


@dataclass
class Aws:
    s3: Any
    dynamodb: Any

    def objects(self, prefix: str = "") -> list[str]:
        listing = self.s3.list_objects_v2(Bucket=MEDIA_BUCKET, Prefix=prefix)
        return [obj["Key"] for obj in listing.get("Contents", [])]


@contextmanager
def mocked_aws() -> Iterator[Aws]:
    """The tables and the bucket in moto; set fake credentials first (`fake_credentials`)."""
    import boto3
    from moto import mock_aws

    from dam.adapters.dynamodb.models import bind_tables
    from dam.adapters.dynamodb.schema import table_specs
    from dam_local.atomic import roll_back_transactions_in_place, serialise_dynamodb

    serialise_dynamodb()  # concurrent requests in tests get DynamoDB's per-request atomicity
    roll_back_transactions_in_place()  # and streams that survive a cancelled transaction
    # Step Functions executes definitions only with this switch (see DESIGN.md).
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):  # type: ignore[arg-type]
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        for spec in table_specs():
            dynamodb.create_table(**spec.create_table_kwargs(TABLES[spec.logical_name]))
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=MEDIA_BUCKET)
        s3.put_bucket_versioning(Bucket=MEDIA_BUCKET, VersioningConfiguration={"Status": "Enabled"})  # as deployed
        bind_tables(TABLES, region=REGION)
        yield Aws(s3=s3, dynamodb=dynamodb)


@pytest.fixture
def aws(aws_credentials: None) -> Iterator[Aws]:
    with mocked_aws() as world:
        yield world


class Api:
    """Calls the API Lambda's handler the way API Gateway would."""

    def __init__(self, aws: Aws) -> None:
        self.aws = aws
        self.claims = api_claims()

    def as_user(
        self,
        user: str = "user-maya",
        workspace: str = "ws-studio",
        role: str | None = "admin",
        clients: list[str] | None = None,
    ) -> dict[str, str]:
        return api_claims(user, workspace, role, clients)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        claims: dict[str, str] | bool | None = True,
    ) -> ApiResponse:
        from functions.api.handler import handler

        resolved = self.claims if claims is True else (None if claims is False else claims)
        event = api_event(method, path, body=body, query=query, headers=headers, claims=resolved)  # type: ignore[arg-type]
        # One request at a time, as a Lambda instance (and the local stack's function) runs them: Powertools'
        # resolver keeps the request's route arguments on the shared app, so threads would mix them up.
        with _HANDLER_LOCK:
            return to_response(handler(event, LambdaContext()))

    def upload(
        self,
        filename: str = "photo.jpg",
        content_type: str = "image/jpeg",
        data: bytes = b"\xff\xd8\xff-jpeg",
        asset_type: str = "image",
        claims: dict[str, str] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Start an upload, put the bytes where the presigned POST points, and deliver the notification."""
        body = {
            "filename": filename,
            "content_type": content_type,
            "size": len(data),
            "asset_type": asset_type,
            **extra,
        }
        created = self.request("POST", "/uploads", body=body, claims=claims or self.claims)
        assert created.status == 201, created.body
        asset = created.json()["asset"]
        key = created.json()["upload"]["fields"]["key"]
        self.aws.s3.put_object(Bucket=MEDIA_BUCKET, Key=key, Body=data, ContentType=content_type)
        self.notify(key, len(data))
        return asset

    def notify(self, key: str, size: int, message_id: str = "m-1") -> dict[str, Any]:
        from functions.ingest.handler import handler

        result: dict[str, Any] = handler(sqs_s3_event(MEDIA_BUCKET, key, size, message_id=message_id), LambdaContext())
        return result


@pytest.fixture
def api(aws: Aws, ingest_env: None) -> Iterator[Api]:
    from dam.api.context import build_services, use_services
    from dam.settings import ApiSettings

    settings = ApiSettings.from_environment(
        assets_table=ASSETS_TABLE,
        library_table=TABLES["Library"],
        media_bucket=MEDIA_BUCKET,
        max_upload_bytes=50 * 1024**2,
        state_machine_arn=os.environ.get("DAM_STATE_MACHINE_ARN"),
        library_queue_url=os.environ.get("DAM_LIBRARY_QUEUE_URL"),  # tests/integration/test_library_cleanup.py
    )
    use_services(build_services(settings))
    yield Api(aws)
    use_services(None)


@pytest.fixture
def ingest_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from functions.ingest.handler import ingest_service

    monkeypatch.setenv("DAM_ASSETS_TABLE", ASSETS_TABLE)
    monkeypatch.setenv("DAM_LIBRARY_TABLE", TABLES["Library"])
    monkeypatch.setenv("DAM_MEDIA_BUCKET", MEDIA_BUCKET)
    ingest_service.cache_clear()
    yield
    ingest_service.cache_clear()


STACK_LOG_LINES = 150


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test that used a local stack shows the end of the stack's log (its DEBUG lines left out), so a
    failure seen once in CI says what the stack was doing: which step ran, failed or never ran."""
    report = yield
    if report.failed and call.when == "call":
        from dam_local.stack import LocalStackProcess

        for name, value in getattr(item, "funcargs", {}).items():
            if isinstance(value, LocalStackProcess):
                lines = [line[:400] for line in value.log().splitlines() if " DEBUG " not in line]
                report.sections.append((f"dam local log of {name} (last lines)", "\n".join(lines[-STACK_LOG_LINES:])))
    return report
