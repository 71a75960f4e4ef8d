"""An in-memory address book with the DynamoDB adapter's rule: an address is saved only for a user that exists."""

from __future__ import annotations

from buynest.users.address import Address
from buynest.users.domain import UserNotFound
from tests.unit.fakes import FakeUserRepository


class FakeAddressBook:
    def __init__(self, users: FakeUserRepository) -> None:
        self._users = users
        self.addresses: dict[str, tuple[Address, str]] = {}

    def get(self, user_id: str) -> Address | None:
        saved = self.addresses.get(user_id)
        return saved[0] if saved else None

    def save(self, user_id: str, address: Address, now: str) -> None:
        if self._users.get(user_id) is None:
            raise UserNotFound("user no longer exists")
        self.addresses[user_id] = (address, now)
