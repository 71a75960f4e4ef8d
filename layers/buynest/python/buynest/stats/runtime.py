"""Builds the stats store from the environment, once per container."""

from __future__ import annotations

from buynest.core.config import env_str
from buynest.stats.store import DynamoStatsStore

_store: DynamoStatsStore | None = None


def stats_store() -> DynamoStatsStore:
    global _store
    if _store is None:
        _store = DynamoStatsStore(env_str("STATS_TABLE"))
    return _store


def set_stats_store(store: DynamoStatsStore | None) -> None:
    global _store
    _store = store
