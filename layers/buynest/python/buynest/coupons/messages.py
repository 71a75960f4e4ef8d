"""The events the coupons service reads (from the orders saga) and the replies it sends, as ``data`` models of the
bus envelope (``buynest.core.events``). Incoming models ignore fields they do not need, so producers may add some."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field

from buynest.core.events import EventModel

SOURCE = "buynest.coupons"
ORDERS_SOURCE = "buynest.orders"

Id = Annotated[str, Field(min_length=1, max_length=128)]
Money = Annotated[int, Field(ge=0)]


class OrderItem(EventModel):
    product_id: Id
    quantity: Annotated[int, Field(ge=1)]
    unit_price: Money


class OrderCreated(EventModel):
    """A new order asks for its coupon (if any) to be checked and reserved."""

    order_id: Id
    user_id: Id
    items: list[OrderItem] = []
    subtotal: Money
    coupon_id: Id | None = None
    points_to_use: Money = 0


class OrderConfirmed(EventModel):
    """The order completed: the coupon it holds becomes USED."""

    order_id: Id
    coupon_id: Id | None = None


class OrderFailed(EventModel):
    """The order ended without completing: the coupon it holds is given back."""

    order_id: Id
    coupon_id: Id | None = None
    reason: str | None = None


class OrderCancelled(EventModel):
    """The customer cancelled (possibly a confirmed order): the coupon it holds or used is given back."""

    order_id: Id
    coupon_id: Id | None = None


OrderEvent = OrderCreated | OrderConfirmed | OrderFailed | OrderCancelled

ORDER_EVENTS: dict[str, type[OrderEvent]] = {
    "OrderCreated": OrderCreated,
    "OrderConfirmed": OrderConfirmed,
    "OrderFailed": OrderFailed,
    "OrderCancelled": OrderCancelled,
}

# Each event this service acts on, and the only source trusted to send it (``buynest.core.consumer``).
TRUSTED_SOURCES: Mapping[str, str] = dict.fromkeys(ORDER_EVENTS, ORDERS_SOURCE)


def parse_order_event(detail_type: str, data: Mapping[str, Any]) -> OrderEvent | None:
    """The ``data`` of an order event as its model; None for a detail-type this service does not act on. A
    malformed payload raises ``pydantic.ValidationError`` (the record fails and, after retries, lands in the DLQ)."""
    model = ORDER_EVENTS.get(detail_type)
    return model.model_validate(data) if model else None


class CouponReserved(EventModel):
    """Reply to ``OrderCreated``: the coupon is held for this order; ``discount`` (KRW) is what it takes off."""

    order_id: Id
    coupon_id: Id
    discount: Money


class CouponRejected(EventModel):
    """Reply to ``OrderCreated``: the coupon cannot be used for this order (``reason`` is a ``RejectReason``)."""

    order_id: Id
    coupon_id: Id
    reason: str
