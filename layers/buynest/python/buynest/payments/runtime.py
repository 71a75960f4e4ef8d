"""Builds the payments service from the environment, once per container (tests may install their own)."""

from __future__ import annotations

from dataclasses import dataclass

from buynest.core.config import env_str
from buynest.core.lazy import Lazy
from buynest.payments.service import PaymentService


@dataclass(frozen=True)
class PaymentsSettings:
    payments_table: str
    event_bus_name: str

    @classmethod
    def from_env(cls) -> PaymentsSettings:
        return cls(payments_table=env_str("PAYMENTS_TABLE"), event_bus_name=env_str("EVENT_BUS_NAME"))


def _build_payment_service() -> PaymentService:
    from buynest.core.events import EventBridgePublisher
    from buynest.payments.store import DynamoPaymentRepository

    settings = PaymentsSettings.from_env()
    return PaymentService(
        DynamoPaymentRepository(settings.payments_table), EventBridgePublisher(settings.event_bus_name)
    )


payment_service = Lazy(_build_payment_service)
set_payment_service = payment_service.set
