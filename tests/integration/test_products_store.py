"""The products adapter against moto's DynamoDB, with the template's table and indexes."""

from __future__ import annotations

from typing import Any

import pytest

from buynest.products.domain import Product, ProductNotFound
from buynest.products.store import DynamoProductRepository


def product(pid: str, category: str = "tea", created: str = "2026-11-27T10:00:00Z") -> Product:
    return Product(
        product_id=pid,
        name=f"n{pid}",
        description="",
        price=100,
        stock=1,
        category=category,
        created_at=created,
        updated_at=created,
    )


@pytest.fixture
def repo(aws: dict[str, Any]) -> DynamoProductRepository:
    return DynamoProductRepository(aws["tables"]["ProductsTable"])


def test_put_get_update_delete(repo: DynamoProductRepository) -> None:
    repo.put(product("P1"))
    assert repo.get("P1") == product("P1")
    changed = repo.update("P1", {"price": 90, "name": "Tea"}, "2026-11-27T11:00:00Z")
    assert (changed.price, changed.name, changed.stock, changed.updated_at) == (90, "Tea", 1, "2026-11-27T11:00:00Z")
    repo.delete("P1")
    assert repo.get("P1") is None


def test_writes_to_a_missing_product_fail_and_create_nothing(
    repo: DynamoProductRepository, aws: dict[str, Any]
) -> None:
    with pytest.raises(ProductNotFound):
        repo.update("GHOST", {"price": 1}, "2026-11-27T11:00:00Z")
    with pytest.raises(ProductNotFound):
        repo.delete("GHOST")
    assert aws["ddb"].scan(TableName=aws["tables"]["ProductsTable"])["Count"] == 0


def test_lists_newest_first_by_page_and_category(repo: DynamoProductRepository) -> None:
    for i in range(5):
        repo.put(product(f"P{i}", category="tea" if i % 2 else "cups", created=f"2026-11-27T10:00:0{i}Z"))
    first, cursor = repo.list(None, 2, None)
    assert [p.product_id for p in first] == ["P4", "P3"] and cursor
    second, cursor = repo.list(None, 2, cursor)
    assert [p.product_id for p in second] == ["P2", "P1"]
    rest, _ = repo.list(None, 2, cursor)
    assert [p.product_id for p in rest] == ["P0"]
    tea, _ = repo.list("tea", 10, None)
    assert [p.product_id for p in tea] == ["P3", "P1"]
