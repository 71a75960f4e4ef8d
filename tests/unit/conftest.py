from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from buynest.core.auth import TokenService, set_account_check, set_token_service
from buynest.products.runtime import set_product_service
from buynest.products.service import ProductService
from buynest.users.address import AddressService
from buynest.users.runtime import set_address_service, set_user_service
from buynest.users.service import UserService
from tests.unit.address_fakes import FakeAddressBook
from tests.unit.fakes import FakeProductRepository, FakeUserRepository, PlainHasher, TrustTheToken

KEY = "k" * 48


class Clock:
    """A settable clock starting at the real time (tokens carry real iat/exp)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def trusted_accounts() -> Iterator[None]:
    """Tokens' accounts exist as the tokens say (tests of revocation install a FakeAccountCheck instead)."""
    set_account_check(TrustTheToken())
    yield
    set_account_check(None)


@pytest.fixture
def tokens() -> Iterator[TokenService]:
    service = TokenService(KEY, ttl_seconds=3600)
    set_token_service(service)
    yield service
    set_token_service(None)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def user_repo() -> FakeUserRepository:
    return FakeUserRepository()


@pytest.fixture
def users(user_repo: FakeUserRepository, tokens: TokenService, clock: Clock) -> Iterator[UserService]:
    service = UserService(user_repo, PlainHasher(), lambda: tokens, clock=clock)
    set_user_service(service)
    set_address_service(AddressService(FakeAddressBook(user_repo), clock=lambda: "2026-12-04T10:00:00Z"))
    yield service
    set_user_service(None)
    set_address_service(None)


@pytest.fixture
def product_repo() -> FakeProductRepository:
    return FakeProductRepository()


@pytest.fixture
def products(product_repo: FakeProductRepository) -> Iterator[ProductService]:
    service = ProductService(product_repo)
    set_product_service(service)
    yield service
    set_product_service(None)


@pytest.fixture
def admin_token(tokens: TokenService) -> str:
    return tokens.issue("01ADMIN", "admin")


@pytest.fixture
def customer_token(tokens: TokenService) -> str:
    return tokens.issue("01CUSTOMER", "customer")


@pytest.fixture
def make_product(products: ProductService) -> Any:
    def factory(**overrides: Any) -> Any:
        fields: dict[str, Any] = {
            "name": "Mug",
            "description": "A mug",
            "price": 12000,
            "stock": 5,
            "category": "kitchen",
        }
        fields.update(overrides)
        return products.create(**fields)

    return factory
