"""The cart end to end, as a shopper uses it: lines at the catalog's current prices and stock, the limits and their
4xx, repriced and deleted products seen at once, and orders taking their quantities off the cart only once they
are confirmed (through the bus: OrderConfirmed -> the cart's queue -> its consumer)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import Api, wait_for
from tests.e2e.test_orders import final, order


@pytest.fixture
def make_product(api: Api, admin: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    def make(price: int = 10_000, stock: int = 10) -> dict[str, Any]:
        body = {"name": f"Cart item {uuid.uuid4().hex[:6]}", "description": "", "price": price, "stock": stock,
                "category": "e2e-cart"}  # fmt: skip
        resp = api.post("/products", json=body, token=admin["token"])
        assert resp.status_code == 201, resp.text
        return resp.json()

    return make


def put(api: Api, token: str, product_id: str, quantity: Any) -> Any:
    return api.request("PUT", f"/cart/items/{product_id}", token=token, json={"quantity": quantity})


def lines(api: Api, token: str) -> list[tuple[str, int]]:
    resp = api.get("/cart", token=token)
    assert resp.status_code == 200, resp.text
    return [(i["productId"], i["quantity"]) for i in resp.json()["items"]]


def test_a_cart_is_kept_priced_and_emptied(
    api: Api, admin: dict[str, Any], new_customer: Callable[..., Any], make_product: Callable[..., Any]
) -> None:
    token = new_customer()["token"]
    mug, tea = make_product(price=12_000, stock=5), make_product(price=3_000, stock=1)

    empty = api.get("/cart", token=token)
    assert (empty.status_code, empty.json()) == (200, {"items": [], "subtotal": 0, "updatedAt": None})
    assert put(api, token, mug["productId"], 2).status_code == 200
    resp = put(api, token, tea["productId"], 2)
    assert resp.status_code == 200
    cart = resp.json()
    assert cart["items"] == [
        {"productId": mug["productId"], "name": mug["name"], "unitPrice": 12_000, "quantity": 2, "lineTotal": 24_000,
         "inStock": True},
        {"productId": tea["productId"], "name": tea["name"], "unitPrice": 3_000, "quantity": 2, "lineTotal": 6_000,
         "inStock": False},
    ]  # fmt: skip
    assert cart["subtotal"] == 30_000 and cart["updatedAt"]

    # Repriced and deleted by an admin: the cart shows it at once
    assert api.patch(f"/products/{mug['productId']}", json={"price": 10_000}, token=admin["token"]).status_code == 200
    assert api.delete(f"/products/{tea['productId']}", token=admin["token"]).status_code == 204
    cart = api.get("/cart", token=token).json()
    assert [(i["productId"], i["unitPrice"], i["lineTotal"]) for i in cart["items"]] == [
        (mug["productId"], 10_000, 20_000)
    ]
    assert cart["subtotal"] == 20_000

    removed = api.delete(f"/cart/items/{mug['productId']}", token=token)
    assert (removed.status_code, removed.json()["items"]) == (200, [])
    put(api, token, mug["productId"], 1)
    assert api.delete("/cart", token=token).status_code == 204
    assert lines(api, token) == []


def test_bad_cart_requests(
    api: Api, admin: dict[str, Any], new_customer: Callable[..., Any], make_product: Callable[..., Any]
) -> None:
    token, pid = new_customer()["token"], make_product()["productId"]
    for quantity in (0, 101, "1", 1.5):
        resp = put(api, token, pid, quantity)
        assert (resp.status_code, resp.json()["error"]["code"]) == (400, "VALIDATION_ERROR"), quantity
        assert "quantity" in resp.json()["error"]["message"]
    unknown = put(api, token, "01NOSUCHPRODUCT00000000000", 1)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "NOT_FOUND")
    assert api.get("/cart").status_code == 401
    assert put(api, admin["token"], pid, 1).status_code == 403
    assert lines(api, token) == []


def test_the_51st_product_is_cart_full(
    api: Api, new_customer: Callable[..., Any], make_product: Callable[..., Any]
) -> None:
    token = new_customer()["token"]
    products = [make_product()["productId"] for _ in range(51)]
    for pid in products[:50]:
        assert put(api, token, pid, 1).status_code == 200
    full = put(api, token, products[50], 1)
    assert (full.status_code, full.json()["error"]["code"]) == (409, "CART_FULL")
    assert put(api, token, products[0], 3).status_code == 200  # a line of a full cart may still change
    assert len(lines(api, token)) == 50


def test_a_confirmed_order_takes_its_lines_off_and_a_failed_one_leaves_them(
    api: Api, new_customer: Callable[..., Any], make_product: Callable[..., Any]
) -> None:
    token = new_customer()["token"]
    mug, tea = make_product(stock=10)["productId"], make_product(stock=10)["productId"]
    put(api, token, mug, 3)
    put(api, token, tea, 1)

    failed = final(api, token, order(api, token, [(mug, 3), (tea, 1)], payment="tok_decline")["orderId"], timeout=45)
    assert failed["status"] == "FAILED"
    # When the order is confirmed, with the cart's lines partly
    done = final(api, token, order(api, token, [(mug, 2), (tea, 1)])["orderId"], timeout=45)
    assert done["status"] == "CONFIRMED"
    # Then the ordered quantities come off (the tea line goes), and the failed order took nothing
    wait_for(lambda: lines(api, token) == [(mug, 1)], timeout=30, what="the confirmed order taken off the cart")


def order_the_cart(api: Api, token: str, payment: str = "tok_ok", **extra: Any) -> dict[str, Any]:
    """POST /orders without items: the cart's lines are ordered."""
    body = {"payment": {"method": "card", "token": payment}, **extra}
    resp = api.post("/orders", json=body, token=token, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert resp.status_code == 202, resp.text
    return resp.json()


def test_ordering_the_cart_empties_it_once_confirmed_and_a_declined_one_leaves_it(
    api: Api, new_customer: Callable[..., Any], make_product: Callable[..., Any]
) -> None:
    token = new_customer()["token"]
    mug, tea = make_product(price=12_000, stock=10)["productId"], make_product(price=3_000, stock=10)["productId"]
    # An empty cart cannot be ordered
    empty = api.post("/orders", json={"payment": {"method": "card", "token": "tok_ok"}}, token=token,
                     headers={"Idempotency-Key": uuid.uuid4().hex})  # fmt: skip
    assert (empty.status_code, empty.json()["error"]["code"]) == (400, "CART_EMPTY")
    put(api, token, mug, 2)
    put(api, token, tea, 1)

    declined = order_the_cart(api, token, payment="tok_decline")
    assert [(i["productId"], i["quantity"], i["unitPrice"]) for i in declined["items"]] == [
        (mug, 2, 12_000),
        (tea, 1, 3_000),
    ]
    assert declined["amounts"]["subtotal"] == 27_000
    assert final(api, token, declined["orderId"], timeout=45)["status"] == "FAILED"
    assert lines(api, token) == [(mug, 2), (tea, 1)]  # a failed order leaves the cart as it was

    confirmed = final(api, token, order_the_cart(api, token)["orderId"], timeout=45)
    assert confirmed["status"] == "CONFIRMED"
    wait_for(lambda: lines(api, token) == [], timeout=30, what="the cart emptied by its confirmed order")
