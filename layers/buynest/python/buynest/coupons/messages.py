"""The events the coupons service reads (from the orders saga) and the replies it sends, as ``data`` models of the
bus envelope (``buynest.core.events``). Incoming models ignore fields they do not need, so producers may add some."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from buynest.core.events import EventModel, EventReader

SOURCE = "buynest.coupons"
ORDERS_SOURCE = "buynest.orders"

Id = Annotated[str, Field(min_length=1, max_length=128)]
Money = Annotated[int, Field(ge=0)]


class OrderItem(EventModel):
    product_id: Id
    quantity: Annotated[int, Field(ge=1)]
    unit_price: Money


class OrderCreated(EventModel, event="OrderCreated", source=ORDERS_SOURCE):
    """A new order asks for its coupon (if any) to be checked and reserved."""

    order_id: Id
    user_id: Id
    items: list[OrderItem] = []
    subtotal: Money
    coupon_id: Id | None = None
    points_to_use: Money = 0


class OrderConfirmed(EventModel, event="OrderConfirmed", source=ORDERS_SOURCE):
    """The order completed: the coupon it holds becomes USED."""

    order_id: Id
    coupon_id: Id | None = None


class OrderFailed(EventModel, event="OrderFailed", source=ORDERS_SOURCE):
    """The order ended without completing: the coupon it holds is given back."""

    order_id: Id
    coupon_id: Id | None = None
    reason: str | None = None


class OrderCancelled(EventModel, event="OrderCancelled", source=ORDERS_SOURCE):
    """The customer cancelled (possibly a confirmed order): the coupon it holds or used is given back."""

    order_id: Id
    coupon_id: Id | None = None


OrderEvent = OrderCreated | OrderConfirmed | OrderFailed | OrderCancelled

# The order events this service acts on, each from the one source trusted to send it (``buynest.core.consumer``).
ORDER_EVENTS: EventReader[OrderEvent] = EventReader(OrderCreated, OrderConfirmed, OrderFailed, OrderCancelled)


class CouponReserved(EventModel, event="CouponReserved", source=SOURCE):
    """Reply to ``OrderCreated``: the coupon is held for this order; ``discount`` (KRW) is what it takes off."""

    order_id: Id
    coupon_id: Id
    discount: Money


class CouponRejected(EventModel, event="CouponRejected", source=SOURCE):
    """Reply to ``OrderCreated``: the coupon cannot be used for this order (``reason`` is a ``RejectReason``)."""

    order_id: Id
    coupon_id: Id
    reason: str
