"""The orders table adapter against moto: every transition is conditional, and the stream image reads back."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest

from buynest.orders.domain import Amounts, Hold, Line, Order, OrderStatus, Part, Step, initial_holds
from buynest.orders.store import DynamoOrderRepository, order_from_image


def new_order(order_id: str = "O1", coupon: str | None = "C1", points: int = 0) -> Order:
    return Order(
        order_id=order_id, user_id="alice", status=OrderStatus.PENDING,
        lines=[Line("P1", 2, 5000, "Tea")], amounts=Amounts(subtotal=10000), created_at="2026-11-27T10:00:00Z",
        updated_at="2026-11-27T10:00:00Z", coupon_id=coupon, points_to_use=points, token_kind="tok_ok",
        holds=initial_holds(coupon, points), timeline=[{"status": "PENDING", "at": "2026-11-27T10:00:00Z"}],
    )  # fmt: skip


@pytest.fixture
def repo(aws: dict[str, Any]) -> DynamoOrderRepository:
    return DynamoOrderRepository(aws["tables"]["OrdersTable"])


def test_the_happy_path_moves_once(repo: DynamoOrderRepository) -> None:
    repo.create(new_order(), int(time.time()))
    assert repo.record_hold("O1", Part.STOCK, 0, "t1") is not None
    assert repo.record_hold("O1", Part.STOCK, 0, "t1") is None  # a duplicate reply changes nothing
    held = repo.record_hold("O1", Part.COUPON, 1500, "t2")
    assert held is not None and held.holds == {Part.STOCK: Hold.OK, Part.COUPON: Hold.OK, Part.POINTS: Hold.NONE}
    reserved = repo.mark_reserved("O1", Amounts(10000, 1500, 0), "t3")
    assert reserved is not None and reserved.amounts.total == 8500
    assert repo.mark_reserved("O1", Amounts(10000, 1500, 0), "t3") is None
    assert repo.mark_paid("O1", "pay-1", "t4") is not None
    confirmed = repo.mark_confirmed("O1", 85, "t5")
    assert confirmed is not None and confirmed.points_earned == 85
    assert [t["status"] for t in confirmed.timeline] == ["PENDING", "RESERVED", "PAID", "CONFIRMED"]
    assert repo.mark_failed("O1", "TIMEOUT", "t6", Step.FAIL) is None
    assert repo.mark_cancelled("O1", "mallory", "t7") is None
    assert repo.mark_cancelled("O1", "alice", "t7").status == OrderStatus.CANCELLED  # type: ignore[union-attr]


def test_a_rejection_fails_the_order_and_closes_it(repo: DynamoOrderRepository) -> None:
    opened = int(time.time()) - 120
    repo.create(new_order("O2"), opened)
    repo.create(new_order("O3"), opened)
    assert set(repo.open_order_ids(int(time.time()))) == {"O2", "O3"}
    failed = repo.record_rejection("O2", Part.COUPON, "COUPON_INVALID", "t1")
    assert failed is not None and (failed.status, failed.failure_reason) == (OrderStatus.FAILED, "COUPON_INVALID")
    assert repo.record_hold("O2", Part.STOCK, 0, "t2") is None
    assert list(repo.open_order_ids(int(time.time()))) == ["O3"]


def test_stream_images_read_back_as_orders(repo: DynamoOrderRepository, aws: dict[str, Any]) -> None:
    repo.create(new_order("O4", coupon=None, points=300), int(time.time()))
    raw = aws["ddb"].get_item(TableName=aws["tables"]["OrdersTable"], Key={"orderId": {"S": "O4"}})["Item"]
    assert order_from_image(raw) == repo.get("O4")
    assert order_from_image(None) is None


def _sweeper(repo: DynamoOrderRepository) -> tuple[Any, Any, Any]:
    from buynest.orders.service import OrderService
    from tests.unit.coupon_fakes import FakePublisher
    from tests.unit.order_fakes import FakeCatalog, FakeWorkflow

    workflow, publisher = FakeWorkflow(), FakePublisher()
    clock = [time.time()]
    service = OrderService(repo, FakeCatalog({}), workflow, publisher, clock=lambda: clock[0], pending_timeout=60)
    return service, workflow, (publisher, clock)


def test_the_sweeper_pages_past_any_number_of_stuck_orders(repo: DynamoOrderRepository) -> None:
    """Guards issue 10's sweeper hole: it took the 200 oldest open orders, so 200 stuck ones (here RESERVED with a
    running workflow) hid every newer PENDING order from it. It pages through every open order now (the index,
    no scan)."""
    service, workflow, (_, clock) = _sweeper(repo)
    opened = int(clock[0]) - 3600
    for i in range(205):
        stuck = replace(new_order(f"S{i:03d}", coupon=None), status=OrderStatus.RESERVED)
        repo.create(stuck, opened + i)
        workflow.start(stuck)
    repo.create(new_order("NEWEST", coupon=None), opened + 1000)

    done = service.sweep()
    assert (done["timedOut"], done["running"]) == (1, 205)
    newest = repo.get("NEWEST")
    assert newest is not None and (newest.status, newest.failure_reason) == (OrderStatus.FAILED, "TIMEOUT")


def test_a_final_event_lost_by_the_outbox_is_published_again_until_acknowledged(repo: DynamoOrderRepository) -> None:
    """Guards issue 10's lost outbox events: a final order stays UNPUBLISHED in the index until the outbox marks
    its event published; the sweeper republishes the unmarked ones (same event id) and marks them."""
    service, _, (publisher, clock) = _sweeper(repo)
    for order_id in ("LOST", "DELIVERED"):
        repo.create(new_order(order_id, coupon=None), int(clock[0]))
        repo.record_rejection(order_id, Part.STOCK, "OUT_OF_STOCK", "t")
    assert repo.mark_published("DELIVERED", OrderStatus.FAILED)
    assert not repo.mark_published("DELIVERED", OrderStatus.FAILED)  # once

    assert service.sweep()["republished"] == 0  # within the grace period the outbox may still deliver it
    clock[0] += 600
    assert service.sweep()["republished"] == 1
    (entry,) = publisher.entries
    assert (entry["DetailType"], entry["Source"]) == ("OrderFailed", "buynest.orders")
    assert '"eventId":"LOST-OrderFailed"' in entry["Detail"].replace(" ", "")
    assert service.sweep()["republished"] == 0
    assert list(repo.unpublished_order_ids(int(clock[0]))) == []
