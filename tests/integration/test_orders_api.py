"""The orders API in-process against moto: idempotent POST /orders (Powertools idempotency on DynamoDB), price
snapshots from the products table, reading and listing orders."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from buynest.core.auth import TokenService, set_token_service
from buynest.core.lazy import Lazy
from buynest.orders.runtime import set_order_service
from buynest.orders.service import OrderService
from buynest.orders.store import DynamoCatalog, DynamoOrderRepository
from tests.conftest import api_event, call, load_handler
from tests.unit.coupon_fakes import FakePublisher
from tests.unit.order_fakes import FakeWorkflow

create = load_handler("orders/create_order")
get = load_handler("orders/get_order")
list_ = load_handler("orders/list_orders")

BODY = {"items": [{"productId": "P-TEA", "quantity": 2}], "payment": {"method": "card", "token": "tok_ok"}}


@pytest.fixture
def orders(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    tables = aws["tables"]
    monkeypatch.setenv("IDEMPOTENCY_TABLE", tables["IdempotencyTable"])
    aws["ddb"].put_item(
        TableName=tables["ProductsTable"],
        Item={"productId": {"S": "P-TEA"}, "name": {"S": "Green tea"}, "price": {"N": "15000"}, "stock": {"N": "5"},
              "catalog": {"S": "catalog"}, "category": {"S": "tea"}, "sortKey": {"S": "x"}},
    )  # fmt: skip
    tokens = TokenService("t" * 40)
    set_token_service(tokens)
    service = OrderService(
        DynamoOrderRepository(tables["OrdersTable"]),
        DynamoCatalog(tables["ProductsTable"]),
        FakeWorkflow(),
        FakePublisher(),
    )
    set_order_service(service)
    import buynest.orders.runtime as runtime

    monkeypatch.setattr(runtime, "_idempotent", Lazy(runtime._build_idempotent_place))
    yield {"alice": tokens.issue("alice", "customer"), "bob": tokens.issue("bob", "customer"),
           "admin": tokens.issue("root", "admin"), "ddb": aws["ddb"], "tables": tables}  # fmt: skip
    set_order_service(None)


def post(token: str, body: Any, key: str | None = "key-1") -> tuple[int, Any]:
    headers = {"Idempotency-Key": key} if key else {}
    return call(create, api_event("POST", "/orders", body=body, headers=headers, token=token))


def test_an_order_is_placed_with_a_price_snapshot(orders: dict[str, Any]) -> None:
    status, order = post(orders["alice"], BODY)
    assert status == 202 and order["status"] == "PENDING"
    assert order["items"] == [{"productId": "P-TEA", "quantity": 2, "unitPrice": 15000, "name": "Green tea"}]
    assert order["amounts"] == {"subtotal": 30000, "discount": 0, "pointsUsed": 0, "total": 30000}
    ev = api_event(
        "GET",
        f"/orders/{order['orderId']}",
        "/orders/{orderId}",
        path_params={"orderId": order["orderId"]},
        token=orders["alice"],
    )
    assert call(get, ev) == (200, order)


def test_the_same_key_and_body_return_the_same_order_and_create_nothing(orders: dict[str, Any]) -> None:
    first = post(orders["alice"], BODY)
    again = post(orders["alice"], json.loads(json.dumps(BODY, sort_keys=True)))
    assert first == again
    assert orders["ddb"].scan(TableName=orders["tables"]["OrdersTable"])["Count"] == 1
    other_customer = post(orders["bob"], BODY)
    assert other_customer[0] == 202 and other_customer[1]["orderId"] != first[1]["orderId"]


def test_the_same_key_with_another_body_is_422(orders: dict[str, Any]) -> None:
    assert post(orders["alice"], BODY)[0] == 202
    status, body = post(orders["alice"], {**BODY, "items": [{"productId": "P-TEA", "quantity": 3}]})
    assert (status, body["error"]["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")


@pytest.mark.parametrize(
    ("body", "key", "status", "message"),
    [
        (BODY, None, 400, "Idempotency-Key"),
        ({**BODY, "items": []}, "k", 400, "items"),
        ({**BODY, "items": [{"productId": "P-TEA", "quantity": 0}]}, "k", 400, "items.0.quantity"),
        ({**BODY, "payment": {"method": "cash", "token": "x"}}, "k", 400, "payment.method"),
        ({**BODY, "pointsToUse": -1}, "k", 400, "pointsToUse"),
        ({**BODY, "items": [{"productId": "GHOST", "quantity": 1}]}, "k", 404, "GHOST"),
    ],
)
def test_bad_orders(orders: dict[str, Any], body: Any, key: str | None, status: int, message: str) -> None:
    got, resp = post(orders["alice"], body, key)
    assert got == status and message in resp["error"]["message"]
    assert orders["ddb"].scan(TableName=orders["tables"]["OrdersTable"])["Count"] == 0


def test_a_failed_attempt_can_be_retried_with_the_same_key(orders: dict[str, Any]) -> None:
    bad = {**BODY, "items": [{"productId": "GHOST", "quantity": 1}]}
    assert post(orders["alice"], bad)[0] == 404
    orders["ddb"].put_item(
        TableName=orders["tables"]["ProductsTable"],
        Item={"productId": {"S": "GHOST"}, "name": {"S": "Ghost"}, "price": {"N": "1"}, "stock": {"N": "1"},
              "catalog": {"S": "catalog"}, "category": {"S": "x"}, "sortKey": {"S": "y"}},
    )  # fmt: skip
    assert post(orders["alice"], bad)[0] == 202


def test_customers_see_only_their_own_orders(orders: dict[str, Any]) -> None:
    _, mine = post(orders["alice"], BODY, "a1")
    post(orders["alice"], BODY, "a2")
    post(orders["bob"], BODY, "b1")
    status, page = call(list_, api_event("GET", "/orders", token=orders["alice"]))
    assert status == 200 and len(page["items"]) == 2 and {o["userId"] for o in page["items"]} == {"alice"}
    assert page["items"][0]["createdAt"] >= page["items"][1]["createdAt"]
    ev = api_event(
        "GET",
        f"/orders/{mine['orderId']}",
        "/orders/{orderId}",
        path_params={"orderId": mine["orderId"]},
        token=orders["bob"],
    )
    assert call(get, ev)[0] == 404
    ev["headers"]["Authorization"] = f"Bearer {orders['admin']}"
    assert call(get, ev)[0] == 200


def test_a_cursor_from_another_customer_is_refused(orders: dict[str, Any]) -> None:
    for key in ("c1", "c2"):
        post(orders["alice"], BODY, key)
    _, page = call(list_, api_event("GET", "/orders", query={"limit": "1"}, token=orders["alice"]))
    assert page["nextCursor"]
    status, body = call(list_, api_event("GET", "/orders", query={"cursor": page["nextCursor"]}, token=orders["bob"]))
    assert status == 400 and "cursor" in body["error"]["message"]


def _product(orders: dict[str, Any], product_id: str, price: int) -> None:
    orders["ddb"].put_item(
        TableName=orders["tables"]["ProductsTable"],
        Item={"productId": {"S": product_id}, "name": {"S": product_id}, "price": {"N": str(price)},
              "stock": {"N": "1000"}, "catalog": {"S": "catalog"}, "category": {"S": "x"}, "sortKey": {"S": "x"}},
    )  # fmt: skip


def _stored_orders(orders: dict[str, Any]) -> list[dict[str, Any]]:
    return list(orders["ddb"].scan(TableName=orders["tables"]["OrdersTable"])["Items"])


def test_a_total_the_payment_path_cannot_take_is_refused_naming_the_limit(orders: dict[str, Any]) -> None:
    """Guards issue 10's "totals the payment path cannot take": price 10^12 x quantity 100 was accepted with 202,
    held stock, coupon and points, then failed as PAYMENT_ERROR. It is a 400 now, and nothing is stored."""
    _product(orders, "P-GOLD", 10**12)
    body = {**BODY, "items": [{"productId": "P-GOLD", "quantity": 100}]}
    status, error = post(orders["alice"], body, key="too-much")
    assert status == 400 and error["error"]["code"] == "VALIDATION_ERROR"
    assert "1,000,000,000,000 KRW" in error["error"]["message"] and error["error"]["message"].startswith("items")
    assert _stored_orders(orders) == []

    status, order = post(orders["alice"], {**BODY, "items": [{"productId": "P-GOLD", "quantity": 1}]}, key="limit")
    assert status == 202 and order["amounts"]["subtotal"] == 10**12


def test_the_card_token_is_stored_and_passed_on_only_as_its_kind(orders: dict[str, Any]) -> None:
    """Guards issue 10's plain-text payment token: the orders table (and so its stream) and the payment workflow's
    input (its execution history) held the customer's token. Only its kind is kept now."""
    from buynest.orders.runtime import execution_input
    from buynest.orders.store import DynamoOrderRepository

    secret = "tok_live_4242424242424242"
    status, placed = post(orders["alice"], {**BODY, "payment": {"method": "card", "token": secret}}, key="card")
    assert status == 202
    (item,) = _stored_orders(orders)
    assert "4242" not in json.dumps(item) and item["tokenKind"] == {"S": "unknown"}
    order = DynamoOrderRepository(orders["tables"]["OrdersTable"]).get(placed["orderId"])
    assert order is not None and "4242" not in json.dumps(execution_input(order))
    assert execution_input(order)["tokenKind"] == "unknown"

    post(orders["alice"], BODY, key="test-token")
    kinds = sorted(i["tokenKind"]["S"] for i in _stored_orders(orders))
    assert kinds == ["tok_ok", "unknown"]
