"""The AWS call recorder behind tests/infra/test_least_privilege.py (`make aws-calls`): which IAM action and
resource a call needs, and which function it counts for."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from dam_local.aws_calls import Recorder, attach, key_pattern, needs, running


def test_ids_in_keys_become_wildcards_and_the_rest_stays() -> None:
    assert key_pattern("assets/ws-1/0af3/original") == "assets/*/*/original"
    assert key_pattern("assets/ws-1/0af3/v12/renditions/thumbnail.webp") == "assets/*/*/v*/renditions/thumbnail.webp"
    assert key_pattern("imports/ws-1/imp-9/archive.zip") == "imports/*/*/archive.zip"
    assert key_pattern("assets/ws-1/0af3/") == "assets/*/*/"
    assert key_pattern("imports/") == "imports/"


def test_a_call_needs_the_iam_action_of_what_it_does() -> None:
    key = {"Bucket": "dam-test-media", "Key": "assets/ws/a/original"}
    assert needs("s3", "HeadObject", key) == [("s3:GetObject", "${Storage/Media}/assets/*/*/original")]
    assert needs("s3", "GetObject", {**key, "VersionId": "v"}) == [
        ("s3:GetObjectVersion", "${Storage/Media}/assets/*/*/original")
    ]
    assert needs("s3", "ListObjectVersions", {"Bucket": "dam-local-media", "Prefix": "imports/ws/i/"}) == [
        ("s3:ListBucketVersions", "${Storage/Media}?prefix=imports/*/*/")
    ]
    assert needs("s3", "ListParts", key) == [("s3:ListMultipartUploadParts", "${Storage/Media}/assets/*/*/original")]
    assert needs("dynamodb", "Query", {"TableName": "dam-local-assets", "IndexName": "by_folder"}) == [
        ("dynamodb:Query", "${Storage/Assets}/index/by_folder")
    ]
    transaction = {
        "TransactItems": [
            {"Put": {"TableName": "dam-test-library", "Item": {}}},
            {"ConditionCheck": {"TableName": "dam-test-assets", "Key": {}}},
        ]
    }
    assert needs("dynamodb", "TransactWriteItems", transaction) == [
        ("dynamodb:PutItem", "${Storage/Library}"),
        ("dynamodb:ConditionCheckItem", "${Storage/Assets}"),
    ]
    queue = "http://localhost:5000/123456789012/dam-local-library-cleanup"
    assert needs("sqs", "SendMessageBatch", {"QueueUrl": queue}) == [("sqs:SendMessage", "${LibraryWorker/Cleanups}")]
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:dam-local-pipeline"
    assert needs("states", "StartExecution", {"stateMachineArn": arn}) == [
        ("states:StartExecution", "${Pipeline/StateMachine}")
    ]


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Any:
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return boto3.client("s3", region_name="us-east-1")


def test_calls_count_for_the_running_function_only(s3: Any, tmp_path: Path) -> None:
    from botocore.stub import Stubber

    record = tmp_path / "calls.json"
    attach(s3, Recorder(record))
    with Stubber(s3) as stub:
        stub.add_response("head_object", {}, {"Bucket": "dam-test-media", "Key": "assets/ws/a/original"})
        stub.add_response("put_object", {}, {"Bucket": "dam-test-media", "Key": "setup"})
        with running("functions.pipeline.handlers:register"):
            s3.head_object(Bucket="dam-test-media", Key="assets/ws/a/original")
            s3.generate_presigned_url("get_object", Params={"Bucket": "dam-test-media", "Key": "assets/w/b/x.webp"})
        with running("functions.api.handler:handler"):
            s3.generate_presigned_post(Bucket="dam-test-media", Key="imports/ws/i/archive.zip")
        s3.put_object(Bucket="dam-test-media", Key="setup")  # a test's own setup: no function runs
    assert json.loads(record.read_text()) == {
        "Api/Handler": [
            {
                "action": "s3:PutObject",
                "resource": "${Storage/Media}/imports/*/*/archive.zip",
                "call": "s3:PutObject (presigned)",
            }
        ],
        "Pipeline/Register": [
            {"action": "s3:GetObject", "resource": "${Storage/Media}/assets/*/*/original", "call": "s3:HeadObject"},
            {
                "action": "s3:GetObject",
                "resource": "${Storage/Media}/assets/*/*/x.webp",
                "call": "s3:GetObject (presigned)",
            },
        ],
    }


def test_processes_merge_into_one_record(tmp_path: Path) -> None:
    record = tmp_path / "calls.json"
    first, second = Recorder(record), Recorder(record)
    threads = [
        threading.Thread(target=first.record, args=("Api/Handler", "sqs", "SendMessage", {"QueueUrl": "q/x-uploads"})),
        threading.Thread(
            target=second.record, args=("Ingest/Handler", "states", "StartExecution", {"stateMachineArn": "a"})
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(json.loads(record.read_text())) == ["Api/Handler", "Ingest/Handler"]
