"""The users adapter and handlers against moto's DynamoDB and Secrets Manager."""

from __future__ import annotations

import threading
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


def test_attempts_are_claimed_in_a_window_then_refused_then_reset(aws: dict[str, Any]) -> None:
    repo = DynamoUserRepository(aws["tables"]["UsersTable"])
    now = 1_000_000
    assert all(repo.claim_attempt("a@b.co", now) for _ in range(LOCKOUT_THRESHOLD))
    assert repo.login_attempts("a@b.co") == LoginAttempts(LOCKOUT_THRESHOLD, now)
    assert not repo.claim_attempt("a@b.co", now + 60)
    assert repo.login_attempts("a@b.co") == LoginAttempts(LOCKOUT_THRESHOLD, now)
    later = now + 16 * 60
    assert repo.claim_attempt("a@b.co", later)
    assert repo.login_attempts("a@b.co") == LoginAttempts(1, later)
    repo.clear_failures("a@b.co")
    assert repo.login_attempts("a@b.co") is None


@pytest.fixture
def atomic_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB checks a write's condition and applies it atomically; moto does it in several Python steps that
    threads can interleave. One lock around moto's item writes gives it DynamoDB's guarantee, so the concurrency
    tests below measure our code, not moto's."""
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    for name in ("put_item", "update_item", "delete_item", "get_item", "transact_write_items"):
        original = getattr(DynamoDBBackend, name)

        def locked(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return _original(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, locked)


def test_concurrent_claims_never_exceed_the_threshold(aws: dict[str, Any], atomic_moto: None) -> None:
    repo = DynamoUserRepository(aws["tables"]["UsersTable"])
    with ThreadPoolExecutor(8) as pool:
        claimed = list(pool.map(lambda _: repo.claim_attempt("race@b.co", 2_000_000), range(3 * LOCKOUT_THRESHOLD)))
    assert claimed.count(True) == LOCKOUT_THRESHOLD
    attempts = repo.login_attempts("race@b.co")
    assert attempts is not None and attempts.failures == LOCKOUT_THRESHOLD


class CountingHasher(Argon2Hasher):
    """The real Argon2id hasher, counting how many times a password was checked (real or dummy)."""

    def __init__(self) -> None:
        super().__init__()
        self.checks = 0
        self._lock = threading.Lock()

    def verify(self, password_hash: str, password: str) -> bool:
        with self._lock:
            self.checks += 1
        return super().verify(password_hash, password)


@pytest.mark.parametrize("registered", [True, False])
def test_a_burst_of_parallel_wrong_logins_checks_at_most_ten_passwords(
    aws: dict[str, Any], atomic_moto: None, registered: bool
) -> None:
    """Guards issue #10 "login lockout under a burst": 40 parallel wrong logins for one email each read the failure
    count before any of them recorded a failure, so all 40 had their password checked. Now each attempt is claimed
    by a conditional write before the check: at most 10 checks (401), the rest 429."""
    from buynest.core.auth import TokenService
    from buynest.users.domain import InvalidCredentials, TooManyAttempts
    from buynest.users.service import UserService

    repo = DynamoUserRepository(aws["tables"]["UsersTable"])
    hasher = CountingHasher()
    service = UserService(repo, hasher, lambda: TokenService("k" * 48))
    if registered:
        service.signup("burst@example.com", "the-password", "Burst")
    start = threading.Barrier(40, timeout=30)

    def attempt(_: int) -> str:
        start.wait()
        try:
            service.login("burst@example.com", "a-wrong-guess")
        except (InvalidCredentials, TooManyAttempts) as exc:
            return exc.code
        return "LOGGED_IN"

    with ThreadPoolExecutor(40) as pool:
        outcomes = list(pool.map(attempt, range(40)))

    assert outcomes.count("INVALID_CREDENTIALS") == LOCKOUT_THRESHOLD
    assert outcomes.count("TOO_MANY_ATTEMPTS") == 40 - LOCKOUT_THRESHOLD
    assert hasher.checks == LOCKOUT_THRESHOLD
    with pytest.raises(TooManyAttempts):
        service.login("burst@example.com", "the-password")


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
