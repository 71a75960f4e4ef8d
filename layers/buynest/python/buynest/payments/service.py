"""Payments use cases: authorize, capture, refund (or void) and close a failed attempt, each idempotent by order id.

The table's conditional writes decide every race; this code writes first, reads only when a condition refused,
and reports. Events are published after the write that justifies them and recorded as published, so a repeated
request publishes only what an earlier one could not (a crash between the two: at least once, never lost)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from buynest.core.events import EventModel, EventPublisher, EventPublishError, make_event
from buynest.core.ids import new_id, now_iso
from buynest.core.observability import logger
from buynest.core.payment import TokenKind, token_kind
from buynest.payments.domain import (
    Payment,
    PaymentDeclined,
    PaymentStatus,
    PaymentTransientError,
    RefundOutcome,
    Verdict,
    capturable,
    decide,
    refund_outcome,
    refund_step,
)
from buynest.payments.messages import (
    PAYMENT_CAPTURED,
    PAYMENT_FAILED,
    PAYMENT_REFUNDED,
    SOURCE,
    FailureReason,
    PaymentCaptured,
    PaymentFailed,
    PaymentRefunded,
)


class PaymentRepository(Protocol):
    """Port to the payments table (one item per order). Every write is conditional; a refused condition is
    reported as None/False, and an overloaded table as ``PaymentTransientError``."""

    def get(self, order_id: str) -> Payment | None:
        """The order's payment, read strongly consistently."""
        ...

    def begin_attempt(
        self, order_id: str, user_id: str, amount: int, kind: TokenKind, payment_id: str, at: str
    ) -> Payment | None:
        """Count one more authorization attempt (an atomic ADD), creating the PENDING payment with ``payment_id``
        on the first. None, changing nothing, when the payment is no longer PENDING or was made with other
        parameters."""
        ...

    def move(
        self,
        order_id: str,
        source: PaymentStatus,
        target: PaymentStatus,
        at: str,
        reason: str | None = None,
        payment_id: str | None = None,
    ) -> Payment | None:
        """``source`` -> ``target`` (for ``payment_id`` only, when given), appended to the history; the payment as
        written, or None when it was not in ``source``."""
        ...

    def mark_published(self, order_id: str, detail_type: str) -> None:
        """Record that the payment's ``detail_type`` event is on the bus."""
        ...


@dataclass(frozen=True)
class RefundResult:
    order_id: str
    outcome: RefundOutcome
    payment: Payment | None


