"""The library worker's queue: a deleted folder's, brand's or collection's per-asset work, and the trash's
expiry (a sweep on a schedule, a purge per expired asset)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from dam.domain.library import Cleanup
from dam.domain.trash import TrashPurge, TrashSweep

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


def sqs_client(region: str, endpoint_url: str | None) -> SQSClient:
    import boto3

    return boto3.client("sqs", region_name=region, endpoint_url=endpoint_url)


class SqsCleanupQueue:
    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._sqs = client
        self._url = queue_url

    def send(self, message: Cleanup | TrashSweep | TrashPurge) -> None:
        self._sqs.send_message(QueueUrl=self._url, MessageBody=message.model_dump_json(exclude_none=True))


def read_message(body: str) -> Cleanup | TrashSweep | TrashPurge:
    """A message of any kind the worker handles, told apart by its keys (`sweep`, `purge`, else a cleanup);
    anything else is a ValueError (the message fails, and after its retries waits in the dead-letter queue)."""
    data = json.loads(body)
    if isinstance(data, dict) and "sweep" in data:
        return TrashSweep.model_validate(data)
    if isinstance(data, dict) and "purge" in data:
        return TrashPurge.model_validate(data)
    return Cleanup.model_validate(data)
