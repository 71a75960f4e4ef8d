"""Builds the users service from the environment, once per container (tests may install their own)."""

from __future__ import annotations

from dataclasses import dataclass

from buynest.core.auth import token_service
from buynest.core.config import env_str
from buynest.users.service import UserService


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
