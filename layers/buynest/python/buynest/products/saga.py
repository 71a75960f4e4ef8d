"""The products service's part in the order saga: stock is taken for an order in one transaction with the order's
reservation record, becomes final when the order is confirmed, and goes back exactly once when it fails or is
cancelled.

The reservation record is the order's one answer: its state (RESERVED | REJECTED | COMMITTED | RELEASED) decides
what a repeated or late event may still do, and every change of it is a condition of the write that makes it. An
order that ends before its ``OrderCreated`` is handled gets a RELEASED record (a tombstone), so that late event
takes nothing. Replies are published after the write; if publishing fails the record fails, SQS delivers the event
again, and the stored state gives the same reply."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import Protocol

from buynest.core.events import EventPublisher, make_event
from buynest.core.ids import now_iso
from buynest.core.observability import logger
from buynest.core.retry import Backoff
from buynest.products.domain import ProductError
from buynest.products.messages import (
    OUT_OF_STOCK,
    SOURCE,
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderEvent,
    OrderFailed,
    StockRejected,
    StockReserved,
)

# One TransactWriteItems holds at most 100 items: the reservation record and one stock update per product.
MAX_PRODUCTS_PER_ORDER = 99


# a conflict on a product/user item: up to four tries, pauses of at most 0.2 s
CONFLICT_BACKOFF = Backoff(max_attempts=4, base=0.02, cap=0.2)


class ReservationState(StrEnum):
    RESERVED = "RESERVED"
    REJECTED = "REJECTED"
    COMMITTED = "COMMITTED"
    RELEASED = "RELEASED"


HELD = (ReservationState.RESERVED, ReservationState.COMMITTED)


class StockContention(ProductError):
    """A stock transaction lost a conflict or was throttled; nothing changed and it may be tried again."""


class TooManyProducts(ProductError):
    """An order names more distinct products than one transaction can reserve."""


@dataclass(frozen=True)
class Line:
    product_id: str
    quantity: int


def merge_lines(lines: Iterable[tuple[str, int]]) -> tuple[Line, ...]:
    """One line per product (quantities of repeated products summed), in first-seen order: a transaction may touch
    an item only once."""
    totals: dict[str, int] = {}
    for product_id, quantity in lines:
        totals[product_id] = totals.get(product_id, 0) + quantity
    if len(totals) > MAX_PRODUCTS_PER_ORDER:
        raise TooManyProducts(f"an order may reserve at most {MAX_PRODUCTS_PER_ORDER} products, got {len(totals)}")
    return tuple(Line(product_id, quantity) for product_id, quantity in totals.items())


@dataclass(frozen=True)
class Reservation:
    """What the products service holds (or decided) for one order."""

    order_id: str
    state: ReservationState
    lines: tuple[Line, ...] = ()
    short_product_id: str | None = None
    created_at: str = ""
    updated_at: str = ""

    @classmethod
    def reserved(cls, order_id: str, lines: tuple[Line, ...], at: str) -> Reservation:
        return cls(order_id, ReservationState.RESERVED, lines, None, at, at)

    @classmethod
    def rejected(cls, order_id: str, lines: tuple[Line, ...], product_id: str, at: str) -> Reservation:
        return cls(order_id, ReservationState.REJECTED, lines, product_id, at, at)

    @classmethod
    def tombstone(cls, order_id: str, at: str) -> Reservation:
        """The record of an order that ended before anything was reserved for it."""
        return cls(order_id, ReservationState.RELEASED, (), None, at, at)

    def answer(self) -> tuple[str, StockReserved | StockRejected] | None:
        """The reply this record stands for, while the order may still be waiting for one."""
        if self.state == ReservationState.RESERVED:
            return "StockReserved", StockReserved(order_id=self.order_id)
        if self.state == ReservationState.REJECTED:
            rejected = StockRejected(order_id=self.order_id, reason=OUT_OF_STOCK, product_id=self.short_product_id)
            return "StockRejected", rejected
        return None


@dataclass(frozen=True)
class Reserved:
    """Every line's stock was taken and the record stored, in one transaction."""


@dataclass(frozen=True)
class Short:
    """Nothing changed: ``product_id`` has too little stock (or no longer exists)."""

    product_id: str


@dataclass(frozen=True)
class AlreadyDecided:
    """Nothing changed: the order already has a record (a repeat, or the order ended first)."""


ReserveResult = Reserved | Short | AlreadyDecided


@dataclass(frozen=True)
class Released:
    """The lines' stock went back and the record became RELEASED, in one transaction."""


@dataclass(frozen=True)
class ProductsGone:
    """Nothing changed: these products were deleted since; restock the other lines without them."""

    product_ids: frozenset[str]


@dataclass(frozen=True)
class NotHeld:
    """Nothing changed: the record is no longer RESERVED or COMMITTED (released already)."""


ReleaseResult = Released | ProductsGone | NotHeld


