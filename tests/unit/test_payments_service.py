"""The payments service through its Step Functions task handlers and its OrderCancelled consumer, on in-memory fakes:
each token, retries that see the attempt counter, idempotent repeats, refund and void, events published once, and
malformed input refused with a named error.

The fakes live here (not in a shared module) because the payments tests own only their own files."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import count
from typing import Any

import pytest

from buynest.core.events import EventEnvelope, EventPublishError
from buynest.core.payment import TokenKind
from buynest.payments.domain import (
    Payment,
    PaymentDeclined,
    PaymentInputError,
    PaymentStateError,
    PaymentStatus,
    PaymentTransientError,
    Transition,
)
from buynest.payments.runtime import set_payment_service
from buynest.payments.service import PaymentService
from tests.conftest import FakeContext, load_handler
from tests.integration.payments_fixtures import bus_event, order_cancelled, sqs_event

authorize = load_handler("payments/authorize")
capture = load_handler("payments/capture")
refund = load_handler("payments/refund")
record_failure = load_handler("payments/record_failure")
consumer = load_handler("payments/on_order_event")


class FakePaymentRepository:
    """PaymentRepository in memory, with the DynamoDB adapter's conditions. ``busy`` makes the next N calls raise
    ``PaymentTransientError`` as the adapter does when the table throttles."""

    def __init__(self) -> None:
        self.payments: dict[str, Payment] = {}
        self.busy = 0
        self._lock = threading.Lock()

    def _check_busy(self) -> None:
        if self.busy > 0:
            self.busy -= 1
            raise PaymentTransientError("payments table busy")

    def get(self, order_id: str) -> Payment | None:
        self._check_busy()
        return self.payments.get(order_id)

    def begin_attempt(
        self, order_id: str, user_id: str, amount: int, kind: TokenKind, payment_id: str, at: str
    ) -> Payment | None:
        with self._lock:
            self._check_busy()
            current = self.payments.get(order_id)
            if current is None:
                current = Payment(
                    order_id=order_id,
                    payment_id=payment_id,
                    user_id=user_id,
                    amount=amount,
                    token_kind=kind,
                    status=PaymentStatus.PENDING,
                    attempts=0,
                    created_at=at,
                    updated_at=at,
                    history=(Transition(PaymentStatus.PENDING, at),),
                )
            elif current.status != PaymentStatus.PENDING or (current.user_id, current.amount, current.token_kind) != (
                user_id,
                amount,
                kind,
            ):
                return None
            self.payments[order_id] = replace(current, attempts=current.attempts + 1, updated_at=at)
            return self.payments[order_id]

    def move(
        self,
        order_id: str,
        source: PaymentStatus,
        target: PaymentStatus,
        at: str,
        reason: str | None = None,
        payment_id: str | None = None,
    ) -> Payment | None:
        with self._lock:
            self._check_busy()
            current = self.payments.get(order_id)
            if current is None or current.status != source:
                return None
            if payment_id is not None and current.payment_id != payment_id:
                return None
            history = (*current.history, Transition(target, at, reason))
            moved = replace(current, status=target, updated_at=at, reason=reason, history=history)
            self.payments[order_id] = moved
            return moved

    def mark_published(self, order_id: str, detail_type: str) -> None:
        with self._lock:
            current = self.payments.get(order_id)
            if current is not None:
                self.payments[order_id] = replace(current, published=current.published | {detail_type})


class FakePublisher:
    """EventPublisher that keeps every entry; ``fail_next`` makes the next publish raise, as the bus may."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self.fail_next = False

    def publish(self, entries: Sequence[Mapping[str, Any]]) -> None:
        if self.fail_next:
            self.fail_next = False
            raise EventPublishError("bus unavailable")
        self.entries.extend(dict(e) for e in entries)

    def published(self) -> list[tuple[str, dict[str, Any]]]:
        """(detail-type, data) of each entry, its envelope validated and its source checked."""
        found = []
        for entry in self.entries:
            assert entry["Source"] == "buynest.payments"
            envelope = EventEnvelope[dict[str, Any]].model_validate_json(entry["Detail"])
            found.append((entry["DetailType"], envelope.data))
        return found


@dataclass
class World:
    repo: FakePaymentRepository
    publisher: FakePublisher

    def payment(self, order_id: str = "o1") -> Payment:
        return self.repo.payments[order_id]

    def statuses(self, order_id: str = "o1") -> list[PaymentStatus]:
        return [t.status for t in self.payment(order_id).history]


