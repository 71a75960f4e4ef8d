"""The products service's part in the order saga: stock is taken for an order in one transaction with the order's
stock hold, becomes final when the order is confirmed, and goes back exactly once when it fails or is cancelled.

The hold is the order's one answer: its state (``buynest.core.hold.HoldState``) decides what a repeated or late
event may still do, and every change of it is a condition of the write that makes it. An order that ends before its
``OrderCreated`` is handled gets a RELEASED hold (a tombstone), so that late event takes nothing. The rules (lines,
the hold) are in ``products/domain.py``, the conditional writes in ``products/store.py``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from buynest.core.events import EventPublisher
from buynest.core.hold import HELD, HoldState
from buynest.core.ids import now_iso
from buynest.core.observability import logger
from buynest.core.saga import CONFLICT_BACKOFF, AlreadyDecided, Backoff, Reserved, Saga
from buynest.products.domain import Line, StockContention, StockHold, merge_lines
from buynest.products.messages import (
    OUT_OF_STOCK,
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderEvent,
    OrderFailed,
    StockRejected,
    StockReserved,
)


@dataclass(frozen=True)
class Short:
    """Nothing changed: ``product_id`` has too little stock (or no longer exists)."""

    product_id: str


ReserveResult = Reserved | Short | AlreadyDecided


@dataclass(frozen=True)
class Released:
    """The lines' stock went back and the hold became RELEASED, in one transaction."""


@dataclass(frozen=True)
class ProductsGone:
    """Nothing changed: these products were deleted since; restock the other lines without them."""

    product_ids: frozenset[str]


@dataclass(frozen=True)
class NotHeld:
    """Nothing changed: the hold is no longer RESERVED or COMMITTED (released already)."""


ReleaseResult = Released | ProductsGone | NotHeld


class StockLedger(Protocol):
    """Port to the products' stock and the orders' stock holds. Every write is conditional and atomic; refusals
    come back as results (or ``StockContention`` when a transaction may simply be tried again)."""

    def reserve(self, hold: StockHold) -> ReserveResult:
        """Store the RESERVED hold (unless the order has one) and take each line's quantity from a product that
        exists and has that much, all or nothing."""
        ...

    def get(self, order_id: str) -> StockHold | None:
        """The order's hold, strongly consistent."""
        ...

    def record(self, hold: StockHold) -> StockHold:
        """Store a hold unless the order has one; returns the stored one (the first answer wins)."""
        ...

    def commit(self, order_id: str, at: str) -> bool:
        """RESERVED -> COMMITTED; False when that is not the hold's state."""
        ...

    def release(self, order_id: str, lines: tuple[Line, ...], at: str) -> ReleaseResult:
        """Give each line's quantity back to its product (which must still exist) and move the hold from RESERVED
        or COMMITTED to RELEASED, all or nothing."""
        ...


def answer(hold: StockHold) -> StockReserved | StockRejected | None:
    """The reply this hold stands for, while the order may still be waiting for one."""
    if hold.state == HoldState.RESERVED:
        return StockReserved(order_id=hold.order_id)
    if hold.state == HoldState.REJECTED:
        return StockRejected(order_id=hold.order_id, reason=OUT_OF_STOCK, product_id=hold.short_product_id)
    return None


class StockSaga(Saga[OrderEvent]):
    """Stock's part in the order saga: reserve on ``OrderCreated``, commit on ``OrderConfirmed``, give back on
    ``OrderFailed`` / ``OrderCancelled``."""

    contention = StockContention

    def __init__(
        self,
        ledger: StockLedger,
        publisher: EventPublisher,
        now: Callable[[], str] = now_iso,
        *,
        backoff: Backoff = CONFLICT_BACKOFF,
    ) -> None:
        self._ledger = ledger
        self._now = now
        super().__init__(publisher, backoff=backoff)

    def routes(self) -> Mapping[type[OrderEvent], Callable[[Any, str], None]]:
        return {
            OrderCreated: self.on_order_created,
            OrderConfirmed: self.on_order_confirmed,
            OrderFailed: self.on_order_ended,
            OrderCancelled: self.on_order_ended,
        }

    def on_order_created(self, event: OrderCreated, correlation_id: str) -> None:
        """Reserve every line or none, and reply ``StockReserved`` or ``StockRejected`` (OUT_OF_STOCK). A repeat
        republishes the stored answer; an order already past it (COMMITTED, or RELEASED) gets no reply."""
        lines = merge_lines((line.product_id, line.quantity) for line in event.items)
        at = self._now()
        hold = StockHold.reserved(event.order_id, lines, at)
        match self.retrying(partial(self._ledger.reserve, hold)):
            case Reserved():
                logger.info("stock reserved", extra={"orderId": event.order_id, "lines": len(lines)})
                stored = hold
            case Short(product_id=product_id):
                logger.info("out of stock", extra={"orderId": event.order_id, "productId": product_id})
                stored = self._ledger.record(StockHold.rejected(event.order_id, lines, product_id, at))
            case AlreadyDecided():
                found = self._ledger.get(event.order_id)
                if found is None:
                    raise StockContention(f"order {event.order_id} has a stock hold that cannot be read back")
                stored = found
        self.reply(event.order_id, stored.state, answer(stored), correlation_id)

    def on_order_confirmed(self, event: OrderConfirmed, correlation_id: str) -> None:
        """The order's hold becomes final (RESERVED -> COMMITTED); anything else is left as it is."""
        changed = self._ledger.commit(event.order_id, self._now())
        logger.info("stock committed", extra={"orderId": event.order_id, "changed": changed})

    def on_order_ended(self, event: OrderFailed | OrderCancelled, correlation_id: str) -> None:
        """Give back what the order holds, once. Without a hold yet, store a RELEASED tombstone so a late
        ``OrderCreated`` reserves nothing. Lines of products deleted since are skipped (nothing to restock)."""
        order_id = event.order_id
        stored = self._ledger.get(order_id) or self._ledger.record(StockHold.tombstone(order_id, self._now()))
        if stored.state not in HELD:
            logger.info("nothing held", extra={"orderId": order_id, "state": stored.state})
            return
        lines = stored.lines
        while True:
            result = self.retrying(partial(self._ledger.release, order_id, lines, self._now()))
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
