"""Stock's part in the order saga against moto's DynamoDB (the products table from template.yaml): SQS-shaped
batches of bus events through the consumer reserve, commit and give back stock with real transactions; a rush never
oversells; repeats and disorder change nothing twice; replies reach the bus."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from buynest.core.events import set_events_client
from buynest.core.hold import HoldState
from buynest.products.domain import Product, ProductNotFound, StockHold
from buynest.products.runtime import set_stock_saga
from buynest.products.saga import StockSaga
from buynest.products.service import ProductService
from buynest.products.store import DynamoProductRepository, DynamoStockLedger
from tests.conftest import load_handler
from tests.integration.coupons_fixtures import serialize_dynamodb
from tests.integration.saga_fixtures import BusTap, Watcher, deliver, deliver_concurrently
from tests.unit.saga_fakes import FakePublisher, OrderEvents

HANDLER = "products/on_order_event"
consumer = load_handler(HANDLER)


@dataclass
class StockEnv:
    table: str
    ddb: Any
    ledger: DynamoStockLedger
    products: ProductService
    publisher: FakePublisher

    def product(self, **overrides: Any) -> Product:
        fields: dict[str, Any] = {"name": "Mug", "description": "", "price": 1_000, "stock": 10, "category": "kitchen"}
        return self.products.create(**{**fields, **overrides})

    def stock(self, product_id: str) -> int:
        item = self.ddb.get_item(TableName=self.table, Key={"productId": {"S": product_id}}, ConsistentRead=True)
        return int(item["Item"]["stock"]["N"])

    def state(self, order_id: str) -> HoldState | None:
        stored = self.ledger.get(order_id)
        return stored.state if stored else None

    def replies(self) -> list[tuple[str, dict[str, Any]]]:
        return [(kind, envelope.data) for kind, envelope in self.publisher.published()]

    def warm_up(self) -> None:
        """Create the adapter's clients before a rush (in Lambda each container does this once; here 30 threads
        racing to build the same clients would measure botocore, not the saga)."""
        self.ledger.reserve(StockHold.reserved("warm-up", (), "2026-11-27T10:00:00Z"))
        self.ledger.get("warm-up")


@pytest.fixture
def env(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[StockEnv]:
    serialize_dynamodb(monkeypatch)
    table = aws["tables"]["ProductsTable"]
    ledger, publisher = DynamoStockLedger(table), FakePublisher()
    set_stock_saga(StockSaga(ledger, publisher))
    yield StockEnv(table, aws["ddb"], ledger, ProductService(DynamoProductRepository(table)), publisher)
    set_stock_saga(None)


def test_thirty_buyers_for_ten_units_get_exactly_ten_reservations(env: StockEnv) -> None:
    # Given 10 units of one product
    mug = env.product(stock=10)
    orders = OrderEvents(lines=[(mug.product_id, 1)])
    env.warm_up()

    # When 30 orders for 1 unit each arrive at the same moment, each in its own consumer
    with Watcher(lambda: env.stock(mug.product_id)) as watcher:
        results = deliver_concurrently(HANDLER, [[orders.created(f"o{i:02}")] for i in range(30)])

    # Then exactly 10 are reserved and 20 rejected, and the stock ends at 0 without ever going below
    assert all(result == {"batchItemFailures": []} for result in results)
    kinds = Counter(kind for kind, _ in env.replies())
    assert kinds == {"StockReserved": 10, "StockRejected": 20}
    rejected = [data for kind, data in env.replies() if kind == "StockRejected"]
    assert all(data["reason"] == "OUT_OF_STOCK" and data["productId"] == mug.product_id for data in rejected)
    assert env.stock(mug.product_id) == 0 and min(watcher.seen) == 0 and len(watcher.seen) > 1
    states = Counter(env.state(f"o{i:02}") for i in range(30))
    assert states == {HoldState.RESERVED: 10, HoldState.REJECTED: 20}

    # And the reservation records stay out of the catalog
    listed, _ = env.products.list(None, 100, None)
    assert [p.product_id for p in listed] == [mug.product_id]
    assert [p.product_id for p in env.products.list("kitchen", 100, None)[0]] == [mug.product_id]


def test_a_release_restores_stock_exactly_once_however_often_the_failure_comes(env: StockEnv) -> None:
    mug, cup = env.product(stock=5), env.product(name="Cup", stock=5)
    orders = OrderEvents(lines=[(mug.product_id, 2), (cup.product_id, 1), (mug.product_id, 1)])
    deliver(consumer, orders.created("o1"))
    assert (env.stock(mug.product_id), env.stock(cup.product_id)) == (2, 4)

    results = deliver_concurrently(HANDLER, [[orders.failed("o1")], [orders.failed("o1"), orders.failed("o1")]])
    deliver(consumer, orders.cancelled("o1"), orders.created("o1"))

    assert all(result == {"batchItemFailures": []} for result in results)
    assert (env.stock(mug.product_id), env.stock(cup.product_id)) == (5, 5)
    assert env.state("o1") == HoldState.RELEASED
    assert [kind for kind, _ in env.replies()] == ["StockReserved"]


def test_repeats_of_order_created_take_once_and_answer_the_same(env: StockEnv) -> None:
    mug = env.product(stock=3)
    orders = OrderEvents(lines=[(mug.product_id, 2)])
    deliver(consumer, orders.created("o1"), orders.created("o2"), orders.created("o1"))
    deliver(consumer, orders.created("o2"))
    assert env.stock(mug.product_id) == 1
    assert [(kind, data["orderId"]) for kind, data in env.replies()] == [
        ("StockReserved", "o1"),
        ("StockRejected", "o2"),
        ("StockReserved", "o1"),
        ("StockRejected", "o2"),
    ]


def test_confirm_then_cancel_restocks_and_skips_a_deleted_product(env: StockEnv) -> None:
    mug, cup = env.product(stock=5), env.product(name="Cup", stock=5)
    orders = OrderEvents(lines=[(mug.product_id, 2), (cup.product_id, 3)])
    deliver(consumer, orders.created("o1"), orders.confirmed("o1"), orders.confirmed("o1"))
    assert env.state("o1") == HoldState.COMMITTED

    env.products.delete(cup.product_id)
    deliver(consumer, orders.cancelled("o1"), orders.cancelled("o1"), orders.confirmed("o1"))

    assert env.stock(mug.product_id) == 5 and env.products.get(mug.product_id).stock == 5
    assert env.state("o1") == HoldState.RELEASED
    with pytest.raises(ProductNotFound):
        env.products.get(cup.product_id)


def test_a_failure_that_overtakes_the_creation_leaves_a_tombstone(env: StockEnv) -> None:
    mug = env.product(stock=5)
    orders = OrderEvents(lines=[(mug.product_id, 1)])
    deliver(consumer, orders.failed("o1"))
    deliver(consumer, orders.created("o1"))
    assert env.stock(mug.product_id) == 5 and env.publisher.entries == []
    item = env.ddb.get_item(TableName=env.table, Key={"productId": {"S": "RESERVATION#o1"}})["Item"]
    assert item["state"]["S"] == "RELEASED" and not {"catalog", "category", "sortKey"} & item.keys()


def test_the_products_api_never_shows_or_changes_a_reservation(env: StockEnv) -> None:
    mug = env.product(stock=5)
    deliver(consumer, OrderEvents(lines=[(mug.product_id, 1)]).created("o1"))
    for attempt in (
        lambda: env.products.get("RESERVATION#o1"),
        lambda: env.products.update("RESERVATION#o1", {"stock": 99}),
        lambda: env.products.delete("RESERVATION#o1"),
    ):
        with pytest.raises(ProductNotFound):
            attempt()
    assert env.state("o1") == HoldState.RESERVED


def test_a_line_naming_a_reservation_is_out_of_stock(env: StockEnv) -> None:
    mug = env.product(stock=5)
    deliver(consumer, OrderEvents(lines=[(mug.product_id, 1)]).created("o1"))
    deliver(consumer, OrderEvents(lines=[("RESERVATION#o1", 1)]).created("o2"))
    rejected = {"orderId": "o2", "reason": "OUT_OF_STOCK", "productId": "RESERVATION#o1"}
    assert env.replies()[-1] == ("StockRejected", rejected)
    assert env.state("o1") == HoldState.RESERVED and env.state("o2") == HoldState.REJECTED


def test_the_consumer_built_from_the_environment_replies_on_the_bus(
    env: StockEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the runtime's own saga (DynamoDB + EventBridge from the environment) and a tap on the bus
    monkeypatch.setenv("EVENT_BUS_NAME", "buynest")
    set_stock_saga(None)
    set_events_client(None)
    tap = BusTap.create("buynest", "buynest.products")
    mug = env.product(stock=1)
    orders = OrderEvents(lines=[(mug.product_id, 1)])

    # When two orders want the last unit
    deliver(consumer, orders.created("o1"), orders.created("o2"))

    # Then the bus carries one reservation and one rejection, each correlated with its order's flow
    received = {envelope.data["orderId"]: (source, kind, envelope) for source, kind, envelope in tap.received()}
    assert {order: (source, kind) for order, (source, kind, _) in received.items()} == {
        "o1": ("buynest.products", "StockReserved"),
        "o2": ("buynest.products", "StockRejected"),
    }
    assert received["o2"][2].data == {"orderId": "o2", "reason": "OUT_OF_STOCK", "productId": mug.product_id}
    assert received["o1"][2].metadata.correlation_id == "corr-o1"
    set_events_client(None)
