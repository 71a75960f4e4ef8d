"""Builds the users service from the environment, once per container (tests may install their own)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from buynest.core.auth import token_service
from buynest.core.config import env_str
from buynest.users.service import UserService

if TYPE_CHECKING:
    from buynest.users.saga import PointsSaga


@dataclass(frozen=True)
class UsersSettings:
    users_table: str

    @classmethod
    def from_env(cls) -> UsersSettings:
        return cls(users_table=env_str("USERS_TABLE"))


_service: UserService | None = None


def user_service() -> UserService:
    global _service
    if _service is None:
        from buynest.users.passwords import Argon2Hasher
        from buynest.users.store import DynamoUserRepository

        settings = UsersSettings.from_env()
        _service = UserService(DynamoUserRepository(settings.users_table), Argon2Hasher(), token_service)
    return _service


def set_user_service(service: UserService | None) -> None:
    """Install a service built on fakes (unit tests) instead of the DynamoDB one."""
    global _service
    _service = service


@dataclass(frozen=True)
class PointsSagaSettings:
    users_table: str
    event_bus_name: str

    @classmethod
    def from_env(cls) -> PointsSagaSettings:
        return cls(users_table=env_str("USERS_TABLE"), event_bus_name=env_str("EVENT_BUS_NAME"))


_points_saga: PointsSaga | None = None


def points_saga() -> PointsSaga:
    """The points side of the order saga on the users table and the bus, built on first use."""
    global _points_saga
    if _points_saga is None:
        from buynest.core.events import EventBridgePublisher
        from buynest.users.saga import PointsSaga
        from buynest.users.store import DynamoPointsLedger

        settings = PointsSagaSettings.from_env()
        ledger = DynamoPointsLedger(settings.users_table)
        _points_saga = PointsSaga(ledger, EventBridgePublisher(settings.event_bus_name))
    return _points_saga


def set_points_saga(saga: PointsSaga | None) -> None:
    """Install a saga built on fakes (tests) instead of the DynamoDB/EventBridge one; None resets."""
    global _points_saga
    _points_saga = saga