@pytest.fixture
def world() -> Iterator[World]:
    repo, publisher, ids = FakePaymentRepository(), FakePublisher(), count(1)
    service = PaymentService(
        repo, publisher, clock=lambda: "2026-11-27T10:00:00Z", new_payment_id=lambda: f"pay{next(ids)}"
    )
    set_payment_service(service)
    yield World(repo, publisher)
    set_payment_service(None)


def run(module: Any, payload: Any) -> dict[str, Any]:
    result: dict[str, Any] = module.handler(payload, FakeContext())
    return result


def auth_input(token: str = "tok_ok", order_id: str = "o1", amount: int = 10_000) -> dict[str, Any]:
    return {"orderId": order_id, "userId": "u1", "amount": amount, "tokenKind": token}


def test_tok_ok_authorizes_and_repeats_return_the_same_authorization(world: World) -> None:
    first = run(authorize, auth_input())
    assert first == {"paymentId": "pay1", "status": "AUTHORIZED", "amount": 10_000}
    assert run(authorize, auth_input()) == first
    assert world.payment().attempts == 1 and world.statuses() == ["PENDING", "AUTHORIZED"]
    assert world.payment().token_kind == TokenKind.OK


def test_tok_decline_is_declined_and_stays_declined(world: World) -> None:
    for _ in range(2):
        with pytest.raises(PaymentDeclined, match="generic_decline") as raised:
            run(authorize, auth_input("tok_decline"))
        assert type(raised.value).__name__ == "PaymentDeclined"
    assert world.payment().status == PaymentStatus.DECLINED and world.payment().attempts == 1


def test_an_unknown_card_is_declined_and_only_its_kind_is_kept(world: World) -> None:
    with pytest.raises(PaymentDeclined, match="unknown_card"):
        run(authorize, auth_input("4242424242424242"))
    stored = world.payment()
    assert stored.token_kind == TokenKind.UNKNOWN and "4242" not in repr(stored)


def test_tok_flaky_succeeds_on_the_third_attempt_and_retries_see_the_counter(world: World) -> None:
    for attempt in (1, 2):
        with pytest.raises(PaymentTransientError, match=f"attempt {attempt}"):
            run(authorize, auth_input("tok_flaky"))
    assert world.payment().status == PaymentStatus.PENDING and world.payment().attempts == 2
    authorized = run(authorize, auth_input("tok_flaky"))
    assert authorized["status"] == "AUTHORIZED"
    assert run(authorize, auth_input("tok_flaky")) == authorized
    assert world.payment().attempts == 3


def test_tok_down_always_fails_transiently_and_the_failure_closes_the_attempt(world: World) -> None:
    for _ in range(4):
        with pytest.raises(PaymentTransientError):
            run(authorize, auth_input("tok_down"))
    assert world.payment().attempts == 4

    error = {"Error": "PaymentTransientError", "Cause": '{"errorMessage": "payment provider unavailable"}'}
    result = run(record_failure, {"orderId": "o1", "reason": "PAYMENT_ERROR", "error": error})

    assert result == {"orderId": "o1", "reason": "PAYMENT_ERROR"}
    assert world.payment().status == PaymentStatus.FAILED
    assert world.payment().reason == "PAYMENT_ERROR: PaymentTransientError"
    assert world.publisher.published() == [("PaymentFailed", {"orderId": "o1", "reason": "PAYMENT_ERROR"})]
    with pytest.raises(PaymentStateError, match="closed as failed"):
        run(authorize, auth_input("tok_down"))


def test_record_failure_after_a_decline_keeps_the_decline(world: World) -> None:
    with pytest.raises(PaymentDeclined):
        run(authorize, auth_input("tok_decline"))
    run(record_failure, {"orderId": "o1", "reason": "PAYMENT_DECLINED", "error": "PaymentDeclined"})
    run(record_failure, {"orderId": "o-without-payment", "reason": "PAYMENT_DECLINED"})
    assert world.payment().status == PaymentStatus.DECLINED
    assert [data["orderId"] for _, data in world.publisher.published()] == ["o1", "o-without-payment"]


