"""The order saga's events the users service reads (it owns the points) and the events it sends, as ``data`` models
of the bus envelope (``buynest.core.events``). Incoming models keep only what points need and ignore the rest, so
orders may add fields; the wire shapes they read are ``buynest.orders.messages`` (same defaults)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field

from buynest.core.events import EventModel

SOURCE = "buynest.users"
ORDERS_SOURCE = "buynest.orders"
INSUFFICIENT_POINTS = "INSUFFICIENT_POINTS"

Id = Annotated[str, Field(min_length=1, max_length=128)]
Points = Annotated[int, Field(ge=0)]


class OrderCreated(EventModel):
    """A new order asks for ``pointsToUse`` points to be held (nothing to do, and no reply, when 0)."""

    order_id: Id
    user_id: Id
    points_to_use: Points = 0


class OrderConfirmed(EventModel):
    """Paid and confirmed: of the ``pointsToUse`` held, ``pointsUsed`` are spent and the rest go back, and
    ``pointsEarned`` are added."""

    order_id: Id
    user_id: Id
    points_to_use: Points
    points_used: Points
    points_earned: Points


class OrderFailed(EventModel):
    """The order ended without completing: the points it holds go back (or are never taken, if this comes first)."""

    order_id: Id
    user_id: Id
    points_to_use: Points = 0


class OrderCancelled(EventModel):
    """A confirmed order was cancelled: ``pointsUsed`` go back and ``pointsEarned`` are taken back."""

    order_id: Id
    user_id: Id
    points_to_use: Points = 0
    points_used: Points = 0
    points_earned: Points = 0


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


class PointsReserved(EventModel):
    """Reply to ``OrderCreated``: ``points`` are held for this order."""

    order_id: Id
    points: Points


class PointsRejected(EventModel):
    """Reply to ``OrderCreated``: the customer has fewer points than the order wants to use."""

    order_id: Id
    reason: str = INSUFFICIENT_POINTS


class UserPointsUpdated(EventModel):
    """A customer's balance moved by ``delta`` because of an order; ``points`` is the balance read right after
    (``reason``: ORDER_CONFIRMED, ORDER_FAILED or ORDER_CANCELLED)."""

    user_id: Id
    order_id: Id
    delta: int
    points: int  # negative while a cancelled order's take-back is not yet repaid
    reason: str


USER_SIGNED_UP = "UserSignedUp"


class UserSignedUp(EventModel):
    """A new account (a customer signing up, or an admin created by ``make admin``): who it is and where its
    emails go (the notifications service keeps its own copy of these)."""

    user_id: Id
    email: Annotated[str, Field(min_length=3, max_length=254)]
    name: Annotated[str, Field(max_length=200)]
