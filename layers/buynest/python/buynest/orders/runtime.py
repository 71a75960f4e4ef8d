"""Builds the orders service and its adapters from the environment, once per container."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from buynest.core.config import env_int, env_str
from buynest.core.lazy import Lazy, lazy_client
from buynest.orders.domain import (
    IdempotencyInProgress,
    IdempotencyKeyReused,
    Order,
    WorkflowState,
    execution_name,
)
from buynest.orders.service import OrderService


@dataclass(frozen=True)
class OrdersSettings:
    orders_table: str
    products_table: str
    state_machine_arn: str
    pending_timeout: int
    publish_grace: int

    @classmethod
    def from_env(cls) -> OrdersSettings:
        return cls(
            orders_table=env_str("ORDERS_TABLE"),
            products_table=env_str("PRODUCTS_TABLE"),
            state_machine_arn=env_str("PAYMENT_STATE_MACHINE_ARN", "unset"),
            pending_timeout=env_int("ORDER_PENDING_TIMEOUT_SECONDS", 300),
            publish_grace=env_int("ORDER_PUBLISH_GRACE_SECONDS", 300),
        )


def execution_input(order: Order) -> dict[str, Any]:
    """The payment workflow's input (kept in its execution history): the card token's kind, never the token."""
    return {
        "orderId": order.order_id,
        "userId": order.user_id,
        "amount": order.amounts.total,
        "tokenKind": order.token_kind,
    }


class StepFunctionsWorkflow:
    """PaymentWorkflow on Step Functions: one execution per run of an order, named by ``execution_name``, so
    starting it twice starts it once."""

    def __init__(self, state_machine_arn: str) -> None:
        self._arn = state_machine_arn
        self._client = lazy_client("stepfunctions")

    def start(self, order: Order) -> None:
        client, payload = self._client(), json.dumps(execution_input(order))
        try:
            client.start_execution(stateMachineArn=self._arn, name=execution_name(order), input=payload)
        except client.exceptions.ExecutionAlreadyExists:
            return

    def state(self, order: Order) -> WorkflowState:
        sfn = self._client()
        arn = f"{self._arn.replace(':stateMachine:', ':execution:')}:{execution_name(order)}"
        try:
            status = sfn.describe_execution(executionArn=arn)["status"]
        except sfn.exceptions.ExecutionDoesNotExist:
            return WorkflowState.MISSING
        return WorkflowState.RUNNING if status in ("RUNNING", "PENDING_REDRIVE") else WorkflowState.ENDED


def _build_order_service() -> OrderService:
    import os

    from buynest.core.events import EventBridgePublisher
    from buynest.orders.store import DynamoAddressReader, DynamoCartReader, DynamoCatalog, DynamoOrderRepository

    settings = OrdersSettings.from_env()
    return OrderService(
        DynamoOrderRepository(settings.orders_table),
        DynamoCatalog(settings.products_table),
        StepFunctionsWorkflow(settings.state_machine_arn),
        EventBridgePublisher(),
        pending_timeout=settings.pending_timeout,
        publish_grace=settings.publish_grace,
        # only POST /orders reads the cart and the saved address (and only it may: CARTS_TABLE is its alone)
        carts=DynamoCartReader(os.environ["CARTS_TABLE"]) if os.environ.get("CARTS_TABLE") else None,
        addresses=DynamoAddressReader(os.environ["USERS_TABLE"]) if os.environ.get("USERS_TABLE") else None,
    )


def _build_order_events_publisher() -> Any:
    """The outbox's publisher (EventBridge, bus ``EVENT_BUS_NAME``)."""
    from buynest.core.events import EventBridgePublisher

    return EventBridgePublisher()


def _build_order_repository() -> Any:
    """The orders table alone (the outbox acknowledges published final events on it)."""
    from buynest.orders.store import DynamoOrderRepository

    return DynamoOrderRepository(env_str("ORDERS_TABLE"))


order_service = Lazy(_build_order_service)
order_repository = Lazy(_build_order_repository)
set_order_repository = order_repository.set
set_order_service = order_service.set
order_events_publisher = Lazy(_build_order_events_publisher)
set_order_events_publisher = order_events_publisher.set


def _build_idempotent_place() -> tuple[Any, Callable[..., dict[str, Any]]]:
    """Powertools' idempotency config and the order placement it wraps (DynamoDB ``IDEMPOTENCY_TABLE``)."""
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    from buynest.orders.schemas import PlaceOrder

    config = IdempotencyConfig(
        event_key_jmespath="[userId, key]",
        payload_validation_jmespath="body",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=24 * 3600,
    )
    persistence = DynamoDBPersistenceLayer(table_name=env_str("IDEMPOTENCY_TABLE"))

    @idempotent_function(data_keyword_argument="request", persistence_store=persistence, config=config)
    def place(request: dict[str, Any]) -> dict[str, Any]:
        order = order_service().place(request["userId"], PlaceOrder.model_validate(request["body"]))
        return order.public()

    return config, place


_idempotent = Lazy(_build_idempotent_place)


def idempotent_place(lambda_context: Any) -> Callable[..., dict[str, Any]]:
    """``POST /orders`` behind Powertools' idempotency utility: the key is the customer and their
    ``Idempotency-Key``; the same key with another body is refused, a repeat still in progress is refused, a
    finished one gets the stored response and creates nothing."""
    config, place = _idempotent()
    if lambda_context is not None:
        config.register_lambda_context(lambda_context)
    return place


def place_order(user_id: str, key: str, body: dict[str, Any], lambda_context: Any) -> dict[str, Any]:
    """Place an order once per (customer, Idempotency-Key), mapping the utility's refusals to contract errors."""
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    place = idempotent_place(lambda_context)
    try:
        return place(request={"userId": user_id, "key": key, "body": body})
    except IdempotencyValidationError as exc:
        raise IdempotencyKeyReused("this Idempotency-Key was used with a different request body") from exc
    except IdempotencyAlreadyInProgressError as exc:
        raise IdempotencyInProgress(
            "a request with this Idempotency-Key is still being handled; retry shortly"
        ) from exc
