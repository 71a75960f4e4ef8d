"""Builds the payments service from the environment, once per container (tests may install their own)."""

from __future__ import annotations

from dataclasses import dataclass

from buynest.core.config import env_str
from buynest.payments.service import PaymentService


@dataclass(frozen=True)
class PaymentsSettings:
    payments_table: str
    event_bus_name: str

    @classmethod
    def from_env(cls) -> PaymentsSettings:
        return cls(payments_table=env_str("PAYMENTS_TABLE"), event_bus_name=env_str("EVENT_BUS_NAME"))


_service: PaymentService | None = None


def payment_service() -> PaymentService:
    global _service
    if _service is None:
        from buynest.core.events import EventBridgePublisher
        from buynest.payments.store import DynamoPaymentRepository

        settings = PaymentsSettings.from_env()
        _service = PaymentService(
            DynamoPaymentRepository(settings.payments_table), EventBridgePublisher(settings.event_bus_name)
        )
    return _service


def set_payment_service(service: PaymentService | None) -> None:
    """Install a service built on fakes (tests) instead of the DynamoDB/EventBridge one; None resets."""
    global _service
    _service = service
