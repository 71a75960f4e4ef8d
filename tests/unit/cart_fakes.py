"""In-memory fakes for the cart: a carts table with the DynamoDB adapter's conditions (every save at the version it
was read at; a marker per order taken off, written with the cart or not at all) and a catalog."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace

from buynest.cart.domain import Cart, CartChanged, ProductView


class FakeCartRepository:
    """CartRepository in memory. ``interference`` runs before the next N writes check their version (another
    writer getting in between a read and a write)."""

    def __init__(self) -> None:
        self.carts: dict[str, Cart] = {}
        self.applied: set[str] = set()
        self.interference: list[Sequence[Cart]] = []
        self._lock = threading.Lock()

    def get(self, user_id: str) -> Cart:
        return self.carts.get(user_id) or Cart(user_id=user_id)

    def _interfere(self) -> None:
        if self.interference:
            for cart in self.interference.pop(0):
                self.put(cart)

    def put(self, cart: Cart) -> None:
        """Store ``cart`` as another writer would (one version further)."""
        stored = self.carts.get(cart.user_id)
        self.carts[cart.user_id] = replace(cart, version=(stored.version or 0) + 1 if stored else 1)

    def _check(self, cart: Cart) -> None:
        stored = self.carts.get(cart.user_id)
        if (stored.version if stored else None) != cart.version:
            raise CartChanged(f"cart of {cart.user_id} changed")

    def save(self, cart: Cart) -> None:
        with self._lock:
            self._interfere()
            self._check(cart)
            self.put(cart)

    def save_applying(self, cart: Cart, changed: bool, order_id: str) -> bool:
        with self._lock:
            self._interfere()
            if order_id in self.applied:
                return False
            self._check(cart)
            self.applied.add(order_id)
            if changed:
                self.put(cart)
            return True


class FakeCatalogView:
    """The catalog: ``products`` maps id -> (name, price, stock); tests reprice, restock and delete in it."""

    def __init__(self, products: dict[str, tuple[str, int, int]] | None = None) -> None:
        self.items: dict[str, tuple[str, int, int]] = dict(products or {})
        self.reads = 0

    def products(self, product_ids: Sequence[str]) -> dict[str, ProductView]:
        self.reads += 1
        return {pid: ProductView(pid, *self.items[pid]) for pid in dict.fromkeys(product_ids) if pid in self.items}
