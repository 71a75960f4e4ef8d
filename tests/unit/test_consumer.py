"""The shared SQS bus-event consumer: a batch's records are handled concurrently (a few at a time), each failure is
reported alone and in the batch's order, each record logs under its own correlation id, and only events from the
source trusted for their detail-type reach the service."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import pytest

from buynest.core.consumer import WORKERS_ENV, BusConsumer
from buynest.core.events import BusEvent
from buynest.core.observability import logger
from tests.conftest import FakeContext
from tests.unit.coupon_fakes import bus_event, sqs_event

TRUSTED = {"OrderCreated": "buynest.orders", "CouponReserved": "buynest.coupons"}


def events(n: int) -> list[dict[str, Any]]:
    return [bus_event("OrderCreated", {"orderId": f"o{i}"}, correlation_id=f"corr-o{i}") for i in range(n)]


def test_records_of_a_batch_are_handled_at_the_same_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WORKERS_ENV, "4")
    together = threading.Barrier(4, timeout=5)  # breaks unless four records are in the handler at once

    def handle(event: BusEvent) -> None:
        if event.detail.data["orderId"] != "o0":  # the container's first record runs alone
            together.wait()

    consumer = BusConsumer(handle, TRUSTED)
    assert consumer.handler(sqs_event(*events(1)), FakeContext()) == {"batchItemFailures": []}
    assert consumer.handler(sqs_event(*events(5)[1:]), FakeContext()) == {"batchItemFailures": []}


def test_at_most_the_configured_number_run_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WORKERS_ENV, "2")
    running, peak, lock = 0, 0, threading.Lock()

    def handle(event: BusEvent) -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.02)
        with lock:
            running -= 1

    consumer = BusConsumer(handle, TRUSTED)
    assert consumer.handler(sqs_event(*events(8)), FakeContext()) == {"batchItemFailures": []}
    assert peak == 2


def test_the_first_record_a_container_handles_runs_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WORKERS_ENV, "4")
    started: list[tuple[str, float, float]] = []

    def handle(event: BusEvent) -> None:
        begin = time.perf_counter()
        time.sleep(0.05)
        started.append((event.detail.data["orderId"], begin, time.perf_counter()))

    BusConsumer(handle, TRUSTED).handler(sqs_event(*events(4)), FakeContext())
    first = min(started, key=lambda s: s[1])
    others = [s for s in started if s is not first]
    assert all(begin >= first[2] for _, begin, _ in others)
    assert len(others) == 3


def test_failures_are_reported_alone_and_in_the_batch_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WORKERS_ENV, "4")
    handled: list[str] = []

    def handle(event: BusEvent) -> None:
        order_id = event.detail.data["orderId"]
        if order_id in {"o1", "o3"}:
            time.sleep(0.05 if order_id == "o1" else 0)  # o1 fails after o3
            raise RuntimeError(f"cannot handle {order_id}")
        handled.append(order_id)

    batch = sqs_event(*events(5), "{not json")
    result = BusConsumer(handle, TRUSTED).handler(batch, FakeContext())
    ids = [r["messageId"] for r in batch["Records"]]
    assert [f["itemIdentifier"] for f in result["batchItemFailures"]] == [ids[1], ids[3], ids[5]]
    assert sorted(handled) == ["o0", "o2", "o4"]


class Lines(logging.Handler):
    """Formats each record as the function's log line, in the thread that logs it."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


def test_each_record_logs_under_its_own_correlation_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WORKERS_ENV, "4")

    def handle(event: BusEvent) -> None:
        time.sleep(0.01)
        logger.info("handled", extra={"orderId": event.detail.data["orderId"]})

    out = Lines()
    out.setFormatter(logger.registered_formatter)
    logger.addHandler(out)
    try:
        BusConsumer(handle, TRUSTED).handler(sqs_event(*events(6)), FakeContext())
    finally:
        logger.removeHandler(out)
    lines = [line for line in out.lines if line["message"] == "handled"]
    assert len(lines) == 6
    assert all(line["correlation_id"] == f"corr-{line['orderId']}" for line in lines)


def test_with_tracing_on_every_worker_traces_inside_the_invocations_segment(monkeypatch: pytest.MonkeyPatch) -> None:
    from aws_xray_sdk.core import xray_recorder

    monkeypatch.setenv(WORKERS_ENV, "4")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "false")
    seen: list[Any] = []

    def handle(event: BusEvent) -> None:
        seen.append(xray_recorder.get_trace_entity())  # raises or logs "no segment" in a thread without one

    segment = xray_recorder.begin_segment("invocation")
    try:
        BusConsumer(handle, TRUSTED).handler(sqs_event(*events(6)), FakeContext())
    finally:
        xray_recorder.end_segment()
    assert len(seen) == 6 and all(entity is segment for entity in seen)


def test_an_event_from_a_source_not_trusted_for_it_never_reaches_the_service() -> None:
    """Guards the forged event: an ``OrderCreated`` put by the image processor, or a ``CouponReserved`` with any
    discount put by the stock owner, is dropped (acknowledged, not retried into the DLQ); the same events from their
    owners, and nothing of a detail-type the consumer does not read, are handled as before."""
    handled: list[tuple[str, str]] = []

    def handle(event: BusEvent) -> None:
        handled.append((event.source, event.detail_type))

    batch = sqs_event(
        bus_event("OrderCreated", {"orderId": "o1"}, source="buynest.images"),
        bus_event("CouponReserved", {"orderId": "o1", "discount": 10**9}, source="buynest.products"),
        bus_event("OrderShipped", {"orderId": "o1"}, source="buynest.orders"),
        bus_event("OrderCreated", {"orderId": "o2"}, source="buynest.orders"),
        bus_event("CouponReserved", {"orderId": "o2", "discount": 100}, source="buynest.coupons"),
    )
    result = BusConsumer(handle, TRUSTED).handler(batch, FakeContext())

    assert result == {"batchItemFailures": []}
    assert sorted(handled) == [("buynest.coupons", "CouponReserved"), ("buynest.orders", "OrderCreated")]
