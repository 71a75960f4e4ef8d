"""The kit of every service's part in the order saga (products' stock, users' points, coupons): the results a
ledger's conditional reservation gives, retrying a write that lost a conflict, dispatch of the order events, and the
reply a stored hold stands for. Each service's saga (its ``saga.py``) subclasses ``Saga``; its rules live in its
``domain.py``, its conditional writes in its ``store.py``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from buynest.core.events import EventModel, EventPublisher, event_of
from buynest.core.hold import HoldState
from buynest.core.observability import logger
from buynest.core.retry import Backoff

__all__ = ["CONFLICT_BACKOFF", "AlreadyDecided", "Backoff", "Reserved", "Saga"]

# a conflict on a product/user item: up to four tries, pauses of at most 0.2 s
CONFLICT_BACKOFF = Backoff(max_attempts=4, base=0.02, cap=0.2)


@dataclass(frozen=True)
class Reserved:
    """The hold was taken and its RESERVED record stored, in one transaction."""


@dataclass(frozen=True)
class AlreadyDecided:
    """Nothing changed: the order already has a record (a repeat, or the order ended first)."""


class Saga[E: EventModel]:
    """One service's part in the order saga. ``handle`` sends each order event to the handler ``routes`` names for
    its model (others are ignored); every handler is idempotent and order-insensitive through the order's stored
    hold, and replies are published after the write (if publishing fails the record fails, SQS delivers the event
    again, and the stored hold gives the same reply). ``contention`` is the service's error for a transaction that
    lost a conflict or was throttled: ``retrying`` tries such a write again with jittered backoff."""

    contention: ClassVar[type[Exception]]

    def __init__(self, publisher: EventPublisher, *, backoff: Backoff = CONFLICT_BACKOFF) -> None:
        self._publisher = publisher
        self._backoff = backoff
        self._routes = self.routes()

    def routes(self) -> Mapping[type[E], Callable[[Any, str], None]]:
        """Each order event model this saga acts on, and its handler ``(event, correlation_id)``."""
        raise NotImplementedError

    def handle(self, event: E, correlation_id: str) -> None:
        """Act on one order event; what it publishes carries ``correlation_id`` (the triggering event's)."""
        route = self._routes.get(type(event))
        if route is not None:
            route(event, correlation_id)

    def retrying[R](self, attempt: Callable[[], R]) -> R:
        """``attempt()`` again after a jittered, exponentially growing pause while it loses conflicts; the last
        ``contention`` propagates (the record fails and SQS delivers it again later)."""
        return self._backoff.retrying(attempt, self.contention)

    def reply(self, order_id: str, state: HoldState | str, answer: EventModel | None, correlation_id: str) -> None:
        """Publish the reply a stored hold stands for; none once the order has moved past waiting for one."""
        if answer is None:
            logger.info("order already moved on; no reply", extra={"orderId": order_id, "state": state})
            return
        self.publish(answer, correlation_id)

    def publish(self, data: EventModel, correlation_id: str) -> None:
        self._publisher.publish([event_of(data, correlation_id)])
