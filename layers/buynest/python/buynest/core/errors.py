"""Error kinds shared by every service.

A service defines one base error and specific subclasses that also inherit one *kind* below; the HTTP layer maps
kinds to status codes in one place (``buynest.core.http``), so no handler ever matches on message text.
"""

from __future__ import annotations


class BuynestError(Exception):
    """Base of every expected (non-bug) error. ``code`` is the contract's UPPER_SNAKE error code."""

    code = "ERROR"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidInput(BuynestError):
    code = "VALIDATION_ERROR"


class Unauthorized(BuynestError):
    code = "UNAUTHORIZED"


class Forbidden(BuynestError):
    code = "FORBIDDEN"


class NotFound(BuynestError):
    code = "NOT_FOUND"


class Conflict(BuynestError):
    code = "CONFLICT"


class Gone(BuynestError):
    code = "GONE"


class Unprocessable(BuynestError):
    code = "UNPROCESSABLE"


class TooManyRequests(BuynestError):
    code = "TOO_MANY_REQUESTS"


class PayloadTooLarge(BuynestError):
    code = "PAYLOAD_TOO_LARGE"


STATUS_BY_KIND: dict[type[BuynestError], int] = {
    InvalidInput: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Gone: 410,
    PayloadTooLarge: 413,
    Unprocessable: 422,
    TooManyRequests: 429,
}


def status_for(error: BuynestError) -> int:
    """HTTP status of an error, by the first kind in its MRO (500 for a bare BuynestError)."""
    for cls in type(error).__mro__:
        if cls in STATUS_BY_KIND:
            return STATUS_BY_KIND[cls]
    return 500
