"""Builds the products service from the environment, once per container (tests may install their own)."""

from __future__ import annotations

from dataclasses import dataclass

from buynest.core.config import env_str
from buynest.products.service import ProductService


@dataclass(frozen=True)
class ProductsSettings:
    products_table: str

    @classmethod
    def from_env(cls) -> ProductsSettings:
        return cls(products_table=env_str("PRODUCTS_TABLE"))


_service: ProductService | None = None


def product_service() -> ProductService:
    global _service
    if _service is None:
        from buynest.products.store import DynamoProductRepository

        _service = ProductService(DynamoProductRepository(ProductsSettings.from_env().products_table))
    return _service


def set_product_service(service: ProductService | None) -> None:
    """Install a service built on fakes (unit tests) instead of the DynamoDB one."""
    global _service
    _service = service
