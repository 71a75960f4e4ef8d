"""Payments: the built-in payment provider simulator's rules, in plain Python (no AWS, no environment).

One payment per order; the order id is the idempotency key. A payment is created ``PENDING`` by the first
authorization attempt and moves only along these edges (each one a conditional write in the store)::

    PENDING -> AUTHORIZED -> CAPTURED -> REFUNDED
       |           '-> VOIDED
       |-> DECLINED
       '-> FAILED   (the caller gave up after transient errors)

Test tokens (the contract's): ``tok_ok`` authorizes; ``tok_decline`` is declined; ``tok_flaky`` fails transiently on
the first two attempts for an order, then authorizes; ``tok_down`` always fails transiently; any other token is
declined as an unknown card. Only the token's kind is ever stored, never the token itself (``buynest.core.payment``
reads tokens, for the orders service too).

The error classes raised to Step Functions are named exactly as the state machine's ``ErrorEquals`` match them
(the runtime reports an exception's class name as ``errorType``): ``PaymentDeclined``, ``PaymentTransientError``,
``PaymentInputError`` and ``PaymentStateError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from buynest.core.errors import BuynestError, Conflict, InvalidInput
from buynest.core.payment import TokenKind

FLAKY_FAILURES = 2


class PaymentStatus(StrEnum):
    PENDING = "PENDING"
    AUTHORIZED = "AUTHORIZED"
    DECLINED = "DECLINED"
    CAPTURED = "CAPTURED"
    REFUNDED = "REFUNDED"
    VOIDED = "VOIDED"
    FAILED = "FAILED"


WAS_AUTHORIZED = frozenset(
    {PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED, PaymentStatus.REFUNDED, PaymentStatus.VOIDED}
)


class DeclineCode(StrEnum):
    GENERIC_DECLINE = "generic_decline"
    UNKNOWN_CARD = "unknown_card"


class Verdict(StrEnum):
    APPROVE = "APPROVE"
    DECLINE = "DECLINE"
    TRANSIENT = "TRANSIENT"


class RefundOutcome(StrEnum):
    """What a refund request did (or had already done): money returned, an authorization released, or nothing
    because no money is held for the order (no payment, still pending, declined or failed)."""

    REFUNDED = "REFUNDED"
    VOIDED = "VOIDED"
    NOTHING_TO_REFUND = "NOTHING_TO_REFUND"


class PaymentError(BuynestError):
    """Base of the payments service's errors."""


class PaymentDeclined(PaymentError):
    """The provider refused the card: final for this order (retrying changes nothing)."""

    code = "PAYMENT_DECLINED"


class PaymentTransientError(PaymentError):
    """The provider (or the payments service's own storage or bus) is unavailable for now: retrying the same task
    is safe and may succeed."""

    code = "PAYMENT_ERROR"


class PaymentInputError(PaymentError, InvalidInput):
    """The task input is malformed, or reuses an order's idempotency key with other parameters: a caller bug,
    never retried."""


class PaymentStateError(PaymentError, Conflict):
    """The order's payment is not in a state that allows the request (capturing a payment that is missing,
    declined, voided or refunded; authorizing again after the attempt was closed as failed)."""


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: str


def decide(kind: TokenKind, attempt: int) -> Decision:
    """The provider's answer to the ``attempt``-th authorization attempt (1-based, counted per order)."""
    match kind:
        case TokenKind.OK:
            return Decision(Verdict.APPROVE, "approved")
        case TokenKind.DECLINE:
            return Decision(Verdict.DECLINE, DeclineCode.GENERIC_DECLINE)
        case TokenKind.FLAKY if attempt <= FLAKY_FAILURES:
            return Decision(Verdict.TRANSIENT, f"processor timeout on attempt {attempt}")
        case TokenKind.FLAKY:
            return Decision(Verdict.APPROVE, "approved")
        case TokenKind.DOWN:
            return Decision(Verdict.TRANSIENT, f"processor unavailable (attempt {attempt})")
        case _:
            return Decision(Verdict.DECLINE, DeclineCode.UNKNOWN_CARD)


@dataclass(frozen=True)
class Transition:
    status: PaymentStatus
    at: str
    reason: str | None = None


@dataclass(frozen=True)
class Payment:
    """The one payment of an order. ``published`` names the events already put on the bus for it."""

    order_id: str
    payment_id: str
    user_id: str
    amount: int
    token_kind: TokenKind
    status: PaymentStatus
    attempts: int
    created_at: str
    updated_at: str
    reason: str | None = None
    history: tuple[Transition, ...] = ()
    published: frozenset[str] = frozenset()

    def check_same_request(self, user_id: str, amount: int, kind: TokenKind) -> None:
        """An idempotency key reused with other parameters is refused, as real providers do."""
        if (self.user_id, self.amount, self.token_kind) != (user_id, amount, kind):
            raise PaymentInputError(
                f"order {self.order_id} already has a payment with other parameters (user, amount or card)"
            )

    def replay_authorization(self) -> Payment | None:
        """The answer a repeated authorization gets once the first has settled: the same authorization, the same
        decline, or a state error when the attempt was closed as failed. None while attempts are still open."""
        if self.status in WAS_AUTHORIZED:
            return self
        if self.status == PaymentStatus.DECLINED:
            raise PaymentDeclined(f"payment for order {self.order_id} was declined: {self.reason}")
        if self.status == PaymentStatus.FAILED:
            raise PaymentStateError(f"payment for order {self.order_id} was closed as failed: {self.reason}")
        return None


def capturable(payment: Payment | None, order_id: str, payment_id: str) -> Payment:
    """The order's payment if ``payment_id`` can be captured (AUTHORIZED) or already was (CAPTURED); raises
    otherwise."""
    if payment is None:
        raise PaymentStateError(f"order {order_id} has no payment to capture")
    if payment.payment_id != payment_id:
        raise PaymentInputError(f"payment {payment_id} is not the payment of order {order_id}")
    if payment.status not in (PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED):
        raise PaymentStateError(f"payment {payment_id} of order {order_id} is {payment.status}, it cannot be captured")
    return payment


def refund_step(payment: Payment | None) -> tuple[PaymentStatus, PaymentStatus] | None:
    """The transition a refund request makes (CAPTURED -> REFUNDED, or AUTHORIZED -> VOIDED), or None when there is
    none left to make."""
    if payment is None:
        return None
    if payment.status == PaymentStatus.CAPTURED:
        return PaymentStatus.CAPTURED, PaymentStatus.REFUNDED
    if payment.status == PaymentStatus.AUTHORIZED:
        return PaymentStatus.AUTHORIZED, PaymentStatus.VOIDED
    return None


def refund_outcome(payment: Payment | None) -> RefundOutcome:
    """What a refund request answers for the payment as it now stands."""
    if payment is not None and payment.status == PaymentStatus.REFUNDED:
        return RefundOutcome.REFUNDED
    if payment is not None and payment.status == PaymentStatus.VOIDED:
        return RefundOutcome.VOIDED
    return RefundOutcome.NOTHING_TO_REFUND
