"""Builds the products service from the environment, once per container (tests may install their own)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from buynest.core.config import env_str
from buynest.core.lazy import Lazy
from buynest.products.service import ProductService

if TYPE_CHECKING:
    from buynest.products.saga import StockSaga
    from buynest.products.search_service import NameIndexer


@dataclass(frozen=True)
class ProductsSettings:
    products_table: str
    images_bucket: str | None = None
    search_table: str | None = None

    @classmethod
    def from_env(cls) -> ProductsSettings:
        return cls(
            products_table=env_str("PRODUCTS_TABLE"),
            images_bucket=os.environ.get("IMAGES_BUCKET") or None,
            search_table=os.environ.get("SEARCH_TABLE") or None,
        )


def _build_product_service() -> ProductService:
    from buynest.core.s3 import S3PresignedLinks
    from buynest.products.store import DynamoProductRepository

    settings = ProductsSettings.from_env()
    links = S3PresignedLinks(settings.images_bucket) if settings.images_bucket else None
    search = None
    if settings.search_table:
        from buynest.products.search_store import DynamoSearchIndex

        search = DynamoSearchIndex(settings.search_table)
    return ProductService(DynamoProductRepository(settings.products_table), links, search)


product_service = Lazy(_build_product_service)
set_product_service = product_service.set


def _build_name_indexer() -> NameIndexer:
    """The name index's keeper, fed by the products table's stream."""
    from buynest.products.search_service import NameIndexer
    from buynest.products.search_store import DynamoSearchIndex, indexed_from_image

    return NameIndexer(DynamoSearchIndex(env_str("SEARCH_TABLE")), indexed_from_image)


name_indexer = Lazy(_build_name_indexer)
set_name_indexer = name_indexer.set


@dataclass(frozen=True)
class StockSagaSettings:
    products_table: str
    event_bus_name: str

    @classmethod
    def from_env(cls) -> StockSagaSettings:
        return cls(products_table=env_str("PRODUCTS_TABLE"), event_bus_name=env_str("EVENT_BUS_NAME"))


def _build_stock_saga() -> StockSaga:
    """The stock side of the order saga on the products table and the bus."""
    from buynest.core.events import EventBridgePublisher
    from buynest.products.saga import StockSaga
    from buynest.products.store import DynamoStockLedger

    settings = StockSagaSettings.from_env()
    return StockSaga(DynamoStockLedger(settings.products_table), EventBridgePublisher(settings.event_bus_name))


stock_saga = Lazy(_build_stock_saga)
set_stock_saga = stock_saga.set
