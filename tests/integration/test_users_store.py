"""The users adapter and handlers against moto's DynamoDB and Secrets Manager."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest

from buynest.users.domain import LOCKOUT_THRESHOLD, EmailTaken, LoginAttempts, User
from buynest.users.passwords import Argon2Hasher
from buynest.users.store import DynamoUserRepository
from tests.conftest import api_event, call, load_handler


def user(email: str = "kim@example.com", user_id: str = "01U") -> User:
    return User(
        user_id=user_id,
        email=email,
        name="Kim",
        role="customer",
        points=0,
        password_hash="h",
        created_at="2026-11-27T00:00:00Z",
    )


def test_email_is_unique_by_condition(aws: dict[str, Any]) -> None:
    repo = DynamoUserRepository(aws["tables"]["UsersTable"])
    repo.create(user())
    with pytest.raises(EmailTaken):
        repo.create(user(user_id="01OTHER"))
    assert repo.get("01OTHER") is None
    assert repo.get_by_email("kim@example.com") == user()


def test_failures_are_counted_in_a_window_then_reset(aws: dict[str, Any]) -> None:
    repo = DynamoUserRepository(aws["tables"]["UsersTable"])
    now = 1_000_000
    for _ in range(3):
        repo.record_failure("a@b.co", now)
    assert repo.login_attempts("a@b.co") == LoginAttempts(3, now)
    later = now + 16 * 60
    repo.record_failure("a@b.co", later)
    assert repo.login_attempts("a@b.co") == LoginAttempts(1, later)
    repo.clear_failures("a@b.co")
    assert repo.login_attempts("a@b.co") is None


def test_concurrent_failures_are_never_lost(aws: dict[str, Any]) -> None:
    repo = DynamoUserRepository(aws["tables"]["UsersTable"])
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: repo.record_failure("race@b.co", 2_000_000), range(LOCKOUT_THRESHOLD)))
    attempts = repo.login_attempts("race@b.co")
    assert attempts is not None and attempts.failures == LOCKOUT_THRESHOLD


def test_argon2_hashes_are_salted_and_verify() -> None:
    hasher = Argon2Hasher()
    first, second = hasher.hash("password1"), hasher.hash("password1")
    assert first != second and first.startswith("$argon2id$")
    assert hasher.verify(first, "password1") and not hasher.verify(first, "password2")
    assert not hasher.verify("not-a-hash", "password1")


def test_login_rehashes_a_password_stored_with_older_parameters(aws: dict[str, Any]) -> None:
    from argon2 import PasswordHasher, extract_parameters

    from buynest.core.auth import TokenService
    from buynest.users.service import UserService

    repo = DynamoUserRepository(aws["tables"]["UsersTable"])
    old_hash = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash("password1")
    repo.create(replace(user(), password_hash=old_hash))
    service = UserService(repo, Argon2Hasher(), lambda: TokenService("k" * 48))

    assert service.login("kim@example.com", "password1")

    upgraded = repo.get("01U")
    assert upgraded is not None and upgraded.password_hash != old_hash
    assert extract_parameters(upgraded.password_hash).memory_cost == 19456
    assert service.login("kim@example.com", "password1")
    # the swap is conditional on the hash it replaces: a stale one changes nothing
    assert not repo.replace_password_hash("01U", old_hash, "$argon2id$stale")
    assert repo.get("01U") == upgraded


def test_signup_login_me_through_the_handlers(aws: dict[str, Any]) -> None:
    signup, login, me = (load_handler(f"users/{n}") for n in ("signup", "login", "get_me"))
    status, created = call(
        signup,
        api_event("POST", "/auth/signup", body={"email": "Han@Example.com", "password": "password1", "name": "Han"}),
    )
    assert status == 201 and created["email"] == "han@example.com"
    status, body = call(
        login, api_event("POST", "/auth/login", body={"email": "han@example.com", "password": "password1"})
    )
    assert status == 200
    status, profile = call(me, api_event("GET", "/users/me", token=body["token"]))
    assert status == 200 and profile == {**created, "points": 0, "address": None}
    stored = aws["ddb"].get_item(TableName=aws["tables"]["UsersTable"], Key={"pk": {"S": f"USER#{created['userId']}"}})[
        "Item"
    ]
    assert stored["passwordHash"]["S"].startswith("$argon2id$") and "password1" not in str(stored)


def test_make_admin_function_creates_then_promotes(aws: dict[str, Any]) -> None:
    from tests.conftest import FakeContext

    make_admin = load_handler("users/make_admin")
    first = make_admin.handler({"email": "boss@example.com", "password": "password1", "name": "Boss"}, FakeContext())
    assert first["created"] and first["role"] == "admin"
    again = make_admin.handler({"email": "boss@example.com", "password": "password1"}, FakeContext())
    assert not again["created"] and again["userId"] == first["userId"]


def test_the_dummy_verify_costs_a_real_verify_without_a_hash_at_start() -> None:
    from argon2 import PasswordHasher, extract_parameters

    from buynest.users.passwords import DUMMY_HASH

    # the shipped dummy has exactly the default hasher's parameters (OWASP's), so an unknown email costs a real verify
    parameters = extract_parameters(DUMMY_HASH)
    assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (2, 19456, 1)
    assert not Argon2Hasher().needs_rehash(DUMMY_HASH)
    assert Argon2Hasher()._dummy == DUMMY_HASH
    # a hasher with other parameters makes a dummy of its own (its verify must cost what its real ones cost)
    cheap = Argon2Hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    assert cheap._dummy != DUMMY_HASH and extract_parameters(cheap._dummy).memory_cost == 8
    cheap.dummy_verify("anything")  # verifies against it without raising
