"""Server-chosen identifiers and timestamps."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id() -> str:
    """A ULID: 48-bit millisecond time + 80 random bits, Crockford base32, so ids sort by creation time."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        value, rem = divmod(value, 32)
        chars.append(_CROCKFORD[rem])
    return "".join(reversed(chars))


def created_ms(ulid: str) -> int | None:
    """The creation time (ms since the epoch) that a ULID from :func:`new_id` carries; None if it is not one."""
    if len(ulid) != 26:
        return None
    value = 0
    for char in ulid[:10].upper():
        digit = _CROCKFORD.find(char)
        if digit < 0:
            return None
        value = value * 32 + digit
    return value


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime) -> str:
    """ISO-8601 UTC with a ``Z`` suffix, second precision (the contract's timestamp format)."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_iso() -> str:
    return iso(utc_now())
