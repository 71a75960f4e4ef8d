"""Coupons over HTTP and the bus: campaigns, the first-come rush, and the coupon's part in the order saga."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import Api, wait_for


def in_days(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def campaign(api: Api, admin: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body = {
        "code": f"E2E{uuid.uuid4().hex[:10].upper()}",
        "discountType": "PERCENT",
        "value": 10,
        "totalQuantity": 100,
        "expiresAt": in_days(7),
        "minOrderAmount": 10000,
        **overrides,
    }
    resp = api.post("/coupons", json=body, token=admin["token"])
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_admin_creates_and_reads_a_campaign(api: Api, admin: dict[str, Any], new_customer: Callable[..., Any]) -> None:
    created = campaign(api, admin, discountType="FIXED", value=3000)
    code = created["code"]
    assert api.post("/coupons", json={**created, "code": code}, token=admin["token"]).status_code in (400, 409)
    dup = api.post(
        "/coupons",
        json={
            "code": code,
            "discountType": "FIXED",
            "value": 1,
            "totalQuantity": 1,
            "expiresAt": in_days(1),
            "minOrderAmount": 0,
        },
        token=admin["token"],
    )
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "CODE_TAKEN"
    got = api.get(f"/coupons/{code}", token=admin["token"]).json()
    assert got["code"] == code and got["issuedCount"] == 0
    customer = new_customer()
    assert api.post("/coupons", json={**created, "code": code + "X"}, token=customer["token"]).status_code in (400, 403)
    assert api.get(f"/coupons/{code}", token=customer["token"]).status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"discountType": "BOGO"}, "discountType"),
        ({"value": 101}, "value"),
        ({"totalQuantity": 0}, "totalQuantity"),
        ({"expiresAt": "yesterday"}, "expiresAt"),
        ({"value": "10"}, "value"),
    ],
)
def test_bad_campaigns_are_refused(api: Api, admin: dict[str, Any], change: dict[str, Any], field: str) -> None:
    body = {
        "code": "BADONE",
        "discountType": "PERCENT",
        "value": 10,
        "totalQuantity": 5,
        "expiresAt": in_days(1),
        "minOrderAmount": 0,
    }
    resp = api.post("/coupons", json={**body, **change}, token=admin["token"])
    assert resp.status_code == 400 and field in resp.json()["error"]["message"]


def test_issue_once_per_customer_and_listed(api: Api, admin: dict[str, Any], new_customer: Callable[..., Any]) -> None:
    code = campaign(api, admin)["code"]
    customer = new_customer()
    resp = api.post(f"/coupons/{code}/issue", token=customer["token"])
    assert resp.status_code == 201
    issued = resp.json()
    assert issued["status"] == "ISSUED" and issued["code"] == code and issued["couponId"]
    again = api.post(f"/coupons/{code}/issue", token=customer["token"])
    assert again.status_code == 409 and again.json()["error"]["code"] == "ALREADY_ISSUED"
    mine = api.get("/users/me/coupons", token=customer["token"]).json()
    assert [c["couponId"] for c in mine["items"]] == [issued["couponId"]] and mine["nextCursor"] is None
    assert api.post("/coupons/NOSUCHCODE/issue", token=customer["token"]).status_code == 404
    assert api.post(f"/coupons/{code}/issue").status_code == 401
    assert api.get("/users/me/coupons").status_code == 401


# 200 sign-ups then 200 issues, 16-32 at a time, take the whole stack's capacity (other tests' requests time out
# beside it): run alone, with the other `serial` tests (Makefile, test-e2e)
@pytest.mark.serial
def test_a_rush_of_200_issues_exactly_50(api: Api, admin: dict[str, Any], new_customer: Callable[..., Any]) -> None:
    # Given a campaign of 50 and 200 customers
    code = campaign(api, admin, totalQuantity=50)["code"]
    with ThreadPoolExecutor(16) as pool:
        customers = list(pool.map(lambda _: new_customer(), range(200)))

    # When all of them press "issue" at the same moment
    def press(customer: dict[str, Any]) -> tuple[str, int, dict[str, Any]]:
        resp = api.post(f"/coupons/{code}/issue", token=customer["token"])
        return customer["userId"], resp.status_code, resp.json()

    with ThreadPoolExecutor(32) as pool:
        results = list(pool.map(press, customers))

    # Then exactly 50 coupons exist, each for a different customer; the rest were told SOLD_OUT, nobody got a 5xx
    statuses = Counter(status for _, status, _ in results)
    assert statuses[201] == 50, statuses
    assert {body["error"]["code"] for _, status, body in results if status != 201} == {"SOLD_OUT"}
    assert len({user for user, status, _ in results if status == 201}) == 50
    assert api.get(f"/coupons/{code}", token=admin["token"]).json()["issuedCount"] == 50


def test_the_coupon_side_of_the_order_saga(
    api: Api, admin: dict[str, Any], new_customer: Callable[..., Any], bus_tap: Callable[..., Any]
) -> None:
    tap = bus_tap(["buynest.coupons"])
    code = campaign(api, admin, discountType="PERCENT", value=15, minOrderAmount=10000)["code"]
    customer = new_customer()
    coupon = api.post(f"/coupons/{code}/issue", token=customer["token"]).json()

    def status() -> str:
        items = api.get("/users/me/coupons", token=customer["token"]).json()["items"]
        return next(c["status"] for c in items if c["couponId"] == coupon["couponId"])

    order_id = f"order-{uuid.uuid4().hex[:12]}"
    created = {
        "orderId": order_id,
        "userId": customer["userId"],
        "couponId": coupon["couponId"],
        "subtotal": 33333,
        "pointsToUse": 0,
        "items": [{"productId": "p1", "quantity": 1, "unitPrice": 33333}],
    }
    # OrderCreated (twice: a redelivery) reserves the coupon once and answers with the discount, rounded down
    tap.put("buynest.orders", "OrderCreated", created)
    tap.put("buynest.orders", "OrderCreated", created)
    reserved = tap.wait("CouponReserved", orderId=order_id)
    assert reserved["detail"]["data"]["discount"] == 4999
    assert reserved["detail"]["metadata"]["correlationId"] == order_id
    assert status() == "RESERVED"

    # A second order cannot take the same coupon
    other = f"order-{uuid.uuid4().hex[:12]}"
    tap.put("buynest.orders", "OrderCreated", {**created, "orderId": other})
    assert tap.wait("CouponRejected", orderId=other)["detail"]["data"]["reason"]

    # OrderConfirmed (as the orders service sends it) makes it USED; a duplicate changes nothing
    confirmed = {**created, "discount": 4999, "pointsUsed": 0, "pointsEarned": 283, "total": 28334}
    tap.put("buynest.orders", "OrderConfirmed", confirmed)
    wait_for(lambda: status() == "USED", what="coupon USED")
    tap.put("buynest.orders", "OrderConfirmed", confirmed)

    # Cancelling the confirmed order gives it back
    tap.put("buynest.orders", "OrderCancelled", confirmed)
    wait_for(lambda: status() == "ISSUED", what="coupon back to ISSUED")


def test_a_failed_order_gives_the_coupon_back_and_small_orders_are_rejected(
    api: Api, admin: dict[str, Any], new_customer: Callable[..., Any], bus_tap: Callable[..., Any]
) -> None:
    tap = bus_tap(["buynest.coupons"])
    code = campaign(api, admin, discountType="FIXED", value=5000, minOrderAmount=20000)["code"]
    customer = new_customer()
    coupon = api.post(f"/coupons/{code}/issue", token=customer["token"]).json()
    line = {"productId": "p1", "quantity": 1, "unitPrice": 20000}
    base = {"userId": customer["userId"], "couponId": coupon["couponId"], "pointsToUse": 0, "items": [line]}

    small = f"order-{uuid.uuid4().hex[:12]}"
    tap.put("buynest.orders", "OrderCreated", {**base, "orderId": small, "subtotal": 19999})
    assert "MIN" in tap.wait("CouponRejected", orderId=small)["detail"]["data"]["reason"]

    order_id = f"order-{uuid.uuid4().hex[:12]}"
    tap.put("buynest.orders", "OrderCreated", {**base, "orderId": order_id, "subtotal": 20000})
    assert tap.wait("CouponReserved", orderId=order_id)["detail"]["data"]["discount"] == 5000
    tap.put("buynest.orders", "OrderFailed", {**base, "orderId": order_id, "reason": "OUT_OF_STOCK"})

    def back() -> bool:
        items = api.get("/users/me/coupons", token=customer["token"]).json()["items"]
        return any(c["couponId"] == coupon["couponId"] and c["status"] == "ISSUED" for c in items)

    wait_for(back, what="coupon back to ISSUED after OrderFailed")
