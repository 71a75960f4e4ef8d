"""The order saga's events the products service reads (it owns the stock) and the replies it sends, as ``data``
models of the bus envelope (``buynest.core.events``). Incoming models keep only what stock needs and ignore the
rest, so orders may add fields; the wire shapes they read are ``buynest.orders.messages``."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from buynest.core.events import EventModel, EventReader

SOURCE = "buynest.products"
ORDERS_SOURCE = "buynest.orders"
OUT_OF_STOCK = "OUT_OF_STOCK"

Id = Annotated[str, Field(min_length=1, max_length=128)]


class OrderLine(EventModel):
    product_id: Id
    quantity: Annotated[int, Field(ge=1)]


class OrderCreated(EventModel, event="OrderCreated", source=ORDERS_SOURCE):
    """A new order asks for its lines' stock to be reserved."""

    order_id: Id
    items: list[OrderLine]


class OrderConfirmed(EventModel, event="OrderConfirmed", source=ORDERS_SOURCE):
    """The order completed: its reservation becomes final."""

    order_id: Id


class OrderFailed(EventModel, event="OrderFailed", source=ORDERS_SOURCE):
    """The order ended without completing: the stock it holds goes back (or is never taken, if this comes first)."""

    order_id: Id


class OrderCancelled(EventModel, event="OrderCancelled", source=ORDERS_SOURCE):
    """A confirmed order was cancelled: the stock it took goes back."""

    order_id: Id


OrderEvent = OrderCreated | OrderConfirmed | OrderFailed | OrderCancelled

# The order events this service acts on, each from the one source trusted to send it (``buynest.core.consumer``).
ORDER_EVENTS: EventReader[OrderEvent] = EventReader(OrderCreated, OrderConfirmed, OrderFailed, OrderCancelled)


class StockReserved(EventModel, event="StockReserved", source=SOURCE):
    """Reply to ``OrderCreated``: every line's stock is held for this order."""

    order_id: Id


class StockRejected(EventModel, event="StockRejected", source=SOURCE):
    """Reply to ``OrderCreated``: nothing is held; ``product_id`` is a line that could not be served."""

    order_id: Id
    reason: str = OUT_OF_STOCK
    product_id: Id | None = None
