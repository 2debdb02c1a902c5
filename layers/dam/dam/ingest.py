"""Reading S3 ObjectCreated notifications as they arrive on the upload queue."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_plus

from dam.services.ingest import ObjectCreated


def objects_created(sqs_body: str) -> Iterator[ObjectCreated]:
    """The objects an S3 notification message announces. S3's test event announces none.

    Keys arrive URL-encoded (spaces as '+'), from AWS and from moto alike.
    """
    message: dict[str, Any] = json.loads(sqs_body)
    for record in message.get("Records", []):
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        s3 = record["s3"]
        obj = s3["object"]
        yield ObjectCreated(
            bucket=s3["bucket"]["name"],
            key=unquote_plus(obj["key"]),
            size=int(obj.get("size", 0)),
            etag=obj.get("eTag") or obj.get("etag"),
            version_id=obj.get("versionId") or None,
        )