def test_the_same_order_with_other_parameters_is_refused(world: World) -> None:
    run(authorize, auth_input())
    with pytest.raises(PaymentInputError, match="other parameters"):
        run(authorize, auth_input(amount=20_000))
    with pytest.raises(PaymentInputError):
        run(authorize, auth_input("tok_flaky"))
    assert world.payment().amount == 10_000 and world.payment().token_kind == TokenKind.OK
    with pytest.raises(PaymentTransientError):
        run(authorize, auth_input("tok_down", order_id="o2"))
    with pytest.raises(PaymentInputError, match="other parameters"):
        run(authorize, auth_input("tok_down", order_id="o2", amount=1))
    assert world.payment("o2").attempts == 1


def test_capture_is_idempotent_and_publishes_once(world: World) -> None:
    payment_id = run(authorize, auth_input())["paymentId"]
    first = run(capture, {"orderId": "o1", "paymentId": payment_id})
    assert first == {"paymentId": payment_id, "status": "CAPTURED", "amount": 10_000}
    assert run(capture, {"orderId": "o1", "paymentId": payment_id}) == first
    assert world.statuses() == ["PENDING", "AUTHORIZED", "CAPTURED"]
    assert world.publisher.published() == [
        ("PaymentCaptured", {"orderId": "o1", "paymentId": payment_id, "amount": 10_000})
    ]
    assert world.payment().published == {"PaymentCaptured"}


def test_a_capture_whose_event_was_refused_publishes_on_retry(world: World) -> None:
    payment_id = run(authorize, auth_input())["paymentId"]
    world.publisher.fail_next = True
    with pytest.raises(PaymentTransientError, match="bus refused"):
        run(capture, {"orderId": "o1", "paymentId": payment_id})
    assert world.payment().status == PaymentStatus.CAPTURED and world.publisher.entries == []
    run(capture, {"orderId": "o1", "paymentId": payment_id})
    assert [kind for kind, _ in world.publisher.published()] == ["PaymentCaptured"]


def test_capture_refuses_what_cannot_be_captured(world: World) -> None:
    with pytest.raises(PaymentStateError, match="no payment"):
        run(capture, {"orderId": "o1", "paymentId": "pay1"})
    with pytest.raises(PaymentDeclined):
        run(authorize, auth_input("tok_decline"))
    with pytest.raises(PaymentStateError, match="DECLINED"):
        run(capture, {"orderId": "o1", "paymentId": "pay1"})
    payment_id = run(authorize, auth_input(order_id="o2"))["paymentId"]
    with pytest.raises(PaymentInputError, match="not the payment"):
        run(capture, {"orderId": "o2", "paymentId": "pay-other"})
    assert world.payment("o2").status == PaymentStatus.AUTHORIZED and payment_id == "pay2"


def test_refund_of_a_captured_payment_returns_the_money_once(world: World) -> None:
    payment_id = run(authorize, auth_input())["paymentId"]
    run(capture, {"orderId": "o1", "paymentId": payment_id})
    expected = {"orderId": "o1", "paymentId": payment_id, "status": "REFUNDED", "amount": 10_000}
    assert run(refund, {"orderId": "o1", "reason": "PAYMENT_ERROR"}) == expected
    assert run(refund, {"orderId": "o1"}) == expected
    assert world.statuses() == ["PENDING", "AUTHORIZED", "CAPTURED", "REFUNDED"]
    assert world.payment().reason == world.payment().history[-1].reason == "PAYMENT_ERROR"
    refunded = [data for kind, data in world.publisher.published() if kind == "PaymentRefunded"]
    assert refunded == [{"orderId": "o1", "paymentId": payment_id, "amount": 10_000}]
    with pytest.raises(PaymentStateError, match="REFUNDED"):
        run(capture, {"orderId": "o1", "paymentId": payment_id})


def test_refund_of_an_authorization_voids_it_without_an_event(world: World) -> None:
    payment_id = run(authorize, auth_input())["paymentId"]
    expected = {"orderId": "o1", "paymentId": payment_id, "status": "VOIDED", "amount": 10_000}
    assert run(refund, {"orderId": "o1"}) == expected
    assert run(refund, {"orderId": "o1"}) == expected
    assert world.statuses() == ["PENDING", "AUTHORIZED", "VOIDED"] and world.publisher.entries == []
    with pytest.raises(PaymentStateError, match="VOIDED"):
        run(capture, {"orderId": "o1", "paymentId": payment_id})


