"""A seekable, read-only file over one S3 object, read with ranged GETs: zipfile reads the central
directory at the end, then each entry, without the object ever being downloaded whole."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

BLOCK = 1024 * 1024  # one GET per block: few requests, bounded memory


class RangedObject(io.RawIOBase):
    def __init__(
        self,
        client: S3Client,
        bucket: str,
        key: str,
        size: int,
        etag: str | None = None,
        version_id: str | None = None,
    ) -> None:
        self._s3 = client
        self._bucket = bucket
        self._key = key
        self._size = size
        # Pinned to the object that was announced (its version, or its ETag in a bucket without versions):
        # bytes written at the key meanwhile are never read.
        self._etag = etag
        self._version_id = version_id
        self._position = 0
        self.requests = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._position >= self._size or len(buffer) == 0:
            return 0
        end = min(self._size, self._position + len(buffer)) - 1
        extra = {"IfMatch": self._etag} if self._etag else {}
        if self._version_id:
            extra["VersionId"] = self._version_id
        answer = self._s3.get_object(
            Bucket=self._bucket,
            Key=self._key,
            Range=f"bytes={self._position}-{end}",
            **extra,  # type: ignore[arg-type]
        )
        self.requests += 1
        data = answer["Body"].read()
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)


def open_ranged(
    client: S3Client,
    bucket: str,
    key: str,
    size: int,
    etag: str | None = None,
    *,
    version_id: str | None = None,
    block: int = BLOCK,
) -> io.BufferedReader:
    return io.BufferedReader(RangedObject(client, bucket, key, size, etag, version_id), buffer_size=block)
