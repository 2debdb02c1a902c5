"""Object storage on S3: presigned uploads and downloads, and prefix deletes. Presigning makes no call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef


@dataclass(frozen=True)
class PresignedPost:
    url: str
    fields: dict[str, str]
    expires_at: datetime


def s3_client(region: str, endpoint_url: str | None) -> S3Client:
    import boto3
    from botocore.config import Config

    # SigV4 everywhere. On AWS, virtual-hosted addressing signs for the regional host
    # (`<bucket>.s3.<region>.amazonaws.com`): "auto" signs for the global `<bucket>.s3.amazonaws.com`, which a new
    # bucket outside us-east-1 answers with a 307 (browsers abort a cross-origin POST on it) and opt-in regions
    # with a 400. moto's server (an endpoint URL) is reached path-style.
    config = Config(signature_version="s3v4", s3={"addressing_style": "path" if endpoint_url else "virtual"})
    return boto3.client("s3", region_name=region, endpoint_url=endpoint_url, config=config)


def attachment_disposition(filename: str) -> str:
    """A Content-Disposition that names the file, safe for non-ASCII names (RFC 6266 / 5987)."""
    ascii_name = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


class ObjectStorage:
    def __init__(self, client: S3Client, bucket: str) -> None:
        self._s3 = client
        self.bucket = bucket

    def presign_post(self, key: str, content_type: str, size: int, expires_in: int) -> PresignedPost:
        """A browser-ready POST whose policy pins the key, the exact type and the exact size."""
        conditions: list[Any] = [
            {"Content-Type": content_type},
            ["content-length-range", size, size],
        ]
        signed = self._s3.generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=conditions,
            ExpiresIn=expires_in,
        )
        expires_at = datetime.now(UTC) + timedelta(seconds=expires_in)
        return PresignedPost(url=signed["url"], fields=dict(signed["fields"]), expires_at=expires_at)

    def presign_get(
        self, key: str, expires_in: int, *, download_name: str | None = None, content_type: str | None = None
    ) -> str:
        params: dict[str, str] = {"Bucket": self.bucket, "Key": key}
        if download_name:
            params["ResponseContentDisposition"] = attachment_disposition(download_name)
        if content_type:
            params["ResponseContentType"] = content_type
        return self._s3.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)

    def download(self, key: str, path: str) -> None:
        """Stream the object to a local file (Lambda's /tmp), never holding it all in memory."""
        self._s3.download_file(self.bucket, key, path)

    def upload(self, key: str, data: bytes, content_type: str) -> None:
        self._s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under `prefix` (original, renditions, versions). Returns how many."""
        deleted = 0
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            keys: list[ObjectIdentifierTypeDef] = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
            if not keys:
                continue
            result = self._s3.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})
            errors = result.get("Errors", [])
            if errors:
                raise RuntimeError(f"could not delete {len(errors)} objects under {prefix}: {errors[0]}")
            deleted += len(keys)
        return deleted
