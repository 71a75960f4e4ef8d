"""Builds the products service from the environment, once per container (tests may install their own)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from buynest.core.config import env_str
from buynest.products.service import ProductService

if TYPE_CHECKING:
    from buynest.products.saga import StockSaga


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
        from buynest.core.s3 import S3PresignedLinks
        from buynest.products.store import DynamoProductRepository

        settings = ProductsSettings.from_env()
        links = S3PresignedLinks(settings.images_bucket) if settings.images_bucket else None
        _service = ProductService(DynamoProductRepository(settings.products_table), links)
    return _service


def set_product_service(service: ProductService | None) -> None:
    """Install a service built on fakes (unit tests) instead of the DynamoDB one."""
    global _service
    _service = service


@dataclass(frozen=True)
class StockSagaSettings:
    products_table: str
    event_bus_name: str

    @classmethod
    def from_env(cls) -> StockSagaSettings:
        return cls(products_table=env_str("PRODUCTS_TABLE"), event_bus_name=env_str("EVENT_BUS_NAME"))


_stock_saga: StockSaga | None = None


def stock_saga() -> StockSaga:
    """The stock side of the order saga on the products table and the bus, built on first use."""
    global _stock_saga
    if _stock_saga is None:
        from buynest.core.events import EventBridgePublisher
        from buynest.products.saga import StockSaga
        from buynest.products.store import DynamoStockLedger

        settings = StockSagaSettings.from_env()
        ledger = DynamoStockLedger(settings.products_table)
        _stock_saga = StockSaga(ledger, EventBridgePublisher(settings.event_bus_name))
    return _stock_saga


def set_stock_saga(saga: StockSaga | None) -> None:
    """Install a saga built on fakes (tests) instead of the DynamoDB/EventBridge one; None resets."""
    global _stock_saga
    _stock_saga = saga
