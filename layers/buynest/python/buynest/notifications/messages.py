"""The events the notifications service reads, with tolerant models of its own (unknown fields ignored, defaults
for what an email can do without). Wire shapes: ``buynest.users.messages.UserSignedUp`` and
``buynest.orders.messages`` (``OrderShipped`` is fulfilment's: ``{orderId, userId, carrier, trackingNumber,
shippedAt}``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from pydantic import Field

from buynest.core.events import EventModel, EventReader

Id = Annotated[str, Field(min_length=1, max_length=128)]
Money = Annotated[int, Field(ge=0)]


class UserSignedUp(EventModel, event="UserSignedUp", source="buynest.users"):
    """A new account: where and to whom this customer's emails go."""

    user_id: Id
    email: Annotated[str, Field(min_length=3, max_length=254)]
    name: Annotated[str, Field(max_length=200)] = ""


class OrderLine(EventModel):
    product_id: Id
    quantity: Annotated[int, Field(ge=1)]
    unit_price: Money
    name: str = ""


class OrderConfirmed(EventModel, event="OrderConfirmed", source="buynest.orders"):
    order_id: Id
    user_id: Id
    items: list[OrderLine] = []
    discount: Money = 0
    points_used: Money = 0
    points_earned: Money = 0
    total: Money = 0


class OrderFailed(EventModel, event="OrderFailed", source="buynest.orders"):
    order_id: Id
    user_id: Id
    reason: str = ""


class OrderCancelled(EventModel, event="OrderCancelled", source="buynest.orders"):
    order_id: Id
    user_id: Id
    points_used: Money = 0
    points_earned: Money = 0
    total: Money = 0


class OrderShipped(EventModel, event="OrderShipped", source="buynest.orders"):
    order_id: Id
    user_id: Id
    carrier: Annotated[str, Field(max_length=200)] = ""
    tracking_number: Annotated[str, Field(max_length=200)] = ""
    shipped_at: str = ""


NotificationEvent = UserSignedUp | OrderConfirmed | OrderFailed | OrderCancelled | OrderShipped

# What this service reads, each from the one service trusted to send it (core.consumer.BusConsumer drops the rest):
# a forged OrderConfirmed must not mail a customer, nor a forged UserSignedUp redirect their mail.
EVENTS: EventReader[NotificationEvent] = EventReader(
    UserSignedUp, OrderConfirmed, OrderFailed, OrderCancelled, OrderShipped
)
TRUSTED_SOURCES: Mapping[str, str] = EVENTS.trusted
