"""DynamoDB stream pollers that wait for a write instead of asking every 0.1 s.

LocalStack's event source mapping worker calls ``GetRecords`` on each stream every
``LAMBDA_EVENT_SOURCE_MAPPING_POLL_INTERVAL_SEC`` and never backs off on an empty stream (a stream iterator may
have to move several times before records come). With Buynest's three stream mappings that was ~27 internal calls a
second, most of LocalStack's idle CPU. Our DynamoDB is moto, in the same process, so the poller can know when a
stream has something new: every record moto appends to a table's stream shard (``StreamShard.add``) bumps that
table's counter and wakes its pollers. A stream poller whose last ``GetRecords`` returned nothing, and whose batcher
holds nothing, waits for its table's counter to move before asking again (at most
``BUYNEST_STREAM_IDLE_POLL_SEC``, default 5 s, so that a record appended any other way is still read; 0 turns the
wait off), and a mapping that is disabled, deleted or stopped wakes its poller at once.

What a consumer sees does not change: the same ``GetRecords`` calls read the same records in the same order, in
the same batches; a record is handed over as soon as it is written instead of up to one poll interval later (AWS
polls each shard about four times a second), and an idle stream costs one call per idle period instead of ten a
second.
"""

from __future__ import annotations

import functools
import os
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

IDLE_POLL_ENV = "BUYNEST_STREAM_IDLE_POLL_SEC"

_changed = threading.Condition()
_writes: Counter[str] = Counter()
"""Stream records appended, by table ARN."""
_wakeups = 0
"""Bumped whenever a mapping stops, so that a waiting poller looks at its stop flag."""


def idle_poll_seconds() -> float:
    return float(os.environ.get(IDLE_POLL_ENV) or 5)


def stream_written(table_arn: str) -> None:
    with _changed:
        _writes[table_arn] += 1
        _changed.notify_all()


def wake_all() -> None:
    global _wakeups
    with _changed:
        _wakeups += 1
        _changed.notify_all()


def position(table_arn: str) -> tuple[int, int]:
    with _changed:
        return _writes[table_arn], _wakeups


def wait_for_change(table_arn: str, seen: tuple[int, int], timeout: float) -> bool:
    """Waits until ``table_arn``'s stream is written (or a mapping stops) after ``seen``; False on timeout."""
    with _changed:
        return _changed.wait_for(lambda: (_writes[table_arn], _wakeups) != seen, timeout=timeout)


def table_arn_of(stream_arn: str) -> str:
    """``arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>`` -> the table's ARN."""
    return stream_arn.split("/stream/", 1)[0]


def install() -> None:
    """Patches moto's stream shard, LocalStack's DynamoDB stream poller and its mapping worker (once)."""
    from localstack.services.lambda_.event_source_mapping.pollers.dynamodb_poller import DynamoDBPoller
    from moto.dynamodb.models.table import StreamShard

    if getattr(StreamShard.add, "_buynest_wakes_pollers", False):
        return

    original_add = StreamShard.add

    @functools.wraps(original_add)
    def add(self: StreamShard, old: Any, new: Any) -> None:
        original_add(self, old, new)
        stream_written(self.table.table_arn)

    add._buynest_wakes_pollers = True  # type: ignore[attr-defined]
    StreamShard.add = add  # type: ignore[method-assign]

    original_poll = DynamoDBPoller.poll_events

    @functools.wraps(original_poll)
    def poll_events(self: DynamoDBPoller) -> None:
        table_arn = table_arn_of(self.source_arn)
        seen = getattr(self, "_buynest_seen", None)
        idle = seen is not None and not any(b.get_current_size() for b in self.shard_batcher.values())
        if idle and seen is not None and (timeout := idle_poll_seconds()) > 0:
            wait_for_change(table_arn, seen, timeout)
        # read before GetRecords: a record written while it runs makes the next poll go ahead at once
        now_at = position(table_arn)
        self._buynest_seen = None
        self._buynest_empty = False
        original_poll(self)
        if self._buynest_empty:
            self._buynest_seen = now_at

    DynamoDBPoller.poll_events = poll_events  # type: ignore[method-assign]

    original_get_records = DynamoDBPoller.get_records

    @functools.wraps(original_get_records)
    def get_records(self: DynamoDBPoller, shard_iterator: str) -> dict[str, Any]:
        self._buynest_empty = False
        response: dict[str, Any] = original_get_records(self, shard_iterator)
        # only a clean empty answer lets the poller wait; records, errors and closed shards poll again as before
        self._buynest_empty = not response.get("Records") and bool(response.get("NextShardIterator"))
        return response

    DynamoDBPoller.get_records = get_records  # type: ignore[method-assign]

    wake_pollers_when_mappings_stop()


def wake_pollers_when_mappings_stop() -> None:
    """Wraps ``EsmWorker.stop``, ``delete`` and ``stop_for_shutdown`` so that a poller waiting for its source
    (here, or in :mod:`buynest_localstack.sqswait`) returns at once and its worker sees the stop; ``start``
    clears the poller's stop flag (once)."""
    from localstack.services.lambda_.event_source_mapping.esm_worker import EsmWorker

    if getattr(EsmWorker.stop, "_buynest_wakes_poller", False):
        return
    for name in ("stop", "delete", "stop_for_shutdown"):
        _wake_after(EsmWorker, name)
    original_start = EsmWorker.start

    @functools.wraps(original_start)
    def start(self: EsmWorker) -> None:
        self.poller._buynest_stopping = False  # type: ignore[attr-defined]
        original_start(self)

    EsmWorker.start = start  # type: ignore[method-assign]


def _wake_after(cls: type, name: str) -> None:
    original: Callable[..., Any] = getattr(cls, name)

    @functools.wraps(original)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, *args, **kwargs)
        finally:
            wake_all()
            if (wake := getattr(self.poller, "_buynest_wake", None)) is not None:
                wake()

    call._buynest_wakes_poller = True  # type: ignore[attr-defined]
    setattr(cls, name, call)
