"""The orders table adapter against moto: every transition is conditional, and the stream image reads back."""

from __future__ import annotations

import time
from typing import Any

import pytest

from buynest.orders.domain import Amounts, Hold, Line, Order, OrderStatus, Part, initial_holds
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
    assert repo.mark_failed("O1", "TIMEOUT", "t6", (OrderStatus.PENDING, OrderStatus.RESERVED)) is None
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
    assert repo.open_order_ids(int(time.time())) == ["O3"]


def test_stream_images_read_back_as_orders(repo: DynamoOrderRepository, aws: dict[str, Any]) -> None:
    repo.create(new_order("O4", coupon=None, points=300), int(time.time()))
    raw = aws["ddb"].get_item(TableName=aws["tables"]["OrdersTable"], Key={"orderId": {"S": "O4"}})["Item"]
    assert order_from_image(raw) == repo.get("O4")
    assert order_from_image(None) is None
