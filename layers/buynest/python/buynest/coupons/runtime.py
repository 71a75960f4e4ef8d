"""Builds the coupons service and saga from the environment, once per container (tests may install their own)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from buynest.core.config import env_str
from buynest.core.lazy import Lazy
from buynest.coupons.service import CouponRepository, CouponService

if TYPE_CHECKING:
    from buynest.coupons.saga import CouponSaga


@dataclass(frozen=True)
class CouponsSettings:
    coupons_table: str

    @classmethod
    def from_env(cls) -> CouponsSettings:
        return cls(coupons_table=env_str("COUPONS_TABLE"))


@dataclass(frozen=True)
class CouponsEventSettings:
    event_bus_name: str

    @classmethod
    def from_env(cls) -> CouponsEventSettings:
        return cls(event_bus_name=env_str("EVENT_BUS_NAME"))


def _build_repository() -> CouponRepository:
    from buynest.coupons.store import DynamoCouponRepository

    return DynamoCouponRepository(CouponsSettings.from_env().coupons_table)


def _build_saga() -> CouponSaga:
    from buynest.core.events import EventBridgePublisher
    from buynest.coupons.saga import CouponSaga

    return CouponSaga(_repository(), EventBridgePublisher(CouponsEventSettings.from_env().event_bus_name))


_repository = Lazy(_build_repository)
coupon_service = Lazy(lambda: CouponService(_repository()))
coupon_saga = Lazy(_build_saga)


def set_coupon_service(service: CouponService | None) -> None:
    """Install a service built on fakes (unit tests) instead of the DynamoDB one; None resets (the table too)."""
    coupon_service.set(service)
    if service is None:
        _repository.set(None)


def set_coupon_saga(saga: CouponSaga | None) -> None:
    """Install a saga built on fakes (tests) instead of the DynamoDB/EventBridge one; None resets (the table too)."""
    coupon_saga.set(saga)
    if saga is None:
        _repository.set(None)
