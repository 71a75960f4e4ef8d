"""Builds the coupons service and saga from the environment, once per container (tests may install their own)."""

from __future__ import annotations

from dataclasses import dataclass

from buynest.core.config import env_str
from buynest.coupons.service import CouponRepository, CouponSaga, CouponService


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


_repo: CouponRepository | None = None
_service: CouponService | None = None
_saga: CouponSaga | None = None


def _repository() -> CouponRepository:
    global _repo
    if _repo is None:
        from buynest.coupons.store import DynamoCouponRepository

        _repo = DynamoCouponRepository(CouponsSettings.from_env().coupons_table)
    return _repo


def coupon_service() -> CouponService:
    global _service
    if _service is None:
        _service = CouponService(_repository())
    return _service


def coupon_saga() -> CouponSaga:
    global _saga
    if _saga is None:
        from buynest.core.events import EventBridgePublisher

        _saga = CouponSaga(_repository(), EventBridgePublisher(CouponsEventSettings.from_env().event_bus_name))
    return _saga


def set_coupon_service(service: CouponService | None) -> None:
    """Install a service built on fakes (unit tests) instead of the DynamoDB one; None resets."""
    global _service, _repo
    _service = service
    if service is None:
        _repo = None


def set_coupon_saga(saga: CouponSaga | None) -> None:
    """Install a saga built on fakes (tests) instead of the DynamoDB/EventBridge one; None resets."""
    global _saga, _repo
    _saga = saga
    if saga is None:
        _repo = None
