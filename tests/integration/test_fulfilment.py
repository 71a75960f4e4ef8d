"""Fulfilment and the order desk against moto: ship and deliver are conditional writes built from the lifecycle
table (double ship, deliver before ship, two ships at once: one wins), the desk index lists newest first by state,
and an order reads the cart and the saved address as their own services wrote them."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from buynest.cart.domain import Cart, CartLine
from buynest.cart.store import DynamoCartRepository
from buynest.core.address import Address
from buynest.core.auth import TokenService, set_token_service
from buynest.orders.domain import Amounts, FulfillmentStatus, Line, Order, OrderStatus, Part, initial_holds
from buynest.orders.runtime import set_order_service
from buynest.orders.service import OrderService
from buynest.orders.store import DynamoAddressReader, DynamoCartReader, DynamoCatalog, DynamoOrderRepository
from buynest.users.address_store import DynamoAddressBook
from tests.conftest import api_event, call, load_handler
from tests.integration.payments_fixtures import serialize_dynamodb
from tests.unit.coupon_fakes import FakePublisher
from tests.unit.order_fakes import FakeWorkflow

ship = load_handler("orders/ship_order")
deliver = load_handler("orders/deliver_order")
desk = load_handler("orders/list_desk")
cancel = load_handler("orders/cancel_order")

HOME = {"recipient": "Kim", "phone": "010-1234-5678", "line1": "1 Main St", "line2": None, "city": "Seoul",
        "postalCode": "04524", "country": "KR"}  # fmt: skip


def new_order(order_id: str, at: str = "2026-11-27T10:00:00Z", address: dict[str, Any] | None = HOME) -> Order:
    return Order(
        order_id=order_id, user_id="alice", status=OrderStatus.PENDING, lines=[Line("P1", 1, 5000, "Tea")],
        amounts=Amounts(subtotal=5000), created_at=at, updated_at=at, holds=initial_holds(None, 0),
        timeline=[{"status": "PENDING", "at": at}], shipping_address=address,
    )  # fmt: skip


@pytest.fixture
def repo(aws: dict[str, Any]) -> DynamoOrderRepository:
    return DynamoOrderRepository(aws["tables"]["OrdersTable"])


def confirmed(repo: DynamoOrderRepository, order_id: str, **kw: Any) -> Order:
    repo.create(new_order(order_id, **kw), int(time.time()))
    repo.record_hold(order_id, Part.STOCK, 0, "t")
    repo.mark_reserved(order_id, Amounts(5000), "t")
    repo.mark_paid(order_id, "pay", "t")
    order = repo.mark_confirmed(order_id, 50, "t")
    assert order is not None
    return order


def test_ship_and_deliver_are_conditional(repo: DynamoOrderRepository) -> None:
    order = confirmed(repo, "O1")
    assert order.shipping_address == HOME and order.fulfillment.status == FulfillmentStatus.UNFULFILLED
    assert repo.mark_delivered("O1", "2026-11-28T09:00:00Z") is None  # deliver before ship
    shipped = repo.mark_shipped("O1", "CJ", "T1", "2026-11-28T09:00:00Z")
    assert shipped is not None and shipped.fulfillment.status == FulfillmentStatus.SHIPPED
    assert (shipped.fulfillment.carrier, shipped.fulfillment.tracking_number) == ("CJ", "T1")
    assert repo.mark_shipped("O1", "CJ", "T2", "2026-11-28T09:00:01Z") is None  # double ship
    assert repo.mark_cancelled("O1", None, "t") is None  # shipped: no cancel, not even an admin's
    delivered = repo.mark_delivered("O1", "2026-11-29T09:00:00Z")
    assert delivered is not None and delivered.fulfillment.delivered_at == "2026-11-29T09:00:00Z"
    assert [t["status"] for t in delivered.timeline][-2:] == ["SHIPPED", "DELIVERED"]
    assert repo.mark_delivered("O1", "2026-11-29T09:00:01Z") is None
    current = repo.get("O1")
    assert current is not None and current.fulfillment.tracking_number == "T1"


def test_an_order_without_an_address_or_not_confirmed_does_not_ship(repo: DynamoOrderRepository) -> None:
    confirmed(repo, "O2", address=None)
    assert repo.mark_shipped("O2", "CJ", "T1", "t") is None
    repo.create(new_order("O3"), int(time.time()))
    assert repo.mark_shipped("O3", "CJ", "T1", "t") is None


def test_of_two_ships_at_once_one_wins(repo: DynamoOrderRepository, monkeypatch: pytest.MonkeyPatch) -> None:
    serialize_dynamodb(monkeypatch)  # each request atomic, as on DynamoDB
    confirmed(repo, "O4")
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda n: repo.mark_shipped("O4", "CJ", f"T{n}", "t"), range(8)))
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    current = repo.get("O4")
    assert current is not None and current.fulfillment.tracking_number == winners[0].fulfillment.tracking_number


def test_the_outbox_acknowledgement_covers_only_its_own_stage(repo: DynamoOrderRepository) -> None:
    confirmed(repo, "O5")
    repo.mark_shipped("O5", "CJ", "T1", "t")
    assert not repo.mark_published("O5", "CONFIRMED")  # the confirmation's late ack leaves the shipment unacked
    assert "O5" in set(repo.unpublished_order_ids(int(time.time()) + 1))
    assert repo.mark_published("O5", "SHIPPED")
    assert "O5" not in set(repo.unpublished_order_ids(int(time.time()) + 1))


def test_the_desk_reads_the_partitions_of_its_filter_newest_first(repo: DynamoOrderRepository) -> None:
    for n in range(5):
        confirmed(repo, f"C{n}", at=f"2026-11-27T10:00:0{n}Z")
    repo.create(new_order("P0", at="2026-11-27T10:00:09Z"), int(time.time()))
    repo.mark_shipped("C1", "CJ", "T", "t")
    page, more = repo.list_desk(["CONFIRMED#SHIPPED", "CONFIRMED#UNFULFILLED", "PENDING#UNFULFILLED"], 3, None)
    assert [o.order_id for o in page] == ["P0", "C4", "C3"] and more
    page, more = repo.list_desk(["CONFIRMED#SHIPPED", "CONFIRMED#UNFULFILLED"], 3, "2026-11-27T10:00:03Z#C3")
    assert [o.order_id for o in page] == ["C2", "C1", "C0"] and not more
    page, _ = repo.list_desk(["CONFIRMED#SHIPPED"], 10, None)
    assert [o.order_id for o in page] == ["C1"]


def test_orders_read_the_cart_and_the_address_their_services_wrote(aws: dict[str, Any]) -> None:
    tables = aws["tables"]
    aws["ddb"].put_item(TableName=tables["UsersTable"], Item={"pk": {"S": "USER#alice"}})
    DynamoCartRepository(tables["CartsTable"]).save(Cart("alice", (CartLine("P1", 2), CartLine("P2", 1))))
    DynamoAddressBook(tables["UsersTable"]).save("alice", Address.model_validate(HOME), "t")
    assert DynamoCartReader(tables["CartsTable"]).lines("alice") == [("P1", 2), ("P2", 1)]
    assert DynamoCartReader(tables["CartsTable"]).lines("bob") == []
    assert DynamoAddressReader(tables["UsersTable"]).saved("alice") == HOME
    assert DynamoAddressReader(tables["UsersTable"]).saved("bob") is None


# ---- the handlers ----


@pytest.fixture
def api(aws: dict[str, Any]) -> Any:
    tables = aws["tables"]
    tokens = TokenService("t" * 40)
    set_token_service(tokens)
    repo = DynamoOrderRepository(tables["OrdersTable"])
    set_order_service(OrderService(repo, DynamoCatalog(tables["ProductsTable"]), FakeWorkflow(), FakePublisher()))
    yield {"repo": repo, "admin": tokens.issue("root", "admin"), "alice": tokens.issue("alice", "customer")}
    set_order_service(None)


def post(handler: Any, path: str, resource: str, order_id: str, token: str, body: Any = None) -> tuple[int, Any]:
    return call(handler, api_event("POST", path, resource, body=body, path_params={"orderId": order_id}, token=token))


def test_ship_deliver_and_their_409s_through_the_api(api: dict[str, Any]) -> None:
    confirmed(api["repo"], "O1")
    ship_path = ("/admin/orders/O1/ship", "/admin/orders/{orderId}/ship", "O1")
    body = {"carrier": "CJ", "trackingNumber": "T1"}
    assert post(ship, *ship_path, api["alice"], body)[0] == 403
    assert post(ship, *ship_path, api["admin"], {"carrier": "CJ"})[0] == 400
    status, order = post(ship, *ship_path, api["admin"], body)
    assert status == 200 and order["fulfillment"]["status"] == "SHIPPED"
    status, again = post(ship, *ship_path, api["admin"], body)
    assert status == 409 and again["error"]["code"] == "NOT_SHIPPABLE"
    cancel_path = ("/orders/O1/cancel", "/orders/{orderId}/cancel", "O1")
    assert post(cancel, *cancel_path, api["alice"])[1]["error"]["code"] == "NOT_CANCELLABLE"
    deliver_path = ("/admin/orders/O1/deliver", "/admin/orders/{orderId}/deliver", "O1")
    status, order = post(deliver, *deliver_path, api["admin"])
    assert status == 200 and order["fulfillment"]["status"] == "DELIVERED"
    assert post(deliver, *deliver_path, api["admin"])[1]["error"]["code"] == "NOT_DELIVERABLE"
    missing = ("/admin/orders/NOPE/deliver", "/admin/orders/{orderId}/deliver", "NOPE")
    assert post(deliver, *missing, api["admin"])[0] == 404


def test_the_desk_through_the_api(api: dict[str, Any]) -> None:
    for n in range(3):
        confirmed(api["repo"], f"C{n}", at=f"2026-11-27T10:00:0{n}Z")

    def get(query: dict[str, str], token: str = api["admin"]) -> tuple[int, Any]:
        return call(desk, api_event("GET", "/admin/orders", query=query, token=token))

    status, first = get({"status": "CONFIRMED", "limit": "2"})
    assert status == 200 and [o["orderId"] for o in first["items"]] == ["C2", "C1"]
    status, second = get({"status": "CONFIRMED", "limit": "2", "cursor": first["nextCursor"]})
    assert [o["orderId"] for o in second["items"]] == ["C0"] and second["nextCursor"] is None
    assert get({"fulfillment": "SHIPPED"})[1]["items"] == []
    assert get({"status": "SHIPPED"})[0] == 400
    assert get({"fulfillment": "LOST"})[0] == 400
    assert get({"cursor": "bogus"})[0] == 400
    assert get({}, api["alice"])[0] == 403
