"""Orders end to end, as shoppers use them: the saga over the bus, the payment workflow, every order final, and
everything given back when an order fails or is cancelled."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import Api, wait_for

FINAL = {"CONFIRMED", "FAILED", "CANCELLED"}


@pytest.fixture
def make_product(api: Api, admin: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    def make(price: int = 10000, stock: int = 10) -> dict[str, Any]:
        body = {
            "name": f"Item {uuid.uuid4().hex[:6]}",
            "description": "",
            "price": price,
            "stock": stock,
            "category": "e2e-orders",
        }
        resp = api.post("/products", json=body, token=admin["token"])
        assert resp.status_code == 201
        return resp.json()

    return make


def order(api: Api, token: str, items: list[tuple[str, int]], payment: str = "tok_ok", **extra: Any) -> dict[str, Any]:
    body = {
        "items": [{"productId": p, "quantity": q} for p, q in items],
        "payment": {"method": "card", "token": payment},
        **extra,
    }
    resp = api.post("/orders", json=body, token=token, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert resp.status_code == 202, resp.text
    assert resp.json()["status"] == "PENDING"
    return resp.json()


def final(api: Api, token: str, order_id: str, timeout: float = 30) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        body = api.get(f"/orders/{order_id}", token=token).json()
        return body if body["status"] in FINAL else None

    return wait_for(probe, timeout=timeout, interval=0.2, what=f"order {order_id} final")


def stock(api: Api, product_id: str) -> int:
    return int(api.get(f"/products/{product_id}").json()["stock"])


def points(api: Api, token: str) -> int:
    return int(api.get("/users/me", token=token).json()["points"])


def test_happy_path(api: Api, new_customer: Callable[..., Any], make_product: Callable[..., Any]) -> None:
    customer, product = new_customer(), make_product(price=12345, stock=5)
    placed = order(api, customer["token"], [(product["productId"], 2)])
    done = final(api, customer["token"], placed["orderId"])
    assert done["status"] == "CONFIRMED" and done["failureReason"] is None
    assert [t["status"] for t in done["timeline"]] == ["PENDING", "RESERVED", "PAID", "CONFIRMED"]
    assert done["amounts"] == {"subtotal": 24690, "discount": 0, "pointsUsed": 0, "total": 24690}
    assert done["items"][0]["unitPrice"] == 12345
    assert stock(api, product["productId"]) == 3
    wait_for(lambda: points(api, customer["token"]) == 246, what="1% points earned")
    listed = api.get("/orders", token=customer["token"]).json()["items"]
    assert [o["orderId"] for o in listed] == [placed["orderId"]]


@pytest.mark.parametrize(
    ("token", "status", "reason"),
    [
        ("tok_decline", "FAILED", "PAYMENT_DECLINED"),
        ("tok_flaky", "CONFIRMED", None),
        ("tok_down", "FAILED", "PAYMENT_ERROR"),
    ],
)
def test_payment_tokens(
    api: Api,
    new_customer: Callable[..., Any],
    make_product: Callable[..., Any],
    token: str,
    status: str,
    reason: str | None,
) -> None:
    customer, product = new_customer(), make_product(stock=4)
    placed = order(api, customer["token"], [(product["productId"], 1)], payment=token)
    done = final(api, customer["token"], placed["orderId"], timeout=45)
    assert (done["status"], done["failureReason"]) == (status, reason)
    expected_stock = 3 if status == "CONFIRMED" else 4
    wait_for(lambda: stock(api, product["productId"]) == expected_stock, what="stock settled")


def test_out_of_stock_fails_and_holds_nothing(
    api: Api, new_customer: Callable[..., Any], make_product: Callable[..., Any]
) -> None:
    customer, scarce, plenty = new_customer(), make_product(stock=1), make_product(stock=9)
    placed = order(api, customer["token"], [(plenty["productId"], 2), (scarce["productId"], 2)])
    done = final(api, customer["token"], placed["orderId"])
    assert (done["status"], done["failureReason"]) == ("FAILED", "OUT_OF_STOCK")
    assert stock(api, scarce["productId"]) == 1 and stock(api, plenty["productId"]) == 9


def test_unknown_product_and_bad_requests(api: Api, new_customer: Callable[..., Any]) -> None:
    token = new_customer()["token"]
    body = {
        "items": [{"productId": "01NOSUCHPRODUCT00000000000", "quantity": 1}],
        "payment": {"method": "card", "token": "tok_ok"},
    }
    assert api.post("/orders", json=body, token=token, headers={"Idempotency-Key": "k1"}).status_code == 404
    assert api.post("/orders", json=body, token=token).status_code == 400
    assert (
        api.post("/orders", json={**body, "items": []}, token=token, headers={"Idempotency-Key": "k2"}).status_code
        == 400
    )
    assert api.post("/orders", json=body, headers={"Idempotency-Key": "k3"}).status_code == 401


def coupon_for(api: Api, admin: dict[str, Any], customer: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    code = f"ORD{uuid.uuid4().hex[:8].upper()}"
    expires = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    campaign = {
        "code": code,
        "discountType": "FIXED",
        "value": 3000,
        "totalQuantity": 10,
        "expiresAt": expires,
        "minOrderAmount": 0,
        **overrides,
    }
    assert api.post("/coupons", json=campaign, token=admin["token"]).status_code == 201
    issued = api.post(f"/coupons/{code}/issue", token=customer["token"])
    assert issued.status_code == 201
    return issued.json()


def coupon_status(api: Api, token: str, coupon_id: str) -> str:
    items = api.get("/users/me/coupons", token=token).json()["items"]
    return next(c["status"] for c in items if c["couponId"] == coupon_id)


def test_coupon_and_points_then_cancel_gives_everything_back(
    api: Api, admin: dict[str, Any], new_customer: Callable[..., Any], make_product: Callable[..., Any]
) -> None:
    customer, product = new_customer(), make_product(price=50000, stock=10)
    token, pid = customer["token"], product["productId"]
    # Given 1,000 points from a first order
    first = final(api, token, order(api, token, [(pid, 2)])["orderId"])
    assert first["status"] == "CONFIRMED"
    wait_for(lambda: points(api, token) == 1000, what="points from the first order")
    coupon = coupon_for(api, admin, customer, value=3000)

    # When the customer orders with the coupon and 400 points
    placed = order(api, token, [(pid, 1)], couponId=coupon["couponId"], pointsToUse=400)
    done = final(api, token, placed["orderId"])

    # Then the discount and points are applied, the coupon is used and 1 % of what was paid is earned
    assert done["status"] == "CONFIRMED"
    assert done["amounts"] == {"subtotal": 50000, "discount": 3000, "pointsUsed": 400, "total": 46600}
    wait_for(lambda: points(api, token) == 1000 - 400 + 466, what="points spent and earned")
    wait_for(lambda: coupon_status(api, token, coupon["couponId"]) == "USED", what="coupon USED")
    assert stock(api, pid) == 7

    # When it is cancelled, everything comes back and the earned points are taken back
    resp = api.post(f"/orders/{placed['orderId']}/cancel", token=token)
    assert resp.status_code == 200 and resp.json()["status"] == "CANCELLED"
    wait_for(lambda: stock(api, pid) == 8, what="restocked")
    wait_for(lambda: coupon_status(api, token, coupon["couponId"]) == "ISSUED", what="coupon back")
    wait_for(lambda: points(api, token) == 1000, what="points back")
    again = api.post(f"/orders/{placed['orderId']}/cancel", token=token)
    assert again.status_code == 409 and again.json()["error"]["code"] == "NOT_CANCELLABLE"


def test_cancelling_an_order_whose_points_were_spent_mints_nothing(
    api: Api, new_customer: Callable[..., Any], make_product: Callable[..., Any]
) -> None:
    """Guards against minting points (issue 10): A earns 1,000 points, B is paid with them, the customer cancels A,
    then B. Before the fix, taking back A's points stopped at the balance (0) and B's points came back afterwards:
    1,000 points that no confirmed order earned. Now the take-back is in full (the balance goes to -1,000, which
    cannot be spent) and the customer ends with 0."""
    customer, big, small = new_customer(), make_product(price=100_000), make_product(price=1_000)
    token = customer["token"]
    a = final(api, token, order(api, token, [(big["productId"], 1)])["orderId"])
    assert (a["status"], a["pointsEarned"]) == ("CONFIRMED", 1000)
    wait_for(lambda: points(api, token) == 1000, what="A's points earned")
    b = final(api, token, order(api, token, [(small["productId"], 1)], pointsToUse=1000)["orderId"])
    assert (b["status"], b["amounts"]["pointsUsed"], b["amounts"]["total"]) == ("CONFIRMED", 1000, 0)
    wait_for(lambda: points(api, token) == 0, what="B paid with them")

    assert api.post(f"/orders/{a['orderId']}/cancel", token=token).status_code == 200
    wait_for(lambda: points(api, token) == -1000, what="A's points taken back in full")
    debt = final(api, token, order(api, token, [(small["productId"], 1)], pointsToUse=1)["orderId"])
    assert (debt["status"], debt["failureReason"]) == ("FAILED", "INSUFFICIENT_POINTS")

    assert api.post(f"/orders/{b['orderId']}/cancel", token=token).status_code == 200
    wait_for(lambda: points(api, token) == 0, what="B's points returned")


def test_rejections_fail_the_order_and_release_the_rest(
    api: Api, admin: dict[str, Any], new_customer: Callable[..., Any], make_product: Callable[..., Any]
) -> None:
    customer, product = new_customer(), make_product(price=10000, stock=5)
    token, pid = customer["token"], product["productId"]
    small = coupon_for(api, admin, customer, minOrderAmount=50000)
    done = final(api, token, order(api, token, [(pid, 1)], couponId=small["couponId"])["orderId"])
    assert (done["status"], done["failureReason"]) == ("FAILED", "COUPON_INVALID")
    done = final(api, token, order(api, token, [(pid, 1)], pointsToUse=100)["orderId"])
    assert (done["status"], done["failureReason"]) == ("FAILED", "INSUFFICIENT_POINTS")
    wait_for(lambda: stock(api, pid) == 5, what="stock released")
    assert coupon_status(api, token, small["couponId"]) == "ISSUED"


def test_others_cannot_see_or_cancel_an_order(
    api: Api, new_customer: Callable[..., Any], make_product: Callable[..., Any]
) -> None:
    alice, bob, product = new_customer(), new_customer(), make_product()
    placed = order(api, alice["token"], [(product["productId"], 1)])
    assert api.get(f"/orders/{placed['orderId']}", token=bob["token"]).status_code == 404
    assert api.post(f"/orders/{placed['orderId']}/cancel", token=bob["token"]).status_code == 404
    assert api.get("/orders", token=bob["token"]).json()["items"] == []
    final(api, alice["token"], placed["orderId"])


def test_concurrent_repeats_of_one_post_create_one_order(
    api: Api, new_customer: Callable[..., Any], make_product: Callable[..., Any]
) -> None:
    customer, product = new_customer(), make_product(stock=50)
    body = {
        "items": [{"productId": product["productId"], "quantity": 1}],
        "payment": {"method": "card", "token": "tok_ok"},
    }
    key = uuid.uuid4().hex

    def post(_: int) -> tuple[int, dict[str, Any]]:
        resp = api.post("/orders", json=body, token=customer["token"], headers={"Idempotency-Key": key})
        return resp.status_code, resp.json()

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(post, range(8)))
    ids = {r["orderId"] for status, r in results if status == 202}
    assert len(ids) == 1
    assert all(
        status == 202 or (status == 409 and r["error"]["code"] == "IDEMPOTENCY_IN_PROGRESS") for status, r in results
    )
    reused = api.post("/orders", json={**body, "pointsToUse": 0, "items": [{"productId": product["productId"], "quantity": 2}]},
                      token=customer["token"], headers={"Idempotency-Key": key})  # fmt: skip
    assert reused.status_code == 422 and reused.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    final(api, customer["token"], ids.pop())
    assert len(api.get("/orders", token=customer["token"]).json()["items"]) == 1


def test_thirty_buyers_for_ten_units(
    api: Api, new_customer: Callable[..., Any], make_product: Callable[..., Any], admin: dict[str, Any]
) -> None:
    product = make_product(price=1000, stock=10)
    with ThreadPoolExecutor(10) as pool:
        customers = list(pool.map(lambda _: new_customer(), range(30)))
        placed = list(pool.map(lambda c: (c, order(api, c["token"], [(product["productId"], 1)])), customers))
        results = list(pool.map(lambda cp: final(api, cp[0]["token"], cp[1]["orderId"], timeout=240), placed))
    outcomes = Counter((r["status"], r["failureReason"]) for r in results)
    assert outcomes == {("CONFIRMED", None): 10, ("FAILED", "OUT_OF_STOCK"): 20}
    assert stock(api, product["productId"]) == 0
    stats = api.get("/admin/stats", token=admin["token"]).json()
    assert stats["ordersConfirmed"] >= 10 and stats["revenue"] >= 10000
