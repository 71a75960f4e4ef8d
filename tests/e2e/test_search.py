"""Search through the API as a shopper would: words, prefixes, sorts, pages, category + q, Korean names; a renamed
and a deleted product leaving their old words. Every test files its products under a word of its own (``tag``), so
other tests' products never show up."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import Api, wait_for


@pytest.fixture
def tag() -> str:
    return "t" + uuid.uuid4().hex[:9]


@pytest.fixture
def add(api: Api, admin: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    def make(name: str, price: int, category: str = "e2e-search") -> dict[str, Any]:
        body = {"name": name, "description": "", "price": price, "stock": 5, "category": category}
        resp = api.post("/products", json=body, token=admin["token"])
        assert resp.status_code == 201, resp.text
        return resp.json()

    return make


def search(api: Api, **params: Any) -> list[str]:
    resp = api.get("/products", params=params)
    assert resp.status_code == 200, resp.text
    return [p["name"] for p in resp.json()["items"]]


def until(api: Api, expected: list[str], **params: Any) -> None:
    """Wait (with a deadline) until the index, fed by the products stream, answers ``expected``."""
    wait_for(lambda: search(api, **params) == expected, timeout=30, interval=0.3, what=f"{params} -> {expected}")


def test_words_prefixes_sorts_pages_and_categories(api: Api, add: Callable[..., Any], tag: str) -> None:
    cat_a, cat_b = f"a-{tag}", f"b-{tag}"
    add(f"{tag} Ceramic mug", 18_000, cat_a)
    add(f"{tag} Ceramic bowl", 12_000, cat_a)
    add(f"{tag} Glass mug", 9_000, cat_a)
    add(f"{tag} Ceramic plate", 15_000, cat_b)
    add(f"{tag} 도자기 머그잔", 21_000, cat_b)
    by_price = [f"{tag} Glass mug", f"{tag} Ceramic bowl", f"{tag} Ceramic plate", f"{tag} Ceramic mug"]
    by_price.append(f"{tag} 도자기 머그잔")
    until(api, by_price, q=tag, sort="price_asc")  # all five filed (the stream delivers them in batches)
    assert search(api, q=f"{tag} cer mu") == [f"{tag} Ceramic mug"]

    assert search(api, q=f"{tag.upper()} MUG", sort="price_asc") == [f"{tag} Glass mug", f"{tag} Ceramic mug"]
    assert search(api, q=f"{tag[:6]} 머그") == [f"{tag} 도자기 머그잔"]
    assert search(api, q=f"{tag} 도자") == [f"{tag} 도자기 머그잔"]
    assert search(api, q=f"{tag} ramic") == []  # a word matches by its beginning only
    assert search(api, q=tag, sort="price_desc") == by_price[::-1]
    assert search(api, q=tag) == search(api, q=tag, sort="newest")
    assert search(api, q=tag)[0] == f"{tag} 도자기 머그잔"  # newest first
    assert search(api, q=f"{tag}, ceramic!", category=cat_a, sort="price_asc") == [
        f"{tag} Ceramic bowl",
        f"{tag} Ceramic mug",
    ]
    assert search(api, category=cat_b, sort="price_desc") == [f"{tag} 도자기 머그잔", f"{tag} Ceramic plate"]

    seen: list[str] = []
    params: dict[str, Any] = {"q": tag, "sort": "price_asc", "limit": 2}
    for _ in range(5):
        body = api.get("/products", params=params).json()
        assert len(body["items"]) <= 2
        seen += [p["name"] for p in body["items"]]
        if body["nextCursor"] is None:
            break
        params["cursor"] = body["nextCursor"]
    assert seen == by_price


def test_a_renamed_and_a_deleted_product_leave_their_old_words(
    api: Api, admin: dict[str, Any], add: Callable[..., Any], tag: str
) -> None:
    mug = add(f"{tag} Ceramic mug", 18_000)
    bowl = add(f"{tag} Ceramic bowl", 12_000)
    until(api, [f"{tag} Ceramic bowl", f"{tag} Ceramic mug"], q=f"{tag} ceramic", sort="price_asc")

    assert api.patch(f"/products/{mug['productId']}", json={"name": f"{tag} Stoneware cup"}, token=admin["token"]).ok
    assert api.delete(f"/products/{bowl['productId']}", token=admin["token"]).status_code == 204
    assert search(api, q=f"{tag} mug") == []  # at once: the page is checked against the products as they are
    until(api, [f"{tag} Stoneware cup"], q=f"{tag} stone cu")
    assert search(api, q=f"{tag} ceramic") == []
    assert search(api, q=tag) == [f"{tag} Stoneware cup"]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"q": ""}, "q"), ({"q": "x" * 101}, "q"), ({"q": "?!"}, "q"), ({"sort": "cheap"}, "sort")],
)
def test_bad_search_parameters_are_400_naming_them(api: Api, params: dict[str, str], field: str) -> None:
    resp = api.get("/products", params=params)
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "VALIDATION_ERROR" and resp.json()["error"]["message"].startswith(field)
