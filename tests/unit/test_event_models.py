"""Each event model names its detail-type, source and version: the generator lists the producers' models, publishers
take the name from the model, and every consumer's reader names events as their producers do."""

from __future__ import annotations

import json

import pytest

from buynest.core.events import EventModel, EventReader, event_of
from buynest.coupons import messages as coupons
from buynest.notifications import messages as notifications
from buynest.products import messages as products
from buynest.users import messages as users
from scripts.gen_events import BY_DETAIL_TYPE, EVENTS, published_models

READERS = {
    "coupons": coupons.ORDER_EVENTS,
    "products": products.ORDER_EVENTS,
    "users": users.ORDER_EVENTS,
    "notifications": notifications.EVENTS,
}
AWAITED = frozenset({"OrderShipped"})  # routed before its producer exists (see test_event_contracts)


def test_the_generator_lists_every_producer_model_once() -> None:
    assert [event.model for event in EVENTS] == published_models()
    assert len(BY_DETAIL_TYPE) == len(EVENTS) == 18
    for event in EVENTS:
        assert event.model.__module__ == f"{event.source}.messages", event.detail_type
        assert type(event.sample) is event.model


@pytest.mark.parametrize("service", sorted(READERS))
def test_each_reader_names_events_as_their_producers_do(service: str) -> None:
    reader = READERS[service]
    for detail_type, model in reader.models.items():
        if detail_type in AWAITED:
            continue
        producer = BY_DETAIL_TYPE[detail_type]
        assert (model.event_source, model.event_version) == (producer.source, producer.version), detail_type
        assert reader.trusted[detail_type] == producer.source


def test_a_publisher_takes_the_name_source_and_version_from_the_model() -> None:
    entry = event_of(products.StockReserved(order_id="o1"), "c1")
    assert (entry["Source"], entry["DetailType"]) == ("buynest.products", "StockReserved")
    detail = json.loads(entry["Detail"])
    assert detail["metadata"]["eventVersion"] == 1 and detail["metadata"]["correlationId"] == "c1"
    assert detail["data"] == {"orderId": "o1"}


def test_a_part_of_a_payload_is_no_event() -> None:
    with pytest.raises(ValueError, match="not the model of an event"):
        event_of(products.OrderLine(product_id="p1", quantity=1))
    with pytest.raises(ValueError, match="not event models"):
        EventReader(products.OrderLine)


def test_an_event_needs_a_name_and_a_source() -> None:
    with pytest.raises(ValueError, match="PascalCase"):

        class Bad(EventModel, event="bad", source="buynest.x"):
            pass
