"""What the cart reads from the bus: the orders service's ``OrderConfirmed`` (a tolerant model: unknown fields are
ignored)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from pydantic import Field

from buynest.core.events import EventModel

ORDER_CONFIRMED = "OrderConfirmed"
ORDERS_SOURCE = "buynest.orders"
# The one event the cart reads, and the one service trusted to send it (core.consumer.BusConsumer drops the rest).
TRUSTED_SOURCES: Mapping[str, str] = {ORDER_CONFIRMED: ORDERS_SOURCE}


class OrderedLine(EventModel):
    product_id: Annotated[str, Field(min_length=1, max_length=128)]
    quantity: Annotated[int, Field(ge=1)]


class OrderConfirmed(EventModel):
    """A confirmed order: its quantities come off its customer's cart."""

    order_id: Annotated[str, Field(min_length=1, max_length=128)]
    user_id: Annotated[str, Field(min_length=1, max_length=128)]
    items: list[OrderedLine]
