"""The catalog over HTTP: admins manage it, everyone browses it."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import Api


@pytest.fixture
def category() -> str:
    """A category of this test alone, so lists are not disturbed by other tests' products."""
    return f"cat-{uuid.uuid4().hex[:10]}"


def product_body(category: str, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "Hand-thrown mug",
        "description": "Stoneware, 350 ml",
        "price": 18000,
        "stock": 12,
        "category": category,
        **overrides,
    }


def test_admin_manages_a_product(api: Api, admin: dict[str, Any], category: str) -> None:
    token = admin["token"]
    resp = api.post("/products", json=product_body(category), token=token)
    assert resp.status_code == 201
    product = resp.json()
    pid = product["productId"]
    assert product["price"] == 18000 and product["images"] == [] and product["createdAt"] == product["updatedAt"]

    assert api.get(f"/products/{pid}").json() == product

    resp = api.patch(f"/products/{pid}", json={"price": 16000, "stock": 0}, token=token)
    assert resp.status_code == 200
    assert (resp.json()["price"], resp.json()["stock"], resp.json()["name"]) == (16000, 0, "Hand-thrown mug")
    assert api.get(f"/products/{pid}").json()["price"] == 16000

    assert api.delete(f"/products/{pid}", token=token).status_code == 204
    resp = api.get(f"/products/{pid}")
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "NOT_FOUND"
    assert api.delete(f"/products/{pid}", token=token).status_code == 404
    assert api.patch(f"/products/{pid}", json={"price": 1}, token=token).status_code == 404


def test_customers_and_strangers_cannot_write(
    api: Api, admin: dict[str, Any], new_customer: Callable[..., dict[str, Any]], category: str
) -> None:
    customer = new_customer()["token"]
    assert api.post("/products", json=product_body(category), token=customer).status_code == 403
    assert api.post("/products", json=product_body(category)).status_code == 401
    pid = api.post("/products", json=product_body(category), token=admin["token"]).json()["productId"]
    resp = api.patch(f"/products/{pid}", json={"price": 1}, token=customer)
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "FORBIDDEN"
    assert api.delete(f"/products/{pid}", token=customer).status_code == 403
    assert api.delete(f"/products/{pid}").status_code == 401
    assert api.get(f"/products/{pid}").json()["price"] == 18000


def test_list_is_paginated_and_filtered(api: Api, admin: dict[str, Any], category: str) -> None:
    other = category + "-other"
    made = [
        api.post("/products", json=product_body(category, name=f"Cup {i}"), token=admin["token"]).json()
        for i in range(5)
    ]
    api.post("/products", json=product_body(other), token=admin["token"])

    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params = {"category": category, "limit": 2, **({"cursor": cursor} if cursor else {})}
        resp = api.get("/products", params=params)
        assert resp.status_code == 200
        page = resp.json()
        assert len(page["items"]) <= 2
        seen += [p["productId"] for p in page["items"]]
        cursor = page["nextCursor"]
        if not cursor:
            break
    assert seen == [p["productId"] for p in reversed(made)]

    everything = api.get("/products", params={"limit": 100}).json()
    assert len(everything["items"]) >= 6


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"price": -1}, "price"),
        ({"price": 99.5}, "price"),
        ({"stock": "3"}, "stock"),
        ({"name": "n" * 201}, "name"),
        ({"description": "d" * 5001}, "description"),
        ({"discount": 10}, "discount"),
    ],
)
def test_bad_products_are_refused(
    api: Api, admin: dict[str, Any], category: str, body: dict[str, Any], field: str
) -> None:
    resp = api.post("/products", json=product_body(category, **body), token=admin["token"])
    assert resp.status_code == 400
    assert resp.json()["error"]["message"].startswith(field)


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 1000}, {"limit": "many"}, {"cursor": "not-a-cursor"}])
def test_bad_list_queries_are_refused(api: Api, params: dict[str, Any]) -> None:
    resp = api.get("/products", params=params)
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "VALIDATION_ERROR"


def test_unknown_product_is_404(api: Api) -> None:
    for pid in ("01ZZZZZZZZZZZZZZZZZZZZZZZZ", "no such thing", "x" * 300):
        resp = api.get(f"/products/{pid}")
        assert resp.status_code == 404


def test_forged_and_foreign_cursors_are_400(api: Api, admin: dict[str, Any], category: str) -> None:
    for _ in range(3):
        api.post("/products", json=product_body(category), token=admin["token"])
    cursor = api.get("/products", params={"category": category, "limit": 1}).json()["nextCursor"]
    assert cursor
    other = api.get("/products", params={"category": category + "-x", "cursor": cursor})
    assert other.status_code == 400 and "cursor" in other.json()["error"]["message"]
    key = {"catalog": {"S": "catalog"}, "productId": {"S": "x"}, "sortKey": {"N": "1"}}
    forged = base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")
    assert api.get("/products", params={"cursor": forged}).status_code == 400
