"""Orders: money rules, the order's life through the owners' replies, the workflow tasks, the sweeper and the
outbox, on in-memory fakes."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from buynest.core.auth import Principal
from buynest.orders.domain import (
    InvalidOrder,
    NotCancellable,
    NotConfirmable,
    OrderNotFound,
    OrderStatus,
    Part,
    UnknownProduct,
    merge_lines,
    points_earned,
    settle_amounts,
)
from buynest.orders.runtime import set_order_service
from buynest.orders.schemas import PlaceOrder
from buynest.orders.service import OrderService, events_for_change
from tests.conftest import FakeContext, load_handler
from tests.unit.coupon_fakes import FakePublisher, bus_event, sqs_event
from tests.unit.order_fakes import FakeCatalog, FakeOrderRepository, FakeWorkflow

ALICE = Principal("alice", "customer")
BOB = Principal("bob", "customer")
ADMIN = Principal("admin", "admin")


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def env() -> Any:
    class Env:
        repo = FakeOrderRepository()
        workflow = FakeWorkflow()
        publisher = FakePublisher()
        clock = Clock()
        service = OrderService(repo, FakeCatalog({"tea": 12000, "cup": 8000}), workflow, publisher, clock=clock)

    return Env()


def request(**overrides: Any) -> PlaceOrder:
    body = {"items": [{"productId": "tea", "quantity": 2}, {"productId": "cup", "quantity": 1}],
            "payment": {"method": "card", "token": "tok_ok"}, **overrides}  # fmt: skip
    return PlaceOrder.model_validate_json(json.dumps(body))


def reply(env: Any, detail_type: str, order_id: str, **data: Any) -> None:
    env.service.on_reply(detail_type, {"orderId": order_id, **data}, order_id)


def test_amounts() -> None:
    assert settle_amounts(30000, 5000, 1000).public() == {
        "subtotal": 30000,
        "discount": 5000,
        "pointsUsed": 1000,
        "total": 24000,
    }
    assert settle_amounts(3000, 5000, 100).public() == {"subtotal": 3000, "discount": 3000, "pointsUsed": 0, "total": 0}
    assert settle_amounts(3000, 1000, 5000).points_used == 2000
    assert points_earned(24099) == 240 and points_earned(99) == 0
    assert merge_lines([("a", 1), ("b", 2), ("a", 3)]) == [("a", 4), ("b", 2)]
    with pytest.raises(InvalidOrder):
        merge_lines([("a", 60), ("a", 41)])


def test_place_snapshots_prices(env: Any) -> None:
    order = env.service.place("alice", request())
    assert order.status == OrderStatus.PENDING and order.amounts.subtotal == 32000
    assert [(line.product_id, line.quantity, line.unit_price) for line in order.lines] == [
        ("tea", 2, 12000),
        ("cup", 1, 8000),
    ]
    assert order.timeline[0]["status"] == "PENDING"
    with pytest.raises(UnknownProduct, match="ghost"):
        env.service.place("alice", request(items=[{"productId": "ghost", "quantity": 1}]))
    with pytest.raises(InvalidOrder, match="pointsToUse"):
        env.service.place("alice", request(pointsToUse=32001))


def test_all_held_reserves_and_starts_the_payment_once(env: Any) -> None:
    order = env.service.place("alice", request(couponId="c1", pointsToUse=1000))
    reply(env, "StockReserved", order.order_id)
    reply(env, "CouponReserved", order.order_id, couponId="c1", discount=3200)
    assert env.repo.get(order.order_id).status == OrderStatus.PENDING and not env.workflow.started
    reply(env, "PointsReserved", order.order_id, points=1000)
    reserved = env.repo.get(order.order_id)
    assert reserved.status == OrderStatus.RESERVED
    assert reserved.amounts.public() == {"subtotal": 32000, "discount": 3200, "pointsUsed": 1000, "total": 27800}
    assert list(env.workflow.started) == [order.order_id]
    reply(env, "PointsReserved", order.order_id, points=1000)  # a redelivery: the workflow start is idempotent
    assert env.repo.get(order.order_id).status == OrderStatus.RESERVED and len(env.workflow.started) == 1


@pytest.mark.parametrize(
    ("detail_type", "reason"),
    [
        ("StockRejected", "OUT_OF_STOCK"),
        ("CouponRejected", "COUPON_INVALID"),
        ("PointsRejected", "INSUFFICIENT_POINTS"),
    ],
)
def test_any_refusal_fails_the_order(env: Any, detail_type: str, reason: str) -> None:
    order = env.service.place("alice", request(couponId="c1", pointsToUse=10))
    reply(env, detail_type, order.order_id, couponId="c1", reason="X")
    failed = env.repo.get(order.order_id)
    assert (failed.status, failed.failure_reason) == (OrderStatus.FAILED, reason)
    assert [t["status"] for t in failed.timeline] == ["PENDING", "FAILED"]


def test_a_hold_that_arrives_after_the_failure_is_answered_with_order_failed(env: Any) -> None:
    order = env.service.place("alice", request(couponId="c1"))
    reply(env, "CouponRejected", order.order_id, couponId="c1", reason="COUPON_EXPIRED")
    reply(env, "StockReserved", order.order_id)
    published = env.publisher.published("OrderFailed")
    assert len(published) == 1 and published[0][1].data["orderId"] == order.order_id
    assert env.repo.get(order.order_id).status == OrderStatus.FAILED and not env.workflow.started


def test_confirm_and_fail_tasks(env: Any) -> None:
    order = env.service.place("alice", request())
    reply(env, "StockReserved", order.order_id)
    confirmed = env.service.confirm(order.order_id, "pay_1")
    assert confirmed.status == OrderStatus.CONFIRMED and confirmed.points_earned == 320
    assert [t["status"] for t in confirmed.timeline] == ["PENDING", "RESERVED", "PAID", "CONFIRMED"]
    assert env.service.confirm(order.order_id, "pay_1").status == OrderStatus.CONFIRMED  # a retried task
    stays = env.service.fail(order.order_id, "PAYMENT_ERROR")  # final stays final, and says so
    assert stays is not None and stays.status == OrderStatus.CONFIRMED
    env.service.cancel(ALICE, order.order_id)
    assert env.service.confirm(order.order_id, "pay_1").status == OrderStatus.CANCELLED  # retried after a cancel

    other = env.service.place("alice", request())
    reply(env, "StockReserved", other.order_id)
    assert env.service.fail(other.order_id, "PAYMENT_DECLINED").failure_reason == "PAYMENT_DECLINED"
    with pytest.raises(NotConfirmable):
        env.service.confirm(other.order_id, "pay_2")


def test_only_the_owner_sees_and_cancels_and_only_when_confirmed(env: Any) -> None:
    order = env.service.place("alice", request())
    with pytest.raises(OrderNotFound):
        env.service.get(BOB, order.order_id)
    assert env.service.get(ADMIN, order.order_id).order_id == order.order_id
    with pytest.raises(NotCancellable):
        env.service.cancel(ALICE, order.order_id)
    reply(env, "StockReserved", order.order_id)
    env.service.confirm(order.order_id, "pay")
    with pytest.raises(OrderNotFound):
        env.service.cancel(BOB, order.order_id)
    assert env.service.cancel(ALICE, order.order_id).status == OrderStatus.CANCELLED
    with pytest.raises(NotCancellable):
        env.service.cancel(ALICE, order.order_id)


def test_the_sweeper_times_out_pending_orders_and_restarts_stuck_workflows(env: Any) -> None:
    stuck = env.service.place("alice", request())
    reserved = env.service.place("alice", request())
    env.repo.record_hold(reserved.order_id, Part.STOCK, 0, "t")
    env.repo.mark_reserved(reserved.order_id, reserved.amounts, "t")
    assert sweep(env, "timedOut", "workflowsStarted") == (0, 0)
    env.clock.now += 60
    assert sweep(env, "timedOut", "workflowsStarted") == (1, 1)
    assert env.repo.get(stuck.order_id).failure_reason == "TIMEOUT"
    assert reserved.order_id in env.workflow.started


def sweep(env: Any, *keys: str) -> tuple[int, ...]:
    done = env.service.sweep()
    return tuple(done[key] for key in keys)


def reserved_order(env: Any) -> Any:
    order = env.service.place("alice", request())
    reply(env, "StockReserved", order.order_id)
    return env.repo.get(order.order_id)


def test_the_sweeper_runs_the_workflow_again_for_a_paid_order_whose_execution_ended(env: Any) -> None:
    """Guards issue 10's sweeper hole: a PAID (or RESERVED) order whose workflow execution failed was ignored
    forever. Now the workflow runs again (a new execution name, every task idempotent per order), one run at a
    time, up to MAX_WORKFLOW_RERUNS, then the order is reported for an operator."""
    from buynest.orders.domain import MAX_WORKFLOW_RERUNS, WorkflowState

    order = reserved_order(env)
    env.repo.mark_paid(order.order_id, "pay_1", "t")
    env.workflow.executions[order.order_id] = WorkflowState.ENDED  # it failed after the capture
    env.clock.now += 60
    assert sweep(env, "workflowsRerun", "running") == (1, 0)
    assert env.repo.get(order.order_id).workflow_run == 1
    assert env.workflow.executions[f"{order.order_id}-run1"] == WorkflowState.RUNNING
    assert sweep(env, "workflowsRerun", "running") == (0, 1)  # one run at a time

    for run in range(1, MAX_WORKFLOW_RERUNS):
        env.workflow.executions[f"{order.order_id}-run{run}"] = WorkflowState.ENDED
        assert sweep(env, "workflowsRerun") == (1,)
    env.workflow.executions[f"{order.order_id}-run{MAX_WORKFLOW_RERUNS}"] = WorkflowState.ENDED
    assert sweep(env, "workflowsRerun", "needsOperator") == (0, 1)


def test_the_sweeper_republishes_a_final_event_the_outbox_never_acknowledged(env: Any) -> None:
    """Guards issue 10's lost outbox events: a final order whose event never reached the bus is published again,
    with the same derived event id (consumers ignore a duplicate), and only until it is acknowledged."""
    lost, delivered = reserved_order(env), reserved_order(env)
    for order in (lost, delivered):
        env.service.confirm(order.order_id, "pay")
    env.repo.mark_published(delivered.order_id, OrderStatus.CONFIRMED)  # what the outbox does after PutEvents
    env.clock.now += 600
    assert sweep(env, "republished") == (1,)
    (entry,) = env.publisher.entries
    assert entry["DetailType"] == "OrderConfirmed"
    assert json.loads(entry["Detail"])["metadata"]["eventId"] == f"{lost.order_id}-OrderConfirmed"
    assert sweep(env, "republished") == (0,)


def test_outbox_events_follow_status_changes(env: Any) -> None:
    order = env.service.place("alice", request(couponId="c1", pointsToUse=500))
    (created,) = events_for_change(None, order)
    detail = json.loads(created["Detail"])
    assert created["DetailType"] == "OrderCreated" and created["Source"] == "buynest.orders"
    assert (
        detail["data"]["subtotal"] == 32000
        and detail["data"]["couponId"] == "c1"
        and detail["data"]["pointsToUse"] == 500
    )
    assert detail["metadata"]["correlationId"] == order.order_id
    reply(env, "StockReserved", order.order_id)
    assert events_for_change(order, env.repo.get(order.order_id)) == []
    before = env.repo.get(order.order_id)
    reply(env, "CouponRejected", order.order_id, couponId="c1", reason="COUPON_EXPIRED")
    (failed,) = events_for_change(before, env.repo.get(order.order_id))
    assert failed["DetailType"] == "OrderFailed" and json.loads(failed["Detail"])["data"]["reason"] == "COUPON_INVALID"
    again = events_for_change(before, env.repo.get(order.order_id))
    assert json.loads(again[0]["Detail"])["metadata"]["eventId"] == json.loads(failed["Detail"])["metadata"]["eventId"]


confirm_task = load_handler("orders/confirm_order")
reply_consumer = load_handler("orders/on_reply")


def test_a_reply_from_a_service_that_does_not_own_it_changes_nothing(env: Any) -> None:
    """Guards the forged reply: a ``CouponReserved`` taking the whole subtotal off, put by the stock owner (or the
    image processor, which parses untrusted files), and holds claimed by the wrong owners, neither reserve the order
    nor set its discount; the owners' own replies then reserve it with the real discount."""
    order = env.service.place("alice", request(couponId="c1", pointsToUse=1000))
    oid = order.order_id

    def deliver(*replies: tuple[str, str, dict[str, Any]]) -> None:
        bodies = [bus_event(kind, {"orderId": oid, **data}, source=source) for source, kind, data in replies]
        assert reply_consumer.handler(sqs_event(*bodies), FakeContext()) == {"batchItemFailures": []}

    set_order_service(env.service)
    try:
        deliver(
            ("buynest.products", "CouponReserved", {"couponId": "c1", "discount": 32_000}),
            ("buynest.images", "StockReserved", {}),
            ("buynest.coupons", "PointsReserved", {"points": 1000}),
            ("buynest.images", "PointsRejected", {}),
        )
        forged = env.repo.get(oid)
        assert forged.status == OrderStatus.PENDING and forged.amounts.discount == 0 and not env.workflow.started
        assert set(forged.holds.values()) == {order.holds[Part.STOCK]}  # every part still waits for its owner

        deliver(
            ("buynest.products", "StockReserved", {}),
            ("buynest.coupons", "CouponReserved", {"couponId": "c1", "discount": 3200}),
            ("buynest.users", "PointsReserved", {"points": 1000}),
        )
        reserved = env.repo.get(oid)
        assert reserved.status == OrderStatus.RESERVED and reserved.amounts.discount == 3200
        assert list(env.workflow.started) == [oid]
    finally:
        set_order_service(None)


def test_the_confirm_task_reads_the_workflow_state(env: Any) -> None:
    # The state machine passes its whole state: its input plus the authorization's result under "payment"
    order = env.service.place("alice", request())
    reply(env, "StockReserved", order.order_id)
    state = {"orderId": order.order_id, "userId": "alice", "amount": 32_000, "tokenKind": "tok_ok",
             "payment": {"paymentId": "pay_1", "status": "AUTHORIZED", "amount": 32_000}}  # fmt: skip
    set_order_service(env.service)
    try:
        assert confirm_task.handler(state, FakeContext()) == {"orderId": order.order_id, "status": "CONFIRMED"}
        assert env.repo.payment_ids[order.order_id] == "pay_1"
        # an order with nothing to pay skips the payment states: no "payment" in its state
        free = env.service.place("alice", request())
        reply(env, "StockReserved", free.order_id)
        no_payment = {"orderId": free.order_id, "userId": "alice", "amount": 0, "tokenKind": "tok_ok"}
        assert confirm_task.handler(no_payment, FakeContext())["status"] == "CONFIRMED"
        assert env.repo.payment_ids[free.order_id] is None
    finally:
        set_order_service(None)
