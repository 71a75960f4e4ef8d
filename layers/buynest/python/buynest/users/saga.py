"""The users service's part in the order saga: points an order wants to use are held in one transaction with the
order's points record, settled when it is confirmed (the unused rest back, the earned points added), given back when
it fails, and returned (used) and taken back (earned) when a confirmed order is cancelled.

Each order has at most one record per kind: SPEND (``pointsToUse`` > 0: held points, RESERVED | REJECTED |
COMMITTED | RELEASED) and EARN (``pointsToUse`` == 0: a marker that the earned points were added, COMMITTED or
RELEASED). A record's state decides what a repeated or late event may still do, and every state change is one
transaction with the balance change it stands for, conditioned on the state it leaves. An order that ends before
its record exists gets a RELEASED tombstone, so the late event moves nothing. The record keeps the last ``delta``
and its reason, so a repeat republishes the same ``UserPointsUpdated`` (the first publish may have failed).

A cancelled order's earned points are always taken back in full, and its used points returned: the change is
``pointsUsed - pointsEarned``, even when that leaves the balance below zero (the earned points were spent on another
order meanwhile). A negative balance cannot be spent (holding points needs ``balance >= n``) and later earnings repay
it, so a customer's balance always equals what their still-confirmed orders earned minus what their confirmed and
unfinished orders use: cancelling can never mint points."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import Protocol

from buynest.core.events import EventPublisher, make_event
from buynest.core.ids import now_iso
from buynest.core.observability import logger
from buynest.core.retry import Backoff
from buynest.users.domain import UserError
from buynest.users.messages import (
    INSUFFICIENT_POINTS,
    SOURCE,
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderEvent,
    OrderFailed,
    PointsRejected,
    PointsReserved,
    UserPointsUpdated,
)

# a conflict on a product/user item: up to four tries, pauses of at most 0.2 s
CONFLICT_BACKOFF = Backoff(max_attempts=4, base=0.02, cap=0.2)


class HoldKind(StrEnum):
    SPEND = "SPEND"
    EARN = "EARN"


class HoldState(StrEnum):
    RESERVED = "RESERVED"
    REJECTED = "REJECTED"
    COMMITTED = "COMMITTED"
    RELEASED = "RELEASED"


class PointsReason(StrEnum):
    ORDER_CONFIRMED = "ORDER_CONFIRMED"
    ORDER_FAILED = "ORDER_FAILED"
    ORDER_CANCELLED = "ORDER_CANCELLED"


class PointsContention(UserError):
    """A points transaction lost a conflict or was throttled ; nothing changed."""


class PointsMismatch(UserError):
    """An order event disagrees with what is stored for the order (a bug upstream): left for the DLQ."""


class PointsOwnerMissing(UserError):
    """The order's customer has no user record, so there is no balance to change: left for the DLQ."""


@dataclass(frozen=True)
class PointsHold:
    """An order's points record: what is held (``amount``) and the last balance change it made."""

    kind: HoldKind
    order_id: str
    user_id: str
    state: HoldState
    amount: int = 0
    delta: int | None = None
    moved_by: PointsReason | None = None
    created_at: str = ""
    updated_at: str = ""

    @classmethod
    def reserved(cls, order_id: str, user_id: str, points: int, at: str) -> PointsHold:
        return cls(HoldKind.SPEND, order_id, user_id, HoldState.RESERVED, points, created_at=at, updated_at=at)

    @classmethod
    def rejected(cls, order_id: str, user_id: str, points: int, at: str) -> PointsHold:
        return cls(HoldKind.SPEND, order_id, user_id, HoldState.REJECTED, points, created_at=at, updated_at=at)

    @classmethod
    def tombstone(cls, kind: HoldKind, order_id: str, user_id: str, at: str) -> PointsHold:
        """The record of an order that ended before anything was held or earned for it."""
        return cls(kind, order_id, user_id, HoldState.RELEASED, created_at=at, updated_at=at)

    def answer(self) -> tuple[str, PointsReserved | PointsRejected] | None:
        """The reply to ``OrderCreated`` this record stands for, while the order may still be waiting for one."""
        if self.kind != HoldKind.SPEND:
            return None
        if self.state == HoldState.RESERVED:
            return "PointsReserved", PointsReserved(order_id=self.order_id, points=self.amount)
        if self.state == HoldState.REJECTED:
            return "PointsRejected", PointsRejected(order_id=self.order_id, reason=INSUFFICIENT_POINTS)
        return None


