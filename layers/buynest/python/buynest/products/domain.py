"""Products: the catalog's rules, in plain Python."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from buynest.core.errors import BuynestError, NotFound

MAX_PRICE = 1_000_000_000_000
MAX_STOCK = 1_000_000_000
IMAGE_READY = "READY"


class ProductError(BuynestError):
    """Base of the products service's errors."""


class ProductNotFound(ProductError, NotFound):
    pass


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
