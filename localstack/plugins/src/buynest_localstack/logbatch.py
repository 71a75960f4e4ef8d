"""Lambda's log shipping to CloudWatch Logs in batches: one ``PutLogEvents`` per log stream for what a function's
invocations printed within ``BUYNEST_LOGS_BATCH_SEC`` (default 1 s; 0: one call per invocation, as LocalStack does).

LocalStack's Lambda service gives every function version a ``LogHandler``: a thread that takes each invocation's
output from a queue and sends it with ``PutLogEvents`` (after ``CreateLogGroup``/``CreateLogStream`` the first time),
through its internal client over HTTP: about one call per invocation, a tenth of an order's calls. AWS's Lambda
agent buffers and ships a function's logs in batches too. Here the thread, after taking an invocation's output,
goes on taking what else arrives for up to the batch window, then sends each stream's events, in the order they
were printed, in one call (split at CloudWatch's limits of 10,000 events and 1 MB).

The events are the same (the same lines, groups, streams and order) and each keeps the time its invocation ended
(LocalStack stamps them when its thread sends them); only their arrival in CloudWatch Logs may be up to the window
later. The developer logs under ``.local/logs/lambda`` are written by the executor and are not affected.
"""

from __future__ import annotations

import contextlib
import os
import queue
import time
from typing import Any

BATCH_ENV = "BUYNEST_LOGS_BATCH_SEC"
MAX_EVENTS = 10_000
MAX_BYTES = 1_000_000
EVENT_OVERHEAD = 26


def batch_seconds() -> float:
    return float(os.environ.get(BATCH_ENV) or 1)


class _Stamped:
    """A ``LogItem`` and the time, in ms, at which the Lambda service handed it over."""

    __slots__ = ("item", "timestamp")

    def __init__(self, item: Any, timestamp: int) -> None:
        self.item = item
        self.timestamp = timestamp


def _now_ms() -> int:
    return int(time.time() * 1000)


def log_events(stamped: list[_Stamped]) -> list[dict[str, Any]]:
    """The events of a stream's invocations in order, as LocalStack builds them (one per non-empty line, with its
    newline), each stamped with its invocation's time (never earlier than the previous one: CloudWatch wants
    them in order)."""
    events: list[dict[str, Any]] = []
    last = 0
    for entry in stamped:
        last = max(last, entry.timestamp)
        events.extend({"timestamp": last, "message": line + "\n"} for line in entry.item.logs.split("\n") if line)
    return events


def chunks(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """``events`` split so that no call passes CloudWatch's limits of events and bytes per ``PutLogEvents``."""
    out: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for event in events:
        event_size = len(event["message"].encode()) + EVENT_OVERHEAD
        if current and (len(current) >= MAX_EVENTS or size + event_size > MAX_BYTES):
            out.append(current)
            current, size = [], 0
        current.append(event)
        size += event_size
    if current:
        out.append(current)
    return out


def by_stream(batch: list[_Stamped]) -> dict[tuple[str, str], list[_Stamped]]:
    """The batch's entries by (log group, log stream), streams in the order they first appear."""
    streams: dict[tuple[str, str], list[_Stamped]] = {}
    for entry in batch:
        streams.setdefault((entry.item.log_group, entry.item.log_stream), []).append(entry)
    return streams


def _put(logs_client: Any, group: str, stream: str, events: list[dict[str, Any]]) -> None:
    """LocalStack's call, with its creation of the group and stream when they are missing."""
    try:
        logs_client.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
    except logs_client.exceptions.ResourceNotFoundException:
        with contextlib.suppress(logs_client.exceptions.ResourceAlreadyExistsException):
            logs_client.create_log_group(logGroupName=group)
        logs_client.create_log_stream(logGroupName=group, logStreamName=stream)
        logs_client.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def ship(logs_client: Any, batch: list[_Stamped], region: str, log: Any) -> None:
    for (group, stream), entries in by_stream(batch).items():
        for events in chunks(log_events(entries)):
            try:
                _put(logs_client, group, stream, events)
            except Exception as e:  # as LocalStack: a failed shipment is logged, the function is not affected
                log.warning("Error saving logs to group %s in region %s: %s", group, region, e)


def _stamped(entry: Any) -> _Stamped:
    return entry if isinstance(entry, _Stamped) else _Stamped(entry, _now_ms())


def install() -> None:
    """Replaces ``LogHandler``'s queueing (to stamp each invocation's output) and its thread's loop."""
    from localstack.aws.connect import connect_to
    from localstack.services.lambda_.invocation import logs
    from localstack.utils.aws.client_types import ServicePrincipal
    from localstack.utils.bootstrap import is_api_enabled

    window = batch_seconds()
    if window <= 0:
        return

    def add_logs(self: Any, log_item: Any) -> None:
        if not is_api_enabled("logs"):
            return
        self.log_queue.put(_Stamped(log_item, _now_ms()))

    def run_log_loop(self: Any, *args: Any, **kwargs: Any) -> None:
        logs_client = connect_to.with_assumed_role(
            region_name=self.region, role_arn=self.role_arn, service_principal=ServicePrincipal.lambda_
        ).logs
        stopping = False
        while not stopping and not self._shutdown_event.is_set():
            first = self.log_queue.get()
            if first is logs.QUEUE_SHUTDOWN:
                return
            batch = [_stamped(first)]
            deadline = time.monotonic() + window
            while not stopping:
                remaining = deadline - time.monotonic()
                try:
                    entry = self.log_queue.get(timeout=remaining) if remaining > 0 else self.log_queue.get_nowait()
                except queue.Empty:
                    break
                if entry is logs.QUEUE_SHUTDOWN:
                    stopping = True
                else:
                    batch.append(_stamped(entry))
            ship(logs_client, batch, self.region, logs.LOG)

    logs.LogHandler.add_logs = add_logs
    logs.LogHandler.run_log_loop = run_log_loop
