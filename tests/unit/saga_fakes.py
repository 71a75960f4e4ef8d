"""In-memory fakes for the stock and points sides of the order saga: ledgers with the DynamoDB adapters' conditions
(all or nothing, first answer wins), builders of the order events exactly as the orders service publishes them
(``buynest.orders.messages``), wrapped as the bus delivers them to a queue, and the check of the consumers' wiring."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from buynest.core.events import EventModel
from buynest.core.hold import HoldState
from buynest.core.saga import AlreadyDecided, Reserved
from buynest.orders import messages as orders
from buynest.products.domain import Line, StockContention, StockHold
from buynest.products.saga import NotHeld, ProductsGone, Released, ReleaseResult, ReserveResult, Short
from buynest.users import saga as points
from buynest.users.domain import HoldKind, Move, PointsContention, PointsHold
from tests.template import template
from tests.unit.coupon_fakes import FakePublisher, bus_event, sqs_event
from tests.unit.test_template_policies import NEEDS as POLICY_NEEDS

ROOT = Path(__file__).resolve().parent.parent.parent

__all__ = [
    "FakePointsLedger",
    "FakePublisher",
    "FakeStockLedger",
    "OrderEvents",
    "bus_event",
    "check_owner_wiring",
    "sqs_event",
]


class FakeStockLedger:
    """StockLedger in memory. ``contention`` makes the next N transactions lose a conflict (nothing changes)."""

    def __init__(self, stock: dict[str, int] | None = None) -> None:
        self.stock: dict[str, int] = dict(stock or {})
        self.reservations: dict[str, StockHold] = {}
        self.contention = 0
        self.transactions = 0
        self._lock = threading.Lock()

    def _transaction(self) -> None:
        self.transactions += 1
        if self.contention:
            self.contention -= 1
            raise StockContention("transaction conflict")

    def reserve(self, reservation: StockHold) -> ReserveResult:
        with self._lock:
            self._transaction()
            if reservation.order_id in self.reservations:
                return AlreadyDecided()
            for line in reservation.lines:
                if self.stock.get(line.product_id, -1) < line.quantity:
                    return Short(line.product_id)
            for line in reservation.lines:
                self.stock[line.product_id] -= line.quantity
            self.reservations[reservation.order_id] = reservation
            return Reserved()

    def get(self, order_id: str) -> StockHold | None:
        return self.reservations.get(order_id)

    def record(self, reservation: StockHold) -> StockHold:
        with self._lock:
            return self.reservations.setdefault(reservation.order_id, reservation)

    def commit(self, order_id: str, at: str) -> bool:
        with self._lock:
            stored = self.reservations.get(order_id)
            if stored is None or stored.state != HoldState.RESERVED:
                return False
            self.reservations[order_id] = replace(stored, state=HoldState.COMMITTED, updated_at=at)
            return True

    def release(self, order_id: str, lines: tuple[Line, ...], at: str) -> ReleaseResult:
        with self._lock:
            self._transaction()
            stored = self.reservations.get(order_id)
            if stored is None or stored.state not in (HoldState.RESERVED, HoldState.COMMITTED):
                return NotHeld()
            gone = frozenset(line.product_id for line in lines if line.product_id not in self.stock)
            if gone:
                return ProductsGone(gone)
            for line in lines:
                self.stock[line.product_id] += line.quantity
            self.reservations[order_id] = replace(stored, state=HoldState.RELEASED, updated_at=at)
            return Released()


class FakePointsLedger:
    """PointsLedger in memory. ``contention`` makes the next N transactions lose a conflict; ``on_balance_read``
    runs once right after the next balance read (another writer getting in between a read and a write)."""

    def __init__(self, balances: dict[str, int] | None = None) -> None:
        self.balances: dict[str, int] = dict(balances or {})
        self.holds: dict[tuple[HoldKind, str], PointsHold] = {}
        self.contention = 0
        self.on_balance_read: Callable[[], None] | None = None
        self._lock = threading.RLock()

    def _transaction(self) -> None:
        if self.contention:
            self.contention -= 1
            raise PointsContention("transaction conflict")

    def reserve(self, hold: PointsHold) -> points.ReserveResult:
        with self._lock:
            self._transaction()
            if (hold.kind, hold.order_id) in self.holds:
                return AlreadyDecided()
            if self.balances.get(hold.user_id, -1) < hold.amount:
                return points.Insufficient()
            self.balances[hold.user_id] -= hold.amount
            self.holds[(hold.kind, hold.order_id)] = hold
            return Reserved()

    def get(self, kind: HoldKind, order_id: str) -> PointsHold | None:
        return self.holds.get((kind, order_id))

    def record(self, hold: PointsHold) -> PointsHold:
        with self._lock:
            return self.holds.setdefault((hold.kind, hold.order_id), hold)

    def move(self, move: Move, at: str) -> points.MoveResult:
        with self._lock:
            self._transaction()
            key = (move.kind, move.order_id)
            stored = self.holds.get(key)
            if move.from_states:
                if stored is None or stored.state not in move.from_states or stored.user_id != move.user_id:
                    return points.Refused()
                if move.amount is not None and stored.amount != move.amount:
                    return points.Refused()
            elif stored is not None:
                return points.Refused()
            if move.delta:
                if move.user_id not in self.balances:
                    return points.OwnerMissing()
                self.balances[move.user_id] += move.delta
            base = stored or PointsHold(move.kind, move.order_id, move.user_id, move.to_state, move.amount or 0)
            self.holds[key] = replace(base, state=move.to_state, delta=move.delta, moved_by=move.reason, updated_at=at)
            return points.Moved()

    def balance(self, user_id: str) -> int | None:
        with self._lock:
            found = self.balances.get(user_id)
            hook, self.on_balance_read = self.on_balance_read, None
        if hook is not None:
            hook()
        return found

    def state(self, kind: HoldKind, order_id: str) -> HoldState | None:
        hold = self.holds.get((kind, order_id))
        return hold.state if hold else None


class OrderEvents:
    """Order events as the orders service publishes them (its own models), for one customer and a fixed basket;
    each returns the bus event a queue receives. Correlation ids are ``corr-<orderId>``."""

    def __init__(self, user_id: str = "u1", lines: Sequence[tuple[str, int]] = (("P1", 1),)) -> None:
        self.user_id = user_id
        self.lines = [orders.OrderLine(product_id=p, quantity=q, unit_price=1_000) for p, q in lines]

    def _items(self, lines: Sequence[tuple[str, int]] | None) -> list[orders.OrderLine]:
        if lines is None:
            return self.lines
        return [orders.OrderLine(product_id=p, quantity=q, unit_price=1_000) for p, q in lines]

    @staticmethod
    def _event(detail_type: str, data: EventModel, order_id: str) -> dict[str, Any]:
        return bus_event(detail_type, data.wire(), correlation_id=f"corr-{order_id}")

    def created(
        self, order_id: str, lines: Sequence[tuple[str, int]] | None = None, points_to_use: int = 0
    ) -> dict[str, Any]:
        items = self._items(lines)
        data = orders.OrderCreated(
            order_id=order_id,
            user_id=self.user_id,
            items=items,
            subtotal=sum(i.quantity * i.unit_price for i in items),
            points_to_use=points_to_use,
        )
        return self._event("OrderCreated", data, order_id)

    def confirmed(
        self, order_id: str, points_to_use: int = 0, points_used: int = 0, points_earned: int = 0
    ) -> dict[str, Any]:
        items = self._items(None)
        subtotal = sum(i.quantity * i.unit_price for i in items)
        data = orders.OrderConfirmed(
            order_id=order_id,
            user_id=self.user_id,
            items=items,
            subtotal=subtotal,
            discount=0,
            points_to_use=points_to_use,
            points_used=points_used,
            points_earned=points_earned,
            total=subtotal - points_used,
        )
        return self._event("OrderConfirmed", data, order_id)

    def failed(self, order_id: str, points_to_use: int = 0, reason: str = "PAYMENT_DECLINED") -> dict[str, Any]:
        data = orders.OrderFailed(
            order_id=order_id, user_id=self.user_id, items=self._items(None), points_to_use=points_to_use, reason=reason
        )
        return self._event("OrderFailed", data, order_id)

    def cancelled(
        self, order_id: str, points_to_use: int = 0, points_used: int = 0, points_earned: int = 0
    ) -> dict[str, Any]:
        data = orders.OrderCancelled(
            order_id=order_id,
            user_id=self.user_id,
            items=self._items(None),
            points_to_use=points_to_use,
            points_used=points_used,
            points_earned=points_earned,
        )
        return self._event("OrderCancelled", data, order_id)


def owner_resources(service: str) -> dict[str, dict[str, Any]]:
    """The order-saga consumer resources of ``products`` or ``users`` in template.yaml."""
    prefix = service.capitalize()
    names = [
        f"{prefix}OnOrderEventFunction",
        f"{prefix}OrderEventsRule",
        f"{prefix}OrderEventsQueue",
        f"{prefix}OrderEventsDLQ",
        f"{prefix}OrderEventsQueuePolicy",
    ]
    resources = template()["Resources"]
    return {name.removeprefix(prefix): resources[name] for name in names}


EVERY_ORDER_EVENT = {
    "source": ["buynest.orders"],
    "detail-type": ["OrderCreated", "OrderConfirmed", "OrderFailed", "OrderCancelled"],
}


def check_owner_wiring(service: str, table: str, pattern: dict[str, Any] | None = None) -> None:
    """The consumer of ``service`` is wired as the saga needs: the order events it acts on (``pattern``, default
    every one), its own queue with a DLQ, partial batch failures, and no more rights than its own table and putting
    events on the bus."""
    res = owner_resources(service)
    prefix = service.capitalize()
    rule = res["OrderEventsRule"]["Properties"]
    assert rule["EventBusName"] == {"Ref": "EventBus"}
    assert rule["EventPattern"] == (pattern or EVERY_ORDER_EVENT)
    assert [t["Arn"] for t in rule["Targets"]] == [{"Fn::GetAtt": f"{prefix}OrderEventsQueue.Arn"}]

    queue = res["OrderEventsQueue"]["Properties"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": f"{prefix}OrderEventsDLQ.Arn"},
        "maxReceiveCount": 5,
    }
    [statement] = res["OrderEventsQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": f"{prefix}OrderEventsRule.Arn"}}}

    function = res["OnOrderEventFunction"]["Properties"]
    assert (function["CodeUri"], function["Handler"]) == (f"functions/{service}/", "on_order_event.handler")
    assert (ROOT / "functions" / service / "on_order_event.py").is_file()
    # its rights (its own table, putting its own source's events) are checked in tests/unit/test_template_policies.py
    assert f"{prefix}OnOrderEventFunction" in POLICY_NEEDS
    assert {grant.resource.split("/")[0] for grant in POLICY_NEEDS[f"{prefix}OnOrderEventFunction"]} == {
        table,
        "EventBus",
    }
    [source] = function["Events"].values()
    assert source["Type"] == "SQS"
    assert source["Properties"] == {
        "Queue": {"Fn::GetAtt": f"{prefix}OrderEventsQueue.Arn"},
        "BatchSize": 10,
        "MaximumBatchingWindowInSeconds": 1,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "ScalingConfig": {"MaximumConcurrency": {"Ref": "SagaReservedConcurrency"}},
    }
    timeout = function.get("Timeout", template()["Globals"]["Function"]["Timeout"])
    assert queue["VisibilityTimeout"] >= 6 * timeout
