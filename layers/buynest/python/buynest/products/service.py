"""Catalog use cases for admins (create, change, delete) and shoppers (browse)."""

from __future__ import annotations

from typing import Any, Protocol

from buynest.core.ids import new_id, now_iso
from buynest.products.domain import Product, ProductNotFound


class ProductRepository(Protocol):
    """Port to the products table. ``update``/``delete`` raise ``ProductNotFound`` for a missing product."""

    def put(self, product: Product) -> None: ...
    def get(self, product_id: str) -> Product | None: ...
    def update(self, product_id: str, changes: dict[str, Any], updated_at: str) -> Product: ...
    def delete(self, product_id: str) -> None: ...
    def list(self, category: str | None, limit: int, cursor: str | None) -> tuple[list[Product], str | None]: ...


class ProductService:
    def __init__(self, repo: ProductRepository) -> None:
        self._repo = repo

    def create(self, name: str, description: str, price: int, stock: int, category: str) -> Product:
        now = now_iso()
        product = Product(
            product_id=new_id(),
            name=name,
            description=description,
            price=price,
            stock=stock,
            category=category,
            created_at=now,
            updated_at=now,
        )
        self._repo.put(product)
        return product

    def get(self, product_id: str) -> Product:
        product = self._repo.get(product_id)
        if product is None:
            raise ProductNotFound(f"product {product_id} does not exist")
        return product

    def update(self, product_id: str, changes: dict[str, Any]) -> Product:
        return self._repo.update(product_id, changes, now_iso())

    def delete(self, product_id: str) -> None:
        self._repo.delete(product_id)

    def list(self, category: str | None, limit: int, cursor: str | None) -> tuple[list[Product], str | None]:
        """Newest first, optionally one category; ``cursor`` continues a previous page."""
        return self._repo.list(category, limit, cursor)
