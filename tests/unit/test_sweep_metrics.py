"""The sweeper's figures reach CloudWatch as metrics, which OrdersTimedOutAlarm (template.yaml) watches."""

from __future__ import annotations

import json
from typing import Any

import pytest

from buynest.orders.runtime import set_order_service
from tests.conftest import FakeContext, load_handler


class _SweepingService:
    def sweep(self, timeout: int | None) -> dict[str, int]:
        return {"timedOut": 3, "workflowsStarted": 1, "needsOperator": 1}


def test_the_sweeper_emits_how_many_orders_it_had_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    """Guards the alarm on swept orders: without the metric the alarm could never fire."""
    set_order_service(_SweepingService())  # type: ignore[arg-type]
    try:
        result = load_handler("orders/sweep_orders").handler({}, FakeContext())
    finally:
        set_order_service(None)  # type: ignore[arg-type]
    assert result["timedOut"] == 3
    blobs: list[dict[str, Any]] = []
    for line in capsys.readouterr().out.splitlines():
        try:
            blob = json.loads(line)
        except ValueError:
            continue
        if isinstance(blob, dict) and "_aws" in blob:
            blobs.append(blob)
    assert blobs, "no EMF metrics blob was printed"
    metric = blobs[-1]
    directive = metric["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "Buynest"
    assert metric["OrdersTimedOut"] in (3, [3])
    assert ["service"] in directive["Dimensions"]  # the template names the sweeper's service "orders"
