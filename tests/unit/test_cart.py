"""The cart's rules (domain.py) and its API, handler by handler, on in-memory fakes: line limits, current prices
and stock, deleted products leaving the cart, customers only, and confirmed orders taken off once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from buynest.cart.domain import (
    MAX_LINES,
    Cart,
    CartFull,
    CartLine,
    InvalidQuantity,
    ProductView,
    UnknownProduct,
    public,
    set_quantity,
    take_ordered,
)
from buynest.cart.messages import OrderConfirmed
from buynest.cart.runtime import set_cart_service
from buynest.cart.service import CartService
from buynest.cart.store import DynamoCatalogView
from buynest.core.auth import TokenService
from buynest.core.retry import Backoff
from tests.conftest import api_event, call, load_handler
from tests.template import template
from tests.unit.cart_fakes import FakeCartRepository, FakeCatalogView

get = load_handler("cart/get_cart")
put = load_handler("cart/set_item")
remove = load_handler("cart/remove_item")
clear = load_handler("cart/clear_cart")

NOW = "2026-12-04T10:00:00Z"
ITEM = "/cart/items/{productId}"


def catalog(*products: tuple[str, int, int]) -> dict[str, ProductView]:
    return {pid: ProductView(pid, pid.title(), price, stock) for pid, price, stock in products}


# ---- domain ----


def test_a_line_is_priced_at_the_catalogs_current_price_and_flagged_when_stock_is_short() -> None:
    cart = Cart("u1", (CartLine("mug", 2), CartLine("tea", 5)), NOW)
    view = public(cart, catalog(("mug", 12_000, 2), ("tea", 3_000, 4)))
    assert view == {
        "items": [
            {"productId": "mug", "name": "Mug", "unitPrice": 12_000, "quantity": 2, "lineTotal": 24_000,
             "inStock": True},
            {"productId": "tea", "name": "Tea", "unitPrice": 3_000, "quantity": 5, "lineTotal": 15_000,
             "inStock": False},
        ],
        "subtotal": 39_000,
        "updatedAt": NOW,
    }  # fmt: skip


def test_a_deleted_product_leaves_the_cart_view() -> None:
    cart = Cart("u1", (CartLine("mug", 2), CartLine("gone", 1)), NOW)
    view = public(cart, catalog(("mug", 100, 9)))
    assert [i["productId"] for i in view["items"]] == ["mug"] and view["subtotal"] == 200


def test_setting_a_line_adds_it_last_or_changes_it_in_place() -> None:
    products = catalog(("a", 1, 1), ("b", 1, 1))
    cart = set_quantity(Cart("u1"), "a", 1, NOW, products)
    cart = set_quantity(cart, "b", 2, NOW, products)
    cart = set_quantity(cart, "a", 7, NOW, products)
    assert cart.lines == (CartLine("a", 7), CartLine("b", 2)) and cart.updated_at == NOW


@pytest.mark.parametrize("quantity", [0, -1, 101])
def test_quantities_outside_1_to_100_are_refused(quantity: int) -> None:
    with pytest.raises(InvalidQuantity):
        set_quantity(Cart("u1"), "a", quantity, NOW, catalog(("a", 1, 1)))


def test_an_unknown_product_cannot_be_added() -> None:
    with pytest.raises(UnknownProduct):
        set_quantity(Cart("u1"), "nope", 1, NOW, catalog(("a", 1, 1)))


def test_the_51st_line_is_refused_but_a_full_cart_may_change_its_lines() -> None:
    """Guards the 50-line limit: a new product past it is CART_FULL; an existing line still changes."""
    products = catalog(*((f"p{i}", 1, 1) for i in range(MAX_LINES + 1)))
    cart = Cart("u1", tuple(CartLine(f"p{i}", 1) for i in range(MAX_LINES)))
    with pytest.raises(CartFull):
        set_quantity(cart, f"p{MAX_LINES}", 1, NOW, products)
    assert set_quantity(cart, "p0", 3, NOW, products).lines[0] == CartLine("p0", 3)


def test_deleted_products_do_not_count_against_the_line_limit() -> None:
    cart = Cart("u1", tuple(CartLine(f"p{i}", 1) for i in range(MAX_LINES)))
    products = catalog(*((f"p{i}", 1, 1) for i in range(1, MAX_LINES + 1)))  # p0 was deleted
    after = set_quantity(cart, f"p{MAX_LINES}", 1, NOW, products)
    assert len(after.lines) == MAX_LINES and "p0" not in after.quantities()


def test_an_order_is_taken_off_a_line_falling_to_zero_goes_and_other_products_are_ignored() -> None:
    cart = Cart("u1", (CartLine("a", 3), CartLine("b", 1), CartLine("c", 2)), "before")
    after = take_ordered(cart, {"a": 1, "b": 1, "z": 4}, NOW)
    assert after.lines == (CartLine("a", 2), CartLine("c", 2)) and after.updated_at == NOW


def test_taking_off_nothing_the_cart_holds_leaves_it_as_it_was() -> None:
    cart = Cart("u1", (CartLine("a", 3),), "before")
    assert take_ordered(cart, {"z": 1}, NOW) is cart


def test_two_orders_come_off_to_the_same_cart_in_either_order() -> None:
    cart = Cart("u1", (CartLine("a", 3), CartLine("b", 2)))
    first, second = {"a": 2, "b": 5}, {"a": 2}
    assert (
        take_ordered(take_ordered(cart, first, NOW), second, NOW).lines
        == take_ordered(take_ordered(cart, second, NOW), first, NOW).lines
        == ()
    )


# ---- service ----


def confirmed(order_id: str, user_id: str = "u1", **lines: int) -> OrderConfirmed:
    items = [{"productId": p, "quantity": q, "unitPrice": 1} for p, q in lines.items()]
    return OrderConfirmed.model_validate({"orderId": order_id, "userId": user_id, "items": items})


@pytest.fixture
def repo() -> FakeCartRepository:
    return FakeCartRepository()


@pytest.fixture
def shelf() -> FakeCatalogView:
    return FakeCatalogView({"mug": ("Mug", 12_000, 10), "tea": ("Green tea", 3_000, 1)})


@pytest.fixture
def service(repo: FakeCartRepository, shelf: FakeCatalogView, tokens: TokenService) -> Iterator[CartService]:
    svc = CartService(repo, shelf, clock=lambda: NOW, backoff=Backoff(max_attempts=3, sleep=lambda _: None))
    set_cart_service(svc)
    yield svc
    set_cart_service(None)


def test_the_same_confirmed_order_twice_is_taken_off_once(service: CartService, repo: FakeCartRepository) -> None:
    """Guards idempotency: a redelivered OrderConfirmed subtracts nothing the second time."""
    service.set_item("u1", "mug", 5)
    assert service.take_order(confirmed("o1", mug=2)) is True
    assert service.take_order(confirmed("o1", mug=2)) is False
    assert repo.get("u1").lines == (CartLine("mug", 3),)


def test_an_order_confirmed_before_the_cart_existed_is_not_taken_off_later(
    service: CartService, repo: FakeCartRepository
) -> None:
    """Guards the marker on an untouched cart: the event's redelivery after a new line is added takes nothing."""
    assert service.take_order(confirmed("o1", mug=2)) is True
    service.set_item("u1", "mug", 2)
    assert service.take_order(confirmed("o1", mug=2)) is False
    assert repo.get("u1").lines == (CartLine("mug", 2),)


