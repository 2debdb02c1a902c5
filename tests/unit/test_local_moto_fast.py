"""The local stack's moto speed-ups: the same routes and the same DynamoDB answers as moto's own code, with
less work."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

import pytest
from moto import backends
from moto.core.serialize import BaseJSONSerializer, JSONSerializer, XFormedAttributePicker
from moto.core.utils import get_service_model
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from dam_local.moto_fast import copy_attribute_values, list_moto_modules_once, speed_up_moto


def test_requests_route_to_the_same_services_without_listing_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    before = list(backends.list_of_moto_modules())
    dispatcher = DomainDispatcherApplication(create_backend_app)
    hosts = ["dynamodb.us-east-1.amazonaws.com", "s3.amazonaws.com", "sqs", "states.eu-west-1.amazonaws.com"]
    routed = [dispatcher.get_backend_for_host(host) for host in hosts]
    assert routed == ["dynamodb", "s3", "sqs", "stepfunctions"]

    list_moto_modules_once()
    list_moto_modules_once()  # a second stack in the process: still one listing
    listings: list[Any] = []
    real_listdir = os.listdir
    monkeypatch.setattr(os, "listdir", lambda path=".": listings.append(path) or real_listdir(path))
    assert [dispatcher.get_backend_for_host(host) for host in hosts] == routed
    assert list(backends.list_of_moto_modules()) == before
    assert listings == []


ASSET = {
    "pk": {"S": "ws#a1"},
    "empty": {"S": ""},
    "count": {"N": "12"},
    "ratio": {"N": "0.25"},
    "tags": {"SS": ["red", "sky"]},
    "sizes": {"NS": ["1", "2"]},
    "hidden": {"BOOL": False},
    "gone": {"NULL": True},
    "none": {"M": {}},
    "nothing": {"L": []},
    "renditions": {
        "M": {
            "thumb": {"M": {"key": {"S": "t.webp"}, "width": {"N": "320"}, "steps": {"L": [{"S": "a"}, {"N": "1"}]}}},
            "list": {"L": [{"M": {"deep": {"L": [{"BOOL": True}, {"NULL": True}]}}}]},
        }
    },
    **{f"field{i}": {"S": "x" * i} for i in range(30)},
}
WITH_BINARY = {**ASSET, "checksum": {"B": "3q2+7w=="}, "parts": {"L": [{"B": "AAEC"}, {"S": "text"}]}}
RESULTS = {
    ("dynamodb", "GetItem"): {"Item": WITH_BINARY},
    ("dynamodb", "Query"): {"Items": [ASSET, WITH_BINARY, {"pk": {"S": "b"}}], "Count": 3, "ScannedCount": 3},
    ("dynamodbstreams", "GetRecords"): {
        "Records": [
            {
                "eventID": "1",
                "eventName": "MODIFY",
                "dynamodb": {
                    "ApproximateCreationDateTime": datetime(2026, 12, 7, tzinfo=UTC),
                    "Keys": {"pk": {"S": "ws#a1"}},
                    "NewImage": ASSET,
                    "OldImage": WITH_BINARY,
                    "SequenceNumber": "1100000000017454423010",
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
            }
        ],
        "NextShardIterator": "arn:iterator",
    },
}


def _serialize(service: str, operation: str, result: Any) -> tuple[Any, int]:
    """The response body moto sends, and how many attribute lookups its shape walk made."""
    picked = []

    class CountingPicker(XFormedAttributePicker):
        def __call__(self, context: Any) -> Any:
            picked.append(context.key)
            return super().__call__(context)

    serializer = JSONSerializer(
        operation_model=get_service_model(service).operation_model(operation), value_picker=CountingPicker()
    )
    response = serializer.serialize(result)
    return json.loads(response["body"]), len(picked)


@pytest.mark.parametrize(("service", "operation"), list(RESULTS))
def test_dynamodb_answers_are_the_ones_moto_serializes_with_a_fraction_of_the_lookups(
    service: str, operation: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    speed_up_moto()
    copy_attribute_values()  # idempotent
    fast, fast_lookups = _serialize(service, operation, RESULTS[(service, operation)])
    patched = BaseJSONSerializer._serialize_type_structure
    monkeypatch.setattr(BaseJSONSerializer, "_serialize_type_structure", patched.walk)  # type: ignore[attr-defined]
    walked, walked_lookups = _serialize(service, operation, RESULTS[(service, operation)])
    assert fast == walked
    assert "B" in json.dumps(walked)  # binary went through moto's own walk
    assert fast_lookups * 3 < walked_lookups, (fast_lookups, walked_lookups)
