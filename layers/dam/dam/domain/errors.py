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


class Forbidden(DomainError):
    """The caller may see the thing but not change it."""

    code = "forbidden"
