"""Points' part in the order saga, through the SQS handler, on in-memory fakes: hold or reject, settle (unused
points back, earned points in), give back on failure, return and take back on cancellation without going below
zero, and change nothing twice under repeats and disorder."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from moto.events.models import EventPattern

from buynest.core.hold import HoldState
from buynest.core.retry import Backoff
from buynest.users.domain import HoldKind
from buynest.users.messages import (
    ORDER_EVENTS,
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderFailed,
    UserPointsUpdated,
)
from buynest.users.runtime import set_points_saga
from buynest.users.saga import PointsSaga
from tests.conftest import FakeContext, load_handler
from tests.unit.saga_fakes import (
    FakePointsLedger,
    FakePublisher,
    OrderEvents,
    bus_event,
    check_owner_wiring,
    owner_resources,
    sqs_event,
)

consumer = load_handler("users/on_order_event")


@dataclass
class World:
    ledger: FakePointsLedger
    publisher: FakePublisher
    orders: OrderEvents

    def deliver(self, *events: dict[str, Any] | str) -> dict[str, Any]:
        result: dict[str, Any] = consumer.handler(sqs_event(*events), FakeContext())
        return result

    @property
    def balance(self) -> int:
        return self.ledger.balances["u1"]

    def replies(self) -> list[tuple[str, dict[str, Any]]]:
        return [(kind, envelope.data) for kind, envelope in self.publisher.published()]

    def updates(self) -> list[tuple[str, int, int, str]]:
        """(orderId, delta, balance, reason) of each UserPointsUpdated."""
        found = [UserPointsUpdated.model_validate(data) for _, data in self.replies() if "delta" in data]
        return [(u.order_id, u.delta, u.points, u.reason) for u in found]

    def state(self, order_id: str, kind: HoldKind = HoldKind.SPEND) -> HoldState | None:
        return self.ledger.state(kind, order_id)


@pytest.fixture
def world() -> Iterator[World]:
    ledger, publisher = FakePointsLedger({"u1": 1_000}), FakePublisher()
    set_points_saga(PointsSaga(ledger, publisher, backoff=Backoff(sleep=lambda _: None)))
    yield World(ledger, publisher, OrderEvents(user_id="u1"))
    set_points_saga(None)


def test_order_created_holds_the_points_and_replies_points_reserved(world: World) -> None:
    assert world.deliver(world.orders.created("o1", points_to_use=300)) == {"batchItemFailures": []}
    assert world.balance == 700 and world.state("o1") == HoldState.RESERVED
    [(kind, envelope)] = world.publisher.published()
    assert (kind, envelope.data) == ("PointsReserved", {"orderId": "o1", "points": 300})
    assert envelope.metadata.correlation_id == "corr-o1"
    assert world.publisher.entries[0]["Source"] == "buynest.users"


def test_too_few_points_or_no_such_user_is_rejected(world: World) -> None:
    stranger = OrderEvents(user_id="nobody")
    world.deliver(world.orders.created("o1", points_to_use=1_001), stranger.created("o2", points_to_use=1))
    assert world.balance == 1_000
    assert world.replies() == [
        ("PointsRejected", {"orderId": "o1", "reason": "INSUFFICIENT_POINTS"}),
        ("PointsRejected", {"orderId": "o2", "reason": "INSUFFICIENT_POINTS"}),
    ]
    assert world.state("o1") == HoldState.REJECTED


def test_an_order_without_points_changes_and_sends_nothing(world: World) -> None:
    world.deliver(world.orders.created("o1"), world.orders.failed("o1"), world.orders.confirmed("o1"))
    world.deliver(world.orders.cancelled("o1"))
    assert world.balance == 1_000 and world.publisher.entries == [] and world.ledger.holds == {}


def test_a_repeated_order_created_republishes_the_stored_answer_and_holds_once(world: World) -> None:
    world.deliver(world.orders.created("o1", points_to_use=300), world.orders.created("o2", points_to_use=800))
    world.deliver(world.orders.created("o1", points_to_use=300), world.orders.created("o2", points_to_use=800))
    assert world.balance == 700
    assert [kind for kind, _ in world.replies()] == ["PointsReserved", "PointsRejected"] * 2


def test_confirm_spends_what_was_used_returns_the_rest_and_adds_what_was_earned(world: World) -> None:
    # Given 300 points held, of which the order could use only 200
    world.deliver(world.orders.created("o1", points_to_use=300))

    # When it is confirmed (twice), Then 100 come back and 50 are earned, once
    world.deliver(world.orders.confirmed("o1", points_to_use=300, points_used=200, points_earned=50))
    world.deliver(world.orders.confirmed("o1", points_to_use=300, points_used=200, points_earned=50))
    assert world.balance == 850 and world.state("o1") == HoldState.COMMITTED

    # And each delivery announced the same change (a repeat republishes it)
    assert world.updates() == [("o1", 150, 850, "ORDER_CONFIRMED")] * 2


def test_confirm_without_points_used_earns_once(world: World) -> None:
    world.deliver(world.orders.confirmed("o1", points_earned=40), world.orders.confirmed("o1", points_earned=40))
    assert world.balance == 1_040 and world.state("o1", HoldKind.EARN) == HoldState.COMMITTED
    assert world.updates() == [("o1", 40, 1_040, "ORDER_CONFIRMED")] * 2


def test_a_failed_order_gives_its_points_back_once(world: World) -> None:
    world.deliver(world.orders.created("o1", points_to_use=300))
    world.deliver(world.orders.failed("o1", points_to_use=300), world.orders.failed("o1", points_to_use=300))
    world.deliver(world.orders.created("o1", points_to_use=300), world.orders.confirmed("o1", 300, 300, 10))
    assert world.balance == 1_000 and world.state("o1") == HoldState.RELEASED
    assert world.updates() == [("o1", 300, 1_000, "ORDER_FAILED")] * 2
    assert [kind for kind, _ in world.replies() if kind.startswith("Points")] == ["PointsReserved"]


def test_an_order_that_failed_before_its_created_event_holds_nothing(world: World) -> None:
    world.deliver(world.orders.failed("o1", points_to_use=300))
    assert world.state("o1") == HoldState.RELEASED
    world.deliver(world.orders.created("o1", points_to_use=300))
    assert world.balance == 1_000 and world.publisher.entries == []


def test_a_rejected_order_that_fails_gives_nothing_back(world: World) -> None:
    world.deliver(world.orders.created("o1", points_to_use=5_000), world.orders.failed("o1", points_to_use=5_000))
    assert world.balance == 1_000 and world.state("o1") == HoldState.REJECTED
    assert [kind for kind, _ in world.replies()] == ["PointsRejected"]


def test_cancel_returns_the_points_used_and_takes_back_the_points_earned(world: World) -> None:
    world.deliver(world.orders.created("o1", points_to_use=300), world.orders.confirmed("o1", 300, 300, 50))
    assert world.balance == 750
    world.deliver(world.orders.cancelled("o1", 300, 300, 50), world.orders.cancelled("o1", 300, 300, 50))
    assert world.balance == 1_000 and world.state("o1") == HoldState.RELEASED
    assert world.updates() == [("o1", 50, 750, "ORDER_CONFIRMED")] + [("o1", 250, 1_000, "ORDER_CANCELLED")] * 2


def test_taking_back_is_in_full_even_below_zero(world: World) -> None:
    """Guards against minting points by cancelling: earned points spent elsewhere are still taken back in full
    (the balance goes negative) instead of only down to zero."""
    # Given 100 points earned by o1 and then spent elsewhere, down to 30
    world.deliver(world.orders.confirmed("o1", points_earned=100))
    world.ledger.balances["u1"] = 30

    # When o1 is cancelled, Then all 100 are taken back
    world.deliver(world.orders.cancelled("o1", points_earned=100))
    assert world.balance == -70 and world.state("o1", HoldKind.EARN) == HoldState.RELEASED
    assert world.updates()[-1] == ("o1", -100, -70, "ORDER_CANCELLED")


def test_a_negative_balance_cannot_be_spent_and_later_earnings_repay_it(world: World) -> None:
    """Guards the other half of the rule: a debt is never spendable."""
    world.ledger.balances["u1"] = -70
    world.deliver(world.orders.created("o1", points_to_use=1))
    assert world.state("o1") == HoldState.REJECTED and world.balance == -70
    world.deliver(world.orders.confirmed("o2", points_earned=100))
    assert world.balance == 30


def test_points_used_offset_the_take_back(world: World) -> None:
    world.deliver(world.orders.created("o1", points_to_use=300), world.orders.confirmed("o1", 300, 300, 100))
    world.ledger.balances["u1"] = 0
    world.deliver(world.orders.cancelled("o1", 300, 300, 100))
    assert world.balance == 200


def test_a_cancel_that_overtakes_the_confirmation_undoes_everything(world: World) -> None:
    world.deliver(world.orders.created("o1", points_to_use=300), world.orders.cancelled("o1", 300, 300, 50))
    world.deliver(world.orders.confirmed("o1", 300, 300, 50))
    world.deliver(world.orders.cancelled("o2", points_earned=70), world.orders.confirmed("o2", points_earned=70))
    assert world.balance == 1_000
    assert world.state("o1") == HoldState.RELEASED and world.state("o2", HoldKind.EARN) == HoldState.RELEASED


def test_an_event_that_contradicts_the_stored_hold_fails_and_changes_nothing(world: World) -> None:
    world.ledger.balances["u2"] = 0
    world.deliver(world.orders.created("o1", points_to_use=300))
    result = world.deliver(
        world.orders.confirmed("o1", 500, 500, 10),
        world.orders.confirmed("o1", 300, 400, 10),
        OrderEvents(user_id="u2").confirmed("o1", 300, 300, 10),
        OrderEvents(user_id="u2").failed("o1", 300),
    )
    assert len(result["batchItemFailures"]) == 4
    assert world.ledger.balances == {"u1": 700, "u2": 0} and world.state("o1") == HoldState.RESERVED


def test_conflicts_are_retried(world: World) -> None:
    world.ledger.contention = 3
    world.deliver(world.orders.created("o1", points_to_use=300))
    assert world.balance == 700
    world.ledger.contention = 4
    assert len(world.deliver(world.orders.failed("o1", points_to_use=300))["batchItemFailures"]) == 1
    assert world.balance == 700
    world.deliver(world.orders.failed("o1", points_to_use=300))
    assert world.balance == 1_000


def test_an_update_the_bus_refused_is_sent_when_the_event_comes_again(world: World) -> None:
    world.deliver(world.orders.created("o1", points_to_use=300))
    event = world.orders.confirmed("o1", 300, 300, 20)
    world.publisher.fail_next = True
    assert len(world.deliver(event)["batchItemFailures"]) == 1
    assert world.balance == 720
    assert world.deliver(event) == {"batchItemFailures": []}
    assert world.balance == 720 and world.updates() == [("o1", 20, 720, "ORDER_CONFIRMED")]


def test_an_order_event_not_from_the_orders_service_moves_no_points(world: World) -> None:
    """Guards the forged event: an ``OrderConfirmed`` earning a million points, or an ``OrderCancelled`` giving
    back points never used, put by any service but orders (the image processor parses untrusted files), is dropped:
    the balance, the holds and the bus stay as they were."""
    forged = [world.orders.confirmed("o1", 0, 0, 1_000_000), world.orders.cancelled("o2", 0, 500, 0)]
    for event in forged:
        event["source"] = "buynest.images"

    assert world.deliver(*forged) == {"batchItemFailures": []}

    assert world.balance == 1_000
    assert world.state("o1", HoldKind.EARN) is None and world.state("o2") is None
    assert world.replies() == []


def test_bad_records_fail_alone(world: World) -> None:
    event = sqs_event("{", bus_event("OrderConfirmed", {"orderId": "o1"}), world.orders.created("o1", points_to_use=1))
    result = consumer.handler(event, FakeContext())
    assert len(result["batchItemFailures"]) == 2 and world.balance == 999


def test_every_order_event_orders_publishes_is_understood() -> None:
    orders = OrderEvents(user_id="u9")
    for event, model in [
        (orders.created("o1", points_to_use=100), OrderCreated),
        (orders.confirmed("o1", 100, 90, 10), OrderConfirmed),
        (orders.failed("o1", 100), OrderFailed),
        (orders.cancelled("o1", 100, 90, 10), OrderCancelled),
    ]:
        parsed = ORDER_EVENTS.parse(event["detail-type"], event["detail"]["data"])
        assert isinstance(parsed, model) and (parsed.order_id, parsed.user_id) == ("o1", "u9")


POINTS_EVENTS = {
    "source": ["buynest.orders"],
    "$or": [
        {"detail-type": ["OrderConfirmed", "OrderCancelled"]},
        {"detail-type": ["OrderCreated", "OrderFailed"], "detail": {"data": {"pointsToUse": [{"numeric": [">", 0]}]}}},
    ],
}


def test_the_consumer_gets_the_order_events_it_acts_on_through_its_own_queue() -> None:
    check_owner_wiring("users", "UsersTable", POINTS_EVENTS)


_ORDERS = OrderEvents()


@pytest.mark.parametrize(
    ("event", "routed"),
    [
        (_ORDERS.created("o1", points_to_use=100), True),
        (_ORDERS.created("o1"), False),  # nothing to hold: no invocation, no reply expected
        (_ORDERS.failed("o1", 100), True),
        (_ORDERS.failed("o1", 0), False),
        (_ORDERS.confirmed("o1", 0, 0, 10), True),  # points are earned on every confirmed order
        (_ORDERS.cancelled("o1", 0, 0, 10), True),  # and taken back on cancel
    ],
)
def test_the_bus_rule_routes_an_order_event_only_when_points_are_involved(event: dict[str, Any], routed: bool) -> None:
    pattern = EventPattern.load(json.dumps(owner_resources("users")["OrderEventsRule"]["Properties"]["EventPattern"]))
    assert pattern.matches_event(event) is routed
