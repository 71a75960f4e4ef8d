"""The order lifecycle table walked (status and fulfilment), and the rules built on it: an order from the cart, the
shipping address, ship / deliver / cancel by owner and admin, the order desk and the fulfilment events, on
in-memory fakes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from buynest.core.auth import Principal
from buynest.core.errors import InvalidInput
from buynest.orders.domain import (
    FINAL,
    LIFECYCLE,
    START,
    CartEmpty,
    FulfillmentStatus,
    NotCancellable,
    NotDeliverable,
    NotShippable,
    OrderNotFound,
    OrderStatus,
    Step,
    desk_keys,
    outbox_stage,
    reachable_states,
)
from buynest.orders.schemas import PlaceOrder
from buynest.orders.service import OrderService, events_for_change
from tests.unit.coupon_fakes import FakePublisher
from tests.unit.order_fakes import (
    FakeAddressReader,
    FakeCartReader,
    FakeCatalog,
    FakeOrderRepository,
    FakeWorkflow,
)

S, F = OrderStatus, FulfillmentStatus
ALICE = Principal("alice", "customer")
BOB = Principal("bob", "customer")
ADMIN = Principal("admin", "admin")
HOME = {
    "recipient": "Kim Minji",
    "phone": "+82 10-1234-5678",
    "line1": "1 Sejong-daero",
    "line2": None,
    "city": "Seoul",
    "postalCode": "04524",
    "country": "KR",
}

# ---- the table, walked ----


def test_the_walk_reaches_exactly_the_states_the_contract_names() -> None:
    assert reachable_states() == {
        (S.PENDING, F.UNFULFILLED),
        (S.RESERVED, F.UNFULFILLED),
        (S.PAID, F.UNFULFILLED),
        (S.CONFIRMED, F.UNFULFILLED),
        (S.CONFIRMED, F.SHIPPED),
        (S.CONFIRMED, F.DELIVERED),
        (S.FAILED, F.UNFULFILLED),
        (S.CANCELLED, F.UNFULFILLED),
    }


def moves_from(state: tuple[OrderStatus, FulfillmentStatus]) -> dict[Step, tuple[OrderStatus, FulfillmentStatus]]:
    return {step: move.target(state) for step, move in LIFECYCLE.items() if move.allows(state)}


def test_every_state_the_walk_reaches_has_exactly_its_moves() -> None:
    expected = {
        (S.PENDING, F.UNFULFILLED): {
            Step.HOLD: (S.PENDING, F.UNFULFILLED),
            Step.REJECT: (S.FAILED, F.UNFULFILLED),
            Step.RESERVE: (S.RESERVED, F.UNFULFILLED),
            Step.FAIL: (S.FAILED, F.UNFULFILLED),
            Step.TIME_OUT: (S.FAILED, F.UNFULFILLED),
        },
        (S.RESERVED, F.UNFULFILLED): {
            Step.PAY: (S.PAID, F.UNFULFILLED),
            Step.FAIL: (S.FAILED, F.UNFULFILLED),
            Step.RERUN: (S.RESERVED, F.UNFULFILLED),
        },
        (S.PAID, F.UNFULFILLED): {
            Step.CONFIRM: (S.CONFIRMED, F.UNFULFILLED),
            Step.FAIL: (S.FAILED, F.UNFULFILLED),
            Step.RERUN: (S.PAID, F.UNFULFILLED),
        },
        (S.CONFIRMED, F.UNFULFILLED): {
            Step.CANCEL: (S.CANCELLED, F.UNFULFILLED),
            Step.SHIP: (S.CONFIRMED, F.SHIPPED),
        },
        (S.CONFIRMED, F.SHIPPED): {Step.DELIVER: (S.CONFIRMED, F.DELIVERED)},
        (S.CONFIRMED, F.DELIVERED): {},
        (S.FAILED, F.UNFULFILLED): {},
        (S.CANCELLED, F.UNFULFILLED): {},
    }
    assert {state: moves_from(state) for state in reachable_states()} == expected


def test_every_order_can_end_final_and_nothing_leaves_a_final_status() -> None:
    for state in reachable_states():
        seen, todo = {state}, [state]
        while todo:
            for nxt in moves_from(todo.pop()).values():
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        assert any(s in FINAL for s, _ in seen), state
        if state[0] in FINAL:
            assert all(s in FINAL for s, _ in seen), state  # a final status leads only to final ones
    assert START == (S.PENDING, F.UNFULFILLED)


def test_each_move_that_changes_state_has_one_target() -> None:
    """The store writes one desk partition per move, so every source of a move must lead to the same state."""
    for step, move in LIFECYCLE.items():
        if move.status is None and move.fulfillment is None:
            continue
        targets = {move.target((s, f)) for s in move.statuses for f in move.fulfillments}
        assert len(targets) == 1, step


def test_desk_filters_name_the_partitions_of_matching_states() -> None:
    assert desk_keys(S.CONFIRMED, None) == ["CONFIRMED#DELIVERED", "CONFIRMED#SHIPPED", "CONFIRMED#UNFULFILLED"]
    assert desk_keys(None, F.SHIPPED) == ["CONFIRMED#SHIPPED"]
    assert desk_keys(S.PENDING, F.SHIPPED) == []
    assert len(desk_keys(None, None)) == len(reachable_states())


# ---- the service ----


@pytest.fixture
def env() -> Any:
    class Env:
        repo = FakeOrderRepository()
        carts = FakeCartReader()
        addresses = FakeAddressReader()
        publisher = FakePublisher()
        service = OrderService(
            repo,
            FakeCatalog({"tea": 12000, "cup": 8000}),
            FakeWorkflow(),
            publisher,
            carts=carts,
            addresses=addresses,
        )

    return Env()


def place(env: Any, user: str = "alice", **body: Any) -> Any:
    full = {"payment": {"method": "card", "token": "tok_ok"}, **body}
    return env.service.place(user, PlaceOrder.model_validate_json(json.dumps(full)))


def confirmed(env: Any, user: str = "alice", **body: Any) -> Any:
    order = place(env, user, **({"items": [{"productId": "tea", "quantity": 1}]} | body))
    env.service.on_reply("StockReserved", {"orderId": order.order_id}, order.order_id)
    return env.service.confirm(order.order_id, "pay")


def test_an_order_without_items_orders_the_cart(env: Any) -> None:
    with pytest.raises(CartEmpty):
        place(env)
    env.carts.carts["alice"] = [("tea", 2), ("gone", 1), ("cup", 1)]  # "gone" was deleted: it left the cart
    order = place(env)
    assert [(line.product_id, line.quantity) for line in order.lines] == [("tea", 2), ("cup", 1)]
    assert order.amounts.subtotal == 32000
    env.carts.carts["bob"] = [("gone", 1)]
    with pytest.raises(CartEmpty):
        place(env, "bob")
    v1 = place(env, items=[{"productId": "cup", "quantity": 3}])  # items given: the cart is not read
    assert [(line.product_id, line.quantity) for line in v1.lines] == [("cup", 3)]


def test_the_saved_address_is_copied_unless_one_is_given(env: Any) -> None:
    items = [{"productId": "tea", "quantity": 1}]
    assert place(env, items=items).public()["shippingAddress"] is None
    env.addresses.addresses["alice"] = HOME
    assert place(env, items=items).public()["shippingAddress"] == HOME
    given = {**HOME, "city": "Busan", "line2": "Apt 3"}
    assert place(env, items=items, shippingAddress=given).public()["shippingAddress"] == given


@pytest.mark.parametrize(
    "bad",
    [{"country": "XX"}, {"phone": "call me"}, {"recipient": ""}, {"line1": "x" * 201}, {"extra": "no"}],
)
def test_a_given_address_is_validated_as_a_saved_one(bad: dict[str, Any]) -> None:
    from pydantic import ValidationError

    body = {"items": [{"productId": "tea", "quantity": 1}], "payment": {"method": "card", "token": "t"}}
    with pytest.raises(ValidationError):
        PlaceOrder.model_validate_json(json.dumps({**body, "shippingAddress": {**HOME, **bad}}))


def test_every_order_shows_its_fulfilment(env: Any) -> None:
    public = place(env, items=[{"productId": "tea", "quantity": 1}]).public()
    assert public["fulfillment"] == {
        "status": "UNFULFILLED",
        "carrier": None,
        "trackingNumber": None,
        "shippedAt": None,
        "deliveredAt": None,
    }


def test_ship_then_deliver_and_each_only_once(env: Any) -> None:
    env.addresses.addresses["alice"] = HOME
    order = confirmed(env)
    with pytest.raises(NotDeliverable):
        env.service.deliver(order.order_id)
    shipped = env.service.ship(order.order_id, "CJ Logistics", "CJ123")
    assert shipped.public()["fulfillment"]["status"] == "SHIPPED"
    assert (shipped.fulfillment.carrier, shipped.fulfillment.tracking_number) == ("CJ Logistics", "CJ123")
    assert shipped.timeline[-1]["status"] == "SHIPPED"
    with pytest.raises(NotShippable):
        env.service.ship(order.order_id, "CJ Logistics", "CJ124")
    with pytest.raises(NotCancellable):
        env.service.cancel(ALICE, order.order_id)
    with pytest.raises(NotCancellable):
        env.service.cancel(ADMIN, order.order_id)
    delivered = env.service.deliver(order.order_id)
    assert delivered.fulfillment.status == F.DELIVERED and delivered.fulfillment.delivered_at
    assert [t["status"] for t in delivered.timeline][-2:] == ["SHIPPED", "DELIVERED"]
    with pytest.raises(NotDeliverable):
        env.service.deliver(order.order_id)
    with pytest.raises(OrderNotFound):
        env.service.ship("nope", "CJ", "1")


def test_ship_needs_a_confirmed_order_with_an_address(env: Any) -> None:
    without = confirmed(env)
    with pytest.raises(NotShippable, match="no shipping address"):
        env.service.ship(without.order_id, "CJ", "1")
    pending = place(env, items=[{"productId": "tea", "quantity": 1}], shippingAddress=HOME)
    with pytest.raises(NotShippable, match="PENDING"):
        env.service.ship(pending.order_id, "CJ", "1")


def test_owner_or_admin_cancel_while_unfulfilled(env: Any) -> None:
    mine, other = confirmed(env), confirmed(env)
    with pytest.raises(OrderNotFound):
        env.service.cancel(BOB, mine.order_id)
    assert env.service.cancel(ADMIN, mine.order_id).status == S.CANCELLED
    assert env.service.cancel(ALICE, other.order_id).status == S.CANCELLED


def test_the_desk_lists_every_customers_orders_newest_first_filtered_and_paged(env: Any) -> None:
    env.addresses.addresses["bob"] = HOME
    orders = [confirmed(env, user) for user in ("alice", "bob", "alice", "bob")]
    env.service.ship(orders[1].order_id, "CJ", "1")
    pending = place(env, "alice", items=[{"productId": "cup", "quantity": 1}])

    def newest_first(some: list[Any]) -> list[str]:
        return [o.order_id for o in sorted(some, key=lambda o: (o.created_at, o.order_id), reverse=True)]

    everything, cursor = env.service.desk(None, None, 10, None)
    assert [o.order_id for o in everything] == newest_first([pending, *orders])
    assert cursor is None
    first, cursor = env.service.desk(S.CONFIRMED, None, 2, None)
    second, last = env.service.desk(S.CONFIRMED, None, 2, cursor)
    assert [o.order_id for o in first + second] == newest_first(orders)
    assert cursor and last is None
    (shipped,), _ = env.service.desk(None, F.SHIPPED, 10, None)
    assert shipped.order_id == orders[1].order_id
    assert env.service.desk(S.PENDING, F.SHIPPED, 10, None) == ([], None)
    with pytest.raises(InvalidInput):
        env.service.desk(None, None, 10, "not-a-cursor")


def test_fulfilment_changes_publish_their_events_and_the_sweeper_republishes_them(env: Any) -> None:
    env.addresses.addresses["alice"] = HOME
    order = confirmed(env)
    shipped = env.service.ship(order.order_id, "CJ", "T1")
    (event,) = events_for_change(order, shipped)
    detail = json.loads(event["Detail"])
    assert event["DetailType"] == "OrderShipped" and event["Source"] == "buynest.orders"
    assert detail["data"] == {
        "orderId": order.order_id,
        "userId": "alice",
        "carrier": "CJ",
        "trackingNumber": "T1",
        "shippedAt": shipped.fulfillment.shipped_at,
    }
    assert detail["metadata"]["eventId"] == f"{order.order_id}-OrderShipped"
    delivered = env.service.deliver(order.order_id)
    assert [e["DetailType"] for e in events_for_change(shipped, delivered)] == ["OrderDelivered"]
    assert outbox_stage(delivered) == "DELIVERED" and outbox_stage(order) == "CONFIRMED"

    # nothing acknowledged: the sweeper puts every event of the order as it stands on the bus again
    assert not env.repo.mark_published(order.order_id, "CONFIRMED")  # an earlier stage covers nothing later
    env.service.sweep(pending_timeout=-10_000_000_000)
    assert [e["DetailType"] for e in env.publisher.entries] == ["OrderConfirmed", "OrderShipped", "OrderDelivered"]
