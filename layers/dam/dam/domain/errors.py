"""Domain errors. The API maps each to one HTTP status in one place (dam.api.errors)."""

from __future__ import annotations


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """Missing, or not the caller's to see: both answer the same so nothing leaks."""

    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class InvalidInput(DomainError):
    """Input that passed its schema but breaks a rule (unsupported type, too large, mismatched extension)."""

    code = "invalid_input"


class InvalidCursor(InvalidInput):
    """A page cursor the server did not write for this query (tampered, forged, from another list): the
    request itself is malformed (400), unlike a field that breaks a rule (422)."""

    code = "invalid_cursor"


class Forbidden(DomainError):
    """The caller may see the thing but not change it."""

    code = "forbidden"


# --- processing ------------------------------------------------------------------------------------
# Step Functions matches errors by class name: these names appear in the state machine's Retry/Catch.


class Throttled(DomainError):
    """A dependency asked us to slow down (Bedrock throttling, S3 SlowDown): retry with backoff."""

    code = "throttled"


class ContentRejected(DomainError):
    """The file is not acceptable: empty, lies about its type, unsupported, or over a size/pixel limit.
    The asset ends `rejected` with this message as the reason a user reads. Never retried."""

    code = "content_rejected"


class ContentUnreadable(DomainError):
    """The file claims a supported type but cannot be decoded (truncated, corrupt). The asset ends
    `failed` with this message; the original is kept so a user can retry or download it."""

    code = "content_unreadable"