def test_refund_when_no_money_is_held_does_nothing(world: World) -> None:
    nothing = {"orderId": "o1", "paymentId": None, "status": "NOTHING_TO_REFUND", "amount": 0}
    assert run(refund, {"orderId": "o1"}) == nothing
    with pytest.raises(PaymentDeclined):
        run(authorize, auth_input("tok_decline"))
    assert run(refund, {"orderId": "o1"})["status"] == "NOTHING_TO_REFUND"
    with pytest.raises(PaymentTransientError):
        run(authorize, auth_input("tok_down", order_id="o2"))
    assert run(refund, {"orderId": "o2"})["status"] == "NOTHING_TO_REFUND"
    assert world.payment("o2").status == PaymentStatus.PENDING and world.publisher.entries == []


def test_a_busy_table_is_a_transient_error(world: World) -> None:
    world.repo.busy = 1
    with pytest.raises(PaymentTransientError, match="busy"):
        run(authorize, auth_input())
    assert run(authorize, auth_input())["status"] == "AUTHORIZED"


@pytest.mark.parametrize(
    ("module", "payload", "message"),
    [
        (authorize, {"orderId": "o1", "userId": "u1", "tokenKind": "tok_ok"}, "amount: field is required"),
        (authorize, {**auth_input(), "amount": 0}, "amount: Input should be greater than 0"),
        (authorize, {**auth_input(), "amount": 100.5}, "amount: Input should be a valid integer"),
        (authorize, {**auth_input(), "amount": 100.0}, "amount: Input should be a valid integer"),
        (authorize, {**auth_input(), "amount": "100"}, "amount: Input should be a valid integer"),
        (authorize, {**auth_input(), "amount": True}, "amount: Input should be a valid integer"),
        (authorize, {**auth_input(), "tokenKind": ""}, "tokenKind: String should have at least 1 character"),
        (authorize, {**auth_input(), "orderId": 7}, "orderId: Input should be a valid string"),
        (authorize, "not an object", "task input must be a JSON object"),
        (capture, {"orderId": "o1"}, "paymentId: field is required"),
        (refund, {"reason": "x"}, "orderId: field is required"),
        (record_failure, {"orderId": "o1", "reason": "OUT_OF_STOCK"}, "reason: Input should be"),
    ],
)
def test_malformed_input_is_a_named_input_error(world: World, module: Any, payload: Any, message: str) -> None:
    with pytest.raises(PaymentInputError, match=message) as raised:
        run(module, payload)
    assert type(raised.value).__name__ == "PaymentInputError"
    assert world.repo.payments == {} and world.publisher.entries == []


def test_tasks_ignore_the_rest_of_the_state_they_are_given(world: World) -> None:
    state = {**auth_input(), "items": [{"productId": "P1"}], "couponId": None, "execution": {"id": "x"}}
    assert run(authorize, state)["status"] == "AUTHORIZED"


def test_order_cancelled_refunds_once_and_other_events_are_ignored(world: World) -> None:
    payment_id = run(authorize, auth_input())["paymentId"]
    run(capture, {"orderId": "o1", "paymentId": payment_id})
    other = bus_event("OrderConfirmed", {"orderId": "o1"})
    assert run(consumer, sqs_event(order_cancelled("o1"), order_cancelled("o1"), other)) == {"batchItemFailures": []}
    assert run(consumer, sqs_event(order_cancelled("o1"))) == {"batchItemFailures": []}
    assert world.statuses().count(PaymentStatus.REFUNDED) == 1
    refunded = [(kind, data["orderId"]) for kind, data in world.publisher.published() if kind != "PaymentCaptured"]
    assert refunded == [("PaymentRefunded", "o1")]
    correlation = EventEnvelope[dict[str, Any]].model_validate_json(world.publisher.entries[-1]["Detail"])
    assert correlation.metadata.correlation_id == "corr-o1"


def test_a_bad_record_fails_alone(world: World) -> None:
    event = sqs_event(order_cancelled("o1"), bus_event("OrderCancelled", {"userId": "u1"}), "{not json")
    result = run(consumer, event)
    failed = [f["itemIdentifier"] for f in result["batchItemFailures"]]
    assert failed == [r["messageId"] for r in event["Records"][1:]]


def test_capture_reads_the_workflow_state(world: World) -> None:
    # The state machine passes its whole state to Capture: its input plus Authorize's result under "payment"
    state: dict[str, Any] = dict(auth_input())
    state["payment"] = run(authorize, state)
    assert run(capture, state) == {"paymentId": state["payment"]["paymentId"], "status": "CAPTURED", "amount": 10_000}
    with pytest.raises(PaymentInputError, match="paymentId"):
        run(capture, {**state, "payment": {"status": "AUTHORIZED"}})
