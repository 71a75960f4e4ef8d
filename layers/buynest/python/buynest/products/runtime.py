"""Builds the products service from the environment, once per container (tests may install their own)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from buynest.core.config import env_str
from buynest.products.service import ProductService


@dataclass(frozen=True)
class ProductsSettings:
    products_table: str
    images_bucket: str | None = None

    @classmethod
    def from_env(cls) -> ProductsSettings:
        return cls(products_table=env_str("PRODUCTS_TABLE"), images_bucket=os.environ.get("IMAGES_BUCKET") or None)


_service: ProductService | None = None


def product_service() -> ProductService:
    global _service
    if _service is None:
        from buynest.images.storage import S3ImageLinks
        from buynest.products.store import DynamoProductRepository

        settings = ProductsSettings.from_env()
        links = S3ImageLinks(settings.images_bucket) if settings.images_bucket else None
        _service = ProductService(DynamoProductRepository(settings.products_table), links)
    return _service


def set_product_service(service: ProductService | None) -> None:
    """Install a service built on fakes (unit tests) instead of the DynamoDB one."""
    global _service
    _service = service