@dataclass(frozen=True)
class Move:
    """One atomic change: the record goes from one of ``from_states`` to ``to_state`` (with no ``from_states``, it
    is created in ``to_state`` unless it exists) and the user's balance by ``delta``. An existing record must
    belong to ``user_id``; ``amount`` is the held amount it must have (or is created with)."""

    kind: HoldKind
    order_id: str
    user_id: str
    from_states: tuple[HoldState, ...]
    to_state: HoldState
    delta: int
    reason: PointsReason
    amount: int | None = None


@dataclass(frozen=True)
class Reserved:
    """The points were taken from the balance and the RESERVED record stored, in one transaction."""


@dataclass(frozen=True)
class Insufficient:
    """Nothing changed: the customer has fewer points than asked (or no user record)."""


@dataclass(frozen=True)
class AlreadyDecided:
    """Nothing changed: the order already has a record (a repeat, or the order ended first)."""


ReserveResult = Reserved | Insufficient | AlreadyDecided


@dataclass(frozen=True)
class Moved:
    """The record and the balance changed together."""


@dataclass(frozen=True)
class Refused:
    """Nothing changed: the record is not in a state the move leaves (or, for a creation, exists)."""


@dataclass(frozen=True)
class OwnerMissing:
    """Nothing changed: there is no user record to credit or debit."""


MoveResult = Moved | Refused | OwnerMissing


class PointsLedger(Protocol):
    """Port to the users' balances and the orders' points records. Every write is conditional and atomic; refusals
    come back as results (or ``PointsContention`` when a transaction may simply be tried again)."""

    def reserve(self, hold: PointsHold) -> ReserveResult:
        """Store the RESERVED record (unless the order has one) and take ``hold.amount`` from a balance that has
        that much, all or nothing."""
        ...

    def get(self, kind: HoldKind, order_id: str) -> PointsHold | None:
        """The order's record of that kind, strongly consistent."""
        ...

    def record(self, hold: PointsHold) -> PointsHold:
        """Store a record unless the order has one of its kind; returns the stored one (the first answer wins)."""
        ...

    def move(self, move: Move, at: str) -> MoveResult:
        """Apply ``move`` (record and balance) in one transaction."""
        ...

    def balance(self, user_id: str) -> int | None:
        """The customer's points, strongly consistent; None without a user record."""
        ...


