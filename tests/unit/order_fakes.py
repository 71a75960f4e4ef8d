"""In-memory fakes of the orders service's ports, with the same conditional behaviour as the DynamoDB adapter."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from buynest.orders.domain import (
    FINAL,
    LIFECYCLE,
    Amounts,
    Hold,
    Order,
    OrderStatus,
    Part,
    Step,
    UnknownProduct,
    WorkflowState,
    desk_key,
    execution_name,
    outbox_stage,
)


def _epoch(at: str) -> int:
    try:
        return int(datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp())
    except ValueError:  # a test's placeholder time
        return 0


def _step(order: Order, status: OrderStatus, now: str) -> list[dict[str, str]]:
    return [*order.timeline, {"status": status.value, "at": now}]


class FakeOrderRepository:
    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self.opened: dict[str, int] = {}
        self.unpublished: dict[str, int] = {}
        self.payment_ids: dict[str, str | None] = {}

    def create(self, order: Order, now_epoch: int) -> None:
        assert order.order_id not in self.orders
        self.orders[order.order_id] = order
        self.opened[order.order_id] = now_epoch

    def get(self, order_id: str) -> Order | None:
        return self.orders.get(order_id)

    def list_for_user(self, user_id: str, limit: int, cursor: str | None) -> tuple[list[Order], str | None]:
        mine = sorted((o for o in self.orders.values() if o.user_id == user_id), key=lambda o: o.order_id, reverse=True)
        return mine[:limit], None

    def _move(self, order_id: str, ok: bool, **changes: object) -> Order | None:
        if order_id not in self.orders or not ok:
            return None
        order = replace(self.orders[order_id], **changes)  # type: ignore[arg-type]
        self.orders[order_id] = order
        if order.status in FINAL and "updated_at" in changes:
            self.opened.pop(order_id, None)
            self.unpublished[order_id] = _epoch(order.updated_at)
        return order

    def record_hold(self, order_id: str, part: Part, discount: int, now: str) -> Order | None:
        order = self.orders.get(order_id)
        ok = order is not None and order.status == OrderStatus.PENDING and order.holds[part] == Hold.PENDING
        if not ok or order is None:
            return None
        amounts = replace(order.amounts, discount=discount) if part == Part.COUPON else order.amounts
        return self._move(order_id, True, holds={**order.holds, part: Hold.OK}, amounts=amounts, updated_at=now)

    def record_rejection(self, order_id: str, part: Part, reason: str, now: str) -> Order | None:
        order = self.orders.get(order_id)
        if order is None or order.status != OrderStatus.PENDING or order.holds[part] != Hold.PENDING:
            return None
        return self._move(
            order_id, True, holds={**order.holds, part: Hold.REJECTED}, status=OrderStatus.FAILED,
            failure_reason=reason, updated_at=now, timeline=_step(order, OrderStatus.FAILED, now),
        )  # fmt: skip

    def mark_reserved(self, order_id: str, amounts: Amounts, now: str) -> Order | None:
        order = self.orders.get(order_id)
        if order is None or order.status != OrderStatus.PENDING:
            return None
        return self._move(order_id, True, status=OrderStatus.RESERVED, amounts=amounts, updated_at=now,
                          timeline=_step(order, OrderStatus.RESERVED, now))  # fmt: skip

    def mark_paid(self, order_id: str, payment_id: str | None, now: str) -> Order | None:
        order = self.orders.get(order_id)
        if order is None or order.status != OrderStatus.RESERVED:
            return None
        self.payment_ids[order_id] = payment_id
        return self._move(order_id, True, status=OrderStatus.PAID, updated_at=now,
                          timeline=_step(order, OrderStatus.PAID, now))  # fmt: skip

    def mark_confirmed(self, order_id: str, points_earned: int, now: str) -> Order | None:
        order = self.orders.get(order_id)
        if order is None or order.status != OrderStatus.PAID:
            return None
        return self._move(order_id, True, status=OrderStatus.CONFIRMED, points_earned=points_earned, updated_at=now,
                          timeline=_step(order, OrderStatus.CONFIRMED, now))  # fmt: skip

    def mark_failed(self, order_id: str, reason: str, now: str, step: Step = Step.FAIL) -> Order | None:
        order = self.orders.get(order_id)
        if order is None or not LIFECYCLE[step].allows(order.state):
            return None
        return self._move(order_id, True, status=OrderStatus.FAILED, failure_reason=reason, updated_at=now,
                          timeline=_step(order, OrderStatus.FAILED, now))  # fmt: skip

    def mark_cancelled(self, order_id: str, user_id: str | None, now: str) -> Order | None:
        order = self.orders.get(order_id)
        if order is None or not LIFECYCLE[Step.CANCEL].allows(order.state):
            return None
        if user_id is not None and order.user_id != user_id:
            return None
        return self._move(order_id, True, status=OrderStatus.CANCELLED, updated_at=now,
                          timeline=_step(order, OrderStatus.CANCELLED, now))  # fmt: skip

    def _fulfil(self, order_id: str, step: Step, now: str, **changes: object) -> Order | None:
        order = self.orders.get(order_id)
        if order is None or not LIFECYCLE[step].allows(order.state):
            return None
        status = LIFECYCLE[step].fulfillment
        assert status is not None
        fulfillment = replace(order.fulfillment, status=status, **changes)  # type: ignore[arg-type]
        timeline = [*order.timeline, {"status": status.value, "at": now}]
        self.unpublished[order_id] = _epoch(now)
        return self._move(order_id, True, fulfillment=fulfillment, updated_at=now, timeline=timeline)

    def mark_shipped(self, order_id: str, carrier: str, tracking_number: str, now: str) -> Order | None:
        order = self.orders.get(order_id)
        if order is None or order.shipping_address is None:
            return None
        return self._fulfil(order_id, Step.SHIP, now, carrier=carrier, tracking_number=tracking_number, shipped_at=now)

    def mark_delivered(self, order_id: str, now: str) -> Order | None:
        return self._fulfil(order_id, Step.DELIVER, now, delivered_at=now)

    def list_desk(self, keys: list[str], limit: int, before: str | None) -> tuple[list[Order], bool]:
        def sort(o: Order) -> str:
            return f"{o.created_at}#{o.order_id}"

        found = sorted(
            (o for o in self.orders.values() if desk_key(*o.state) in keys and (before is None or sort(o) < before)),
            key=sort,
            reverse=True,
        )
        return found[:limit], len(found) > limit

    def next_workflow_run(self, order_id: str, run: int) -> Order | None:
        order = self.orders.get(order_id)
        ok = (
            order is not None and order.status in (OrderStatus.RESERVED, OrderStatus.PAID) and order.workflow_run == run
        )
        return self._move(order_id, ok, workflow_run=run + 1)

    def mark_published(self, order_id: str, stage: str) -> bool:
        order = self.orders.get(order_id)
        if order is None or outbox_stage(order) != stage or order_id not in self.unpublished:
            return False
        del self.unpublished[order_id]
        return True

    def open_order_ids(self, opened_by: int) -> list[str]:
        oldest_first = sorted(self.opened.items(), key=lambda kv: kv[1])
        return [oid for oid, since in oldest_first if since <= opened_by]

    def unpublished_order_ids(self, finished_by: int) -> list[str]:
        oldest_first = sorted(self.unpublished.items(), key=lambda kv: kv[1])
        return [oid for oid, since in oldest_first if since <= finished_by]


@dataclass
class FakeSnapshot:
    product_id: str
    name: str
    price: int


class FakeCatalog:
    def __init__(self, prices: dict[str, int]) -> None:
        self.products = {pid: FakeSnapshot(pid, f"Product {pid}", price) for pid, price in prices.items()}

    def prices(self, product_ids: list[str], skip_unknown: bool = False) -> dict[str, FakeSnapshot]:
        for pid in product_ids:
            if pid not in self.products and not skip_unknown:
                raise UnknownProduct(f"items: product {pid} does not exist")
        return {pid: self.products[pid] for pid in product_ids if pid in self.products}


class FakeCartReader:
    def __init__(self) -> None:
        self.carts: dict[str, list[tuple[str, int]]] = {}

    def lines(self, user_id: str) -> list[tuple[str, int]]:
        return list(self.carts.get(user_id, []))


class FakeAddressReader:
    def __init__(self) -> None:
        self.addresses: dict[str, dict[str, object]] = {}

    def saved(self, user_id: str) -> dict[str, object] | None:
        return self.addresses.get(user_id)


class FakeWorkflow:
    """PaymentWorkflow that records which orders it was asked to start (idempotent by execution name, as Step
    Functions is); ``executions`` holds each execution's state, which a test may set (e.g. to ENDED)."""

    def __init__(self) -> None:
        self.started: dict[str, Order] = {}
        self.executions: dict[str, WorkflowState] = {}
        self.calls = 0

    def start(self, order: Order) -> None:
        self.calls += 1
        self.started.setdefault(order.order_id, order)
        self.executions.setdefault(execution_name(order), WorkflowState.RUNNING)

    def state(self, order: Order) -> WorkflowState:
        return self.executions.get(execution_name(order), WorkflowState.MISSING)
