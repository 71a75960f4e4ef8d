"""The outbox function: a batch of the orders table's stream records becomes the order events, sent together (at
most ten per PutEvents call); an unreadable record or a refused call fails only its own records."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest

from buynest.orders.domain import OrderStatus
from buynest.orders.runtime import set_order_events_publisher, set_order_repository
from buynest.orders.store import OrderItem
from tests.conftest import FakeContext, load_handler
from tests.unit.coupon_fakes import FakePublisher

outbox = load_handler("orders/publish_events")


class CountingPublisher(FakePublisher):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[int] = []

    def publish(self, entries: Sequence[Mapping[str, Any]]) -> None:
        self.calls.append(len(entries))
        super().publish(entries)


class Acknowledgements:
    """The orders table's side of the outbox: which final events were marked published."""

    def __init__(self) -> None:
        self.marked: list[tuple[str, OrderStatus]] = []
        self.fail = False

    def mark_published(self, order_id: str, status: OrderStatus) -> bool:
        if self.fail:
            raise RuntimeError("orders table unavailable")
        self.marked.append((order_id, status))
        return True


@pytest.fixture
def acks() -> Iterator[Acknowledgements]:
    table = Acknowledgements()
    set_order_repository(table)
    yield table
    set_order_repository(None)


@pytest.fixture
def bus(acks: Acknowledgements) -> Iterator[CountingPublisher]:
    publisher = CountingPublisher()
    set_order_events_publisher(publisher)
    yield publisher
    set_order_events_publisher(None)


def image(order_id: str, status: str, stock: str = "PENDING") -> dict[str, Any]:
    return dict(
        OrderItem(
            orderId=order_id,
            userId="u1",
            userSort=f"2026-11-27T10:00:00Z#{order_id}",
            status=status,
            lines=[{"productId": "P1", "quantity": 1, "unitPrice": 1000, "name": "Mug"}],
            subtotal=1000,
            discount=0,
            pointsToUse=0,
            pointsUsed=0,
            pointsEarned=10 if status == "CONFIRMED" else 0,
            tokenKind="tok_ok",
            createdAt="2026-11-27T10:00:00Z",
            updatedAt="2026-11-27T10:00:00Z",
            timeline=[{"status": status, "at": "2026-11-27T10:00:00Z"}],
            stock=stock,
            coupon="NONE",
            points="NONE",
        ).serialize()
    )


def record(seq: int, new: dict[str, Any] | None, old: dict[str, Any] | None = None) -> dict[str, Any]:
    change: dict[str, Any] = {"SequenceNumber": str(seq), "Keys": {"orderId": {"S": "x"}}}
    if new is not None:
        change["NewImage"] = new
    if old is not None:
        change["OldImage"] = old
    return {"eventID": str(seq), "eventName": "MODIFY" if old else "INSERT", "eventSource": "aws:dynamodb",
            "dynamodb": change}  # fmt: skip


def run(*records: dict[str, Any]) -> list[str]:
    result = outbox.handler({"Records": list(records)}, FakeContext())
    return [failure["itemIdentifier"] for failure in result["batchItemFailures"]]


def test_a_batch_of_changes_goes_out_in_one_call(bus: CountingPublisher) -> None:
    failed = run(
        record(1, image("o1", "PENDING")),
        record(2, image("o2", "PENDING", stock="OK"), image("o2", "PENDING")),  # a hold: no event
        record(3, image("o3", "CONFIRMED"), image("o3", "PAID")),
        record(4, image("o4", "FAILED"), image("o4", "PENDING")),
    )
    assert failed == []
    assert bus.calls == [3]
    assert [(kind, env.data["orderId"]) for kind, env in bus.published()] == [
        ("OrderCreated", "o1"),
        ("OrderConfirmed", "o3"),
        ("OrderFailed", "o4"),
    ]


def test_more_than_ten_events_take_more_calls(bus: CountingPublisher) -> None:
    assert run(*(record(i, image(f"o{i}", "PENDING")) for i in range(23))) == []
    assert bus.calls == [10, 10, 3]
    assert len(bus.published("OrderCreated")) == 23


def test_an_unreadable_record_fails_alone(bus: CountingPublisher) -> None:
    failed = run(
        record(1, image("o1", "PENDING")), record(2, {"orderId": {"S": "o2"}}), record(3, image("o3", "PENDING"))
    )
    assert failed == ["2"]
    assert [env.data["orderId"] for _, env in bus.published()] == ["o1", "o3"]


def test_a_refused_call_fails_its_records(bus: CountingPublisher) -> None:
    bus.fail_next = True
    failed = run(*(record(i, image(f"o{i}", "PENDING")) for i in range(12)))
    assert failed == [str(i) for i in range(10)]  # the first call's ten; the second call's two went out
    assert [env.data["orderId"] for _, env in bus.published()] == ["o10", "o11"]


def test_final_events_on_the_bus_are_acknowledged_and_only_then(bus: CountingPublisher, acks: Acknowledgements) -> None:
    """Guards the lost-event recovery: a final order is marked published only once its event is on the bus (the
    sweeper republishes what stays unmarked); a creation needs no mark, and a failed mark fails nothing."""
    assert run(record(1, image("o1", "PENDING")), record(2, image("o2", "CONFIRMED"), image("o2", "PAID"))) == []
    assert acks.marked == [("o2", OrderStatus.CONFIRMED)]

    bus.fail_next = True
    assert run(record(3, image("o3", "FAILED"), image("o3", "PENDING"))) == ["3"]
    assert acks.marked == [("o2", OrderStatus.CONFIRMED)]

    acks.fail = True
    assert run(record(4, image("o4", "CANCELLED"), image("o4", "CONFIRMED"))) == []
    assert [kind for kind, _ in bus.published()][-1] == "OrderCancelled"
