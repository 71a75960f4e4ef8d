"""Request bodies and queries of the orders API."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

from buynest.core.pagination import PageQuery
from buynest.orders.domain import MAX_LINES, MAX_QUANTITY

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
    """``POST /orders``: what to buy, an optional coupon and points, and how to pay."""

    model_config = WIRE

    items: Annotated[list[LineRequest], Field(min_length=1, max_length=MAX_LINES)]
    coupon_id: Id | None = None
    points_to_use: Annotated[int, Field(ge=0, le=1_000_000_000)] = 0
    payment: PaymentRequest


IdempotencyKey = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$")]


class ListOrdersQuery(PageQuery):
    pass


class IdempotencyKeyHeader(BaseModel):
    key: IdempotencyKey
