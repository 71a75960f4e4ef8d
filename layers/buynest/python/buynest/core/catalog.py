"""The products table as other services use it: a read model the products service owns. ``products/store.py``
writes every attribute named here; the cart and orders read only these, by key and strongly consistent (IAM grants
the cart nothing else), and the images service writes only the ``images`` map, one entry at a time.
``tests/unit/test_catalog_read_model.py`` checks that what products and images write reads back here.

The table also holds the stock owner's saga records (its holds); they have no ``catalog`` attribute, so a row
without it is no product."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

KEY = "productId"
MARKER = "catalog"  # on every product, on no saga record
NAME = "name"
PRICE = "price"
STOCK = "stock"
IMAGES = "images"  # imageId -> entry, written by the images service

# What of an image entry the product shows (the images service writes more: its own bookkeeping).
IMAGE_STATUS = "status"
IMAGE_WIDTH = "width"
IMAGE_HEIGHT = "height"
IMAGE_KEY = "key"
IMAGE_THUMBNAIL_KEY = "thumbnailKey"
IMAGE_SHOWN = (IMAGE_STATUS, IMAGE_WIDTH, IMAGE_HEIGHT, IMAGE_KEY, IMAGE_THUMBNAIL_KEY)


@dataclass(frozen=True)
class CatalogRow:
    """A product as another service reads it: ``stock`` only when asked for."""

    product_id: str
    name: str
    price: int
    stock: int | None = None


def attributes(*, stock: bool = False) -> tuple[str, ...]:
    """The attributes a reader asks for (and IAM grants it)."""
    return (KEY, NAME, PRICE, *((STOCK,) if stock else ()), MARKER)


def batch_get(table: str, product_ids: Iterable[str], *, stock: bool = False) -> dict[str, Any]:
    """The ``RequestItems`` of one BatchGetItem for these products (at most 100 keys): by key, strongly consistent,
    only the read model's attributes."""
    names = {f"#{i}": name for i, name in enumerate(attributes(stock=stock))}
    return {
        table: {
            "Keys": [{KEY: {"S": product_id}} for product_id in product_ids],
            "ConsistentRead": True,
            "ProjectionExpression": ", ".join(names),
            "ExpressionAttributeNames": names,
        }
    }


def read_row(row: Mapping[str, Mapping[str, Any]]) -> CatalogRow | None:
    """A row of the products table in attribute-value form; None for a saga record (no ``catalog``)."""
    if MARKER not in row:
        return None
    stock = row.get(STOCK)
    return CatalogRow(
        product_id=str(row[KEY]["S"]),
        name=str(row.get(NAME, {}).get("S", "")),
        price=int(row[PRICE]["N"]),
        stock=int(stock["N"]) if stock is not None else None,
    )
