"""Cart use cases: show, set a line, remove a line, empty; and take a confirmed order's quantities off the cart.

Every change reads the cart, applies a rule of ``domain.py`` and writes it back on condition that the cart is still
at the version it was read at (a lost race reads again), so a customer's two tabs and the order consumer never
overwrite each other's change."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from buynest.cart.domain import (
    MAX_LINES,
    Cart,
    CartChanged,
    CartContention,
    ProductView,
    cleared,
    ordered_quantities,
    present,
    public,
    remove_line,
    set_quantity,
    take_ordered,
)
from buynest.cart.messages import OrderConfirmed
from buynest.core.ids import now_iso
from buynest.core.retry import Backoff
from buynest.core.settings import IntValue, current


class CartRepository(Protocol):
    """Port to the carts table."""

    def get(self, user_id: str) -> Cart:
        """The customer's cart, strongly consistent; an empty one (``version`` None) if none is stored."""
        ...

    def save(self, cart: Cart) -> None:
        """Store ``cart`` if the stored one is still at ``cart.version``; else ``CartChanged``."""
        ...

    def save_applying(self, cart: Cart, changed: bool, order_id: str) -> bool:
        """Record that ``order_id`` was taken off the cart and, if ``changed``, store ``cart``, in one transaction
        that also requires the stored cart to be at ``cart.version``. False when ``order_id`` was taken off
        before (nothing written); ``CartChanged`` when the cart moved on."""
        ...


class CatalogView(Protocol):
    """Port to the catalog's current names, prices and stock (owned by the products service; read-only)."""

    def products(self, product_ids: Sequence[str]) -> dict[str, ProductView]:
        """The products among ``product_ids`` that exist, by id (strongly consistent: a change shows at once)."""
        ...


class CartService:
    def __init__(
        self,
        carts: CartRepository,
        catalog: CatalogView,
        clock: Callable[[], str] = now_iso,
        backoff: Backoff | None = None,
        max_lines: IntValue = MAX_LINES,
    ) -> None:
        """``max_lines``: a number or a reader of the live setting, read at each change of a line."""
        self._carts = carts
        self._catalog = catalog
        self._clock = clock
        self._backoff = backoff or Backoff(max_attempts=5)
        self._max_lines = max_lines

    def view(self, user_id: str) -> dict[str, Any]:
        """The cart at the catalog's current prices and stock."""
        cart = self._carts.get(user_id)
        return public(cart, self._catalog.products(list(cart.quantities())))

    def set_item(self, user_id: str, product_id: str, quantity: int) -> dict[str, Any]:
        """Set (or add) one line; ``UnknownProduct`` for a product the catalog does not have, ``CartFull`` past
        the line limit."""
        now = self._clock()
        return self._change(
            user_id,
            lambda cart, catalog: set_quantity(cart, product_id, quantity, now, catalog, current(self._max_lines)),
            also=(product_id,),
        )

    def remove_item(self, user_id: str, product_id: str) -> dict[str, Any]:
        """Remove one line (nothing to do if the cart has none for that product)."""
        now = self._clock()
        return self._change(user_id, lambda cart, _catalog: remove_line(cart, product_id, now))

    def clear(self, user_id: str) -> None:
        """Empty the cart."""

        def attempt() -> None:
            cart = self._carts.get(user_id)
            if cart.lines:
                self._carts.save(cleared(cart, self._clock()))

        self._retrying(attempt)

    def take_order(self, order: OrderConfirmed) -> bool:
        """Take a confirmed order's quantities off its customer's cart, once however often it is delivered;
        False when this order was taken off before."""
        ordered = ordered_quantities([(line.product_id, line.quantity) for line in order.items])

        def attempt() -> bool:
            cart = self._carts.get(order.user_id)
            after = take_ordered(cart, ordered, self._clock())
            return self._carts.save_applying(after, after is not cart, order.order_id)

        return self._retrying(attempt)

    def _change(
        self,
        user_id: str,
        change: Callable[[Cart, Mapping[str, ProductView]], Cart],
        also: Sequence[str] = (),
    ) -> dict[str, Any]:
        def attempt() -> dict[str, Any]:
            cart = self._carts.get(user_id)
            catalog = self._catalog.products([*cart.quantities(), *also])
            after = change(cart, catalog)
            if after is not cart:
                after = present(after, catalog)  # deleted products' lines leave the stored cart too
                self._carts.save(after)
            return public(after, catalog)

        return self._retrying(attempt)

    def _retrying[R](self, attempt: Callable[[], R]) -> R:
        try:
            return self._backoff.retrying(attempt, CartChanged)
        except CartChanged as exc:
            raise CartContention("the cart changed at the same moment from elsewhere; try again") from exc
