"""The users service's part in the order saga: points an order wants to use are held in one transaction with the
order's points hold, settled when it is confirmed (the unused rest back, the earned points added), given back when
it fails, and returned (used) and taken back (earned) when a confirmed order is cancelled.

Every state change is one transaction with the balance change it stands for, conditioned on the state it leaves;
an order that ends before its hold exists gets a RELEASED tombstone, so the late event moves nothing. The rules
(which move each event makes, the take-back) are in ``users/domain.py``, the conditional writes in
``users/store.py``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from buynest.core.events import EventPublisher
from buynest.core.hold import HoldState
from buynest.core.ids import now_iso
from buynest.core.observability import logger
from buynest.core.saga import CONFLICT_BACKOFF, AlreadyDecided, Backoff, Reserved, Saga
from buynest.users.domain import (
    HoldKind,
    Move,
    PointsContention,
    PointsHold,
    PointsMismatch,
    PointsOwnerMissing,
    PointsReason,
    cancelled_kind,
    give_back,
    settle,
    take_back,
)
from buynest.users.messages import (
    INSUFFICIENT_POINTS,
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderEvent,
    OrderFailed,
    PointsRejected,
    PointsReserved,
    UserPointsUpdated,
)


@dataclass(frozen=True)
class Insufficient:
    """Nothing changed: the customer has fewer points than asked (or no user record)."""


ReserveResult = Reserved | Insufficient | AlreadyDecided


@dataclass(frozen=True)
class Moved:
    """The hold and the balance changed together."""


@dataclass(frozen=True)
class Refused:
    """Nothing changed: the hold is not in a state the move leaves (or, for a creation, exists)."""


@dataclass(frozen=True)
class OwnerMissing:
    """Nothing changed: there is no user record to credit or debit."""


MoveResult = Moved | Refused | OwnerMissing


class PointsLedger(Protocol):
    """Port to the users' balances and the orders' points holds. Every write is conditional and atomic; refusals
    come back as results (or ``PointsContention`` when a transaction may simply be tried again)."""

    def reserve(self, hold: PointsHold) -> ReserveResult:
        """Store the RESERVED hold (unless the order has one) and take ``hold.amount`` from a balance that has
        that much, all or nothing."""
        ...

    def get(self, kind: HoldKind, order_id: str) -> PointsHold | None:
        """The order's hold of that kind, strongly consistent."""
        ...

    def record(self, hold: PointsHold) -> PointsHold:
        """Store a hold unless the order has one of its kind; returns the stored one (the first answer wins)."""
        ...

    def move(self, move: Move, at: str) -> MoveResult:
        """Apply ``move`` (hold and balance) in one transaction."""
        ...

    def balance(self, user_id: str) -> int | None:
        """The customer's points, strongly consistent; None without a user record."""
        ...


def answer(hold: PointsHold) -> PointsReserved | PointsRejected | None:
    """The reply to ``OrderCreated`` this hold stands for, while the order may still be waiting for one."""
    if hold.kind != HoldKind.SPEND:
        return None
    if hold.state == HoldState.RESERVED:
        return PointsReserved(order_id=hold.order_id, points=hold.amount)
    if hold.state == HoldState.REJECTED:
        return PointsRejected(order_id=hold.order_id, reason=INSUFFICIENT_POINTS)
    return None


