"""Opaque list cursors and the shared ``?limit=&cursor=`` query model."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from buynest.core.errors import InvalidInput

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class PageQuery(BaseModel):
    """``limit`` 1..100 (default 20) and an opaque ``cursor`` from a previous page."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, min_length=1, max_length=2048)


def encode_cursor(last_key: dict[str, Any] | None) -> str | None:
    """Encode DynamoDB's LastEvaluatedKey (attribute-value form) as an opaque URL-safe string."""
    if not last_key:
        return None
    raw = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(
    cursor: str | None, key_names: frozenset[str], fixed: Mapping[str, str] | None = None
) -> dict[str, Any] | None:
    """Decode a cursor made by :func:`encode_cursor` for a query whose (string) key attributes are ``key_names``;
    ``fixed`` names key parts that must equal this list's (its partition: a cursor of another list or customer).

    Anything else (tampered, from another list, not base64) is a 400 naming the cursor, never a database error.
    """
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise InvalidInput("cursor: is not a cursor returned by this list") from exc
    if not isinstance(key, dict) or set(key) != key_names:
        raise InvalidInput("cursor: is not a cursor returned by this list")
    for value in key.values():
        if not (isinstance(value, dict) and len(value) == 1):
            raise InvalidInput("cursor: is not a cursor returned by this list")
        ((kind, scalar),) = value.items()
        if kind != "S" or not isinstance(scalar, str) or not scalar or len(scalar) > 512:
            raise InvalidInput("cursor: is not a cursor returned by this list")
    if fixed and any(key[name]["S"] != value for name, value in fixed.items()):
        raise InvalidInput("cursor: is not a cursor returned by this list")
    return key


def page(items: list[Any], next_cursor: str | None) -> dict[str, Any]:
    return {"items": items, "nextCursor": next_cursor}
