"""Catalog use cases for admins (create, change, delete) and shoppers (browse)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

from buynest.core.ids import new_id, now_iso
from buynest.products.domain import Product, ProductNotFound
from buynest.products.search import SearchSort, plan

if TYPE_CHECKING:
    from buynest.products.search_service import SearchIndex


class ProductRepository(Protocol):
    """Port to the products table. ``update``/``delete`` raise ``ProductNotFound`` for a missing product."""

    def put(self, product: Product) -> None: ...
    def get(self, product_id: str) -> Product | None: ...
    def update(self, product_id: str, changes: dict[str, Any], updated_at: str) -> Product: ...
    def delete(self, product_id: str) -> None: ...
    def get_many(self, product_ids: list[str]) -> list[Product]: ...
    def list(self, category: str | None, limit: int, cursor: str | None) -> tuple[list[Product], str | None]: ...


class ImageLinks(Protocol):
    """Port that turns an image object's key into a URL a browser can load (the bucket is private, so a
    short-lived pre-signed GET, computed locally)."""

    def link(self, key: str) -> str: ...


class ProductService:
    def __init__(
        self, repo: ProductRepository, links: ImageLinks | None = None, search: SearchIndex | None = None
    ) -> None:
        self._repo = repo
        self._links = links
        self._search = search

    def _shown(self, product: Product) -> Product:
        """The product with URLs for its READY images (none without an ``ImageLinks``)."""
        if self._links is None or not product.images:
            return product
        return replace(product, images=[image.with_links(self._links.link) for image in product.images])

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
        return self._shown(product)

    def update(self, product_id: str, changes: dict[str, Any]) -> Product:
        return self._shown(self._repo.update(product_id, changes, now_iso()))

    def delete(self, product_id: str) -> None:
        self._repo.delete(product_id)

    def list(
        self,
        category: str | None,
        limit: int,
        cursor: str | None,
        q: str | None = None,
        sort: SearchSort = SearchSort.NEWEST,
    ) -> tuple[list[Product], str | None]:
        """Newest first, optionally one category; ``cursor`` continues a previous page. With ``q`` (every word
        begins a word of the name) or another ``sort``, the page comes from the name index: its postings give the
        order, the products table the products as they are now (a product renamed or deleted since it was filed
        is left out at once, before the index catches up)."""
        if q is None and sort == SearchSort.NEWEST:
            products, next_cursor = self._repo.list(category, limit, cursor)
        else:
            query = plan(q, category, sort)
            if self._search is None:
                raise RuntimeError("product search needs a SearchIndex")
            page = self._search.search(query, limit, cursor)
            found = {p.product_id: p for p in self._repo.get_many(page.product_ids)}
            products = [
                product
                for pid in page.product_ids
                if (product := found.get(pid)) is not None and query.matches(product.name, product.category)
            ]
            next_cursor = page.next_cursor
        return [self._shown(p) for p in products], next_cursor
