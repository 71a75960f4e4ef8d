"""Builds the stats store from the environment, once per container."""

from __future__ import annotations

from buynest.core.config import env_str
from buynest.core.lazy import Lazy
from buynest.stats.store import DynamoStatsStore

stats_store = Lazy(lambda: DynamoStatsStore(env_str("STATS_TABLE")))
set_stats_store = stats_store.set
