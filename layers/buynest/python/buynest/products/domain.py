"""Products: the catalog's rules, in plain Python."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from buynest.core.errors import BuynestError, NotFound

MAX_PRICE = 1_000_000_000_000
MAX_STOCK = 1_000_000_000


class ProductError(BuynestError):
    """Base of the products service's errors."""


class ProductNotFound(ProductError, NotFound):
    pass


@dataclass(frozen=True)
class Product:
    product_id: str
    name: str
    description: str
    price: int
    stock: int
    category: str
    created_at: str
    updated_at: str
    images: list[dict[str, Any]] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return {
            "productId": self.product_id,
            "name": self.name,
            "description": self.description,
            "price": self.price,
            "stock": self.stock,
            "category": self.category,
            "images": list(self.images),
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }
