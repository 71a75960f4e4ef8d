"""The order saga's events the products service reads (it owns the stock) and the replies it sends, as ``data``
models of the bus envelope (``buynest.core.events``). Incoming models keep only what stock needs and ignore the
rest, so orders may add fields; the wire shapes they read are ``buynest.orders.messages``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field

from buynest.core.events import EventModel

SOURCE = "buynest.products"
ORDERS_SOURCE = "buynest.orders"
OUT_OF_STOCK = "OUT_OF_STOCK"

Id = Annotated[str, Field(min_length=1, max_length=128)]


class OrderLine(EventModel):
    product_id: Id
    quantity: Annotated[int, Field(ge=1)]


class OrderCreated(EventModel):
    """A new order asks for its lines' stock to be reserved."""

    order_id: Id
    items: list[OrderLine]


class OrderConfirmed(EventModel):
    """The order completed: its reservation becomes final."""

    order_id: Id


class OrderFailed(EventModel):
    """The order ended without completing: the stock it holds goes back (or is never taken, if this comes first)."""

    order_id: Id


class OrderCancelled(EventModel):
    """A confirmed order was cancelled: the stock it took goes back."""

    order_id: Id


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


class StockReserved(EventModel):
    """Reply to ``OrderCreated``: every line's stock is held for this order."""

    order_id: Id


class StockRejected(EventModel):
    """Reply to ``OrderCreated``: nothing is held; ``product_id`` is a line that could not be served."""

    order_id: Id
    reason: str = OUT_OF_STOCK
    product_id: Id | None = None