class PaymentService:
    """The payment provider simulator behind the Step Functions payment tasks and the cancellation consumer."""

    def __init__(
        self,
        repo: PaymentRepository,
        publisher: EventPublisher,
        clock: Callable[[], str] = now_iso,
        new_payment_id: Callable[[], str] = new_id,
        max_moves: int = 3,
    ) -> None:
        self._repo = repo
        self._publisher = publisher
        self._clock = clock
        self._new_payment_id = new_payment_id
        self._max_moves = max_moves

    def authorize(self, order_id: str, user_id: str, amount: int, token: str) -> Payment:
        """Authorize ``amount`` on the card (``token``: a card token or its kind) for the order, or return the
        authorization it already has. Raises
        ``PaymentDeclined`` (also again for a declined order), ``PaymentTransientError`` (the attempt is counted:
        retries see it), ``PaymentInputError`` when the order's key is reused with other parameters, and
        ``PaymentStateError`` when the order's attempt was closed as failed."""
        kind = token_kind(token)
        payment = self._repo.begin_attempt(order_id, user_id, amount, kind, self._new_payment_id(), self._clock())
        if payment is None:
            return self._replay_authorization(order_id, user_id, amount, kind)
        decision = decide(kind, payment.attempts)
        log = {"orderId": order_id, "attempt": payment.attempts, "tokenKind": kind.value, "reason": decision.reason}
        if decision.verdict == Verdict.TRANSIENT:
            logger.warning("authorization failed transiently", extra=log)
            raise PaymentTransientError(f"payment provider unavailable for order {order_id}: {decision.reason}")
        if decision.verdict == Verdict.DECLINE:
            logger.info("authorization declined", extra=log)
            declined = self._repo.move(
                order_id, PaymentStatus.PENDING, PaymentStatus.DECLINED, self._clock(), decision.reason
            )
            if declined is None:
                return self._replay_authorization(order_id, user_id, amount, kind)
            raise PaymentDeclined(f"payment for order {order_id} was declined: {decision.reason}")
        authorized = self._repo.move(order_id, PaymentStatus.PENDING, PaymentStatus.AUTHORIZED, self._clock())
        if authorized is None:
            return self._replay_authorization(order_id, user_id, amount, kind)
        logger.info("payment authorized", extra={**log, "paymentId": authorized.payment_id})
        return authorized

    def _replay_authorization(self, order_id: str, user_id: str, amount: int, kind: TokenKind) -> Payment:
        current = self._repo.get(order_id)
        if current is None:
            raise PaymentTransientError(f"payment of order {order_id} could not be read back; try again")
        current.check_same_request(user_id, amount, kind)
        settled = current.replay_authorization()
        if settled is None:
            raise PaymentTransientError(f"payment of order {order_id} changed during the attempt; try again")
        return settled

    def capture(self, order_id: str, payment_id: str, correlation_id: str) -> Payment:
        """Capture the order's authorized payment (AUTHORIZED -> CAPTURED) and publish ``PaymentCaptured``; a
        repeat answers the same. ``PaymentStateError`` when it is not capturable, ``PaymentInputError`` when
        ``payment_id`` is not the order's payment."""
        payment = self._repo.move(
            order_id, PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED, self._clock(), payment_id=payment_id
        )
        if payment is None:
            payment = capturable(self._repo.get(order_id), order_id, payment_id)
            if payment.status != PaymentStatus.CAPTURED:
                raise PaymentTransientError(f"payment {payment_id} changed during the capture; try again")
        else:
            logger.info("payment captured", extra={"orderId": order_id, "paymentId": payment_id})
        data = PaymentCaptured(order_id=order_id, payment_id=payment.payment_id, amount=payment.amount)
        self._publish_once(payment, PAYMENT_CAPTURED, data, correlation_id)
        return payment

    def refund(self, order_id: str, reason: str | None, correlation_id: str) -> RefundResult:
        """Give the order's money back: refund a captured payment (publishing ``PaymentRefunded``) or void an
        authorized one. Nothing happens when no money is held; a repeat answers the same."""
        payment = self._repo.get(order_id)
        for _ in range(self._max_moves):
            step = refund_step(payment)
            if step is None:
                break
            moved = self._repo.move(order_id, step[0], step[1], self._clock(), reason)
            if moved is not None:
                logger.info("payment given back", extra={"orderId": order_id, "status": moved.status.value})
                payment = moved
                break
            payment = self._repo.get(order_id)
        else:
            raise PaymentTransientError(f"payment of order {order_id} kept changing during the refund; try again")
        outcome = refund_outcome(payment)
        if payment is not None and outcome == RefundOutcome.REFUNDED:
            data = PaymentRefunded(order_id=order_id, payment_id=payment.payment_id, amount=payment.amount)
            self._publish_once(payment, PAYMENT_REFUNDED, data, correlation_id)
        return RefundResult(order_id=order_id, outcome=outcome, payment=payment)

    def record_failure(
        self, order_id: str, reason: FailureReason, error: str | None, correlation_id: str
    ) -> PaymentFailed:
        """Publish ``PaymentFailed`` for the order, first closing a still PENDING payment as FAILED so that no late
        attempt can authorize it. Repeats publish again (the event carries no state; consumers are idempotent)."""
        detail = f"{reason}: {error}" if error else reason
        closed = self._repo.move(order_id, PaymentStatus.PENDING, PaymentStatus.FAILED, self._clock(), detail)
        logger.info("payment failed", extra={"orderId": order_id, "reason": reason, "closedPending": bool(closed)})
        event = PaymentFailed(order_id=order_id, reason=reason)
        self._publish([make_event(SOURCE, PAYMENT_FAILED, event, correlation_id)])
        return event

    def _publish_once(self, payment: Payment, detail_type: str, data: EventModel, correlation_id: str) -> None:
        if detail_type in payment.published:
            return
        self._publish([make_event(SOURCE, detail_type, data, correlation_id)])
        self._repo.mark_published(payment.order_id, detail_type)

    def _publish(self, entries: list[dict[str, object]]) -> None:
        try:
            self._publisher.publish(entries)
        except EventPublishError as exc:
            raise PaymentTransientError(f"the event bus refused the payment's event: {exc}") from exc
