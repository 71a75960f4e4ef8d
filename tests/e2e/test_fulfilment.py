"""Fulfilment and the admin order desk end to end, as a shopper and an admin use them: the address copied onto the
order (or given with it), ship with a carrier and tracking number, deliver, and the rules' 409s; cancel by the
owner or an admin only before shipping; OrderShipped / OrderDelivered on the bus; the desk's filters and pages."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Api, wait_for
from tests.e2e.test_orders import final, order

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from mail import sent_mail

ADDRESS = {"recipient": "Kim Minji", "phone": "+82 10-1234-5678", "line1": "123 Teheran-ro", "line2": "Apt 501",
           "city": "Seoul", "postalCode": "06234", "country": "KR"}  # fmt: skip


@pytest.fixture
def product(api: Api, admin: dict[str, Any]) -> str:
    body = {"name": f"Desk item {uuid.uuid4().hex[:6]}", "description": "", "price": 5_000, "stock": 100,
            "category": "e2e-desk"}  # fmt: skip
    resp = api.post("/products", json=body, token=admin["token"])
    assert resp.status_code == 201, resp.text
    return str(resp.json()["productId"])


def confirmed(api: Api, token: str, product: str, **extra: Any) -> dict[str, Any]:
    done = final(api, token, order(api, token, [(product, 1)], **extra)["orderId"], timeout=45)
    assert done["status"] == "CONFIRMED", done
    return done


def act(api: Api, token: str, order_id: str, action: str, body: Any = None) -> Any:
    return api.post(f"/admin/orders/{order_id}/{action}", json=body, token=token)


def code(resp: Any) -> tuple[int, str]:
    return resp.status_code, resp.json()["error"]["code"]


def test_an_order_carries_the_saved_address_or_the_one_given(
    api: Api, new_customer: Callable[..., Any], product: str
) -> None:
    token = new_customer()["token"]
    placed = order(api, token, [(product, 1)])
    assert placed["shippingAddress"] is None
    assert placed["fulfillment"] == {"status": "UNFULFILLED", "carrier": None, "trackingNumber": None,
                                     "shippedAt": None, "deliveredAt": None}  # fmt: skip
    assert api.request("PUT", "/users/me/address", json=ADDRESS, token=token).status_code == 200
    assert order(api, token, [(product, 1)])["shippingAddress"] == ADDRESS
    given = {**ADDRESS, "city": "Busan", "line2": None}
    assert order(api, token, [(product, 1)], shippingAddress=given)["shippingAddress"] == given
    bad = api.post("/orders", token=token, headers={"Idempotency-Key": uuid.uuid4().hex},
                   json={"items": [{"productId": product, "quantity": 1}], "payment": {"method": "card", "token": "tok_ok"},
                         "shippingAddress": {**ADDRESS, "country": "XX"}})  # fmt: skip
    assert code(bad) == (400, "VALIDATION_ERROR") and "country" in bad.json()["error"]["message"]


def test_ship_deliver_and_cancel_rules(
    api: Api, admin: dict[str, Any], new_customer: Callable[..., Any], product: str, bus_tap: Any
) -> None:
    tap = bus_tap(["buynest.orders"])
    token = new_customer()["token"]
    boss = admin["token"]
    no_address = confirmed(api, token, product)
    assert code(act(api, boss, no_address["orderId"], "ship", {"carrier": "CJ", "trackingNumber": "1"})) == (
        409,
        "NOT_SHIPPABLE",
    )
    api.request("PUT", "/users/me/address", json=ADDRESS, token=token)
    it = confirmed(api, token, product)
    oid = it["orderId"]

    # only admins run the desk
    assert act(api, token, oid, "ship", {"carrier": "CJ", "trackingNumber": "T1"}).status_code == 403
    assert act(api, None, oid, "ship", {"carrier": "CJ", "trackingNumber": "T1"}).status_code == 401  # type: ignore[arg-type]
    assert code(act(api, boss, oid, "ship", {"carrier": "CJ"})) == (400, "VALIDATION_ERROR")
    assert code(act(api, boss, oid, "deliver")) == (409, "NOT_DELIVERABLE")  # not shipped yet
    assert act(api, boss, "01NOSUCHORDER0000000000000", "deliver").status_code == 404

    shipped = act(api, boss, oid, "ship", {"carrier": "CJ Logistics", "trackingNumber": "CJ1234"})
    assert shipped.status_code == 200, shipped.text
    fulfillment = shipped.json()["fulfillment"]
    assert (fulfillment["status"], fulfillment["carrier"], fulfillment["trackingNumber"]) == (
        "SHIPPED",
        "CJ Logistics",
        "CJ1234",
    )
    assert fulfillment["shippedAt"] and shipped.json()["timeline"][-1]["status"] == "SHIPPED"
    assert code(act(api, boss, oid, "ship", {"carrier": "CJ", "trackingNumber": "2"})) == (409, "NOT_SHIPPABLE")
    # shipped: neither the owner nor an admin may cancel
    assert code(api.post(f"/orders/{oid}/cancel", token=token)) == (409, "NOT_CANCELLABLE")
    assert code(api.post(f"/orders/{oid}/cancel", token=boss)) == (409, "NOT_CANCELLABLE")
    event = tap.wait("OrderShipped", timeout=30, orderId=oid)
    assert event["detail"]["data"]["trackingNumber"] == "CJ1234"

    delivered = act(api, boss, oid, "deliver")
    assert delivered.status_code == 200 and delivered.json()["fulfillment"]["status"] == "DELIVERED"
    assert code(act(api, boss, oid, "deliver")) == (409, "NOT_DELIVERABLE")
    tap.wait("OrderDelivered", timeout=30, orderId=oid)
    seen = api.get(f"/orders/{oid}", token=token).json()
    assert seen["fulfillment"]["deliveredAt"] and [t["status"] for t in seen["timeline"]][-2:] == [
        "SHIPPED",
        "DELIVERED",
    ]

    # an admin may cancel any customer's unshipped order; another customer is told it does not exist
    other = new_customer()["token"]
    assert api.post(f"/orders/{no_address['orderId']}/cancel", token=other).status_code == 404
    cancelled = api.post(f"/orders/{no_address['orderId']}/cancel", token=boss)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "CANCELLED"


def test_the_desk_filters_and_pages(
    api: Api, admin: dict[str, Any], new_customer: Callable[..., Any], product: str
) -> None:
    boss = admin["token"]
    customers = [new_customer()["token"] for _ in range(2)]
    for token in customers:
        api.request("PUT", "/users/me/address", json=ADDRESS, token=token)
    mine = [confirmed(api, customers[n % 2], product)["orderId"] for n in range(3)]
    assert act(api, boss, mine[1], "ship", {"carrier": "CJ", "trackingNumber": "D1"}).status_code == 200

    def desk(token: str = boss, **query: Any) -> Any:
        return api.get("/admin/orders", params=query, token=token)

    # every customer's orders, newest first, a page at a time
    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        body = desk(status="CONFIRMED", limit=2, **({"cursor": cursor} if cursor else {})).json()
        assert len(body["items"]) <= 2
        seen += body["items"]
        cursor = body["nextCursor"]
        if cursor is None or set(mine) <= {o["orderId"] for o in seen}:
            break
    ids = [o["orderId"] for o in seen]
    assert set(mine) <= set(ids) and len(ids) == len(set(ids))
    stamps = [(o["createdAt"], o["orderId"]) for o in seen]
    assert stamps == sorted(stamps, reverse=True)
    assert {o["status"] for o in seen} == {"CONFIRMED"}
    assert {o["userId"] for o in seen if o["orderId"] in mine} == {
        api.get("/users/me", token=t).json()["userId"] for t in customers
    }

    shipped = desk(fulfillment="SHIPPED", limit=100).json()["items"]
    assert mine[1] in {o["orderId"] for o in shipped} and {o["fulfillment"]["status"] for o in shipped} == {"SHIPPED"}
    unshipped = desk(status="CONFIRMED", fulfillment="UNFULFILLED", limit=100).json()["items"]
    assert mine[1] not in {o["orderId"] for o in unshipped}
    assert desk(status="PENDING", fulfillment="SHIPPED").json() == {"items": [], "nextCursor": None}

    for bad in ({"status": "LOST"}, {"fulfillment": "shipped"}, {"limit": "0"}, {"cursor": "nope"}, {"sort": "x"}):
        assert code(desk(**bad)) == (400, "VALIDATION_ERROR"), bad
    assert desk(token=customers[0]).status_code == 403
    assert api.get("/admin/orders").status_code == 401


def test_shipping_sends_the_customer_one_email_with_the_tracking_number(
    api: Api, admin: dict[str, Any], new_customer: Callable[..., Any], product: str, outputs: dict[str, str]
) -> None:
    kim = new_customer("Kim Minji")
    api.request("PUT", "/users/me/address", json=ADDRESS, token=kim["token"])
    oid = confirmed(api, kim["token"], product)["orderId"]
    assert act(api, admin["token"], oid, "ship", {"carrier": "CJ Logistics", "trackingNumber": "CJ777"}).ok

    def shipping_mail() -> list[dict[str, Any]]:
        return [m for m in sent_mail(outputs["Endpoint"], kim["email"]) if "CJ777" in m["text"]]

    [mail] = wait_for(shipping_mail, timeout=45, interval=0.5, what="the shipping email")
    assert oid in mail["subject"] and "CJ Logistics" in mail["text"]
