"""Request bodies and queries of the orders API."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

from buynest.core.address import Address
from buynest.core.pagination import PageQuery
from buynest.orders.domain import MAX_LINES, MAX_QUANTITY, FulfillmentStatus, OrderStatus

Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


WIRE = ConfigDict(extra="forbid", strict=True, alias_generator=to_camel, validate_by_name=False, validate_by_alias=True)


class LineRequest(BaseModel):
    model_config = WIRE

    product_id: Id
    quantity: Annotated[int, Field(ge=1, le=MAX_QUANTITY)]


class PaymentRequest(BaseModel):
    model_config = WIRE

    method: Literal["card"]
    token: Annotated[str, StringConstraints(min_length=1, max_length=100)]


class PlaceOrder(BaseModel):
    """``POST /orders``: what to buy (without ``items``: the cart's lines), an optional coupon and points, how to
    pay, and where to (without ``shippingAddress``: the saved address, if any)."""

    model_config = WIRE

    items: Annotated[list[LineRequest], Field(min_length=1, max_length=MAX_LINES)] | None = None
    coupon_id: Id | None = None
    points_to_use: Annotated[int, Field(ge=0, le=1_000_000_000)] = 0
    payment: PaymentRequest
    shipping_address: Address | None = None


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ShipOrder(BaseModel):
    """``POST /admin/orders/{orderId}/ship``."""

    model_config = WIRE

    carrier: Text
    tracking_number: Text


class DeskQuery(PageQuery):
    """``GET /admin/orders``: every customer's orders, filtered by order status and/or fulfilment status."""

    status: OrderStatus | None = None
    fulfillment: FulfillmentStatus | None = None


IdempotencyKey = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$")]


class ListOrdersQuery(PageQuery):
    pass


class IdempotencyKeyHeader(BaseModel):
    key: IdempotencyKey
