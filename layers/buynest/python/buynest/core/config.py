"""Reading configuration from the environment once, with a clear error when something is missing."""

from __future__ import annotations

import os


class ConfigError(RuntimeError):
    """A required setting is missing or malformed: a deployment bug, not a client error."""


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None or value == "":
        raise ConfigError(f"environment variable {name} is not set")
    return value


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"environment variable {name} must be an integer, got {raw!r}") from exc