class StockLedger(Protocol):
    """Port to the products' stock and the orders' reservation records. Every write is conditional and atomic;
    refusals come back as results (or ``StockContention`` when a transaction may simply be tried again)."""

    def reserve(self, reservation: Reservation) -> ReserveResult:
        """Store the RESERVED record (unless the order has one) and take each line's quantity from a product that
        exists and has that much, all or nothing."""
        ...

    def get(self, order_id: str) -> Reservation | None:
        """The order's record, strongly consistent."""
        ...

    def record(self, reservation: Reservation) -> Reservation:
        """Store a record unless the order has one; returns the stored one (the first answer wins)."""
        ...

    def commit(self, order_id: str, at: str) -> bool:
        """RESERVED -> COMMITTED; False when that is not the record's state."""
        ...

    def release(self, order_id: str, lines: tuple[Line, ...], at: str) -> ReleaseResult:
        """Give each line's quantity back to its product (which must still exist) and move the record from RESERVED
        or COMMITTED to RELEASED, all or nothing."""
        ...


class StockSaga:
    """Stock's part in the order saga: reserve on ``OrderCreated``, commit on ``OrderConfirmed``, give back on
    ``OrderFailed`` / ``OrderCancelled``. Idempotent and order-insensitive through the reservation record."""

    def __init__(
        self,
        ledger: StockLedger,
        publisher: EventPublisher,
        now: Callable[[], str] = now_iso,
        *,
        backoff: Backoff = CONFLICT_BACKOFF,
    ) -> None:
        self._ledger = ledger
        self._publisher = publisher
        self._now = now
        self._backoff = backoff

    def handle(self, event: OrderEvent, correlation_id: str) -> None:
        """Act on one order event; replies carry ``correlation_id`` (the triggering event's)."""
        match event:
            case OrderCreated():
                self.on_order_created(event, correlation_id)
            case OrderConfirmed():
                self.on_order_confirmed(event)
            case OrderFailed() | OrderCancelled():
                self.on_order_ended(event.order_id)

    def on_order_created(self, event: OrderCreated, correlation_id: str) -> None:
        """Reserve every line or none, and reply ``StockReserved`` or ``StockRejected`` (OUT_OF_STOCK). A repeat
        republishes the stored answer; an order already past it (COMMITTED, or RELEASED) gets no reply."""
        lines = merge_lines((line.product_id, line.quantity) for line in event.items)
        at = self._now()
        reservation = Reservation.reserved(event.order_id, lines, at)
        match self._retrying(partial(self._ledger.reserve, reservation)):
            case Reserved():
                logger.info("stock reserved", extra={"orderId": event.order_id, "lines": len(lines)})
                stored = reservation
            case Short(product_id=product_id):
                logger.info("out of stock", extra={"orderId": event.order_id, "productId": product_id})
                stored = self._ledger.record(Reservation.rejected(event.order_id, lines, product_id, at))
            case AlreadyDecided():
                found = self._ledger.get(event.order_id)
                if found is None:
                    raise StockContention(f"order {event.order_id} has a reservation that cannot be read back")
                stored = found
        answer = stored.answer()
        if answer is None:
            logger.info("order already moved on; no reply", extra={"orderId": event.order_id, "state": stored.state})
            return
        detail_type, data = answer
        self._publisher.publish([make_event(SOURCE, detail_type, data, correlation_id)])

    def on_order_confirmed(self, event: OrderConfirmed) -> None:
        """The order's reservation becomes final (RESERVED -> COMMITTED); anything else is left as it is."""
        changed = self._ledger.commit(event.order_id, self._now())
        logger.info("stock committed", extra={"orderId": event.order_id, "changed": changed})

    def on_order_ended(self, order_id: str) -> None:
        """Give back what the order holds, once. Without a record yet, store a RELEASED tombstone so a late
        ``OrderCreated`` reserves nothing. Lines of products deleted since are skipped (nothing to restock)."""
        stored = self._ledger.get(order_id) or self._ledger.record(Reservation.tombstone(order_id, self._now()))
        if stored.state not in HELD:
            logger.info("nothing held", extra={"orderId": order_id, "state": stored.state})
            return
        lines = stored.lines
        while True:
            result = self._retrying(partial(self._ledger.release, order_id, lines, self._now()))
            match result:
                case ProductsGone(product_ids=gone):
                    logger.warning("restock skips deleted products", extra={"orderId": order_id, "gone": sorted(gone)})
                    lines = tuple(line for line in lines if line.product_id not in gone)
                case Released():
                    logger.info("stock released", extra={"orderId": order_id, "lines": len(lines)})
                    return
                case NotHeld():
                    logger.info("already released", extra={"orderId": order_id})
                    return

    def _retrying[R](self, attempt: Callable[[], R]) -> R:
        """``attempt()`` again after a jittered, exponentially growing pause while it loses conflicts; the last
        ``StockContention`` propagates (the record fails and SQS delivers it again later)."""
        return self._backoff.retrying(attempt, StockContention)
