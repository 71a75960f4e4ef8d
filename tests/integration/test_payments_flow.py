"""The payments service through its handlers against moto: the real DynamoDB adapter (conditional writes, the atomic
attempt counter) and the real EventBridge publisher, with what reaches the bus captured and checked."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pynamodb.exceptions import UpdateError

from buynest.core.events import EventBridgePublisher, make_event
from buynest.orders.messages import OrderCancelled
from buynest.payments.domain import PaymentDeclined, PaymentStateError, PaymentTransientError
from buynest.payments.messages import PaymentCaptured, PaymentFailed, PaymentRefunded
from buynest.payments.store import PaymentItem
from tests.conftest import FakeContext, load_handler
from tests.integration.payments_fixtures import PaymentsEnv, order_events_queue, payments_env, sqs_event

authorize = load_handler("payments/authorize")
capture = load_handler("payments/capture")
refund = load_handler("payments/refund")
record_failure = load_handler("payments/record_failure")
consumer = load_handler("payments/on_order_event")


@pytest.fixture
def env(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[PaymentsEnv]:
    yield from payments_env(aws, monkeypatch)


def run(module: Any, payload: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = module.handler(payload, FakeContext())
    return result


def auth_input(order_id: str, token: str = "tok_ok", amount: int = 25_000) -> dict[str, Any]:
    return {"orderId": order_id, "userId": "u1", "amount": amount, "tokenKind": token}


def test_authorize_capture_refund_with_repeats(env: PaymentsEnv) -> None:
    # Given an authorization, asked for twice
    authorized = run(authorize, auth_input("o1"))
    assert run(authorize, auth_input("o1")) == authorized
    payment_id = authorized["paymentId"]
    assert authorized == {"paymentId": payment_id, "status": "AUTHORIZED", "amount": 25_000}

    # When it is captured twice, Then it moves once and PaymentCaptured is on the bus once
    captured = run(capture, {"orderId": "o1", "paymentId": payment_id})
    assert captured == {"paymentId": payment_id, "status": "CAPTURED", "amount": 25_000}
    assert run(capture, {"orderId": "o1", "paymentId": payment_id}) == captured
    events = env.published()
    assert [kind for kind, _ in events] == ["PaymentCaptured"]
    assert PaymentCaptured.model_validate(events[0][1].data) == PaymentCaptured(
        order_id="o1", payment_id=payment_id, amount=25_000
    )
    assert events[0][1].metadata.correlation_id == "o1"

    # When it is refunded twice, Then the money goes back once
    expected = {"orderId": "o1", "paymentId": payment_id, "status": "REFUNDED", "amount": 25_000}
    assert run(refund, {"orderId": "o1", "reason": "PAYMENT_ERROR"}) == expected
    assert run(refund, {"orderId": "o1"}) == expected
    events = env.published()
    assert [kind for kind, _ in events] == ["PaymentRefunded"]
    assert PaymentRefunded.model_validate(events[0][1].data).amount == 25_000

    # And the stored payment tells its story, and nothing card-like
    item = env.item("o1")
    assert item is not None
    assert env.status_history("o1") == ["PENDING", "AUTHORIZED", "CAPTURED", "REFUNDED"]
    assert (item["status"]["S"], item["attempts"]["N"], item["tokenKind"]["S"]) == ("REFUNDED", "1", "tok_ok")
    assert set(item["publishedEvents"]["SS"]) == {"PaymentCaptured", "PaymentRefunded"}


def test_flaky_is_retried_into_an_authorization_by_the_counter_in_the_table(env: PaymentsEnv) -> None:
    for _ in range(2):
        with pytest.raises(PaymentTransientError):
            run(authorize, auth_input("o1", "tok_flaky"))
    stored = env.item("o1")
    assert stored is not None and (stored["status"]["S"], stored["attempts"]["N"]) == ("PENDING", "2")
    authorized = run(authorize, auth_input("o1", "tok_flaky"))
    assert authorized["status"] == "AUTHORIZED" and run(authorize, auth_input("o1", "tok_flaky")) == authorized
    stored = env.item("o1")
    assert stored is not None and (stored["paymentId"]["S"], stored["attempts"]["N"]) == (authorized["paymentId"], "3")


def test_decline_down_and_unknown_cards(env: PaymentsEnv) -> None:
    with pytest.raises(PaymentDeclined):
        run(authorize, auth_input("o-decline", "tok_decline"))
    with pytest.raises(PaymentDeclined, match="unknown_card"):
        run(authorize, auth_input("o-card", "4111111111111111"))
    for _ in range(3):
        with pytest.raises(PaymentTransientError):
            run(authorize, auth_input("o-down", "tok_down"))

    run(record_failure, {"orderId": "o-down", "reason": "PAYMENT_ERROR", "error": {"Error": "PaymentTransientError"}})

    assert env.status_history("o-decline") == ["PENDING", "DECLINED"]
    card = env.item("o-card")
    assert card is not None and card["tokenKind"]["S"] == "unknown" and "4111" not in json.dumps(card)
    down = env.item("o-down")
    assert down is not None and (down["status"]["S"], down["attempts"]["N"]) == ("FAILED", "3")
    with pytest.raises(PaymentStateError):
        run(authorize, auth_input("o-down", "tok_down"))
    assert run(refund, {"orderId": "o-decline"})["status"] == "NOTHING_TO_REFUND"
    failed = env.published()
    assert [(kind, PaymentFailed.model_validate(e.data)) for kind, e in failed] == [
        ("PaymentFailed", PaymentFailed(order_id="o-down", reason="PAYMENT_ERROR"))
    ]


def test_concurrent_duplicate_captures_make_one_transition(env: PaymentsEnv) -> None:
    payment_id = run(authorize, auth_input("o1"))["paymentId"]
    callers = 8
    start = threading.Barrier(callers)

    def capture_once(_: int) -> dict[str, Any]:
        start.wait()
        return run(capture, {"orderId": "o1", "paymentId": payment_id})

    with ThreadPoolExecutor(callers) as pool:
        answers = list(pool.map(capture_once, range(callers)))

    assert answers == [{"paymentId": payment_id, "status": "CAPTURED", "amount": 25_000}] * callers
    assert env.status_history("o1") == ["PENDING", "AUTHORIZED", "CAPTURED"]
    events = env.published()
    assert events and {kind for kind, _ in events} == {"PaymentCaptured"}
    assert {json.dumps(e.data, sort_keys=True) for _, e in events} == {
        json.dumps({"orderId": "o1", "paymentId": payment_id, "amount": 25_000}, sort_keys=True)
    }


def test_order_cancelled_reaches_the_consumer_by_its_rule_and_refunds_once(env: PaymentsEnv) -> None:
    # Given a captured payment, an authorization-only one, and the rule -> queue of the template
    queue = order_events_queue(env)
    payment_id = run(authorize, auth_input("o1"))["paymentId"]
    run(capture, {"orderId": "o1", "paymentId": payment_id})
    run(authorize, auth_input("o2"))
    env.published()

    # When the orders service cancels both (o1 published twice) and confirms another order
    orders_bus = EventBridgePublisher()
    orders_bus.publish(
        [
            make_event("buynest.orders", "OrderCancelled", cancelled("o1"), "corr-o1"),
            make_event("buynest.orders", "OrderCancelled", cancelled("o1"), "corr-o1"),
            make_event("buynest.orders", "OrderCancelled", cancelled("o2"), "corr-o2"),
            make_event("buynest.orders", "OrderConfirmed", {"orderId": "o3"}, "corr-o3"),
        ]
    )
    bodies = [m["Body"] for m in env.receive(queue)]
    assert sorted(json.loads(b)["detail"]["data"]["orderId"] for b in bodies) == ["o1", "o1", "o2"]

    # And the queue delivers the batch twice (a redelivery)
    assert run(consumer, sqs_event(*bodies)) == {"batchItemFailures": []}
    assert run(consumer, sqs_event(*bodies)) == {"batchItemFailures": []}

    # Then the capture is refunded once, the authorization voided, and one PaymentRefunded is on the bus
    assert env.status_history("o1") == ["PENDING", "AUTHORIZED", "CAPTURED", "REFUNDED"]
    assert env.status_history("o2") == ["PENDING", "AUTHORIZED", "VOIDED"]
    events = env.published()
    assert [(kind, e.data) for kind, e in events] == [
        ("PaymentRefunded", {"orderId": "o1", "paymentId": payment_id, "amount": 25_000})
    ]
    assert events[0][1].metadata.correlation_id == "corr-o1"
    item = env.item("o1")
    assert item is not None and item["reason"]["S"] == "ORDER_CANCELLED"


def test_a_throttled_table_is_a_transient_error(env: PaymentsEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    throttled = ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}}, "Update")

    def refuse(*_: Any, **__: Any) -> Any:
        raise UpdateError("throttled", cause=throttled)

    with monkeypatch.context() as patch:
        patch.setattr(PaymentItem, "update", refuse)
        with pytest.raises(PaymentTransientError, match="busy"):
            run(authorize, auth_input("o1"))
    assert run(authorize, auth_input("o1"))["status"] == "AUTHORIZED"


def cancelled(order_id: str) -> OrderCancelled:
    return OrderCancelled(order_id=order_id, user_id="u1", items=[], total=25_000, points_earned=250)
