"""The presigned POST policy check S3 does and moto doesn't, in front of the local S3 endpoint.

Presigned part uploads (PUT with `partNumber` and `uploadId`, from a multipart upload) are checked too: the
query-string SigV4 signature (so a URL for one part, upload or key does not serve another) and its expiry.

A browser form POST to `/{bucket}` is checked the way S3 checks it (SigV4 POST policy): the signature over
the base64 policy with the local credentials, the expiry, and every condition (exact fields, `starts-with`,
`content-length-range`), and each form field must be named by a condition. What fails answers S3's error
XML, so the local stack refuses what AWS refuses: another key, a reused form with another size, a type
other than the signed one. Every other request passes through to moto untouched.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]
# Form fields S3 never asks a condition for (x-ignore-* too).
_UNCONDITIONED = {"policy", "x-amz-signature", "file"}


class PolicyRefused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _signature(secret: str, credential: str, policy_b64: str) -> str:
    """SigV4: the key is derived from the date, region and service named in the credential scope."""
    try:
        _access_key, date, region, service, terminator = credential.split("/")
    except ValueError as exc:
        raise PolicyRefused(400, "InvalidArgument", "x-amz-credential is malformed") from exc
    key = f"AWS4{secret}".encode()
    for part in (date, region, service, terminator):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, policy_b64.encode(), hashlib.sha256).hexdigest()


def check_post(fields: Mapping[str, str], file_size: int, bucket: str, secret: str, now: datetime) -> None:
    """Raise PolicyRefused unless the form is what its signed policy allows."""
    lowered = {name.lower(): value for name, value in fields.items()}
    policy_b64 = lowered.get("policy")
    if not policy_b64:
        raise PolicyRefused(403, "AccessDenied", "Bucket POST must contain a field named 'policy'.")
    expected = _signature(secret, lowered.get("x-amz-credential", ""), policy_b64)
    if not hmac.compare_digest(expected, lowered.get("x-amz-signature", "")):
        raise PolicyRefused(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )
    try:
        policy = json.loads(base64.b64decode(policy_b64, validate=True))
        expiration = datetime.fromisoformat(str(policy["expiration"]).replace("Z", "+00:00"))
        conditions = list(policy["conditions"])
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise PolicyRefused(400, "InvalidPolicyDocument", "Invalid Policy: the policy is not a policy.") from exc
    if now >= expiration:
        raise PolicyRefused(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
    values = {**lowered, "bucket": bucket}
    covered: set[str] = set()
    for condition in conditions:
        covered |= _check_condition(condition, values, file_size)
    for name in lowered:
        if name not in _UNCONDITIONED and not name.startswith("x-ignore-") and name not in covered:
            raise PolicyRefused(403, "AccessDenied", f"Invalid according to Policy: Extra input fields: {name}")


def _check_condition(condition: Any, values: Mapping[str, str], file_size: int) -> set[str]:
    """The fields the condition names, once it holds."""
    failed = PolicyRefused(
        403, "AccessDenied", f"Invalid according to Policy: Policy Condition failed: {json.dumps(condition)}"
    )
    if isinstance(condition, dict):
        for name, wanted in condition.items():
            if values.get(name.lower()) != wanted:
                raise failed
        return {name.lower() for name in condition}
    if isinstance(condition, list) and len(condition) == 3:
        operator = str(condition[0]).lower()
        if operator == "content-length-range":
            low, high = int(condition[1]), int(condition[2])
            if file_size > high:
                raise PolicyRefused(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
            if file_size < low:
                raise PolicyRefused(
                    400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size"
                )
            return set()
        name = str(condition[1]).lstrip("$").lower()
        actual = values.get(name)
        if actual is None or (operator == "eq" and actual != condition[2]):
            raise failed
        if operator == "starts-with" and not actual.startswith(str(condition[2])):
            raise failed
        if operator not in ("eq", "starts-with"):
            raise failed
        return {name}
    raise failed


def _uri_encode(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="-_.~")


def check_presigned_part(method: str, raw_path: str, query: str, host: str, secret: str, now: datetime) -> None:
    """Raise PolicyRefused unless the presigned URL's query-string SigV4 signature holds and it has not expired."""
    from datetime import timedelta
    from urllib.parse import unquote

    pairs = [(unquote(k), unquote(v)) for k, _, v in (item.partition("=") for item in query.split("&") if item)]
    params = dict(pairs)
    signature = params.get("X-Amz-Signature", "")
    try:
        signed_at = datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        expires = int(params["X-Amz-Expires"])
        credential = params["X-Amz-Credential"]
        signed_headers = params["X-Amz-SignedHeaders"]
    except (KeyError, ValueError) as exc:
        raise PolicyRefused(403, "AccessDenied", "Query-string authentication requires the X-Amz- parameters") from exc
    if now > signed_at + timedelta(seconds=expires):
        raise PolicyRefused(403, "AccessDenied", "Request has expired")
    canonical_query = "&".join(f"{_uri_encode(k)}={_uri_encode(v)}" for k, v in sorted(pairs) if k != "X-Amz-Signature")
    headers = {"host": host}
    if signed_headers != "host":
        raise PolicyRefused(403, "AccessDenied", "only the host header may be signed on a part URL here")
    canonical = "\n".join(
        [method, raw_path, canonical_query, f"host:{headers['host']}\n", signed_headers, "UNSIGNED-PAYLOAD"]
    )
    scope = credential.split("/", 1)[1] if "/" in credential else ""
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", params["X-Amz-Date"], scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    if not hmac.compare_digest(_signature(secret, credential, to_sign), signature):
        raise PolicyRefused(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )


def _error(status: int, code: str, message: str, start_response: Any) -> list[bytes]:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{escape(code)}</Code>'
        f"<Message>{escape(message)}</Message></Error>"
    ).encode()
    reason = {400: "Bad Request", 403: "Forbidden"}.get(status, "Error")
    start_response(f"{status} {reason}", [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
    return [body]


def _uri_path(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/-_.~")


class PostPolicyCheck:
    """WSGI middleware: browser POST uploads are checked, then handed on to moto with their body intact."""

    def __init__(self, app: WsgiApp, secret: str, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._app = app
        self._secret = secret
        self._now = now

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        content_type = environ.get("CONTENT_TYPE", "")
        bucket = path.strip("/")
        query = environ.get("QUERY_STRING", "")
        if environ.get("REQUEST_METHOD") == "PUT" and "uploadId=" in query and "X-Amz-Signature=" in query:
            raw_path = (environ.get("RAW_URI") or environ.get("REQUEST_URI") or _uri_path(path)).split("?", 1)[0]
            try:
                check_presigned_part("PUT", raw_path, query, environ.get("HTTP_HOST", ""), self._secret, self._now())
            except PolicyRefused as refused:
                return _error(refused.status, refused.code, refused.message, start_response)
            return self._app(environ, start_response)
        if environ.get("REQUEST_METHOD") != "POST" or "multipart/form-data" not in content_type or "/" in bucket:
            return self._app(environ, start_response)
        from werkzeug.formparser import parse_form_data

        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        parsing = {**environ, "wsgi.input": io.BytesIO(body)}
        _stream, form, files = parse_form_data(parsing)
        upload = files.get("file")
        size = len(upload.read()) if upload is not None else 0
        try:
            check_post(dict(form.items()), size, bucket, self._secret, self._now())
        except PolicyRefused as refused:
            return _error(refused.status, refused.code, refused.message, start_response)
        environ["wsgi.input"] = io.BytesIO(body)
        return self._app(environ, start_response)
