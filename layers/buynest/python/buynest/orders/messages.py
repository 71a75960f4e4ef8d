"""The events the orders service publishes (its side of the saga) and the replies it reads.

Wire form is camelCase (``EventModel``). Consumers in other services read these with their own tolerant models
(unknown fields ignored); tests check that every consumer accepts what is published here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from pydantic import Field

from buynest.core.events import EventModel

SOURCE = "buynest.orders"

Id = Annotated[str, Field(min_length=1, max_length=128)]
Money = Annotated[int, Field(ge=0)]


class OrderLine(EventModel):
    product_id: Id
    quantity: Annotated[int, Field(ge=1)]
    unit_price: Money
    name: str = ""


class OrderCreated(EventModel):
    """A new order: stock, coupon (if ``couponId``) and points (if ``pointsToUse`` > 0) owners reserve and reply."""

    order_id: Id
    user_id: Id
    items: list[OrderLine]
    subtotal: Money
    coupon_id: Id | None = None
    points_to_use: Money = 0


class OrderConfirmed(EventModel):
    """Paid and confirmed: reservations become final. Points: ``pointsUsed`` of the ``pointsToUse`` reserved are
    spent (the rest go back) and ``pointsEarned`` are added."""

    order_id: Id
    user_id: Id
    items: list[OrderLine]
    coupon_id: Id | None = None
    subtotal: Money
    discount: Money
    points_to_use: Money
    points_used: Money
    points_earned: Money
    total: Money


class OrderFailed(EventModel):
    """The order ended without completing: every owner gives back what it holds for it (or will refuse to hold
    anything for it, if this arrives before ``OrderCreated``). ``reason`` is one of the contract's reasons."""

    order_id: Id
    user_id: Id
    items: list[OrderLine]
    coupon_id: Id | None = None
    points_to_use: Money = 0
    reason: str


class OrderCancelled(EventModel):
    """A confirmed order was cancelled: payment refunded, stock back, coupon back to ISSUED, ``pointsUsed``
    returned and ``pointsEarned`` taken back."""

    order_id: Id
    user_id: Id
    items: list[OrderLine]
    coupon_id: Id | None = None
    points_to_use: Money = 0
    points_used: Money = 0
    points_earned: Money = 0
    total: Money = 0


class OrderShipped(EventModel):
    """A confirmed order left the warehouse: ``carrier`` and ``trackingNumber`` as the admin gave them."""

    order_id: Id
    user_id: Id
    carrier: Annotated[str, Field(min_length=1, max_length=100)]
    tracking_number: Annotated[str, Field(min_length=1, max_length=100)]
    shipped_at: str


class OrderDelivered(EventModel):
    """A shipped order reached its customer."""

    order_id: Id
    user_id: Id
    delivered_at: str


# ---- replies the orders service reads ----


class StockReserved(EventModel):
    order_id: Id


class StockRejected(EventModel):
    order_id: Id
    reason: str = "OUT_OF_STOCK"
    product_id: Id | None = None


class PointsReserved(EventModel):
    order_id: Id
    points: Money


class PointsRejected(EventModel):
    order_id: Id
    reason: str = "INSUFFICIENT_POINTS"


class CouponReserved(EventModel):
    order_id: Id
    coupon_id: Id
    discount: Money


class CouponRejected(EventModel):
    order_id: Id
    coupon_id: Id
    reason: str


REPLY_PARTS = {
    "StockReserved": ("stock", True),
    "StockRejected": ("stock", False),
    "CouponReserved": ("coupon", True),
    "CouponRejected": ("coupon", False),
    "PointsReserved": ("points", True),
    "PointsRejected": ("points", False),
}

# Each reply, and the only source trusted to send it: the service that owns the stock, the coupon or the points
# (``buynest.core.consumer`` drops a CouponReserved with any discount put by anyone else).
TRUSTED_SOURCES: Mapping[str, str] = {
    "StockReserved": "buynest.products",
    "StockRejected": "buynest.products",
    "CouponReserved": "buynest.coupons",
    "CouponRejected": "buynest.coupons",
    "PointsReserved": "buynest.users",
    "PointsRejected": "buynest.users",
}

REPLY_MODELS: dict[str, type[EventModel]] = {
    "StockReserved": StockReserved,
    "StockRejected": StockRejected,
    "CouponReserved": CouponReserved,
    "CouponRejected": CouponRejected,
    "PointsReserved": PointsReserved,
    "PointsRejected": PointsRejected,
}
