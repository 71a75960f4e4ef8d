"""Builds the users service from the environment, once per container (tests may install their own)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from buynest.core.auth import token_service
from buynest.core.config import env_str
from buynest.core.lazy import Lazy
from buynest.users.address import AddressService
from buynest.users.domain import Lockout
from buynest.users.service import UserService

if TYPE_CHECKING:
    from buynest.users.saga import PointsSaga


@dataclass(frozen=True)
class UsersSettings:
    users_table: str
    event_bus_name: str | None = None

    @classmethod
    def from_env(cls) -> UsersSettings:
        return cls(users_table=env_str("USERS_TABLE"), event_bus_name=os.environ.get("EVENT_BUS_NAME") or None)


def live_lockout() -> Lockout:
    """The login lockout of the live settings (buynest.core.settings), read at each login (cached 30 s)."""
    from buynest.core.settings import LOGIN_LOCKOUT_THRESHOLD, LOGIN_LOCKOUT_WINDOW_SECONDS, live_settings

    values = live_settings().values(LOGIN_LOCKOUT_THRESHOLD, LOGIN_LOCKOUT_WINDOW_SECONDS)
    return Lockout(values[LOGIN_LOCKOUT_THRESHOLD], values[LOGIN_LOCKOUT_WINDOW_SECONDS])


def _build_user_service() -> UserService:
    from buynest.core.events import EventBridgePublisher
    from buynest.users.passwords import Argon2Hasher
    from buynest.users.store import DynamoUserRepository

    settings = UsersSettings.from_env()
    events = EventBridgePublisher(settings.event_bus_name) if settings.event_bus_name else None
    return UserService(
        DynamoUserRepository(settings.users_table), Argon2Hasher(), token_service, events=events, lockout=live_lockout
    )


user_service = Lazy(_build_user_service)
set_user_service = user_service.set


@dataclass(frozen=True)
class PointsSagaSettings:
    users_table: str
    event_bus_name: str

    @classmethod
    def from_env(cls) -> PointsSagaSettings:
        return cls(users_table=env_str("USERS_TABLE"), event_bus_name=env_str("EVENT_BUS_NAME"))


def _build_points_saga() -> PointsSaga:
    """The points side of the order saga on the users table and the bus."""
    from buynest.core.events import EventBridgePublisher
    from buynest.users.saga import PointsSaga
    from buynest.users.store import DynamoPointsLedger

    settings = PointsSagaSettings.from_env()
    return PointsSaga(DynamoPointsLedger(settings.users_table), EventBridgePublisher(settings.event_bus_name))


points_saga = Lazy(_build_points_saga)
set_points_saga = points_saga.set


def _build_address_service() -> AddressService:
    from buynest.users.address_store import DynamoAddressBook

    return AddressService(DynamoAddressBook(UsersSettings.from_env().users_table))


address_service = Lazy(_build_address_service)
set_address_service = address_service.set
