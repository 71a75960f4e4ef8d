"""The cart's rules, in plain Python: line limits, the catalog's current prices and stock on every line, the
subtotal, and taking a confirmed order's quantities off the cart.

A stored cart holds only product ids and quantities; names, prices and stock are read from the catalog whenever
the cart is shown, so a repriced product shows its new price and a deleted one leaves the cart at once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from buynest.core.errors import BuynestError, Conflict, InvalidInput, NotFound

MAX_QUANTITY = 100
MAX_LINES = 50


class CartError(BuynestError):
    """Base of the cart's errors."""


class InvalidQuantity(CartError, InvalidInput):
    pass


class CartFull(CartError, Conflict):
    code = "CART_FULL"


class UnknownProduct(CartError, NotFound):
    code = "NOT_FOUND"


class CartContention(CartError, Conflict):
    """The cart changed under every retry of a write (nothing was written); the caller may try again."""

    code = "CART_CONFLICT_RETRY"


class CartChanged(CartError):
    """A conditional write found the cart at another version than it was read at (the caller reads again)."""


class CatalogUnavailable(CartError, Conflict):
    """The catalog kept some products unread (throttled) through every retry; nothing was changed."""

    code = "CATALOG_BUSY_RETRY"


@dataclass(frozen=True)
class CartLine:
    product_id: str
    quantity: int


@dataclass(frozen=True)
class Cart:
    """A customer's cart as stored. ``version`` is the stored version this was read at (None: never stored)."""

    user_id: str
    lines: tuple[CartLine, ...] = ()
    updated_at: str | None = None
    version: int | None = None

    def quantities(self) -> dict[str, int]:
        return {line.product_id: line.quantity for line in self.lines}


@dataclass(frozen=True)
class ProductView:
    """What the cart reads of a product: the catalog's current name, price and stock."""

    product_id: str
    name: str
    price: int
    stock: int


def set_quantity(
    cart: Cart, product_id: str, quantity: int, now: str, catalog: Mapping[str, ProductView], max_lines: int = MAX_LINES
) -> Cart:
    """The cart with ``product_id``'s line set to ``quantity`` (a new line goes last). Lines of deleted products
    are dropped first, so they never count against ``max_lines``."""
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidQuantity(f"quantity: must be 1..{MAX_QUANTITY}")
    if product_id not in catalog:
        raise UnknownProduct(f"product {product_id} does not exist")
    lines = [line for line in present(cart, catalog).lines]
    for i, line in enumerate(lines):
        if line.product_id == product_id:
            lines[i] = CartLine(product_id, quantity)
            break
    else:
        if len(lines) >= max_lines:
            raise CartFull(f"the cart already has {max_lines} lines: remove one before adding another product")
        lines.append(CartLine(product_id, quantity))
    return replace(cart, lines=tuple(lines), updated_at=now)


def remove_line(cart: Cart, product_id: str, now: str) -> Cart:
    """The cart without ``product_id``'s line (unchanged, ``updated_at`` included, if it had none)."""
    if product_id not in cart.quantities():
        return cart
    return replace(cart, lines=tuple(line for line in cart.lines if line.product_id != product_id), updated_at=now)


def cleared(cart: Cart, now: str) -> Cart:
    return replace(cart, lines=(), updated_at=now)


def take_ordered(cart: Cart, ordered: Mapping[str, int], now: str) -> Cart:
    """The cart less a confirmed order's quantities: a line falling to zero (or below) goes; products the cart does
    not hold are ignored. Taking two orders off gives the same cart in either order."""
    lines = []
    for line in cart.lines:
        left = line.quantity - ordered.get(line.product_id, 0)
        if left > 0:
            lines.append(CartLine(line.product_id, left))
    if len(lines) == len(cart.lines) and all(a == b for a, b in zip(lines, cart.lines, strict=True)):
        return cart
    return replace(cart, lines=tuple(lines), updated_at=now)


def ordered_quantities(items: list[tuple[str, int]]) -> dict[str, int]:
    """An order's quantity per product (repeated products added up)."""
    totals: dict[str, int] = {}
    for product_id, quantity in items:
        totals[product_id] = totals.get(product_id, 0) + quantity
    return totals


def present(cart: Cart, catalog: Mapping[str, ProductView]) -> Cart:
    """The cart without the lines of products the catalog no longer has."""
    return replace(cart, lines=tuple(line for line in cart.lines if line.product_id in catalog))


def public(cart: Cart, catalog: Mapping[str, ProductView]) -> dict[str, Any]:
    """The contract's cart: every line at the catalog's current price, ``inStock`` false while the stock is below
    the line's quantity; deleted products' lines are left out."""
    items = []
    for line in present(cart, catalog).lines:
        product = catalog[line.product_id]
        items.append(
            {
                "productId": line.product_id,
                "name": product.name,
                "unitPrice": product.price,
                "quantity": line.quantity,
                "lineTotal": product.price * line.quantity,
                "inStock": product.stock >= line.quantity,
            }
        )
    return {"items": items, "subtotal": sum(i["lineTotal"] for i in items), "updatedAt": cart.updated_at}
