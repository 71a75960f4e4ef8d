"""In-memory fakes of the service ports: same behaviour as the DynamoDB adapters, no network."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from buynest.core.pagination import decode_cursor, encode_cursor
from buynest.products.domain import Product, ProductNotFound
from buynest.users.domain import LOCKOUT_WINDOW_SECONDS, EmailTaken, LoginAttempts, User, UserNotFound


class FakeUserRepository:
    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.attempts: dict[str, LoginAttempts] = {}

    def create(self, user: User) -> None:
        if any(u.email == user.email for u in self.users.values()):
            raise EmailTaken("an account with this email already exists")
        self.users[user.user_id] = user

    def get(self, user_id: str) -> User | None:
        return self.users.get(user_id)

    def get_by_email(self, email: str) -> User | None:
        return next((u for u in self.users.values() if u.email == email), None)

    def set_role(self, user_id: str, role: str) -> User:
        if user_id not in self.users:
            raise UserNotFound("user does not exist")
        self.users[user_id] = replace(self.users[user_id], role=role)
        return self.users[user_id]

    def login_attempts(self, email: str) -> LoginAttempts | None:
        return self.attempts.get(email)

    def record_failure(self, email: str, now: int) -> None:
        current = self.attempts.get(email)
        if current and current.window_start > now - LOCKOUT_WINDOW_SECONDS:
            self.attempts[email] = LoginAttempts(current.failures + 1, current.window_start)
        else:
            self.attempts[email] = LoginAttempts(1, now)

    def clear_failures(self, email: str) -> None:
        self.attempts.pop(email, None)


class PlainHasher:
    """Reversible 'hash' for fast unit tests (the real one is Argon2id, tested in integration)."""

    def hash(self, password: str) -> str:
        return "plain$" + password

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == "plain$" + password

    def dummy_verify(self, password: str) -> None:
        return None


class FakeProductRepository:
    KEYS = frozenset({"productId", "sortKey"})

    def __init__(self) -> None:
        self.products: dict[str, Product] = {}

    def put(self, product: Product) -> None:
        self.products[product.product_id] = product

    def get(self, product_id: str) -> Product | None:
        return self.products.get(product_id)

    def update(self, product_id: str, changes: dict[str, Any], updated_at: str) -> Product:
        if product_id not in self.products:
            raise ProductNotFound(f"product {product_id} does not exist")
        self.products[product_id] = replace(self.products[product_id], **changes, updated_at=updated_at)
        return self.products[product_id]

    def delete(self, product_id: str) -> None:
        if self.products.pop(product_id, None) is None:
            raise ProductNotFound(f"product {product_id} does not exist")

    def list(self, category: str | None, limit: int, cursor: str | None) -> tuple[list[Product], str | None]:
        rows = sorted(
            (p for p in self.products.values() if category is None or p.category == category),
            key=lambda p: (p.created_at, p.product_id),
            reverse=True,
        )
        start = decode_cursor(cursor, self.KEYS)
        if start:
            after = start["sortKey"]["S"]
            rows = [p for p in rows if f"{p.created_at}#{p.product_id}" < after]
        chunk = rows[:limit]
        more = len(rows) > limit
        last = chunk[-1] if chunk and more else None
        key = (
            {"productId": {"S": last.product_id}, "sortKey": {"S": f"{last.created_at}#{last.product_id}"}}
            if last
            else None
        )
        return chunk, encode_cursor(key)
