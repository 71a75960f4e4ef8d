"""In-memory fakes of the service ports: same behaviour as the DynamoDB adapters, no network."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from buynest.core.auth import Principal, still_valid
from buynest.core.pagination import decode_cursor, encode_cursor
from buynest.images import domain as images
from buynest.images.domain import ImageRecord, StoredObject
from buynest.products.domain import Product, ProductImage, ProductNotFound
from buynest.users.domain import (
    DEFAULT_LOCKOUT,
    EmailTaken,
    Lockout,
    LoginAttempts,
    User,
    UserNotFound,
    is_locked,
    window_open,
)


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

    def revoke_tokens(self, user_id: str) -> User:
        if user_id not in self.users:
            raise UserNotFound("user does not exist")
        user = self.users[user_id]
        self.users[user_id] = replace(user, token_version=user.token_version + 1)
        return self.users[user_id]

    def login_attempts(self, email: str) -> LoginAttempts | None:
        return self.attempts.get(email)

    def claim_attempt(self, email: str, now: int, lockout: Lockout = DEFAULT_LOCKOUT) -> bool:
        current = self.attempts.get(email)
        if is_locked(current, now, lockout):
            return False
        if current and window_open(current, now, lockout):
            self.attempts[email] = LoginAttempts(current.failures + 1, current.window_start)
        else:
            self.attempts[email] = LoginAttempts(1, now)
        return True

    def clear_failures(self, email: str) -> None:
        self.attempts.pop(email, None)

    def replace_password_hash(self, user_id: str, old_hash: str, new_hash: str) -> bool:
        user = self.users.get(user_id)
        if user is None or user.password_hash != old_hash:
            return False
        self.users[user_id] = replace(user, password_hash=new_hash)
        return True


class PlainHasher:
    """Reversible 'hash' for fast unit tests (the real one is Argon2id, tested in integration)."""

    def hash(self, password: str) -> str:
        return "plain$" + password

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash.split("$", 1)[-1] == password and password_hash.startswith(("plain$", "old$"))

    def needs_rehash(self, password_hash: str) -> bool:
        """Hashes written as ``old$<password>`` stand for hashes made with earlier parameters."""
        return password_hash.startswith("old$")

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


class FakeImageRepository:
    """Images kept beside a FakeProductRepository's products and mirrored into their ``images`` list, as the
    products table's ``images`` map is read by the products service."""

    def __init__(self, products: FakeProductRepository) -> None:
        self.products = products
        self.records: dict[str, dict[str, ImageRecord]] = {}

    def _sync(self, product_id: str) -> None:
        product = self.products.products.get(product_id)
        if product is None:
            return
        shown = [
            ProductImage(
                image_id=r.image_id,
                status=r.status,
                width=r.width,
                height=r.height,
                key=r.key,
                thumbnail_key=r.thumbnail_key,
            )
            for _, r in sorted(self.records.get(product_id, {}).items())
        ]
        self.products.products[product_id] = replace(product, images=shown)

    def add(self, product_id: str, record: ImageRecord, max_images: int) -> None:
        if product_id not in self.products.products:
            raise images.ProductNotFound(f"product {product_id} does not exist")
        current = self.records.setdefault(product_id, {})
        if len(current) >= max_images:
            raise images.TooManyImages(f"a product has at most {max_images} images: delete one first")
        current[record.image_id] = record
        self._sync(product_id)

    def get(self, product_id: str, image_id: str) -> ImageRecord | None:
        if product_id not in self.products.products:
            return None
        return self.records.get(product_id, {}).get(image_id)

    def list(self, product_id: str) -> list[ImageRecord]:
        if product_id not in self.products.products:
            return []
        return list(self.records.get(product_id, {}).values())

    def discard_pending(self, product_id: str, record: ImageRecord) -> bool:
        current = self.get(product_id, record.image_id)
        if current is None or (current.status, current.created_at) != (images.PENDING, record.created_at):
            return False
        del self.records[product_id][record.image_id]
        self._sync(product_id)
        return True

    def finish(self, product_id: str, record: ImageRecord) -> bool:
        current = self.get(product_id, record.image_id)
        if current is None or current.status != images.PENDING:
            return False
        self.records[product_id][record.image_id] = record
        self._sync(product_id)
        return True

    def mark_published(self, product_id: str, image_id: str) -> None:
        current = self.get(product_id, image_id)
        if current is not None:
            self.records[product_id][image_id] = replace(current, published=True)

    def remove(self, product_id: str, image_id: str) -> None:
        if self.get(product_id, image_id) is None:
            raise images.ImageNotFound(f"image {image_id} of product {product_id} does not exist")
        del self.records[product_id][image_id]
        self._sync(product_id)


class FakeObjectStorage:
    """An in-memory bucket. ``upload`` is what a client's pre-signed POST does; ``presigned`` keeps every policy."""

    URL = "https://images.example/"

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}
        self.presigned: list[dict[str, Any]] = []

    def presign_upload(self, key: str, content_type: str, max_length: int, expires_in: int) -> dict[str, Any]:
        self.presigned.append({"key": key, "contentType": content_type, "max": max_length, "expiresIn": expires_in})
        return {"url": self.URL, "fields": {"key": key, "Content-Type": content_type, "policy": "fake"}}

    def upload(self, key: str, data: bytes, content_type: str) -> None:
        self.objects[key] = (data, content_type)

    def read(self, key: str, max_bytes: int) -> StoredObject | None:
        if key not in self.objects:
            return None
        data, content_type = self.objects[key]
        return StoredObject(data=data[: max_bytes + 1], content_type=content_type, size=len(data))

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.objects[key] = (data, content_type)

    def delete(self, keys: Sequence[str]) -> None:
        for key in keys:
            self.objects.pop(key, None)

    def delete_prefixes(self, prefixes: Sequence[str]) -> int:
        doomed = [k for k in self.objects if k.startswith(tuple(prefixes))]
        self.delete(doomed)
        return len(doomed)


class FakeImageLinks:
    """ImageLinks that make recognisable, unsigned URLs."""

    def link(self, key: str) -> str:
        return f"https://images.example/{key}?signed"


class RecordingPublisher:
    """EventPublisher that keeps what it is given, or refuses while ``down`` is set."""

    def __init__(self) -> None:
        self.entries: list[Mapping[str, Any]] = []
        self.down = False

    def publish(self, entries: Sequence[Mapping[str, Any]]) -> None:
        if self.down:
            raise RuntimeError("bus unavailable")
        self.entries.extend(entries)


class TrustTheToken:
    """AccountCheck for tests about other things than revocation: every verified token's account exists, as the
    token says (tests/unit/test_auth.py covers the real check)."""

    def confirm(self, principal: Principal) -> Principal:
        return principal


class FakeAccountCheck:
    """AccountCheck on a FakeUserRepository, with DynamoAccountCheck's rules."""

    def __init__(self, repo: FakeUserRepository) -> None:
        self.repo = repo

    def confirm(self, principal: Principal) -> Principal:
        user = self.repo.users.get(principal.user_id)
        return still_valid(principal, user and Principal(user.user_id, user.role, user.token_version))
