"""The events the notifications service reads, with tolerant models of its own (unknown fields ignored, defaults
for what an email can do without). Wire shapes: ``buynest.users.messages.UserSignedUp`` and
``buynest.orders.messages`` (``OrderShipped`` is fulfilment's: ``{orderId, userId, carrier, trackingNumber,
shippedAt}``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field

from buynest.core.events import EventModel

Id = Annotated[str, Field(min_length=1, max_length=128)]
Money = Annotated[int, Field(ge=0)]

USER_SIGNED_UP = "UserSignedUp"
# What this service reads, each from the one service trusted to send it (core.consumer.BusConsumer drops the rest):
# a forged OrderConfirmed must not mail a customer, nor a forged UserSignedUp redirect their mail.
TRUSTED_SOURCES: Mapping[str, str] = {
    USER_SIGNED_UP: "buynest.users",
    **dict.fromkeys(("OrderConfirmed", "OrderFailed", "OrderCancelled", "OrderShipped"), "buynest.orders"),
}


class UserSignedUp(EventModel):
    """A new account: where and to whom this customer's emails go."""

    user_id: Id
    email: Annotated[str, Field(min_length=3, max_length=254)]
    name: Annotated[str, Field(max_length=200)] = ""


class OrderLine(EventModel):
    product_id: Id
    quantity: Annotated[int, Field(ge=1)]
    unit_price: Money
    name: str = ""


class OrderConfirmed(EventModel):
    order_id: Id
    user_id: Id
    items: list[OrderLine] = []
    discount: Money = 0
    points_used: Money = 0
    points_earned: Money = 0
    total: Money = 0


class OrderFailed(EventModel):
    order_id: Id
    user_id: Id
    reason: str = ""


class OrderCancelled(EventModel):
    order_id: Id
    user_id: Id
    points_used: Money = 0
    points_earned: Money = 0
    total: Money = 0


class OrderShipped(EventModel):
    order_id: Id
    user_id: Id
    carrier: Annotated[str, Field(max_length=200)] = ""
    tracking_number: Annotated[str, Field(max_length=200)] = ""
    shipped_at: str = ""


NotificationEvent = UserSignedUp | OrderConfirmed | OrderFailed | OrderCancelled | OrderShipped

EVENTS: dict[str, type[NotificationEvent]] = {
    USER_SIGNED_UP: UserSignedUp,
    "OrderConfirmed": OrderConfirmed,
    "OrderFailed": OrderFailed,
    "OrderCancelled": OrderCancelled,
    "OrderShipped": OrderShipped,
}


def parse_event(detail_type: str, data: Mapping[str, Any]) -> NotificationEvent | None:
    """The ``data`` of an event as its model; None for a detail-type this service does not act on. A malformed
    payload raises ``pydantic.ValidationError`` (the record fails and, after retries, lands in the DLQ)."""
    model = EVENTS.get(detail_type)
    return model.model_validate(data) if model else None
