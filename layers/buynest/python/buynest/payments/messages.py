"""The events the payments service sends and the order event it reads, as ``data`` models of the bus envelope
(``buynest.core.events``). The incoming model ignores fields it does not need, so the producer may add some."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import Field

from buynest.core.events import EventModel

SOURCE = "buynest.payments"
ORDERS_SOURCE = "buynest.orders"

PAYMENT_CAPTURED = "PaymentCaptured"
PAYMENT_REFUNDED = "PaymentRefunded"
PAYMENT_FAILED = "PaymentFailed"
ORDER_CANCELLED = "OrderCancelled"

# The event this service acts on, and the only source trusted to send it (``buynest.core.consumer``).
TRUSTED_SOURCES: Mapping[str, str] = {ORDER_CANCELLED: ORDERS_SOURCE}

Id = Annotated[str, Field(min_length=1, max_length=128)]
Money = Annotated[int, Field(ge=0)]
FailureReason = Literal["PAYMENT_DECLINED", "PAYMENT_ERROR"]


class PaymentCaptured(EventModel, event="PaymentCaptured", source=SOURCE):
    """The order's money was taken (``amount`` KRW)."""

    order_id: Id
    payment_id: Id
    amount: Money


class PaymentRefunded(EventModel, event="PaymentRefunded", source=SOURCE):
    """A captured payment was paid back in full (``amount`` KRW). Releasing an uncaptured authorization moves no
    money and sends no event."""

    order_id: Id
    payment_id: Id
    amount: Money


class PaymentFailed(EventModel, event="PaymentFailed", source=SOURCE):
    """The order could not be paid: ``PAYMENT_DECLINED`` (the card was refused) or ``PAYMENT_ERROR`` (the provider
    stayed unavailable through every retry)."""

    order_id: Id
    reason: FailureReason


class OrderCancelled(EventModel, event="OrderCancelled", source=ORDERS_SOURCE):
    """A confirmed order was cancelled: its captured payment is refunded."""

    order_id: Id