def test_a_change_lost_to_another_writer_is_read_again_and_keeps_both(
    service: CartService, repo: FakeCartRepository
) -> None:
    """Guards the optimistic version: a line added by another tab between read and write is not overwritten."""
    service.set_item("u1", "mug", 1)
    other = Cart("u1", (CartLine("mug", 1), CartLine("tea", 1)), NOW, repo.get("u1").version)
    repo.interference.append([other])
    service.set_item("u1", "mug", 4)
    assert repo.get("u1").lines == (CartLine("mug", 4), CartLine("tea", 1))


def test_an_order_taken_off_while_the_customer_changes_the_cart_is_applied_to_the_new_cart(
    service: CartService, repo: FakeCartRepository
) -> None:
    service.set_item("u1", "mug", 5)
    repo.interference.append([Cart("u1", (CartLine("mug", 8),), NOW, repo.get("u1").version)])
    assert service.take_order(confirmed("o1", mug=2)) is True
    assert repo.get("u1").lines == (CartLine("mug", 6),)


# ---- API ----


def put_item(token: str, product_id: str, body: Any) -> tuple[int, Any]:
    event = api_event("PUT", f"/cart/items/{product_id}", ITEM, body=body, path_params={"productId": product_id},
                      token=token)  # fmt: skip
    return call(put, event)


