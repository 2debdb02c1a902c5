"""The cleanup queue: a deleted folder's, brand's or collection's per-asset work, for the library worker."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dam.domain.library import Cleanup

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


def sqs_client(region: str, endpoint_url: str | None) -> SQSClient:
    import boto3

    return boto3.client("sqs", region_name=region, endpoint_url=endpoint_url)


class SqsCleanupQueue:
    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._sqs = client
        self._url = queue_url

    def send(self, cleanup: Cleanup) -> None:
        self._sqs.send_message(QueueUrl=self._url, MessageBody=cleanup.model_dump_json())


def read_cleanup(body: str) -> Cleanup:
    """A message's body; anything else is a ValidationError (the message fails, and after its retries
    waits in the dead-letter queue)."""
    return Cleanup.model_validate_json(body)
