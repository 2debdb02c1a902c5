"""Object storage on S3: presigned uploads and downloads, and prefix deletes. Presigning makes no call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef


HEADER_BLOCK = 256 * 1024  # a ranged read's size when only a file's header is wanted


@dataclass(frozen=True)
class PresignedPost:
    url: str
    fields: dict[str, str]
    expires_at: datetime


@dataclass(frozen=True)
class PartUrl:
    part_number: int
    url: str


@dataclass(frozen=True)
class StoredObject:
    """One stored version of an object: what the pipeline checked, and pins every later read to."""

    version_id: str | None  # None when the bucket keeps no versions
    etag: str
    size: int


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

    # --- multipart ------------------------------------------------------------------------------------

    def start_multipart(self, key: str, content_type: str) -> str:
        """Begin a multipart upload of `key`; returns its upload id."""
        started = self._s3.create_multipart_upload(Bucket=self.bucket, Key=key, ContentType=content_type)
        return started["UploadId"]

    def presign_parts(self, key: str, upload_id: str, part_numbers: list[int], expires_in: int) -> list[PartUrl]:
        """Presigned UploadPart URLs (PUT the part's bytes; the answer's ETag header names the part)."""
        return [
            PartUrl(
                number,
                self._s3.generate_presigned_url(
                    "upload_part",
                    Params={"Bucket": self.bucket, "Key": key, "UploadId": upload_id, "PartNumber": number},
                    ExpiresIn=expires_in,
                ),
            )
            for number in part_numbers
        ]

    def uploaded_parts(self, key: str, upload_id: str) -> dict[int, str] | None:
        """Part number → ETag of the parts stored so far; None when there is no such upload (any more)."""
        from botocore.exceptions import ClientError

        parts: dict[int, str] = {}
        marker = 0
        try:
            while True:
                page = self._s3.list_parts(Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumberMarker=marker)
                for part in page.get("Parts", []):
                    parts[int(part["PartNumber"])] = str(part["ETag"]).strip('"')
                if not page.get("IsTruncated"):
                    return parts
                marker = int(page["NextPartNumberMarker"])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"NoSuchUpload", "404"}:
                return None
            raise

    def complete_multipart(self, key: str, upload_id: str, parts: list[tuple[int, str]]) -> None:
        self._s3.complete_multipart_upload(
            Bucket=self.bucket,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": number, "ETag": f'"{etag}"'} for number, etag in parts]},
        )

    def abort_multipart(self, key: str, upload_id: str) -> None:
        """Abort the upload and drop its parts; an upload already gone is fine."""
        from botocore.exceptions import ClientError

        try:
            self._s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in {"NoSuchUpload", "404"}:
                raise

    def open_multipart_uploads(self, prefix: str) -> list[str]:
        """Upload ids of the multipart uploads still open under `prefix`."""
        listed = self._s3.list_multipart_uploads(Bucket=self.bucket, Prefix=prefix)
        return [upload["UploadId"] for upload in listed.get("Uploads", [])]

    def presign_get(
        self,
        key: str,
        expires_in: int,
        *,
        download_name: str | None = None,
        content_type: str | None = None,
        version_id: str | None = None,
    ) -> str:
        params: dict[str, str] = {"Bucket": self.bucket, "Key": key}
        if version_id:
            params["VersionId"] = version_id
        if download_name:
            params["ResponseContentDisposition"] = attachment_disposition(download_name)
        if content_type:
            params["ResponseContentType"] = content_type
        return self._s3.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)

    def head(self, key: str, version_id: str | None = None) -> StoredObject | None:
        """The object (that version of it, if given), or None when there is no such object or version."""
        from botocore.exceptions import ClientError

        extra = {"VersionId": version_id} if version_id else {}
        try:
            head = self._s3.head_object(Bucket=self.bucket, Key=key, **extra)  # type: ignore[arg-type]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NoSuchVersion", "400"}:
                return None
            raise
        version = head.get("VersionId")
        return StoredObject(
            version_id=None if version in (None, "null") else version,
            etag=str(head.get("ETag", "")).strip('"'),
            size=int(head.get("ContentLength", 0)),
        )

    def download(self, key: str, path: str, version_id: str | None = None) -> None:
        """Stream the object (that version of it, if given) to a local file, never holding it all in memory."""
        extra = {"VersionId": version_id} if version_id else None
        self._s3.download_file(self.bucket, key, path, ExtraArgs=extra)

    def open(self, stored: StoredObject, key: str) -> IO[bytes]:
        """That stored version as a seekable file read with ranged GETs of 256 KB: a format's header is
        a request or two, whatever the object's size."""
        from dam.adapters.s3.ranged import open_ranged

        etag = None if stored.version_id else stored.etag
        return open_ranged(
            self._s3, self.bucket, key, stored.size, etag, version_id=stored.version_id, block=HEADER_BLOCK
        )

    def read(self, key: str, version_id: str | None = None) -> bytes:
        """A small object's bytes (a rendition): one GET."""
        extra = {"VersionId": version_id} if version_id else {}
        return self._s3.get_object(Bucket=self.bucket, Key=key, **extra)["Body"].read()  # type: ignore[arg-type]

    def delete_version(self, key: str, version_id: str) -> None:
        self._s3.delete_object(Bucket=self.bucket, Key=key, VersionId=version_id)

    def upload(self, key: str, data: bytes, content_type: str) -> str | None:
        """Store the bytes; returns the version S3 made of them (None when the bucket keeps no versions)."""
        written = self._s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)
        version = written.get("VersionId")
        return None if version in (None, "null") else version

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under `prefix` (original, renditions, versions), every stored version of
        each and their delete markers, so nothing is kept once a user deletes. Returns how many."""
        deleted = 0
        paginator = self._s3.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            keys: list[ObjectIdentifierTypeDef] = [
                {"Key": obj["Key"], "VersionId": obj["VersionId"]}
                for obj in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
            ]
            if not keys:
                continue
            result = self._s3.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})
            errors = result.get("Errors", [])
            if errors:
                raise RuntimeError(f"could not delete {len(errors)} objects under {prefix}: {errors[0]}")
            deleted += len(keys)
        return deleted