def test_a_cart_through_the_api(service: CartService, customer_token: str, shelf: FakeCatalogView) -> None:
    status, empty = call(get, api_event("GET", "/cart", token=customer_token))
    assert (status, empty) == (200, {"items": [], "subtotal": 0, "updatedAt": None})

    assert put_item(customer_token, "mug", {"quantity": 2})[0] == 200
    status, cart = put_item(customer_token, "tea", {"quantity": 2})
    assert status == 200 and cart["subtotal"] == 2 * 12_000 + 2 * 3_000
    assert [(i["productId"], i["inStock"]) for i in cart["items"]] == [("mug", True), ("tea", False)]

    shelf.items["mug"] = ("Mug", 10_000, 10)  # repriced
    del shelf.items["tea"]  # deleted
    status, cart = call(get, api_event("GET", "/cart", token=customer_token))
    assert status == 200 and cart["items"] == [
        {"productId": "mug", "name": "Mug", "unitPrice": 10_000, "quantity": 2, "lineTotal": 20_000, "inStock": True}
    ]

    event = api_event("DELETE", "/cart/items/mug", ITEM, path_params={"productId": "mug"}, token=customer_token)
    assert call(remove, event) == (200, {"items": [], "subtotal": 0, "updatedAt": NOW})
    put_item(customer_token, "mug", {"quantity": 1})
    assert call(clear, api_event("DELETE", "/cart", token=customer_token)) == (204, None)
    assert call(get, api_event("GET", "/cart", token=customer_token))[1]["items"] == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"quantity": 0}, "quantity: Input should be greater than or equal to 1"),
        ({"quantity": 101}, "quantity: Input should be less than or equal to 100"),
        ({"quantity": "2"}, "quantity: Input should be a valid integer"),
        ({"quantity": 1.5}, "quantity: Input should be a valid integer"),
        ({}, "quantity: field is required"),
        ({"quantity": 1, "price": 1}, "price: unknown field"),
    ],
)
def test_bad_quantities_are_400_naming_the_field(
    service: CartService, customer_token: str, body: Any, message: str
) -> None:
    status, error = put_item(customer_token, "mug", body)
    assert (status, error["error"]["code"], error["error"]["message"]) == (400, "VALIDATION_ERROR", message)


def test_an_unknown_product_is_404(service: CartService, customer_token: str) -> None:
    status, error = put_item(customer_token, "01NOSUCHPRODUCT", {"quantity": 1})
    assert (status, error["error"]["code"]) == (404, "NOT_FOUND")


def test_the_51st_product_is_409_cart_full(service: CartService, customer_token: str, shelf: FakeCatalogView) -> None:
    for i in range(MAX_LINES + 1):
        shelf.items[f"p{i}"] = (f"P{i}", 1, 1)
    for i in range(MAX_LINES):
        assert put_item(customer_token, f"p{i}", {"quantity": 1})[0] == 200
    status, error = put_item(customer_token, f"p{MAX_LINES}", {"quantity": 1})
    assert (status, error["error"]["code"]) == (409, "CART_FULL")


@pytest.mark.parametrize(
    ("module", "method", "path", "resource", "body"),
    [
        (get, "GET", "/cart", None, None),
        (put, "PUT", "/cart/items/mug", ITEM, {"quantity": 1}),
        (remove, "DELETE", "/cart/items/mug", ITEM, None),
        (clear, "DELETE", "/cart", None, None),
    ],
)
def test_the_cart_is_for_customers_only(
    service: CartService, admin_token: str, module: Any, method: str, path: str, resource: str | None, body: Any
) -> None:
    params = {"productId": "mug"} if resource else None
    assert call(module, api_event(method, path, resource, body=body, path_params=params))[0] == 401
    status, error = call(module, api_event(method, path, resource, body=body, path_params=params, token=admin_token))
    assert (status, error["error"]["code"]) == (403, "FORBIDDEN")


