"""The payments table (pynamodb): one item per order, keyed by ``orderId`` (the idempotency key).

Attributes: ``paymentId``, ``userId``, ``amount`` (KRW), ``status``, ``tokenKind`` (the test token's name or
``unknown``: nothing card-like is stored), ``attempts`` (authorization attempts, counted with an atomic ADD),
``reason`` (of the latest transition), ``history`` (every status with its time), ``publishedEvents`` (events
already on the bus), ``createdAt``, ``updatedAt``. Payments are records of money: no TTL.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import DoesNotExist, GetError, PynamoDBException, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model

from buynest.core.payment import TokenKind
from buynest.payments.domain import Payment, PaymentStatus, PaymentTransientError, Transition

CONDITION_FAILED = "ConditionalCheckFailedException"
RETRYABLE_ERRORS = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
    }
)


class HistoryEntry(MapAttribute[str, Any]):
    status = UnicodeAttribute()
    at = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)


class PaymentItem(Model):
    class Meta:
        table_name = "payments"

    orderId = UnicodeAttribute(hash_key=True)
    paymentId = UnicodeAttribute()
    userId = UnicodeAttribute()
    amount = NumberAttribute()
    status = UnicodeAttribute()
    tokenKind = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    reason = UnicodeAttribute(null=True)
    history = ListAttribute(of=HistoryEntry, default=list)
    publishedEvents = UnicodeSetAttribute(null=True)
    createdAt = UnicodeAttribute()
    updatedAt = UnicodeAttribute()


def _to_payment(item: PaymentItem) -> Payment:
    return Payment(
        order_id=item.orderId,
        payment_id=item.paymentId,
        user_id=item.userId,
        amount=int(item.amount),
        token_kind=TokenKind(item.tokenKind),
        status=PaymentStatus(item.status),
        attempts=int(item.attempts or 0),
        created_at=item.createdAt,
        updated_at=item.updatedAt,
        reason=item.reason,
        history=tuple(Transition(PaymentStatus(e.status), e.at, e.reason) for e in item.history or []),
        published=frozenset(item.publishedEvents or ()),
    )


def _entry(status: PaymentStatus, at: str, reason: str | None = None) -> HistoryEntry:
    return HistoryEntry(status=status.value, at=at, reason=reason)


def _transient(exc: PynamoDBException) -> bool:
    return exc.cause_response_code in RETRYABLE_ERRORS


class DynamoPaymentRepository:
    """PaymentRepository on DynamoDB: every write is one conditional UpdateItem returning the item as written, so a
    transition and its outcome cost one request; an overloaded table becomes ``PaymentTransientError``."""

    def __init__(self, table_name: str) -> None:
        PaymentItem.Meta.table_name = table_name

    def get(self, order_id: str) -> Payment | None:
        try:
            return _to_payment(PaymentItem.get(order_id, consistent_read=True))
        except DoesNotExist:
            return None
        except GetError as exc:
            if _transient(exc):
                raise PaymentTransientError(f"payments table busy reading order {order_id}") from exc
            raise

    def begin_attempt(
        self, order_id: str, user_id: str, amount: int, kind: TokenKind, payment_id: str, at: str
    ) -> Payment | None:
        same_open_payment = (
            (PaymentItem.status == PaymentStatus.PENDING.value)
            & (PaymentItem.userId == user_id)
            & (PaymentItem.amount == amount)
            & (PaymentItem.tokenKind == kind.value)
        )
        actions = [
            PaymentItem.paymentId.set(PaymentItem.paymentId | payment_id),
            PaymentItem.userId.set(PaymentItem.userId | user_id),
            PaymentItem.amount.set(PaymentItem.amount | amount),
            PaymentItem.tokenKind.set(PaymentItem.tokenKind | kind.value),
            PaymentItem.status.set(PaymentItem.status | PaymentStatus.PENDING.value),
            PaymentItem.history.set(PaymentItem.history | [_entry(PaymentStatus.PENDING, at)]),
            PaymentItem.createdAt.set(PaymentItem.createdAt | at),
            PaymentItem.updatedAt.set(at),
            PaymentItem.attempts.add(1),
        ]
        return self._update(order_id, actions, PaymentItem.orderId.does_not_exist() | same_open_payment)

    def move(
        self,
        order_id: str,
        source: PaymentStatus,
        target: PaymentStatus,
        at: str,
        reason: str | None = None,
        payment_id: str | None = None,
    ) -> Payment | None:
        condition = PaymentItem.status == source.value
        if payment_id is not None:
            condition &= PaymentItem.paymentId == payment_id
        actions = [
            PaymentItem.status.set(target.value),
            PaymentItem.updatedAt.set(at),
            PaymentItem.history.set(PaymentItem.history.append([_entry(target, at, reason)])),
            PaymentItem.reason.set(reason) if reason is not None else PaymentItem.reason.remove(),
        ]
        return self._update(order_id, actions, condition)

    def mark_published(self, order_id: str, detail_type: str) -> None:
        self._update(order_id, [PaymentItem.publishedEvents.add({detail_type})], PaymentItem.orderId.exists())

    def _update(self, order_id: str, actions: list[Any], condition: Condition) -> Payment | None:
        item = PaymentItem(orderId=order_id)
        try:
            item.update(actions=actions, condition=condition)
        except UpdateError as exc:
            if exc.cause_response_code == CONDITION_FAILED:
                return None
            if _transient(exc):
                raise PaymentTransientError(f"payments table busy updating order {order_id}") from exc
            raise
        return _to_payment(item)
