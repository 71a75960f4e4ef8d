"""Products: the catalog's rules and the stock hold of an order (what the saga reserves), in plain Python."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from buynest.core.errors import BuynestError, NotFound
from buynest.core.hold import HoldState

MAX_PRICE = 1_000_000_000_000
MAX_STOCK = 1_000_000_000
IMAGE_READY = "READY"


class ProductError(BuynestError):
    """Base of the products service's errors."""


class ProductNotFound(ProductError, NotFound):
    pass


# ---- the order's stock hold (products/saga.py acts on it; products/store.py writes it with the stock) ----

# One TransactWriteItems holds at most 100 items: the hold's record and one stock update per product.
MAX_PRODUCTS_PER_ORDER = 99


class StockContention(ProductError):
    """A stock transaction lost a conflict or was throttled; nothing changed and it may be tried again."""


class TooManyProducts(ProductError):
    """An order names more distinct products than one transaction can reserve."""


@dataclass(frozen=True)
class Line:
    product_id: str
    quantity: int


def merge_lines(lines: Iterable[tuple[str, int]]) -> tuple[Line, ...]:
    """One line per product (quantities of repeated products summed), in first-seen order: a transaction may touch
    an item only once."""
    totals: dict[str, int] = {}
    for product_id, quantity in lines:
        totals[product_id] = totals.get(product_id, 0) + quantity
    if len(totals) > MAX_PRODUCTS_PER_ORDER:
        raise TooManyProducts(f"an order may reserve at most {MAX_PRODUCTS_PER_ORDER} products, got {len(totals)}")
    return tuple(Line(product_id, quantity) for product_id, quantity in totals.items())


@dataclass(frozen=True)
class StockHold:
    """What the products service holds (or decided) for one order. Stock never goes below zero: taking a line is
    conditioned on the product having that much (products/store.py), all lines or none."""

    order_id: str
    state: HoldState
    lines: tuple[Line, ...] = ()
    short_product_id: str | None = None
    created_at: str = ""
    updated_at: str = ""

    @classmethod
    def reserved(cls, order_id: str, lines: tuple[Line, ...], at: str) -> StockHold:
        return cls(order_id, HoldState.RESERVED, lines, None, at, at)

    @classmethod
    def rejected(cls, order_id: str, lines: tuple[Line, ...], product_id: str, at: str) -> StockHold:
        return cls(order_id, HoldState.REJECTED, lines, product_id, at, at)

    @classmethod
    def tombstone(cls, order_id: str, at: str) -> StockHold:
        """The record of an order that ended before anything was reserved for it."""
        return cls(order_id, HoldState.RELEASED, (), None, at, at)


@dataclass(frozen=True)
class ProductImage:
    """An image as the product shows it. Written by the images service; ``key``/``thumbnail_key`` (set once READY)
    are the bucket objects that ``url``/``thumbnail_url`` link to when the product is read."""

    image_id: str
    status: str
    width: int | None = None
    height: int | None = None
    key: str | None = None
    thumbnail_key: str | None = None
    url: str | None = None
    thumbnail_url: str | None = None

    def with_links(self, link: Callable[[str], str]) -> ProductImage:
        """The image with browser URLs for its objects once it is READY (before that there is nothing to show)."""
        if self.status != IMAGE_READY or not self.key:
            return self
        return replace(self, url=link(self.key), thumbnail_url=link(self.thumbnail_key) if self.thumbnail_key else None)

    def public(self) -> dict[str, Any]:
        return {
            "imageId": self.image_id,
            "status": self.status,
            "url": self.url,
            "thumbnailUrl": self.thumbnail_url,
            "width": self.width,
            "height": self.height,
        }


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
    images: list[ProductImage] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return {
            "productId": self.product_id,
            "name": self.name,
            "description": self.description,
            "price": self.price,
            "stock": self.stock,
            "category": self.category,
            "images": [image.public() for image in self.images],
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }
