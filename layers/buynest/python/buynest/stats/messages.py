"""What the sales statistics read from the bus: the orders service's final events (tolerant models)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from pydantic import Field

from buynest.core.events import EventModel

ORDERS_SOURCE = "buynest.orders"

# The final order events statistics count, each only from the orders service (``buynest.core.consumer``).
TRUSTED_SOURCES: Mapping[str, str] = dict.fromkeys(("OrderConfirmed", "OrderFailed", "OrderCancelled"), ORDERS_SOURCE)


class Line(EventModel):
    product_id: str
    quantity: Annotated[int, Field(ge=0)]
    name: str = ""


class OrderSettled(EventModel):
    """OrderConfirmed, OrderFailed or OrderCancelled: the fields statistics need."""

    order_id: str
    items: list[Line] = []
    total: Annotated[int, Field(ge=0)] = 0
