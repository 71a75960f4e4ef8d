"""Forged events on the deployed stack: a fact is acted on only when it comes from the service that owns it. The bus
rules route by source, and each consumer checks the source again. (LocalStack does not enforce IAM, so the
``events:source`` condition that stops a publisher from putting another service's events is proven on the template
by tests/unit/test_template_policies.py, not here.)"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from tests.e2e.conftest import Api, aws_client, wait_for
from tests.e2e.test_orders import final, make_product, order, points
from tests.unit.coupon_fakes import bus_event

__all__ = ["make_product"]  # the fixture, shared with test_orders


def test_the_deployed_replies_rule_takes_each_reply_only_from_its_owner(outputs: dict[str, str]) -> None:
    """Guards the forged reply at the bus: a CouponReserved (any discount) from the stock owner or the image
    processor never reaches the orders service."""
    events = aws_client(outputs, "events")
    rules = events.list_rules(EventBusName=outputs["EventBusName"])["Rules"]
    [rule] = [r for r in rules if "OrderRepliesRule" in r["Name"]]

    def routed(source: str, detail_type: str) -> bool:
        event = bus_event(detail_type, {"orderId": "o-1"}, source=source)
        result: bool = events.test_event_pattern(EventPattern=rule["EventPattern"], Event=json.dumps(event))["Result"]
        return result

    assert routed("buynest.coupons", "CouponReserved") and routed("buynest.products", "StockReserved")
    assert routed("buynest.users", "PointsReserved")
    assert not routed("buynest.products", "CouponReserved")
    assert not routed("buynest.images", "CouponReserved")
    assert not routed("buynest.coupons", "StockReserved")
    assert not routed("buynest.images", "PointsReserved")


def test_a_forged_order_confirmed_earns_no_points(
    api: Api, outputs: dict[str, str], new_customer: Callable[..., Any], make_product: Callable[..., Any]
) -> None:
    """Guards the forged OrderConfirmed: one put on the bus by the image processor's source, and one that reached
    the points owner's queue anyway, earn nothing; the customer's real order then earns its 1 %, and only that."""
    customer = new_customer()
    forged = {
        "orderId": f"forged-{uuid.uuid4().hex[:8]}",
        "userId": customer["userId"],
        "items": [],
        "couponId": None,
        "subtotal": 100_000_000,
        "discount": 0,
        "pointsToUse": 0,
        "pointsUsed": 0,
        "pointsEarned": 1_000_000,
        "total": 100_000_000,
    }
    entry = bus_event("OrderConfirmed", forged, source="buynest.images", correlation_id=forged["orderId"])
    put = aws_client(outputs, "events").put_events(
        Entries=[
            {
                "EventBusName": outputs["EventBusName"],
                "Source": entry["source"],
                "DetailType": entry["detail-type"],
                "Detail": json.dumps(entry["detail"]),
            }
        ]
    )
    assert put["FailedEntryCount"] == 0
    sqs, queue = aws_client(outputs, "sqs"), outputs["UsersOrderEventsQueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(entry))

    product = make_product(price=12_345, stock=5)
    placed = order(api, customer["token"], [(product["productId"], 1)])
    # generous deadlines: on a busy machine each function's first (cold) call takes seconds
    assert final(api, customer["token"], placed["orderId"], timeout=120)["status"] == "CONFIRMED"
    wait_for(lambda: points(api, customer["token"]) == 123, timeout=60, what="the real order's 1 % points")

    def queue_drained() -> bool:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        counts = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=names)["Attributes"]
        return all(int(counts[name]) == 0 for name in names)

    wait_for(queue_drained, timeout=60, what="the points owner's queue to be handled (the forged message too)")
    assert points(api, customer["token"]) == 123
