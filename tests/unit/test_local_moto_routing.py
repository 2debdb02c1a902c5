"""The local stack's moto server routes a request without listing moto's package folder each time."""

from __future__ import annotations

import os
from typing import Any

import pytest
from moto import backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from dam_local.moto_routing import list_moto_modules_once


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
