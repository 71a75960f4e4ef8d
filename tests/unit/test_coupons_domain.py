"""Coupon rules in plain Python: discounts, what can be issued or reserved, statuses, and the expiry sweep."""

from __future__ import annotations

import pytest

from buynest.coupons.domain import (
    FIXED,
    PERCENT,
    Campaign,
    CampaignStatus,
    CouponExpired,
    CouponHold,
    CouponStatus,
    InvalidCampaign,
    RejectReason,
    SoldOut,
    check_new_campaign,
    discount_for,
    iso_from_epoch,
    normalize_code,
    reservation_refusal,
)
from buynest.coupons.service import CouponService
from tests.unit.coupon_fakes import FakeCouponRepository

NOW = 1_800_000_000


def campaign(**overrides: object) -> Campaign:
    fields: dict[str, object] = {
        "code": "WELCOME10",
        "discount_type": PERCENT,
        "value": 10,
        "total_quantity": 2,
        "issued_count": 0,
        "min_order_amount": 10_000,
        "expires_at": NOW + 3600,
        "created_at": iso_from_epoch(NOW - 60),
    }
    fields.update(overrides)
    return Campaign(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("discount_type", "value", "subtotal", "expected"),
    [
        (PERCENT, 15, 12_345, 1_851),
        (PERCENT, 10, 999, 99),
        (PERCENT, 33, 100, 33),
        (PERCENT, 1, 99, 0),
        (PERCENT, 100, 54_321, 54_321),
        (FIXED, 3_000, 20_000, 3_000),
        (FIXED, 3_000, 2_500, 2_500),
        (FIXED, 3_000, 3_000, 3_000),
        (FIXED, 3_000, 0, 0),
        (PERCENT, 50, 0, 0),
    ],
)
def test_discount_rounds_down_to_whole_won_and_never_exceeds_the_subtotal(
    discount_type: str, value: int, subtotal: int, expected: int
) -> None:
    assert discount_for(discount_type, value, subtotal) == expected


def test_discount_is_an_integer_even_for_large_amounts() -> None:
    result = discount_for(PERCENT, 7, 999_999_999_999)
    assert isinstance(result, int) and result == 69_999_999_999


@pytest.mark.parametrize(
    ("discount_type", "value", "expires_at", "field"),
    [
        (PERCENT, 101, NOW + 60, "value"),
        (PERCENT, 0, NOW + 60, "value"),
        (FIXED, 0, NOW + 60, "value"),
        (FIXED, 500, NOW, "expiresAt"),
        (PERCENT, 10, NOW - 1, "expiresAt"),
    ],
)
def test_new_campaign_rules_name_the_field(discount_type: str, value: int, expires_at: int, field: str) -> None:
    with pytest.raises(InvalidCampaign) as info:
        check_new_campaign(discount_type, value, expires_at, NOW)
    assert info.value.message.startswith(f"{field}: ")


def test_campaign_refusal_and_status_expiry_wins_over_sold_out() -> None:
    assert campaign().refusal(NOW) is None and campaign().status(NOW) == CampaignStatus.ACTIVE
    sold_out = campaign(issued_count=2)
    assert isinstance(sold_out.refusal(NOW), SoldOut) and sold_out.status(NOW) == CampaignStatus.SOLD_OUT
    assert isinstance(sold_out.refusal(NOW + 3600), CouponExpired)
    assert campaign().status(NOW + 3600) == CampaignStatus.EXPIRED


def test_issued_coupon_shows_expired_after_its_expiry_but_a_held_one_keeps_its_status() -> None:
    coupon = campaign().issue_to("u1", "C1", iso_from_epoch(NOW))
    assert coupon.effective_status(NOW) == CouponStatus.ISSUED
    assert coupon.effective_status(NOW + 3600) == CouponStatus.EXPIRED
    reserved = coupon.with_status(CouponStatus.RESERVED, iso_from_epoch(NOW), "o1")
    assert reserved.effective_status(NOW + 3600) == CouponStatus.RESERVED
    assert coupon.issued_view() == {
        "couponId": "C1",
        "code": "WELCOME10",
        "discountType": PERCENT,
        "value": 10,
        "expiresAt": iso_from_epoch(NOW + 3600),
        "status": "ISSUED",
    }


