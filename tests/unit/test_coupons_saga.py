"""The coupon's part in the order saga, through the SQS handler, on in-memory fakes: reserve or reject, use, give
back, and idempotence under repeats and disorder."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from moto.events.models import EventPattern

from buynest.coupons.domain import FIXED, PERCENT, Coupon, CouponStatus
from buynest.coupons.runtime import set_coupon_saga
from buynest.coupons.saga import CouponSaga
from buynest.coupons.service import CouponService
from tests.conftest import FakeContext, load_handler
from tests.template import template
from tests.unit.coupon_fakes import FakeCouponRepository, FakePublisher, bus_event, sqs_event

EVENTS = Path(__file__).resolve().parents[2] / "events"

consumer = load_handler("coupons/on_order_event")


class Clock:
    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now


@dataclass
class World:
    repo: FakeCouponRepository
    publisher: FakePublisher
    coupons: CouponService
    clock: Clock

    def coupon(self, user_id: str = "u1", code: str = "TENPCT") -> Coupon:
        return self.repo.coupons[(user_id, code)]

    def deliver(self, *events: dict[str, Any] | str) -> dict[str, Any]:
        result: dict[str, Any] = consumer.handler(sqs_event(*events), FakeContext())
        return result

    def replies(self) -> list[tuple[str, dict[str, Any]]]:
        return [(kind, env.data) for kind, env in self.publisher.published()]


@pytest.fixture
def world() -> Iterator[World]:
    repo, publisher, clock = FakeCouponRepository(), FakePublisher(), Clock()
    coupons = CouponService(repo, clock=clock)
    expires = int(clock.now) + 3600
    coupons.create_campaign("TENPCT", PERCENT, 10, 100, expires, 10_000)
    coupons.create_campaign("FIVEK", FIXED, 5_000, 100, expires, 0)
    set_coupon_saga(CouponSaga(repo, publisher, clock=clock))
    yield World(repo, publisher, coupons, clock)
    set_coupon_saga(None)


def created(order_id: str, coupon_id: str | None, subtotal: int = 12_345, user_id: str = "u1") -> dict[str, Any]:
    data: dict[str, Any] = {
        "orderId": order_id,
        "userId": user_id,
        "items": [{"productId": "P1", "quantity": 1, "unitPrice": subtotal}],
        "subtotal": subtotal,
        "pointsToUse": 0,
    }
    if coupon_id is not None:
        data["couponId"] = coupon_id
    return bus_event("OrderCreated", data, correlation_id=f"corr-{order_id}")


def ended(kind: str, order_id: str, coupon_id: str | None = None) -> dict[str, Any]:
    data = {"orderId": order_id, **({"couponId": coupon_id} if coupon_id else {})}
    return bus_event(kind, data, correlation_id=f"corr-{order_id}")


def test_order_created_reserves_the_coupon_and_replies_with_the_discount(world: World) -> None:
    coupon = world.coupons.issue("TENPCT", "u1")
    assert world.deliver(created("o1", coupon.coupon_id)) == {"batchItemFailures": []}
    assert world.coupon().status == CouponStatus.RESERVED and world.coupon().reserved_by == "o1"
    [(kind, envelope)] = world.publisher.published()
    assert kind == "CouponReserved"
    assert envelope.data == {"orderId": "o1", "couponId": coupon.coupon_id, "discount": 1_234}
    assert envelope.metadata.correlation_id == "corr-o1" and envelope.metadata.event_version == 1
    assert world.publisher.entries[0]["Source"] == "buynest.coupons"


def test_fixed_discount_is_capped_at_the_subtotal(world: World) -> None:
    coupon = world.coupons.issue("FIVEK", "u1")
    world.deliver(created("o1", coupon.coupon_id, subtotal=3_000))
    assert world.replies() == [("CouponReserved", {"orderId": "o1", "couponId": coupon.coupon_id, "discount": 3_000})]


def test_an_order_without_a_coupon_changes_and_sends_nothing(world: World) -> None:
    world.coupons.issue("TENPCT", "u1")
    world.deliver(created("o1", None), ended("OrderConfirmed", "o1"), ended("OrderFailed", "o2"))
    assert world.publisher.entries == [] and world.coupon().status == CouponStatus.ISSUED and world.repo.holds == {}


def test_rejections_name_the_reason(world: World) -> None:
    mine = world.coupons.issue("TENPCT", "u1").coupon_id
    theirs = world.coupons.issue("TENPCT", "u2").coupon_id
    world.deliver(
        created("o-small", mine, subtotal=9_999),
        created("o-theirs", theirs),
        created("o-unknown", "NO-SUCH-COUPON"),
    )
    reasons = {data["orderId"]: data["reason"] for kind, data in world.replies() if kind == "CouponRejected"}
    assert reasons == {
        "o-small": "MIN_ORDER_AMOUNT_NOT_MET",
        "o-theirs": "COUPON_NOT_FOUND",
        "o-unknown": "COUPON_NOT_FOUND",
    }
    assert world.coupon().status == CouponStatus.ISSUED and world.coupon("u2").status == CouponStatus.ISSUED


def test_a_coupon_held_used_or_expired_is_rejected(world: World) -> None:
    coupon_id = world.coupons.issue("TENPCT", "u1").coupon_id
    world.deliver(created("o1", coupon_id), created("o2", coupon_id))
    world.deliver(ended("OrderConfirmed", "o1"), created("o3", coupon_id))
    world.clock.now += 3600
    world.deliver(ended("OrderCancelled", "o1", coupon_id), created("o4", coupon_id))
    replies = {data["orderId"]: (kind, data.get("reason")) for kind, data in world.replies()}
    assert replies == {
        "o1": ("CouponReserved", None),
        "o2": ("CouponRejected", "COUPON_IN_USE"),
        "o3": ("CouponRejected", "COUPON_ALREADY_USED"),
        "o4": ("CouponRejected", "COUPON_EXPIRED"),
    }
    assert world.coupon().status == CouponStatus.EXPIRED


def test_confirm_uses_and_repeats_change_nothing(world: World) -> None:
    coupon_id = world.coupons.issue("TENPCT", "u1").coupon_id
    world.deliver(created("o1", coupon_id))
    world.deliver(ended("OrderConfirmed", "o1", coupon_id))
    used = world.coupon()
    assert used.status == CouponStatus.USED and used.reserved_by == "o1"
    world.deliver(ended("OrderConfirmed", "o1", coupon_id), ended("OrderFailed", "o1", coupon_id))
    assert world.coupon() == used


def test_a_repeated_order_created_republishes_the_same_answer_and_reserves_once(world: World) -> None:
    coupon_id = world.coupons.issue("TENPCT", "u1").coupon_id
    world.deliver(created("o1", coupon_id))
    reserved = world.coupon()
    world.deliver(created("o1", coupon_id), created("o1", coupon_id, subtotal=99_999))
    assert world.coupon() == reserved
    assert [data for _, data in world.replies()] == [{"orderId": "o1", "couponId": coupon_id, "discount": 1_234}] * 3


def test_failed_order_gives_the_coupon_back_once(world: World) -> None:
    coupon_id = world.coupons.issue("TENPCT", "u1").coupon_id
    world.deliver(created("o1", coupon_id), ended("OrderFailed", "o1", coupon_id))
    released = world.coupon()
    assert released.status == CouponStatus.ISSUED and released.reserved_by is None
    world.deliver(ended("OrderFailed", "o1", coupon_id), created("o1", coupon_id))
    assert world.coupon() == released
    world.deliver(created("o2", coupon_id))
    assert world.coupon().status == CouponStatus.RESERVED and world.coupon().reserved_by == "o2"


def test_cancelling_a_confirmed_order_returns_its_coupon(world: World) -> None:
    coupon_id = world.coupons.issue("TENPCT", "u1").coupon_id
    world.deliver(created("o1", coupon_id), ended("OrderConfirmed", "o1"), ended("OrderCancelled", "o1"))
    assert world.coupon().status == CouponStatus.ISSUED
    world.deliver(ended("OrderCancelled", "o1"), ended("OrderConfirmed", "o1"))
    assert world.coupon().status == CouponStatus.ISSUED


def test_an_order_that_ended_before_its_created_event_reserves_nothing(world: World) -> None:
    coupon_id = world.coupons.issue("TENPCT", "u1").coupon_id
    world.deliver(ended("OrderFailed", "o1", coupon_id), created("o1", coupon_id))
    assert world.coupon().status == CouponStatus.ISSUED and world.publisher.entries == []


def test_release_after_expiry_leaves_the_coupon_expired(world: World) -> None:
    coupon_id = world.coupons.issue("TENPCT", "u1").coupon_id
    world.deliver(created("o1", coupon_id))
    world.clock.now += 3600
    world.deliver(ended("OrderFailed", "o1", coupon_id))
    assert world.coupon().status == CouponStatus.EXPIRED


def test_bad_records_fail_alone_and_unknown_types_are_ignored(world: World) -> None:
    coupon_id = world.coupons.issue("TENPCT", "u1").coupon_id
    event = sqs_event(
        "not json",
        bus_event("OrderCreated", {"orderId": "o9"}),
        bus_event("ProductUpdated", {"productId": "P1"}),
        created("o1", coupon_id),
    )
    ids = [r["messageId"] for r in event["Records"]]
    result = consumer.handler(event, FakeContext())
    assert sorted(f["itemIdentifier"] for f in result["batchItemFailures"]) == sorted(ids[:2])
    assert world.coupon().status == CouponStatus.RESERVED


def test_a_reply_the_bus_refused_is_sent_when_the_event_comes_again(world: World) -> None:
    coupon_id = world.coupons.issue("TENPCT", "u1").coupon_id
    event = created("o1", coupon_id)
    world.publisher.fail_next = True
    assert len(world.deliver(event)["batchItemFailures"]) == 1
    assert world.coupon().status == CouponStatus.RESERVED and world.publisher.entries == []
    assert world.deliver(event) == {"batchItemFailures": []}
    assert [kind for kind, _ in world.replies()] == ["CouponReserved"]


@pytest.mark.parametrize("detail_type", ["OrderCreated", "OrderConfirmed", "OrderFailed", "OrderCancelled"])
@pytest.mark.parametrize("with_coupon", [True, False])
def test_the_bus_rule_routes_only_orders_with_a_coupon(detail_type: str, with_coupon: bool) -> None:
    # the producer's own sample; without a coupon the orders service publishes "couponId": null
    detail = json.loads((EVENTS / f"{detail_type}.sample.json").read_text())
    if not with_coupon:
        detail["data"]["couponId"] = None
    event = {"source": "buynest.orders", "detail-type": detail_type, "detail": detail}
    rule = template()["Resources"]["CouponsOrderEventsRule"]["Properties"]
    assert EventPattern.load(json.dumps(rule["EventPattern"])).matches_event(event) is with_coupon
