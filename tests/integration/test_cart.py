"""The cart against moto's DynamoDB (the carts and products tables of template.yaml): the API reading the catalog's
current prices and stock, a product deleted while in carts, and the OrderConfirmed consumer taking quantities off
once, however often and in whatever order its events arrive, and never for a failed order."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from buynest.cart.domain import Cart, CartChanged, CartLine
from buynest.cart.runtime import set_cart_service
from buynest.cart.store import DynamoCartRepository
from buynest.core.auth import TokenService, set_token_service
from tests.conftest import api_event, call, load_handler
from tests.integration.saga_fixtures import deliver, deliver_concurrently
from tests.unit.saga_fakes import OrderEvents

HANDLER = "cart/on_order_confirmed"
consumer = load_handler(HANDLER)
get = load_handler("cart/get_cart")
put = load_handler("cart/set_item")
ITEM = "/cart/items/{productId}"


@dataclass
class CartEnv:
    ddb: Any
    tables: dict[str, str]
    token: str

    def product(self, product_id: str, price: int = 1_000, stock: int = 10, name: str = "Thing") -> None:
        self.ddb.put_item(
            TableName=self.tables["ProductsTable"],
            Item={"productId": {"S": product_id}, "name": {"S": name}, "price": {"N": str(price)},
                  "stock": {"N": str(stock)}, "catalog": {"S": "catalog"}, "category": {"S": "c"},
                  "sortKey": {"S": "x"}, "description": {"S": ""}},
        )  # fmt: skip

    def delete_product(self, product_id: str) -> None:
        self.ddb.delete_item(TableName=self.tables["ProductsTable"], Key={"productId": {"S": product_id}})

    def put(self, product_id: str, quantity: int) -> tuple[int, Any]:
        event = api_event("PUT", f"/cart/items/{product_id}", ITEM, body={"quantity": quantity},
                          path_params={"productId": product_id}, token=self.token)  # fmt: skip
        return call(put, event)

    def cart(self) -> dict[str, Any]:
        status, body = call(get, api_event("GET", "/cart", token=self.token))
        assert status == 200
        return body

    def lines(self) -> list[tuple[str, int]]:
        return [(i["productId"], i["quantity"]) for i in self.cart()["items"]]


@pytest.fixture
def env(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[CartEnv]:
    monkeypatch.setenv("CARTS_TABLE", aws["tables"]["CartsTable"])
    tokens = TokenService("c" * 40)
    set_token_service(tokens)
    set_cart_service(None)
    yield CartEnv(aws["ddb"], aws["tables"], tokens.issue("u1", "customer"))
    set_cart_service(None)


def test_the_cart_shows_current_prices_and_stock_and_forgets_deleted_products(env: CartEnv) -> None:
    """Guards reading the catalog at GET time: a repriced product shows its new price, a deleted one is gone."""
    env.product("P1", price=1_000, stock=3, name="Mug")
    env.product("P2", price=500, stock=10)
    assert env.put("P1", 2)[0] == 200 and env.put("P2", 4)[0] == 200

    env.product("P1", price=1_500, stock=1, name="Mug")  # repriced, and stock fell below the line
    env.delete_product("P2")
    cart = env.cart()
    assert cart["items"] == [
        {"productId": "P1", "name": "Mug", "unitPrice": 1_500, "quantity": 2, "lineTotal": 3_000, "inStock": False}
    ]
    assert cart["subtotal"] == 3_000


def test_a_reservation_record_in_the_products_table_is_no_product(env: CartEnv) -> None:
    env.ddb.put_item(
        TableName=env.tables["ProductsTable"], Item={"productId": {"S": "RESERVATION-o1"}, "state": {"S": "RESERVED"}}
    )
    status, error = env.put("RESERVATION-o1", 1)
    assert (status, error["error"]["code"]) == (404, "NOT_FOUND")


def test_a_product_deleted_while_in_carts_frees_its_line_and_orders_still_come_off(env: CartEnv) -> None:
    env.product("P1")
    env.product("P2")
    env.put("P1", 3)
    env.put("P2", 2)
    env.delete_product("P1")

    assert deliver(consumer, OrderEvents("u1", [("P1", 1), ("P2", 1)]).confirmed("o1")) == {"batchItemFailures": []}
    assert env.lines() == [("P2", 1)]
    env.put("P2", 5)  # the next write drops the deleted product's line from the stored cart too
    stored = DynamoCartRepository(env.tables["CartsTable"]).get("u1")
    assert stored.lines == (CartLine("P2", 5),)


def test_a_redelivered_order_confirmed_comes_off_once(env: CartEnv) -> None:
    """Guards the APPLIED marker: the same event in one batch, in a later batch, and from two containers at once."""
    env.product("P1")
    env.put("P1", 10)
    event = OrderEvents("u1", [("P1", 2)]).confirmed("o1")

    assert deliver(consumer, event, event) == {"batchItemFailures": []}
    assert deliver(consumer, event) == {"batchItemFailures": []}
    results = deliver_concurrently(HANDLER, [[event], [event], [event]])
    assert all(r == {"batchItemFailures": []} for r in results)
    assert env.lines() == [("P1", 8)]


def test_orders_come_off_in_either_order_and_a_line_at_zero_goes(env: CartEnv) -> None:
    env.product("P1")
    env.product("P2")
    env.put("P1", 3)
    env.put("P2", 1)
    second = OrderEvents("u1", [("P1", 1), ("P2", 1)]).confirmed("o2")
    first = OrderEvents("u1", [("P1", 1)]).confirmed("o1")

    assert deliver(consumer, second, first, second) == {"batchItemFailures": []}
    assert env.lines() == [("P1", 1)]


def test_an_order_confirmed_before_anything_was_in_the_cart_takes_nothing_when_redelivered(env: CartEnv) -> None:
    env.product("P1")
    event = OrderEvents("u1", [("P1", 2)]).confirmed("o1")
    assert deliver(consumer, event) == {"batchItemFailures": []}
    env.put("P1", 2)
    assert deliver(consumer, event) == {"batchItemFailures": []}
    assert env.lines() == [("P1", 2)]


def test_failed_and_cancelled_orders_leave_the_cart(env: CartEnv) -> None:
    env.product("P1")
    env.put("P1", 2)
    orders = OrderEvents("u1", [("P1", 2)])
    assert deliver(consumer, orders.failed("o1"), orders.cancelled("o2")) == {"batchItemFailures": []}
    assert env.lines() == [("P1", 2)]


def test_another_customers_order_leaves_this_cart(env: CartEnv) -> None:
    env.product("P1")
    env.put("P1", 2)
    assert deliver(consumer, OrderEvents("u2", [("P1", 2)]).confirmed("o1")) == {"batchItemFailures": []}
    assert env.lines() == [("P1", 2)]


def test_a_malformed_event_fails_only_its_record(env: CartEnv) -> None:
    env.product("P1")
    env.put("P1", 2)
    good = OrderEvents("u1", [("P1", 1)]).confirmed("o1")
    bad = OrderEvents("u1").confirmed("o2")
    del bad["detail"]["data"]["items"]
    result = deliver(consumer, bad, good)
    assert len(result["batchItemFailures"]) == 1
    assert env.lines() == [("P1", 1)]


def test_a_save_at_a_stale_version_is_refused(env: CartEnv) -> None:
    repo = DynamoCartRepository(env.tables["CartsTable"])
    repo.save(Cart("u9", (CartLine("P1", 1),), "t1"))
    stale = repo.get("u9")
    repo.save(Cart("u9", (CartLine("P1", 2),), "t2", stale.version))
    with pytest.raises(CartChanged):
        repo.save(Cart("u9", (CartLine("P1", 3),), "t3", stale.version))
    with pytest.raises(CartChanged):
        repo.save_applying(Cart("u9", (), "t3", stale.version), True, "o1")
    with pytest.raises(CartChanged):
        repo.save_applying(Cart("u9", (CartLine("P1", 2),), "t2", stale.version), False, "o1")
    assert repo.get("u9").lines == (CartLine("P1", 2),)
    assert repo.save_applying(repo.get("u9"), False, "o1") is True