def test_reservation_refusals() -> None:
    coupon = campaign().issue_to("u1", "C1", iso_from_epoch(NOW))
    assert reservation_refusal(coupon, "u1", 10_000, NOW) is None
    assert reservation_refusal(coupon, "u1", 9_999, NOW) == RejectReason.MIN_ORDER_AMOUNT_NOT_MET
    assert reservation_refusal(coupon, "u2", 50_000, NOW) == RejectReason.COUPON_NOT_FOUND
    assert reservation_refusal(None, "u1", 50_000, NOW) == RejectReason.COUPON_NOT_FOUND
    assert reservation_refusal(coupon, "u1", 50_000, NOW + 3600) == RejectReason.COUPON_EXPIRED
    held = coupon.with_status(CouponStatus.RESERVED, "t", "o1")
    assert reservation_refusal(held, "u1", 50_000, NOW) == RejectReason.COUPON_IN_USE
    used = coupon.with_status(CouponStatus.USED, "t", "o1")
    assert reservation_refusal(used, "u1", 50_000, NOW) == RejectReason.COUPON_ALREADY_USED


def test_hold_computes_the_discount_and_where_a_released_coupon_goes() -> None:
    coupon = campaign(discount_type=FIXED, value=5_000).issue_to("u1", "C1", iso_from_epoch(NOW))
    hold = CouponHold.reserved("o1", coupon, 4_000, iso_from_epoch(NOW))
    assert hold.discount == 4_000 and hold.code == "WELCOME10"
    assert hold.released_status(NOW) == CouponStatus.ISSUED
    assert hold.released_status(NOW + 3600) == CouponStatus.EXPIRED


@pytest.mark.parametrize(
    ("raw", "code"),
    [("welcome10", "WELCOME10"), (" SALE_2026-A ", "SALE_2026-A"), ("ab", None), ("a b c", None), ("Ä123", None)],
)
def test_codes_are_upper_case_letters_digits_dash_underscore(raw: str, code: str | None) -> None:
    assert normalize_code(raw) == code


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_sweep_marks_issued_coupons_expired_and_finishes_campaigns() -> None:
    repo = FakeCouponRepository()
    clock = Clock(NOW)
    service = CouponService(repo, clock=clock)
    service.create_campaign("SWEEP", PERCENT, 10, 10, NOW + 60, 0)
    service.create_campaign("LATER", PERCENT, 10, 10, NOW + 86_400, 0)
    for user in ("u1", "u2", "u3", "u4", "u5"):
        service.issue("SWEEP", user)
    service.issue("LATER", "u1")
    held = repo.coupons[("u5", "SWEEP")]
    repo.coupons[("u5", "SWEEP")] = held.with_status(CouponStatus.RESERVED, "t", "o1")

    clock.now = NOW + 61
    first = service.expire_due()
    assert (first.expired, first.campaigns_finished, first.complete) == (4, 0, True)
    statuses = {u: c.status for (u, code), c in repo.coupons.items() if code == "SWEEP"}
    assert statuses == {"u1": "EXPIRED", "u2": "EXPIRED", "u3": "EXPIRED", "u4": "EXPIRED", "u5": "RESERVED"}
    assert repo.coupons[("u1", "LATER")].status == CouponStatus.ISSUED

    second = service.expire_due()
    assert (second.expired, second.campaigns_finished) == (0, 1) and repo.sweep_due == {"LATER"}


def test_sweep_stops_when_out_of_time_and_resumes_next_run() -> None:
    repo = FakeCouponRepository()
    clock = Clock(NOW)
    service = CouponService(repo, clock=clock)
    service.create_campaign("SWEEP", PERCENT, 10, 10, NOW + 60, 0)
    for user in ("u1", "u2", "u3"):
        service.issue("SWEEP", user)
    clock.now = NOW + 61
    budget = iter([True, False])
    partial = service.expire_due(keep_going=lambda: next(budget))
    assert (partial.expired, partial.complete) == (2, False)
    rest = service.expire_due()
    assert rest.expired == 1 and all(c.status == "EXPIRED" for c in repo.coupons.values())
