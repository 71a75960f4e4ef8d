"""The bus envelope and the EventBridge publisher (``buynest.core.events``), with a fake EventBridge client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from buynest.core.events import (
    BusEvent,
    EventBridgePublisher,
    EventEnvelope,
    EventPublishError,
    make_event,
    set_events_client,
)
from buynest.coupons.messages import ORDER_EVENTS, CouponReserved, OrderCreated
from tests.unit.coupon_fakes import bus_event


class FakeEventsClient:
    """PutEvents that accepts everything, or refuses the entries whose index is in ``refuse``."""

    def __init__(self, refuse: frozenset[int] = frozenset()) -> None:
        self.calls: list[list[dict[str, Any]]] = []
        self.refuse = refuse

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803 - boto3's keyword
        self.calls.append(Entries)
        results = [
            {"ErrorCode": "InternalFailure", "ErrorMessage": "no"} if i in self.refuse else {"EventId": f"e{i}"}
            for i in range(len(Entries))
        ]
        return {"FailedEntryCount": sum("ErrorCode" in r for r in results), "Entries": results}


@pytest.fixture
def events_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeEventsClient]:
    client = FakeEventsClient()
    set_events_client(client)
    yield client
    set_events_client(None)


def test_make_event_builds_the_contract_envelope() -> None:
    entry = make_event("buynest.coupons", "CouponReserved", CouponReserved(order_id="o1", coupon_id="c1", discount=500))
    assert set(entry) == {"Source", "DetailType", "Detail"}
    assert (entry["Source"], entry["DetailType"]) == ("buynest.coupons", "CouponReserved")
    detail = json.loads(entry["Detail"])
    assert detail["data"] == {"orderId": "o1", "couponId": "c1", "discount": 500}
    assert set(detail["metadata"]) == {"eventId", "eventVersion", "correlationId", "occurredAt"}
    assert detail["metadata"]["eventVersion"] == 1 and detail["metadata"]["occurredAt"].endswith("Z")
    again = json.loads(make_event("buynest.coupons", "CouponReserved", {"a": 1}, "corr")["Detail"])
    assert (
        again["metadata"]["correlationId"] == "corr" and again["metadata"]["eventId"] != detail["metadata"]["eventId"]
    )


@pytest.mark.parametrize(("source", "detail_type"), [("coupons", "CouponReserved"), ("buynest.coupons", "reserved")])
def test_make_event_refuses_names_outside_the_convention(source: str, detail_type: str) -> None:
    with pytest.raises(ValueError):
        make_event(source, detail_type, {})


def test_publisher_sends_to_its_bus_in_chunks_of_ten(events_client: FakeEventsClient) -> None:
    entries = [make_event("buynest.coupons", "CouponReserved", {"n": i}) for i in range(23)]
    EventBridgePublisher("buynest").publish(entries)
    assert [len(call) for call in events_client.calls] == [10, 10, 3]
    assert all(e["EventBusName"] == "buynest" for call in events_client.calls for e in call)


def test_publisher_raises_when_the_bus_refuses_an_entry(
    events_client: FakeEventsClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    events_client.refuse = frozenset({1})
    monkeypatch.setenv("EVENT_BUS_NAME", "from-env")
    publisher = EventBridgePublisher()
    with pytest.raises(EventPublishError, match=r"1 of 2 .*from-env.*InternalFailure"):
        publisher.publish([make_event("buynest.coupons", "CouponRejected", {}) for _ in range(2)])


def test_consumers_parse_the_envelope_and_ignore_added_fields() -> None:
    raw = bus_event(
        "OrderCreated",
        {"orderId": "o1", "userId": "u1", "subtotal": 100, "couponId": "c1", "giftWrap": True, "items": []},
    )
    raw["detail"]["metadata"]["traceId"] = "extra"
    event = BusEvent.model_validate(raw)
    assert event.detail_type == "OrderCreated" and event.source == "buynest.orders"
    parsed = ORDER_EVENTS.parse(event.detail_type, event.detail.data)
    assert parsed == OrderCreated(order_id="o1", user_id="u1", subtotal=100, coupon_id="c1")
    assert ORDER_EVENTS.parse("StockReserved", {}) is None
    envelope = EventEnvelope[dict[str, Any]].model_validate(raw["detail"])
    assert envelope.metadata.correlation_id == "corr-1"
