"""The order saga's events the users service reads (it owns the points) and the events it sends, as ``data`` models
of the bus envelope (``buynest.core.events``). Incoming models keep only what points need and ignore the rest, so
orders may add fields; the wire shapes they read are ``buynest.orders.messages`` (same defaults)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from buynest.core.events import EventModel, EventReader

SOURCE = "buynest.users"
ORDERS_SOURCE = "buynest.orders"
INSUFFICIENT_POINTS = "INSUFFICIENT_POINTS"

Id = Annotated[str, Field(min_length=1, max_length=128)]
Points = Annotated[int, Field(ge=0)]


class OrderCreated(EventModel, event="OrderCreated", source=ORDERS_SOURCE):
    """A new order asks for ``pointsToUse`` points to be held (nothing to do, and no reply, when 0)."""

    order_id: Id
    user_id: Id
    points_to_use: Points = 0


class OrderConfirmed(EventModel, event="OrderConfirmed", source=ORDERS_SOURCE):
    """Paid and confirmed: of the ``pointsToUse`` held, ``pointsUsed`` are spent and the rest go back, and
    ``pointsEarned`` are added."""

    order_id: Id
    user_id: Id
    points_to_use: Points
    points_used: Points
    points_earned: Points


class OrderFailed(EventModel, event="OrderFailed", source=ORDERS_SOURCE):
    """The order ended without completing: the points it holds go back (or are never taken, if this comes first)."""

    order_id: Id
    user_id: Id
    points_to_use: Points = 0


class OrderCancelled(EventModel, event="OrderCancelled", source=ORDERS_SOURCE):
    """A confirmed order was cancelled: ``pointsUsed`` go back and ``pointsEarned`` are taken back."""

    order_id: Id
    user_id: Id
    points_to_use: Points = 0
    points_used: Points = 0
    points_earned: Points = 0


OrderEvent = OrderCreated | OrderConfirmed | OrderFailed | OrderCancelled

# The order events this service acts on, each from the one source trusted to send it (``buynest.core.consumer``).
ORDER_EVENTS: EventReader[OrderEvent] = EventReader(OrderCreated, OrderConfirmed, OrderFailed, OrderCancelled)


class PointsReserved(EventModel, event="PointsReserved", source=SOURCE):
    """Reply to ``OrderCreated``: ``points`` are held for this order."""

    order_id: Id
    points: Points


class PointsRejected(EventModel, event="PointsRejected", source=SOURCE):
    """Reply to ``OrderCreated``: the customer has fewer points than the order wants to use."""

    order_id: Id
    reason: str = INSUFFICIENT_POINTS


class UserPointsUpdated(EventModel, event="UserPointsUpdated", source=SOURCE):
    """A customer's balance moved by ``delta`` because of an order; ``points`` is the balance read right after
    (``reason``: ORDER_CONFIRMED, ORDER_FAILED or ORDER_CANCELLED)."""

    user_id: Id
    order_id: Id
    delta: int
    points: int  # negative while a cancelled order's take-back is not yet repaid
    reason: str


USER_SIGNED_UP = "UserSignedUp"


class UserSignedUp(EventModel, event="UserSignedUp", source=SOURCE):
    """A new account (a customer signing up, or an admin created by ``make admin``): who it is and where its
    emails go (the notifications service keeps its own copy of these)."""

    user_id: Id
    email: Annotated[str, Field(min_length=3, max_length=254)]
    name: Annotated[str, Field(max_length=200)]
