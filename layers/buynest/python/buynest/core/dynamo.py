"""How the stores read DynamoDB's failures: which transaction item failed its condition, and which failures are
contention worth retrying (``core.retry.Backoff``). One place, so every store classifies alike."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pynamodb.exceptions import TransactWriteError

CONDITION_FAILED = "ConditionalCheckFailed"  # a transaction item's cancellation reason
RETRYABLE_REASONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})
RETRYABLE_ERRORS = frozenset(
    {"TransactionConflictException", "TransactionInProgressException", "ThrottlingException", "RequestLimitExceeded"}
)


def reason_codes(exc: TransactWriteError, size: int) -> list[str | None]:
    """The cancellation reason of each of a transaction's first ``size`` items, in the order they were sent (None
    where DynamoDB gave none)."""
    codes: list[str | None] = [r.code if r else None for r in (exc.cancellation_reasons or [])]
    return (codes + [None] * size)[:size]


def contention(exc: TransactWriteError, codes: list[str | None]) -> bool:
    """True when the transaction lost to a concurrent one or was throttled: trying again may succeed."""
    return exc.cause_response_code in RETRYABLE_ERRORS or any(code in RETRYABLE_REASONS for code in codes)
