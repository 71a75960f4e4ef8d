from __future__ import annotations

from typing import Any

import pytest

from buynest.products.service import ProductService
from tests.conftest import api_event, call, load_handler

create = load_handler("products/create_product")
list_ = load_handler("products/list_products")
get = load_handler("products/get_product")
update = load_handler("products/update_product")
delete = load_handler("products/delete_product")

VALID = {"name": "Green tea", "description": "Jeju sencha", "price": 15000, "stock": 10, "category": "tea"}


def one(method: str, path: str, resource: str, **kw: Any) -> tuple[int, Any]:
    module = {"POST": create, "PATCH": update, "DELETE": delete}.get(method, get)
    return call(module, api_event(method, path, resource, **kw))


def test_admin_creates_a_product(products: ProductService, admin_token: str) -> None:
    status, body = call(create, api_event("POST", "/products", body=VALID, token=admin_token))
    assert status == 201
    assert {k: body[k] for k in VALID} == VALID
    assert body["images"] == [] and body["productId"] and body["createdAt"].endswith("Z")


def test_only_admins_write(products: ProductService, customer_token: str) -> None:
    assert call(create, api_event("POST", "/products", body=VALID, token=customer_token))[0] == 403
    assert call(create, api_event("POST", "/products", body=VALID))[0] == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"price": -1}, "price"),
        ({"price": 10.5}, "price"),
        ({"price": "100"}, "price"),
        ({"stock": True}, "stock"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"description": "d" * 5001}, "description"),
        ({"category": "Tea & Coffee!"}, "category"),
        ({"colour": "green"}, "colour"),
    ],
)
def test_create_refuses_bad_fields(
    products: ProductService, admin_token: str, change: dict[str, Any], field: str
) -> None:
    status, body = call(create, api_event("POST", "/products", body={**VALID, **change}, token=admin_token))
    assert status == 400 and body["error"]["code"] == "VALIDATION_ERROR"
    assert body["error"]["message"].startswith(field)


def test_get_and_missing(products: ProductService, make_product: Any) -> None:
    product = make_product()
    pid = product.product_id
    status, body = call(
        get, api_event("GET", f"/products/{pid}", "/products/{productId}", path_params={"productId": pid})
    )
    assert status == 200 and body["productId"] == pid
    status, body = call(
        get, api_event("GET", "/products/NOPE", "/products/{productId}", path_params={"productId": "NOPE"})
    )
    assert status == 404 and body["error"]["code"] == "NOT_FOUND"


def test_patch_changes_only_what_is_sent(products: ProductService, make_product: Any, admin_token: str) -> None:
    pid = make_product(price=1000, stock=3).product_id
    ev = api_event(
        "PATCH",
        f"/products/{pid}",
        "/products/{productId}",
        body={"price": 900},
        path_params={"productId": pid},
        token=admin_token,
    )
    status, body = call(update, ev)
    assert status == 200 and body["price"] == 900 and body["stock"] == 3
    for bad in ({}, {"price": None}, {"stock": -5}):
        ev = api_event(
            "PATCH",
            f"/products/{pid}",
            "/products/{productId}",
            body=bad,
            path_params={"productId": pid},
            token=admin_token,
        )
        assert call(update, ev)[0] == 400
    ev = api_event(
        "PATCH",
        "/products/NOPE",
        "/products/{productId}",
        body={"price": 1},
        path_params={"productId": "NOPE"},
        token=admin_token,
    )
    assert call(update, ev)[0] == 404


def test_delete(products: ProductService, make_product: Any, admin_token: str, customer_token: str) -> None:
    pid = make_product().product_id
    ev = {"path_params": {"productId": pid}}
    assert (
        call(delete, api_event("DELETE", f"/products/{pid}", "/products/{productId}", token=customer_token, **ev))[0]
        == 403
    )
    assert call(delete, api_event("DELETE", f"/products/{pid}", "/products/{productId}", token=admin_token, **ev)) == (
        204,
        None,
    )
    assert (
        call(delete, api_event("DELETE", f"/products/{pid}", "/products/{productId}", token=admin_token, **ev))[0]
        == 404
    )


def test_list_pages_through_everything_newest_first(products: ProductService, make_product: Any) -> None:
    made = [make_product(name=f"p{i}", category="tea" if i % 2 else "cups") for i in range(7)]
    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        status, body = call(list_, api_event("GET", "/products", query=query))
        assert status == 200 and len(body["items"]) <= 3
        seen += [p["productId"] for p in body["items"]]
        cursor = body["nextCursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(p.product_id for p in made) and len(seen) == 7
    status, body = call(list_, api_event("GET", "/products", query={"category": "tea"}))
    assert {p["category"] for p in body["items"]} == {"tea"} and len(body["items"]) == 3


@pytest.mark.parametrize(
    "query", [{"limit": "0"}, {"limit": "101"}, {"limit": "ten"}, {"cursor": "garbage!"}, {"sort": "price"}]
)
def test_list_refuses_bad_queries(products: ProductService, query: dict[str, str]) -> None:
    status, body = call(list_, api_event("GET", "/products", query=query))
    assert status == 400 and body["error"]["code"] == "VALIDATION_ERROR"