class PointsSaga:
    """Points' part in the order saga: hold on ``OrderCreated``, settle on ``OrderConfirmed``, give back on
    ``OrderFailed``, return and take back on ``OrderCancelled``. Idempotent and order-insensitive through the
    order's points records; ``UserPointsUpdated`` follows every balance change."""

    def __init__(
        self,
        ledger: PointsLedger,
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
        """Act on one order event; what it publishes carries ``correlation_id`` (the triggering event's)."""
        match event:
            case OrderCreated():
                self.on_order_created(event, correlation_id)
            case OrderConfirmed():
                self.on_order_confirmed(event, correlation_id)
            case OrderFailed():
                self.on_order_failed(event, correlation_id)
            case OrderCancelled():
                self.on_order_cancelled(event, correlation_id)

    def on_order_created(self, event: OrderCreated, correlation_id: str) -> None:
        """Hold ``pointsToUse`` and reply ``PointsReserved`` or ``PointsRejected`` (INSUFFICIENT_POINTS); nothing,
        not even a reply, when the order uses no points. A repeat republishes the stored answer."""
        if event.points_to_use == 0:
            return
        hold = PointsHold.reserved(event.order_id, event.user_id, event.points_to_use, self._now())
        match self._retrying(partial(self._ledger.reserve, hold)):
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
                    raise PointsContention(f"order {event.order_id} has a points record that cannot be read back")
                stored = found
        answer = stored.answer()
        if answer is None:
            logger.info("order already moved on; no reply", extra={"orderId": event.order_id, "state": stored.state})
            return
        detail_type, data = answer
        self._publisher.publish([make_event(SOURCE, detail_type, data, correlation_id)])

    def on_order_confirmed(self, event: OrderConfirmed, correlation_id: str) -> None:
        """Settle: the held points' record becomes COMMITTED (or, without held points, an EARN marker is created)
        and the balance gains ``(pointsToUse - pointsUsed) + pointsEarned``, in one transaction."""
        if event.points_used > event.points_to_use:
            raise PointsMismatch(f"order {event.order_id} used more points than it held")
        delta = event.points_to_use - event.points_used + event.points_earned
        from_states: tuple[HoldState, ...]
        if event.points_to_use > 0:
            kind, from_states = HoldKind.SPEND, (HoldState.RESERVED,)
        elif event.points_earned > 0:
            kind, from_states = HoldKind.EARN, ()
        else:
            return
        move = Move(
            kind,
            event.order_id,
            event.user_id,
            from_states,
            HoldState.COMMITTED,
            delta,
            PointsReason.ORDER_CONFIRMED,
            amount=event.points_to_use,
        )
        self._apply(move, correlation_id, tombstone=False)

    def on_order_failed(self, event: OrderFailed, correlation_id: str) -> None:
        """Give the held points back (RESERVED -> RELEASED, balance + held). Without a record yet, store a RELEASED
        tombstone so a late ``OrderCreated`` holds nothing."""
        if event.points_to_use == 0:
            return
        move = Move(
            HoldKind.SPEND,
            event.order_id,
            event.user_id,
            (HoldState.RESERVED,),
            HoldState.RELEASED,
            event.points_to_use,
            PointsReason.ORDER_FAILED,
            amount=event.points_to_use,
        )
        self._apply(move, correlation_id, tombstone=True)

    def on_order_cancelled(self, event: OrderCancelled, correlation_id: str) -> None:
        """Undo a confirmed order's points: COMMITTED -> RELEASED with ``pointsUsed`` returned and ``pointsEarned``
        taken back in full (even below zero, see the module docstring). If the confirmation was not handled yet
        (RESERVED), everything held goes back; without a record, a tombstone makes the late confirmation a no-op."""
        if event.points_used > event.points_to_use:
            raise PointsMismatch(f"order {event.order_id} used more points than it held")
        if event.points_to_use > 0:
            kind = HoldKind.SPEND
        elif event.points_earned > 0:
            kind = HoldKind.EARN
        else:
            return
        for _ in range(self._backoff.max_attempts):
            stored = self._ledger.get(kind, event.order_id) or self._ledger.record(
                PointsHold.tombstone(kind, event.order_id, event.user_id, self._now())
            )
            if stored.state == HoldState.RESERVED:
                move = Move(
                    kind,
                    event.order_id,
                    stored.user_id,
                    (HoldState.RESERVED,),
                    HoldState.RELEASED,
                    stored.amount,
                    PointsReason.ORDER_CANCELLED,
                )
            elif stored.state == HoldState.COMMITTED:
                move = Move(
                    kind,
                    event.order_id,
                    stored.user_id,
                    (HoldState.COMMITTED,),
                    HoldState.RELEASED,
                    event.points_used - event.points_earned,
                    PointsReason.ORDER_CANCELLED,
                )
            else:
                self._settled_before(stored, PointsReason.ORDER_CANCELLED, correlation_id)
                return
            match self._retrying(partial(self._ledger.move, move, self._now())):
                case Moved():
                    self._announce(move, correlation_id)
                    return
                case OwnerMissing():
                    raise PointsOwnerMissing(f"user {stored.user_id} of order {event.order_id} does not exist")
                case Refused():
                    continue
        raise PointsContention(f"points of order {event.order_id} kept changing while cancelling it")

    def _apply(self, move: Move, correlation_id: str, *, tombstone: bool) -> None:
        """Apply a write-first move; when refused, the stored record tells a repeat (republish) from a late or
        contradicting event. With ``tombstone``, a missing record is closed so a late ``OrderCreated`` holds
        nothing (if the record appears meanwhile, the move is tried again)."""
        for _ in range(self._backoff.max_attempts):
            result = self._retrying(partial(self._ledger.move, move, self._now()))
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
                logger.warning("no points record for this order", extra={"orderId": move.order_id})
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
        """A repeat of the event that made the record's last change republishes its ``UserPointsUpdated``; anything
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
        self._publisher.publish([make_event(SOURCE, "UserPointsUpdated", data, correlation_id)])

    def _retrying[R](self, attempt: Callable[[], R]) -> R:
        """``attempt()`` again after a jittered, exponentially growing pause while it loses conflicts; the last
        ``PointsContention`` propagates (the record fails and SQS delivers it again later)."""
        return self._backoff.retrying(attempt, PointsContention)
