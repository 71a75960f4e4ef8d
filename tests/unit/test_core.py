from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from buynest.core.auth import TokenService
from buynest.core.errors import BuynestError, Conflict, InvalidInput, NotFound, Unauthorized, status_for
from buynest.core.http import describe_validation_error
from buynest.core.ids import new_id
from buynest.core.pagination import decode_cursor, encode_cursor


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: str
    price: int


def error_for(raw: str) -> str:
    with pytest.raises(ValidationError) as info:
        Thing.model_validate_json(raw)
    return describe_validation_error(info.value)


def test_validation_messages_name_the_field() -> None:
    assert error_for('{"price": 1}') == "name: field is required"
    assert error_for('{"name": "a", "price": "1"}').startswith("price: ")
    assert error_for('{"name": "a", "price": 1, "colour": "red"}') == "colour: unknown field"
    assert error_for("{not json") == "request body is not valid JSON"
    assert error_for("[1, 2]") == "request body must be a JSON object"


def test_status_follows_the_error_kind() -> None:
    class Taken(Conflict):
        code = "TAKEN"

    assert status_for(Taken("x")) == 409
    assert status_for(NotFound("x")) == 404
    assert status_for(InvalidInput("x")) == 400
    assert status_for(BuynestError("x")) == 500


def test_ids_are_unique_and_time_ordered() -> None:
    ids = [new_id() for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert all(len(i) == 26 for i in ids)
    assert ids[0][:10] <= ids[-1][:10]


def test_token_round_trip_and_rejections() -> None:
    service = TokenService("s" * 40, ttl_seconds=60)
    token = service.issue("u1", "customer", now=2_000_000_000)
    principal = TokenService("s" * 40).verify(service.issue("u1", "admin"))
    assert principal.user_id == "u1" and principal.is_admin
    with pytest.raises(Unauthorized, match="expired"):
        service.verify(service.issue("u1", "customer", now=1_000_000_000))
    with pytest.raises(Unauthorized):
        TokenService("x" * 40).verify(token)
    with pytest.raises(Unauthorized):
        service.verify(token[:-2] + "aa")
    with pytest.raises(ValueError):
        TokenService("short")


def test_cursor_round_trip_and_tampering() -> None:
    key = {"productId": {"S": "p1"}, "sortKey": {"S": "2026#p1"}}
    cursor = encode_cursor(key)
    assert cursor is not None
    assert decode_cursor(cursor, frozenset(key)) == key
    assert encode_cursor(None) is None
    for bad in ["!!!", "e30", cursor[:-3], encode_cursor({"productId": {"S": "p1"}})]:
        with pytest.raises(InvalidInput, match="cursor"):
            decode_cursor(bad, frozenset(key))
    for wrong_type in (
        {"productId": {"B": "x"}, "sortKey": {"S": "y"}},
        {"productId": {"S": "x"}, "sortKey": {"N": "1"}},
    ):
        with pytest.raises(InvalidInput):
            decode_cursor(encode_cursor(wrong_type), frozenset(key))
    assert decode_cursor(cursor, frozenset(key), {"productId": "p1"}) == key
    with pytest.raises(InvalidInput, match="cursor"):
        decode_cursor(cursor, frozenset(key), {"productId": "someone-else"})


# ---- retry ----


def test_backoff_retries_conflicts_with_growing_capped_pauses() -> None:
    from buynest.core.retry import Backoff

    pauses: list[float] = []
    backoff = Backoff(max_attempts=5, base=0.1, cap=0.3, sleep=pauses.append, jitter=lambda low, high: high)
    outcomes = iter([KeyError("conflict"), KeyError("conflict"), KeyError("conflict"), "done"])

    def attempt() -> str:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert backoff.retrying(attempt, KeyError) == "done"
    assert pauses == [0.1, 0.2, 0.3]


def test_backoff_gives_up_with_the_last_conflict_and_lets_other_errors_through() -> None:
    from buynest.core.retry import Backoff

    pauses: list[float] = []
    backoff = Backoff(max_attempts=3, sleep=pauses.append)
    calls: list[int] = []

    def conflict() -> None:
        calls.append(1)
        raise KeyError(len(calls))

    with pytest.raises(KeyError, match="3"):
        backoff.retrying(conflict, KeyError)
    assert len(calls) == 3 and len(pauses) == 2

    def broken() -> None:
        raise ValueError("not a conflict")

    with pytest.raises(ValueError, match="not a conflict"):
        backoff.retrying(broken, KeyError)
    assert len(pauses) == 2


def test_a_lazy_object_is_built_once_even_by_concurrent_first_calls() -> None:
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from buynest.core.lazy import Lazy

    builds: list[object] = []
    gate = threading.Barrier(8)

    def build() -> object:
        time.sleep(0.02)  # a client takes time to build: the other first callers arrive meanwhile
        builds.append(object())
        return builds[-1]

    lazy = Lazy(build)

    def first_call(_: int) -> object:
        gate.wait()
        return lazy()

    with ThreadPoolExecutor(8) as pool:
        seen = set(map(id, pool.map(first_call, range(8))))
    assert len(builds) == 1 and seen == {id(builds[0])}

    # a test installs its own; None makes the next call build again
    fake = object()
    lazy.set(fake)
    assert lazy() is fake
    lazy.set(None)
    assert lazy() is builds[1] and len(builds) == 2
