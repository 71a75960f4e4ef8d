"""The coupon's part in the order saga against moto's DynamoDB: SQS-shaped batches through the consumer reserve, use
and give back a coupon with real conditional writes; repeats change nothing; replies are valid bus events."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from buynest.core.events import EventBridgePublisher, EventEnvelope, make_event
from buynest.coupons.domain import FIXED, PERCENT, Coupon
from buynest.coupons.messages import CouponRejected, CouponReserved
from buynest.coupons.service import CouponService
from tests.conftest import FakeContext, load_handler
from tests.integration.coupons_fixtures import CouponsEnv, coupons_env
from tests.unit.coupon_fakes import bus_event, sqs_event

consumer = load_handler("coupons/on_order_event")


@pytest.fixture
def env(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[CouponsEnv]:
    yield from coupons_env(aws, monkeypatch)


@pytest.fixture
def coupons(env: CouponsEnv) -> CouponService:
    service = CouponService(env.repo)
    expires = int(time.time()) + 3600
    service.create_campaign("TENPCT", PERCENT, 10, 100, expires, 20_000)
    service.create_campaign("FIVEK", FIXED, 5_000, 100, expires, 0)
    return service


def deliver(*bodies: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = consumer.handler(sqs_event(*bodies), FakeContext())
    return result


def created(order_id: str, coupon: Coupon | str, subtotal: int = 25_000, user_id: str = "u1") -> dict[str, Any]:
    coupon_id = coupon if isinstance(coupon, str) else coupon.coupon_id
    data = {
        "orderId": order_id,
        "userId": user_id,
        "items": [{"productId": "P1", "quantity": 2, "unitPrice": subtotal // 2}],
        "subtotal": subtotal,
        "couponId": coupon_id,
        "pointsToUse": 0,
    }
    return bus_event("OrderCreated", data, correlation_id=f"corr-{order_id}")


def ended(kind: str, order_id: str, coupon: Coupon) -> dict[str, Any]:
    return bus_event(kind, {"orderId": order_id, "couponId": coupon.coupon_id}, correlation_id=f"corr-{order_id}")


def stored(env: CouponsEnv, user_id: str = "u1", code: str = "TENPCT") -> dict[str, Any]:
    item = env.item(f"USER#{user_id}", f"COUPON#{code}")
    assert item is not None
    return item


def replies(env: CouponsEnv) -> list[tuple[str, EventEnvelope[dict[str, Any]]]]:
    return env.publisher.published()


def test_reserve_use_and_cancel_with_repeats(env: CouponsEnv, coupons: CouponService) -> None:
    # Given a customer's 10 % coupon
    coupon = coupons.issue("TENPCT", "u1")

    # When the order is created (twice), Then the coupon is RESERVED for it and the answer is the same both times
    assert deliver(created("o1", coupon)) == {"batchItemFailures": []}
    reserved = stored(env)
    assert (reserved["status"]["S"], reserved["reservedBy"]["S"]) == ("RESERVED", "o1")
    assert deliver(created("o1", coupon)) == {"batchItemFailures": []}
    assert stored(env) == reserved
    answers = replies(env)
    assert [kind for kind, _ in answers] == ["CouponReserved", "CouponReserved"]
    for _, envelope in answers:
        assert CouponReserved.model_validate(envelope.data) == CouponReserved(
            order_id="o1", coupon_id=coupon.coupon_id, discount=2_500
        )
        assert envelope.metadata.correlation_id == "corr-o1" and envelope.metadata.event_version == 1
    assert {e["Source"] for e in env.publisher.entries} == {"buynest.coupons"}

    # When the order is confirmed (twice), Then the coupon is USED once
    deliver(ended("OrderConfirmed", "o1", coupon), ended("OrderConfirmed", "o1", coupon))
    used = stored(env)
    assert used["status"]["S"] == "USED" and used["reservedBy"]["S"] == "o1"

    # When the confirmed order is cancelled (twice, with a stray failure), Then the coupon is ISSUED again
    deliver(ended("OrderCancelled", "o1", coupon))
    released = stored(env)
    assert released["status"]["S"] == "ISSUED" and "reservedBy" not in released
    deliver(
        ended("OrderCancelled", "o1", coupon), ended("OrderFailed", "o1", coupon), ended("OrderConfirmed", "o1", coupon)
    )
    assert stored(env) == released
    assert len(env.publisher.entries) == 2


def test_failed_order_releases_and_the_coupon_serves_the_next_order(env: CouponsEnv, coupons: CouponService) -> None:
    coupon = coupons.issue("FIVEK", "u1")
    deliver(created("o1", coupon, subtotal=3_000), ended("OrderFailed", "o1", coupon))
    assert stored(env, code="FIVEK")["status"]["S"] == "ISSUED"
    deliver(created("o2", coupon, subtotal=40_000))
    assert stored(env, code="FIVEK")["reservedBy"]["S"] == "o2"
    discounts = [(e.data["orderId"], e.data["discount"]) for _, e in replies(env)]
    assert discounts == [("o1", 3_000), ("o2", 5_000)]


def test_rejections_leave_the_coupon_alone(env: CouponsEnv, coupons: CouponService) -> None:
    coupon = coupons.issue("TENPCT", "u1")
    coupons.issue("TENPCT", "u2")
    deliver(created("o-small", coupon, subtotal=19_999), created("o-thief", coupon, user_id="u2"))
    deliver(created("o1", coupon), created("o2", coupon))
    answers = {e.data["orderId"]: (kind, e.data.get("reason")) for kind, e in replies(env)}
    assert answers == {
        "o-small": ("CouponRejected", "MIN_ORDER_AMOUNT_NOT_MET"),
        "o-thief": ("CouponRejected", "COUPON_NOT_FOUND"),
        "o1": ("CouponReserved", None),
        "o2": ("CouponRejected", "COUPON_IN_USE"),
    }
    rejected = [e for kind, e in replies(env) if kind == "CouponRejected"]
    assert all(CouponRejected.model_validate(e.data).coupon_id == coupon.coupon_id for e in rejected)
    assert stored(env)["reservedBy"]["S"] == "o1" and stored(env, "u2")["status"]["S"] == "ISSUED"


def test_an_order_that_ended_first_reserves_nothing_later(env: CouponsEnv, coupons: CouponService) -> None:
    coupon = coupons.issue("TENPCT", "u1")
    deliver(ended("OrderFailed", "o1", coupon))
    deliver(created("o1", coupon))
    assert stored(env)["status"]["S"] == "ISSUED" and env.publisher.entries == []
    hold = env.item("ORDER#o1", "COUPON")
    assert hold is not None and hold["outcome"]["S"] == "CLOSED"


def test_a_bad_record_fails_alone(env: CouponsEnv, coupons: CouponService) -> None:
    coupon = coupons.issue("TENPCT", "u1")
    event = sqs_event(created("o1", coupon), bus_event("OrderCreated", {"orderId": "o2"}))
    result = consumer.handler(event, FakeContext())
    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][1]["messageId"]}]}
    assert stored(env)["status"]["S"] == "RESERVED"


def test_the_eventbridge_publisher_puts_events_on_the_bus(env: CouponsEnv) -> None:
    # Given the bus with a rule that copies coupon events into a queue
    events = boto3.client("events", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    events.create_event_bus(Name="buynest")
    queue_url = sqs.create_queue(QueueName="coupon-replies")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="replies", EventBusName="buynest", EventPattern=json.dumps({"source": ["buynest.coupons"]}))
    events.put_targets(Rule="replies", EventBusName="buynest", Targets=[{"Id": "q", "Arn": queue_arn}])

    # When a reply is published
    data = CouponReserved(order_id="o1", coupon_id="c1", discount=100)
    EventBridgePublisher().publish([make_event("buynest.coupons", "CouponReserved", data, "corr-x")])

    # Then it arrives with the contract's envelope
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    assert len(messages) == 1
    delivered = json.loads(messages[0]["Body"])
    assert (delivered["source"], delivered["detail-type"]) == ("buynest.coupons", "CouponReserved")
    envelope = EventEnvelope[CouponReserved].model_validate(delivered["detail"])
    assert envelope.data == data and envelope.metadata.correlation_id == "corr-x"
