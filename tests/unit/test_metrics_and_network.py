"""Business metrics taken from the published events, and the functions' network settings (issue #15)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from buynest.core.events import EventBridgePublisher, make_event, set_events_client
from buynest.core.ids import created_ms, new_id
from buynest.orders.runtime import set_order_service
from tests.conftest import FakeContext, load_handler
from tests.template import template
from tests.unit.test_coupons_events import FakeEventsClient


@pytest.fixture
def published() -> Iterator[FakeEventsClient]:
    """The bus publisher's EventBridge client, faked (it accepts every entry)."""
    client = FakeEventsClient()
    set_events_client(client)
    yield client
    set_events_client(None)


def _emitted(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """The metric lines (CloudWatch embedded metric format) printed so far: name, value, dimensions (the service
    dimension apart), namespace and service."""
    found = []
    for line in capsys.readouterr().out.splitlines():
        if not line.startswith("{") or "_aws" not in line:
            continue
        document = json.loads(line)
        directive = document["_aws"]["CloudWatchMetrics"][0]
        for metric in directive["Metrics"]:
            dimensions = {key: document[key] for group in directive["Dimensions"] for key in group}
            service = dimensions.pop("service", None)
            value = document[metric["Name"]]
            found.append(
                {
                    "name": metric["Name"],
                    "value": value[0] if isinstance(value, list) else value,
                    "dimensions": dimensions,
                    "namespace": directive["Namespace"],
                    "service": service,
                }
            )
    return found


def test_published_order_outcomes_become_metrics(
    published: FakeEventsClient, capsys: pytest.CaptureFixture[str]
) -> None:
    """Guards the business metrics: a confirmed and a failed order (by reason) are counted, with their saga latency
    from the order id's creation time, when their events go on the bus; other events measure nothing."""
    order_id = new_id()
    publisher = EventBridgePublisher("bus")
    publisher.publish(
        [
            make_event("buynest.orders", "OrderConfirmed", {"orderId": order_id, "total": 100}, order_id),
            make_event("buynest.orders", "OrderFailed", {"orderId": order_id, "reason": "OUT_OF_STOCK"}, order_id),
            make_event("buynest.orders", "OrderCreated", {"orderId": order_id}, order_id),
        ]
    )

    emitted = _emitted(capsys)
    names = [(m["name"], m["dimensions"]) for m in emitted]
    assert ("OrdersConfirmed", {}) in names
    assert ("OrdersFailed", {"reason": "OUT_OF_STOCK"}) in names
    latencies = [m["value"] for m in emitted if m["name"] == "SagaLatency"]
    assert len(latencies) == 2 and all(0 <= value < 60_000 for value in latencies)
    assert len(emitted) == 4


def test_a_rejected_image_is_counted_a_ready_one_is_not(
    published: FakeEventsClient, capsys: pytest.CaptureFixture[str]
) -> None:
    publisher = EventBridgePublisher("bus")
    publisher.publish(
        [
            make_event("buynest.images", "ImageProcessed", {"imageId": "i1", "status": "REJECTED"}),
            make_event("buynest.images", "ImageProcessed", {"imageId": "i2", "status": "READY"}),
        ]
    )
    assert [m["name"] for m in _emitted(capsys)] == ["ImagesRejected"]


class _SweepingService:
    def sweep(self, timeout: int | None) -> dict[str, int]:
        return {"timedOut": 3, "workflowsStarted": 1, "needsOperator": 1}


def test_the_sweeper_emits_how_many_orders_it_had_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    """Guards the alarm on swept orders (OrdersTimedOutAlarm in template.yaml): without the metric it could never
    fire."""
    set_order_service(_SweepingService())  # type: ignore[arg-type]
    try:
        result = load_handler("orders/sweep_orders").handler({}, FakeContext())
    finally:
        set_order_service(None)
    assert result["timedOut"] == 3
    emitted = {m["name"]: m for m in _emitted(capsys)}
    assert "OrdersTimedOut" in emitted, "no OrdersTimedOut metric was printed"
    assert emitted["OrdersTimedOut"]["value"] == 3
    assert emitted["OrdersTimedOut"]["namespace"] == "Buynest"
    assert emitted["OrdersTimedOut"]["service"] is not None  # the template names the sweeper's service "orders"
    assert emitted["OrdersNeedingOperator"]["value"] == 1


def test_created_ms_reads_the_time_of_a_ulid() -> None:
    before = int(time.time() * 1000)
    created = created_ms(new_id())
    assert created is not None and before <= created <= int(time.time() * 1000)
    assert created_ms("not-a-ulid") is None
    assert created_ms("!" * 26) is None


def test_pynamodb_models_time_out_well_inside_the_function_timeout() -> None:
    """Guards the network settings: pynamodb's defaults (15 s connect, 30 s read) outlast the 10 s function timeout;
    every model gets ours, which together fit in it."""
    from buynest.orders.store import OrderItem
    from buynest.users.store import UserItem

    function_timeout = template()["Globals"]["Function"]["Timeout"]
    for model in (OrderItem, UserItem):
        meta = model.Meta
        assert meta.connect_timeout_seconds + meta.read_timeout_seconds < function_timeout
        assert model._get_connection().connection._retry_configuration is None  # botocore's, from AWS_RETRY_MODE


def test_every_function_retries_in_standard_mode() -> None:
    assert template()["Globals"]["Function"]["Environment"]["Variables"]["AWS_RETRY_MODE"] == "standard"
