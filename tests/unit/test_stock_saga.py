"""Stock's part in the order saga, through the SQS handler, on in-memory fakes: reserve all lines or none, reject
with the product that fell short, commit, give back once, and change nothing twice under repeats and disorder."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from buynest.core.hold import HoldState
from buynest.core.retry import Backoff
from buynest.products.domain import Line, TooManyProducts, merge_lines
from buynest.products.messages import (
    ORDER_EVENTS,
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderFailed,
    StockRejected,
    StockReserved,
)
from buynest.products.runtime import set_stock_saga
from buynest.products.saga import StockSaga
from tests.conftest import FakeContext, load_handler
from tests.unit.saga_fakes import FakePublisher, FakeStockLedger, OrderEvents, bus_event, check_owner_wiring, sqs_event

consumer = load_handler("products/on_order_event")


@dataclass
class World:
    ledger: FakeStockLedger
    publisher: FakePublisher
    orders: OrderEvents
    pauses: list[float]

    def deliver(self, *events: dict[str, Any] | str) -> dict[str, Any]:
        result: dict[str, Any] = consumer.handler(sqs_event(*events), FakeContext())
        return result

    def replies(self) -> list[tuple[str, dict[str, Any]]]:
        return [(kind, envelope.data) for kind, envelope in self.publisher.published()]

    def state(self, order_id: str) -> HoldState | None:
        stored = self.ledger.get(order_id)
        return stored.state if stored else None


@pytest.fixture
def world() -> Iterator[World]:
    ledger, publisher, pauses = FakeStockLedger({"P1": 5, "P2": 3}), FakePublisher(), []
    set_stock_saga(StockSaga(ledger, publisher, backoff=Backoff(sleep=pauses.append, jitter=lambda low, high: high)))
    yield World(ledger, publisher, OrderEvents(lines=[("P1", 2), ("P2", 1)]), pauses)
    set_stock_saga(None)


def test_order_created_takes_every_line_and_replies_stock_reserved(world: World) -> None:
    assert world.deliver(world.orders.created("o1")) == {"batchItemFailures": []}
    assert world.ledger.stock == {"P1": 3, "P2": 2}
    assert world.state("o1") == HoldState.RESERVED
    [(kind, envelope)] = world.publisher.published()
    assert kind == "StockReserved" and StockReserved.model_validate(envelope.data) == StockReserved(order_id="o1")
    assert envelope.metadata.correlation_id == "corr-o1" and envelope.metadata.event_version == 1
    assert world.publisher.entries[0]["Source"] == "buynest.products"


def test_repeated_products_are_reserved_as_one_line(world: World) -> None:
    world.deliver(world.orders.created("o1", lines=[("P1", 2), ("P2", 1), ("P1", 3)]))
    assert world.ledger.stock == {"P1": 0, "P2": 2}
    stored = world.ledger.get("o1")
    assert stored is not None and stored.lines == (Line("P1", 5), Line("P2", 1))


def test_a_short_line_rejects_the_order_and_takes_nothing(world: World) -> None:
    world.deliver(world.orders.created("o1", lines=[("P1", 1), ("P2", 4)]))
    assert world.ledger.stock == {"P1": 5, "P2": 3}
    assert world.replies() == [("StockRejected", {"orderId": "o1", "reason": "OUT_OF_STOCK", "productId": "P2"})]
    assert world.state("o1") == HoldState.REJECTED


def test_an_unknown_product_is_out_of_stock(world: World) -> None:
    world.deliver(world.orders.created("o1", lines=[("GONE", 1)]))
    [(kind, data)] = world.replies()
    assert kind == "StockRejected" and StockRejected.model_validate(data).product_id == "GONE"


def test_a_repeated_order_created_republishes_the_stored_answer_and_takes_once(world: World) -> None:
    world.deliver(world.orders.created("o1"), world.orders.created("o2", lines=[("P2", 9)]))
    world.deliver(world.orders.created("o1"), world.orders.created("o2", lines=[("P2", 9)]))
    assert world.ledger.stock == {"P1": 3, "P2": 2}
    assert [(kind, data["orderId"]) for kind, data in world.replies()] == [
        ("StockReserved", "o1"),
        ("StockRejected", "o2"),
        ("StockReserved", "o1"),
        ("StockRejected", "o2"),
    ]


def test_a_failed_order_gives_its_stock_back_once(world: World) -> None:
    world.deliver(world.orders.created("o1"))
    world.deliver(world.orders.failed("o1"), world.orders.failed("o1"))
    world.deliver(world.orders.failed("o1"), world.orders.cancelled("o1"))
    assert world.ledger.stock == {"P1": 5, "P2": 3}
    assert world.state("o1") == HoldState.RELEASED
    assert [kind for kind, _ in world.replies()] == ["StockReserved"]


def test_a_rejected_order_that_fails_gives_nothing_back(world: World) -> None:
    world.deliver(world.orders.created("o1", lines=[("P1", 1), ("P2", 4)]), world.orders.failed("o1"))
    assert world.ledger.stock == {"P1": 5, "P2": 3} and world.state("o1") == HoldState.REJECTED


def test_an_order_that_failed_before_its_created_event_takes_nothing(world: World) -> None:
    # Given the failure overtook the creation (e.g. the order timed out while this queue was backed up)
    world.deliver(world.orders.failed("o1"))
    assert world.state("o1") == HoldState.RELEASED

    # When the creation arrives, Then nothing is taken and no reply is sent (the order is already final)
    world.deliver(world.orders.created("o1"), world.orders.created("o1"))
    assert world.ledger.stock == {"P1": 5, "P2": 3}
    assert world.publisher.entries == []


def test_confirm_commits_and_cancel_of_the_confirmed_order_restocks_once(world: World) -> None:
    world.deliver(world.orders.created("o1"))
    world.deliver(world.orders.confirmed("o1"), world.orders.confirmed("o1"))
    assert world.state("o1") == HoldState.COMMITTED and world.ledger.stock == {"P1": 3, "P2": 2}

    world.deliver(world.orders.cancelled("o1"), world.orders.cancelled("o1"), world.orders.confirmed("o1"))
    assert world.state("o1") == HoldState.RELEASED and world.ledger.stock == {"P1": 5, "P2": 3}


def test_confirm_of_an_unknown_or_released_order_changes_nothing(world: World) -> None:
    world.deliver(world.orders.confirmed("o-unknown"))
    assert world.ledger.get("o-unknown") is None
    world.deliver(world.orders.created("o1"), world.orders.failed("o1"), world.orders.confirmed("o1"))
    assert world.state("o1") == HoldState.RELEASED and world.ledger.stock == {"P1": 5, "P2": 3}


def test_restock_skips_a_product_deleted_meanwhile(world: World) -> None:
    world.deliver(world.orders.created("o1"))
    del world.ledger.stock["P1"]
    world.deliver(world.orders.failed("o1"))
    assert world.ledger.stock == {"P2": 3} and world.state("o1") == HoldState.RELEASED


def test_conflicts_are_retried_with_growing_pauses(world: World) -> None:
    world.ledger.contention = 2
    assert world.deliver(world.orders.created("o1")) == {"batchItemFailures": []}
    assert world.ledger.stock == {"P1": 3, "P2": 2} and world.pauses == [0.02, 0.04]
    world.ledger.contention = 1
    world.deliver(world.orders.failed("o1"))
    assert world.ledger.stock == {"P1": 5, "P2": 3}


def test_endless_conflicts_fail_the_record_for_redelivery(world: World) -> None:
    event = world.orders.created("o1")
    world.ledger.contention = 4
    assert len(world.deliver(event)["batchItemFailures"]) == 1
    assert world.ledger.get("o1") is None and world.publisher.entries == []
    assert world.deliver(event) == {"batchItemFailures": []}
    assert world.ledger.stock == {"P1": 3, "P2": 2}


def test_a_reply_the_bus_refused_is_sent_when_the_event_comes_again(world: World) -> None:
    event = world.orders.created("o1")
    world.publisher.fail_next = True
    assert len(world.deliver(event)["batchItemFailures"]) == 1
    assert world.ledger.stock == {"P1": 3, "P2": 2} and world.publisher.entries == []
    assert world.deliver(event) == {"batchItemFailures": []}
    assert world.ledger.stock == {"P1": 3, "P2": 2}
    assert [kind for kind, _ in world.replies()] == ["StockReserved"]


def test_bad_records_fail_alone_and_other_events_are_ignored(world: World) -> None:
    event = sqs_event(
        "not json",
        bus_event("OrderCreated", {"orderId": "o9"}),
        bus_event("ProductUpdated", {"productId": "P1"}),
        bus_event("OrderCreated", {"orderId": "o8", "items": [{"productId": "P1", "quantity": 5}]}, source="buynest.x"),
        world.orders.created("o1"),
    )
    ids = [r["messageId"] for r in event["Records"]]
    result = consumer.handler(event, FakeContext())
    assert sorted(f["itemIdentifier"] for f in result["batchItemFailures"]) == sorted(ids[:2])
    assert world.ledger.stock == {"P1": 3, "P2": 2} and world.ledger.get("o8") is None


def test_every_order_event_orders_publishes_is_understood() -> None:
    orders = OrderEvents(lines=[("P1", 2)])
    for event, model in [
        (orders.created("o1", points_to_use=100), OrderCreated),
        (orders.confirmed("o1", 100, 100, 10), OrderConfirmed),
        (orders.failed("o1", 100), OrderFailed),
        (orders.cancelled("o1", 100, 100, 10), OrderCancelled),
    ]:
        parsed = ORDER_EVENTS.parse(event["detail-type"], event["detail"]["data"])
        assert isinstance(parsed, model) and parsed.order_id == "o1"


def test_an_order_too_big_for_one_transaction_is_refused() -> None:
    assert merge_lines([("A", 1), ("B", 2), ("A", 3)]) == (Line("A", 4), Line("B", 2))
    with pytest.raises(TooManyProducts):
        merge_lines((f"P{i}", 1) for i in range(100))


def test_the_consumer_gets_every_order_event_through_its_own_queue() -> None:
    check_owner_wiring("products", "ProductsTable")
