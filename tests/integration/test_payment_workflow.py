"""The payment workflow's error paths (``infra/statemachines/payment.asl.json``, run by ``asl_runner``) against the
real task handlers on moto: the order and the payment always agree. A confirm that committed but whose answer was
lost is retried (it is idempotent) instead of refunding a confirmed order; a refund happens only once the order has
really been moved to FAILED."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from buynest.orders.domain import OrderStatus, Step
from buynest.orders.runtime import execution_input, set_order_service
from buynest.orders.schemas import PlaceOrder
from buynest.orders.service import OrderService
from buynest.orders.store import DynamoOrderRepository
from tests.conftest import FakeContext, load_handler
from tests.integration.asl_runner import Execution, StateMachine
from tests.integration.payments_fixtures import PaymentsEnv, payments_env
from tests.unit.coupon_fakes import FakePublisher
from tests.unit.order_fakes import FakeCatalog, FakeWorkflow

HANDLERS = {
    "AuthorizeFunctionArn": "payments/authorize",
    "CaptureFunctionArn": "payments/capture",
    "RefundFunctionArn": "payments/refund",
    "RecordPaymentFailureFunctionArn": "payments/record_failure",
    "ConfirmOrderFunctionArn": "orders/confirm_order",
    "FailOrderFunctionArn": "orders/fail_order",
}


class AnswerLost(Exception):
    """The task's work committed, then its answer never reached Step Functions (a timeout, a dropped connection)."""


class TableDown(Exception):
    """The orders table refused every request."""


def task(path: str) -> Callable[[Any], Any]:
    module = load_handler(path)
    return lambda payload: module.handler(payload, FakeContext())


class World:
    def __init__(self, payments: PaymentsEnv, orders_table: str) -> None:
        self.payments = payments
        self.repo = DynamoOrderRepository(orders_table)
        self.service = OrderService(self.repo, FakeCatalog({"tea": 12_000}), FakeWorkflow(), FakePublisher())
        set_order_service(self.service)
        self.tasks = {name: task(path) for name, path in HANDLERS.items()}

    def reserved_order(self) -> str:
        body = {"items": [{"productId": "tea", "quantity": 1}], "payment": {"method": "card", "token": "tok_ok"}}
        order = self.service.place("alice", PlaceOrder.model_validate_json(json.dumps(body)))
        self.service.on_reply("StockReserved", {"orderId": order.order_id}, order.order_id)
        return order.order_id

    def run(self, order_id: str, **faults: Callable[[Any], Any]) -> Execution:
        order = self.repo.get(order_id)
        assert order is not None and order.status == OrderStatus.RESERVED
        return StateMachine({**self.tasks, **faults}).run(execution_input(order))

    def agree(self, order_id: str) -> tuple[str, str, str | None]:
        """(order status, payment status, failure reason)."""
        order, payment = self.repo.get(order_id), self.payments.item(order_id)
        assert order is not None and payment is not None
        return order.status.value, payment["status"]["S"], order.failure_reason


@pytest.fixture
def world(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for payments in payments_env(aws, monkeypatch):
        yield World(payments, aws["tables"]["OrdersTable"])
        set_order_service(None)


def confirm_then_lose_the_answer(world: World, times: int) -> Callable[[Any], Any]:
    confirm = world.tasks["ConfirmOrderFunctionArn"]
    calls: list[int] = []

    def lossy(payload: Any) -> Any:
        answer = confirm(payload)
        calls.append(1)
        if len(calls) <= times:
            raise AnswerLost("confirm committed, then timed out")
        return answer

    return lossy


def test_a_confirm_whose_answer_was_lost_is_retried_and_the_payment_kept(world: World) -> None:
    """Guards issue 10's "CONFIRMED with the money refunded": the confirm commits, then fails; before the fix the
    workflow's Catch refunded the payment of the now CONFIRMED order."""
    order_id = world.reserved_order()
    execution = world.run(order_id, ConfirmOrderFunctionArn=confirm_then_lose_the_answer(world, times=1))
    assert execution.status == "SUCCEEDED" and "RefundThenError" not in execution.visited
    assert world.agree(order_id) == ("CONFIRMED", "CAPTURED", None)


def test_a_confirm_that_keeps_losing_its_answer_still_never_refunds_a_confirmed_order(world: World) -> None:
    """Guards the last line of defence: every retry of confirm fails after committing, the workflow tries to move
    the order to FAILED, the conditional transition finds it CONFIRMED, and nothing is refunded."""
    order_id = world.reserved_order()
    execution = world.run(order_id, ConfirmOrderFunctionArn=confirm_then_lose_the_answer(world, times=99))
    assert execution.status == "SUCCEEDED"
    assert execution.visited[-3:] == ["FailBeforeRefund", "RefundUnlessConfirmed", "ConfirmedAfterAll"]
    assert world.agree(order_id) == ("CONFIRMED", "CAPTURED", None)


def test_a_confirm_that_never_commits_fails_the_order_then_refunds(world: World) -> None:
    """The other side: when confirm cannot commit at all, the order is moved to FAILED first, then refunded."""
    order_id = world.reserved_order()

    def down(payload: Any) -> Any:
        raise TableDown("orders table unavailable")

    execution = world.run(order_id, ConfirmOrderFunctionArn=down)
    assert execution.status == "SUCCEEDED" and "RefundThenError" in execution.visited
    assert world.agree(order_id) == ("FAILED", "REFUNDED", "PAYMENT_ERROR")


def test_an_order_that_timed_out_during_its_payment_is_refunded_and_keeps_its_reason(world: World) -> None:
    """``NotConfirmable`` is not retried: the order ended (TIMEOUT) while its payment was captured; it stays
    FAILED/TIMEOUT and its money goes back."""
    order_id = world.reserved_order()
    order = world.repo.get(order_id)
    assert order is not None

    def timed_out_first(payload: Any) -> Any:
        world.repo.mark_failed(order_id, "TIMEOUT", "2026-12-04T00:00:00Z", Step.FAIL)
        return world.tasks["ConfirmOrderFunctionArn"](payload)

    execution = world.run(order_id, ConfirmOrderFunctionArn=timed_out_first)
    assert execution.visited.count("Confirm") == 1 and "RefundThenError" in execution.visited
    assert world.agree(order_id) == ("FAILED", "REFUNDED", "TIMEOUT")


def test_the_happy_path_confirms_and_keeps_the_payment(world: World) -> None:
    order_id = world.reserved_order()
    assert world.run(order_id).status == "SUCCEEDED"
    assert world.agree(order_id) == ("CONFIRMED", "CAPTURED", None)
