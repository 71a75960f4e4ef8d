"""One object per container, built on first use: clients, services and sagas (tests may install their own)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class Lazy[T]:
    """``Lazy(build)()`` builds the object on its first call and returns the same one after. ``set(obj)`` installs
    another (a fake, in tests); ``set(None)`` makes the next call build again. Concurrent first calls (a consumer's
    worker threads) build one object: the build holds a lock."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: T | None = None
        self._lock = threading.Lock()

    def __call__(self) -> T:
        value = self._value
        if value is None:
            with self._lock:
                value = self._value
                if value is None:
                    value = self._value = self._build()
        return value

    def set(self, value: T | None) -> None:
        self._value = value


def lazy_client(service: str) -> Lazy[Any]:
    """A boto3 client of ``service``, created (and boto3 imported) on its first use."""

    def build() -> Any:
        import boto3

        return boto3.client(service)  # type: ignore[call-overload]  # the stubs' overloads take literal names

    return Lazy(build)
