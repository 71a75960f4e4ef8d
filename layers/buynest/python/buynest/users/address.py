"""A customer's saved delivery address: its rules live in ``buynest.core.address`` (an order's ``shippingAddress``
follows them too); its place in the users table is an ``ADDRESS#<userId>`` item of its own beside the user's
(so saving an address never touches the profile, the points or the login records)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from buynest.core.address import COUNTRIES, Address
from buynest.core.ids import now_iso

__all__ = ["COUNTRIES", "Address", "AddressBook", "AddressService"]


class AddressBook(Protocol):
    """Port to the saved addresses."""

    def get(self, user_id: str) -> Address | None: ...

    def save(self, user_id: str, address: Address, now: str) -> None:
        """Store or replace; ``UserNotFound`` if the user does not exist."""
        ...


class AddressService:
    """Saving and reading a customer's delivery address."""

    def __init__(self, book: AddressBook, clock: Callable[[], str] = now_iso) -> None:
        self._book = book
        self._clock = clock

    def save(self, user_id: str, address: Address) -> dict[str, Any]:
        self._book.save(user_id, address, self._clock())
        return address.public()

    def public(self, user_id: str) -> dict[str, Any] | None:
        """The saved address in its contract form, or None if none is saved."""
        address = self._book.get(user_id)
        return address.public() if address else None