# ---- wiring ----


def test_only_confirmed_orders_reach_the_cart_through_its_own_queue_and_dlq() -> None:
    """Guards the rule: a failed or cancelled order never reaches the cart (it leaves the cart as it was)."""
    res = template()["Resources"]
    rule = res["CartOrderEventsRule"]["Properties"]
    assert rule["EventPattern"] == {"source": ["buynest.orders"], "detail-type": ["OrderConfirmed"]}
    assert [t["Arn"] for t in rule["Targets"]] == [{"Fn::GetAtt": "CartOrderEventsQueue.Arn"}]
    queue = res["CartOrderEventsQueue"]["Properties"]
    assert queue["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": "CartOrderEventsDLQ.Arn"},
                                      "maxReceiveCount": 5}  # fmt: skip
    function = res["CartOnOrderConfirmedFunction"]["Properties"]
    # its table only: exactly what it may do there is checked in tests/unit/test_template_policies.py (NEEDS)
    assert [s["Resource"] for p in function["Policies"] for s in p["Statement"]] == [{"Fn::GetAtt": "CartsTable.Arn"}]
    [source] = function["Events"].values()
    assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert queue["VisibilityTimeout"] >= 6 * template()["Globals"]["Function"]["Timeout"]


def test_the_cart_reads_the_catalog_by_key_and_only_the_attributes_it_shows() -> None:
    """Guards the read model: the cart's functions may BatchGetItem the products table, five attributes only."""
    res = template()["Resources"]
    [statement] = res["CartCatalogReadPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "dynamodb:BatchGetItem"
    assert statement["Resource"] == {"Fn::GetAtt": "ProductsTable.Arn"}
    attributes = statement["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"]
    assert set(attributes) == {"productId", "name", "price", "stock", "catalog"}
    api_functions = [
        props
        for props in (r["Properties"] for r in res.values() if r["Type"] == "AWS::Serverless::Function")
        if props.get("CodeUri") == "functions/cart/" and "Api" in props.get("Events", {})
    ]
    assert len(api_functions) == 4
    assert all({"Ref": "CartCatalogReadPolicy"} in props["Policies"] for props in api_functions)


class RecordingDynamo:
    """A DynamoDB client that answers ``batch_get_item`` from ``rows``, leaving the first key unprocessed once."""

    def __init__(self, rows: dict[str, dict[str, Any]]) -> None:
        self.rows = rows
        self.requests: list[dict[str, Any]] = []

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803 - boto3's name
        self.requests.append(RequestItems)
        [(table, request)] = RequestItems.items()
        keys = request["Keys"]
        held = keys[:1] if len(self.requests) == 1 else []
        found = [self.rows[k["productId"]["S"]] for k in keys[len(held) :] if k["productId"]["S"] in self.rows]
        unprocessed = {table: {**request, "Keys": held}} if held else {}
        return {"Responses": {table: found}, "UnprocessedKeys": unprocessed}


def test_the_catalog_view_asks_for_the_granted_attributes_and_retries_unprocessed_keys() -> None:
    product = {"productId": {"S": "mug"}, "name": {"S": "Mug"}, "price": {"N": "12000"}, "stock": {"N": "3"},
               "catalog": {"S": "catalog"}}  # fmt: skip
    reservation = {"productId": {"S": "RESERVATION#o1"}}
    client = RecordingDynamo({"mug": product, "RESERVATION#o1": reservation})
    view = DynamoCatalogView("products", client=client, backoff=Backoff(sleep=lambda _: None))

    found = view.products(["mug", "RESERVATION#o1", "gone", "mug"])

    assert found == {"mug": ProductView("mug", "Mug", 12_000, 3)}
    assert len(client.requests) == 2  # the unprocessed key asked again
    request = client.requests[0]["products"]
    names = request["ExpressionAttributeNames"]
    asked = {names.get(part.strip(), part.strip()) for part in request["ProjectionExpression"].split(",")}
    [statement] = template()["Resources"]["CartCatalogReadPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert asked == set(statement["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"])
    assert request["ConsistentRead"] is True