class PointsSaga(Saga[OrderEvent]):
    """Points' part in the order saga: hold on ``OrderCreated``, settle on ``OrderConfirmed``, give back on
    ``OrderFailed``, return and take back on ``OrderCancelled``; ``UserPointsUpdated`` follows every balance
    change."""

    contention = PointsContention

    def __init__(
        self,
        ledger: PointsLedger,
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
            OrderFailed: self.on_order_failed,
            OrderCancelled: self.on_order_cancelled,
        }

    def on_order_created(self, event: OrderCreated, correlation_id: str) -> None:
        """Hold ``pointsToUse`` and reply ``PointsReserved`` or ``PointsRejected`` (INSUFFICIENT_POINTS); nothing,
        not even a reply, when the order uses no points. A repeat republishes the stored answer."""
        if event.points_to_use == 0:
            return
        hold = PointsHold.reserved(event.order_id, event.user_id, event.points_to_use, self._now())
        match self.retrying(partial(self._ledger.reserve, hold)):
            case Reserved():
                logger.info("points reserved", extra={"orderId": event.order_id, "points": hold.amount})
                stored = hold
            case Insufficient():
                logger.info("insufficient points", extra={"orderId": event.order_id, "points": hold.amount})
                stored = self._ledger.record(
                    PointsHold.rejected(event.order_id, event.user_id, hold.amount, hold.created_at)
                )
            case AlreadyDecided():
                found = self._ledger.get(HoldKind.SPEND, event.order_id)
                if found is None:
                    raise PointsContention(f"order {event.order_id} has a points hold that cannot be read back")
                stored = found
        self.reply(event.order_id, stored.state, answer(stored), correlation_id)

    def on_order_confirmed(self, event: OrderConfirmed, correlation_id: str) -> None:
        """Settle (``users.domain.settle``) in one transaction with the balance."""
        move = settle(event.order_id, event.user_id, event.points_to_use, event.points_used, event.points_earned)
        if move is not None:
            self._apply(move, correlation_id, tombstone=False)

    def on_order_failed(self, event: OrderFailed, correlation_id: str) -> None:
        """Give the held points back (``users.domain.give_back``). Without a hold yet, store a RELEASED tombstone
        so a late ``OrderCreated`` holds nothing."""
        move = give_back(event.order_id, event.user_id, event.points_to_use)
        if move is not None:
            self._apply(move, correlation_id, tombstone=True)

    def on_order_cancelled(self, event: OrderCancelled, correlation_id: str) -> None:
        """Undo the order's points (``users.domain.take_back``, from the stored hold's state); without a hold, a
        tombstone makes the late confirmation a no-op."""
        kind = cancelled_kind(event.order_id, event.points_to_use, event.points_used, event.points_earned)
        if kind is None:
            return
        for _ in range(self._backoff.max_attempts):
            stored = self._ledger.get(kind, event.order_id) or self._ledger.record(
                PointsHold.tombstone(kind, event.order_id, event.user_id, self._now())
            )
            move = take_back(stored, event.points_used, event.points_earned)
            if move is None:
                self._settled_before(stored, PointsReason.ORDER_CANCELLED, correlation_id)
                return
            match self.retrying(partial(self._ledger.move, move, self._now())):
                case Moved():
                    self._announce(move, correlation_id)
                    return
                case OwnerMissing():
                    raise PointsOwnerMissing(f"user {stored.user_id} of order {event.order_id} does not exist")
                case Refused():
                    continue
        raise PointsContention(f"points of order {event.order_id} kept changing while cancelling it")

    def _apply(self, move: Move, correlation_id: str, *, tombstone: bool) -> None:
        """Apply a write-first move; when refused, the stored hold tells a repeat (republish) from a late or
        contradicting event. With ``tombstone``, a missing hold is closed so a late ``OrderCreated`` holds
        nothing (if the hold appears meanwhile, the move is tried again)."""
        for _ in range(self._backoff.max_attempts):
            result = self.retrying(partial(self._ledger.move, move, self._now()))
            if isinstance(result, Moved):
                self._announce(move, correlation_id)
                return
            if isinstance(result, OwnerMissing):
                raise PointsOwnerMissing(f"user {move.user_id} of order {move.order_id} does not exist")
            stored = self._ledger.get(move.kind, move.order_id)
            if stored is None and tombstone:
                stored = self._ledger.record(PointsHold.tombstone(move.kind, move.order_id, move.user_id, self._now()))
                if stored.state in move.from_states:
                    continue
            if stored is None:
                logger.warning("no points hold for this order", extra={"orderId": move.order_id})
                return
            if stored.state in move.from_states:
                raise PointsMismatch(
                    f"order {move.order_id} holds {stored.amount} points of user {stored.user_id}; the event says"
                    f" {move.amount} of user {move.user_id}"
                )
            self._settled_before(stored, move.reason, correlation_id)
            return
        raise PointsContention(f"points of order {move.order_id} kept changing")

    def _settled_before(self, stored: PointsHold, reason: PointsReason, correlation_id: str) -> None:
        """A repeat of the event that made the hold's last change republishes its ``UserPointsUpdated``; anything
        else (a tombstone, a late event) changes and sends nothing."""
        if stored.moved_by == reason and stored.delta:
            logger.info("repeat; republishing", extra={"orderId": stored.order_id, "reason": reason})
            self._publish_update(stored.user_id, stored.order_id, stored.delta, reason, correlation_id)
            return
        logger.info("nothing to change", extra={"orderId": stored.order_id, "state": stored.state, "event": reason})

    def _announce(self, move: Move, correlation_id: str) -> None:
        logger.info(
            "points moved",
            extra={"orderId": move.order_id, "delta": move.delta, "state": move.to_state, "reason": move.reason},
        )
        if move.delta:
            self._publish_update(move.user_id, move.order_id, move.delta, move.reason, correlation_id)

    def _publish_update(
        self, user_id: str, order_id: str, delta: int, reason: PointsReason, correlation_id: str
    ) -> None:
        balance = self._ledger.balance(user_id) or 0
        data = UserPointsUpdated(user_id=user_id, order_id=order_id, delta=delta, points=balance, reason=reason.value)
        self.publish(data, correlation_id)
