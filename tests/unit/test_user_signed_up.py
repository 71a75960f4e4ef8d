"""The users service announces each new account (``UserSignedUp``: the notifications service's recipients)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from buynest.core.auth import TokenService
from buynest.users.service import UserService
from tests.unit.fakes import FakeUserRepository, PlainHasher


class Bus:
    def __init__(self, fail: bool = False) -> None:
        self.entries: list[dict[str, Any]] = []
        self.fail = fail

    def publish(self, entries: Sequence[Mapping[str, Any]]) -> None:
        if self.fail:
            raise RuntimeError("bus down")
        self.entries += [dict(e) for e in entries]


def service(bus: Bus) -> UserService:
    return UserService(FakeUserRepository(), PlainHasher(), lambda: TokenService("k" * 48), events=bus)


def test_signup_publishes_who_signed_up() -> None:
    bus = Bus()
    user = service(bus).signup("Kim@Example.com", "correct-horse", "Kim Minji")
    [entry] = bus.entries
    detail = json.loads(entry["Detail"])
    assert (entry["Source"], entry["DetailType"]) == ("buynest.users", "UserSignedUp")
    assert detail["data"] == {"userId": user.user_id, "email": "kim@example.com", "name": "Kim Minji"}
    assert detail["metadata"]["eventId"] == f"signup-{user.user_id}"


def test_a_bus_that_refuses_does_not_fail_the_signup() -> None:
    """Guards: the account exists once created; a refused event must not turn the signup into a 5xx."""
    repo = FakeUserRepository()
    users = UserService(repo, PlainHasher(), lambda: TokenService("k" * 48), events=Bus(fail=True))
    user = users.signup("kim@example.com", "correct-horse", "Kim")
    assert repo.get(user.user_id) is not None
