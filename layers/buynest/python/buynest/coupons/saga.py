"""The coupons service's part in the order saga. The order's stored ``CouponHold`` is the one answer to its
``OrderCreated`` (repeats republish it), and state changes are conditioned on the order that holds the coupon, so
repeats and out-of-order events change nothing twice. The rules (who may use which coupon, the discount) are in
``coupons/domain.py``, the conditional writes in ``coupons/store/holds.py``."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from buynest.core.events import EventPublisher
from buynest.core.hold import HoldState
from buynest.core.observability import logger
from buynest.core.saga import Saga
from buynest.coupons.domain import CouponChanged, CouponHold, RejectReason, iso_from_epoch, reservation_refusal
from buynest.coupons.messages import (
    CouponRejected,
    CouponReserved,
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderEvent,
    OrderFailed,
)
from buynest.coupons.service import CouponRepository


def answer(hold: CouponHold) -> CouponReserved | CouponRejected | None:
    """The reply this hold stands for: none once the order has ended (a tombstone)."""
    if hold.state == HoldState.RESERVED:
        return CouponReserved(order_id=hold.order_id, coupon_id=hold.coupon_id, discount=hold.discount)
    if hold.state == HoldState.REJECTED:
        return CouponRejected(order_id=hold.order_id, coupon_id=hold.coupon_id, reason=str(hold.reason))
    return None


class CouponSaga(Saga[OrderEvent]):
    """Reserve the order's coupon on ``OrderCreated``, use it on ``OrderConfirmed``, give it back on
    ``OrderFailed`` (if still reserved) and ``OrderCancelled`` (reserved or used). A coupon that changed under a
    reservation is re-read and decided again, up to ``max_attempts`` times."""

    contention = CouponChanged

    def __init__(
        self,
        repo: CouponRepository,
        publisher: EventPublisher,
        clock: Callable[[], float] = time.time,
        max_attempts: int = 3,
    ) -> None:
        self._repo = repo
        self._clock = clock
        self._max_attempts = max_attempts
        super().__init__(publisher)

    def routes(self) -> Mapping[type[OrderEvent], Callable[[Any, str], None]]:
        return {
            OrderCreated: self.on_order_created,
            OrderConfirmed: self.on_order_confirmed,
            OrderFailed: self.on_order_failed,
            OrderCancelled: self.on_order_cancelled,
        }

    def on_order_created(self, event: OrderCreated, correlation_id: str) -> None:
        """Reserve the order's coupon and reply ``CouponReserved`` (with the discount) or ``CouponRejected``."""
        if event.coupon_id is None:
            return
        hold = self._repo.get_hold(event.order_id) or self._decide(event, event.coupon_id)
        self.reply(event.order_id, hold.state, answer(hold), correlation_id)

    def on_order_confirmed(self, event: OrderConfirmed, correlation_id: str) -> None:
        """The coupon held by the order becomes USED."""
        hold = self._repo.get_hold(event.order_id)
        if hold is None or hold.state != HoldState.RESERVED:
            logger.info("no coupon held by confirmed order", extra={"orderId": event.order_id})
            return
        changed = self._repo.mark_used(hold, iso_from_epoch(self._now()))
        logger.info("coupon used", extra={"orderId": event.order_id, "changed": changed})

    def on_order_failed(self, event: OrderFailed, correlation_id: str) -> None:
        self._give_back(event.order_id, event.coupon_id, include_used=False)

    def on_order_cancelled(self, event: OrderCancelled, correlation_id: str) -> None:
        self._give_back(event.order_id, event.coupon_id, include_used=True)

    def _give_back(self, order_id: str, coupon_id: str | None, include_used: bool) -> None:
        """Give back the coupon the order holds (or, on cancel, used). An order that ends before its
        ``OrderCreated`` was handled gets a tombstone, so that late event reserves nothing."""
        now = self._now()
        hold = self._repo.get_hold(order_id)
        if hold is None:
            if coupon_id is None:
                return
            hold = self._repo.save_hold(CouponHold.tombstone(order_id, coupon_id, iso_from_epoch(now)))
        if hold.state != HoldState.RESERVED:
            return
        changed = self._repo.release(hold, hold.released_status(now), include_used, iso_from_epoch(now))
        logger.info("coupon released", extra={"orderId": order_id, "changed": changed})

    def _decide(self, event: OrderCreated, coupon_id: str) -> CouponHold:
        for _ in range(self._max_attempts):
            now = self._now()
            coupon = self._repo.find_coupon(event.user_id, coupon_id)
            reason = reservation_refusal(coupon, event.user_id, event.subtotal, now)
            if coupon is None or reason is not None:
                reason = reason or RejectReason.COUPON_NOT_FOUND
                return self._repo.save_hold(
                    CouponHold.rejected(event.order_id, event.user_id, coupon_id, reason, iso_from_epoch(now))
                )
            try:
                return self._repo.reserve(
                    CouponHold.reserved(event.order_id, coupon, event.subtotal, iso_from_epoch(now)),
                    now,
                    iso_from_epoch(now),
                )
            except CouponChanged:
                continue
        raise CouponChanged(f"coupon {coupon_id} kept changing while reserving it for order {event.order_id}")

    def _now(self) -> int:
        return int(self._clock())
