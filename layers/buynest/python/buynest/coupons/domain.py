"""Coupons: campaigns, a customer's coupons and the discount rules, in plain Python (no AWS, no environment).

Times are whole epoch seconds; a campaign or coupon is expired from its ``expires_at`` second on. Money is integer
KRW, and a discount never exceeds the subtotal it applies to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

from buynest.core.errors import BuynestError, Conflict, Gone, InvalidInput, NotFound
from buynest.core.hold import HoldState
from buynest.core.ids import iso

FIXED = "FIXED"
PERCENT = "PERCENT"
DISCOUNT_TYPES = (FIXED, PERCENT)
MAX_AMOUNT = 1_000_000_000_000
MAX_TOTAL_QUANTITY = 1_000_000
CODE_PATTERN = re.compile(r"^[A-Z0-9_-]{3,32}$")


class CouponStatus(StrEnum):
    ISSUED = "ISSUED"
    RESERVED = "RESERVED"
    USED = "USED"
    EXPIRED = "EXPIRED"


class CampaignStatus(StrEnum):
    ACTIVE = "ACTIVE"
    SOLD_OUT = "SOLD_OUT"
    EXPIRED = "EXPIRED"


class RejectReason(StrEnum):
    """``CouponRejected.reason``: why a coupon cannot be applied to an order."""

    COUPON_NOT_FOUND = "COUPON_NOT_FOUND"
    COUPON_EXPIRED = "COUPON_EXPIRED"
    COUPON_ALREADY_USED = "COUPON_ALREADY_USED"
    COUPON_IN_USE = "COUPON_IN_USE"
    MIN_ORDER_AMOUNT_NOT_MET = "MIN_ORDER_AMOUNT_NOT_MET"


class CouponError(BuynestError):
    """Base of the coupons service's errors."""


class InvalidCampaign(CouponError, InvalidInput):
    pass


class CouponNotFound(CouponError, NotFound):
    pass


class CodeTaken(CouponError, Conflict):
    code = "CODE_TAKEN"


class AlreadyIssued(CouponError, Conflict):
    code = "ALREADY_ISSUED"


class IssueBusy(CouponError, Conflict):
    """Every attempt lost a transaction conflict on the campaign and it is neither sold out nor expired: the caller
    may simply try again. A 409, never a 5xx."""

    code = "ISSUE_CONFLICT_RETRY"


class SoldOut(CouponError, Gone):
    code = "SOLD_OUT"


class CouponExpired(CouponError, Gone):
    code = "EXPIRED"


class IssueContention(CouponError):
    """An issue transaction lost a conflict with another one (or was throttled); it changed nothing and is retried."""


class CouponChanged(CouponError):
    """A reservation's conditions failed because the coupon changed since it was read; decide again."""


def normalize_code(raw: str) -> str | None:
    """The canonical (upper-case) form of a coupon code, or None when it cannot be one."""
    code = raw.strip().upper()
    return code if CODE_PATTERN.match(code) else None


def iso_from_epoch(epoch: int) -> str:
    return iso(datetime.fromtimestamp(epoch, UTC))


def discount_for(discount_type: str, value: int, subtotal: int) -> int:
    """The discount in whole won: FIXED is its value capped at the subtotal; PERCENT rounds down."""
    if subtotal <= 0:
        return 0
    if discount_type == FIXED:
        return min(value, subtotal)
    if discount_type == PERCENT:
        return subtotal * value // 100
    raise ValueError(f"unknown discount type {discount_type!r}")


def check_new_campaign(discount_type: str, value: int, expires_at: int, now: int) -> None:
    """Rules a new campaign must meet beyond its fields' types (the request schema checks those first)."""
    if discount_type == PERCENT and not 1 <= value <= 100:
        raise InvalidCampaign("value: a PERCENT discount must be between 1 and 100")
    if discount_type == FIXED and not 1 <= value <= MAX_AMOUNT:
        raise InvalidCampaign(f"value: a FIXED discount must be between 1 and {MAX_AMOUNT} won")
    if expires_at <= now:
        raise InvalidCampaign("expiresAt: must be in the future")


@dataclass(frozen=True)
class Campaign:
    """A coupon code an admin created: at most ``total_quantity`` customers get one, each at most once."""

    code: str
    discount_type: str
    value: int
    total_quantity: int
    issued_count: int
    min_order_amount: int
    expires_at: int
    created_at: str

    def is_expired(self, now: int) -> bool:
        return now >= self.expires_at

    def is_sold_out(self) -> bool:
        return self.issued_count >= self.total_quantity

    def status(self, now: int) -> CampaignStatus:
        if self.is_expired(now):
            return CampaignStatus.EXPIRED
        return CampaignStatus.SOLD_OUT if self.is_sold_out() else CampaignStatus.ACTIVE

    def refusal(self, now: int) -> CouponError | None:
        """Why nobody can be issued this coupon now (expiry wins over sold-out), or None."""
        if self.is_expired(now):
            return CouponExpired(f"coupon {self.code} has expired")
        if self.is_sold_out():
            return SoldOut(f"coupon {self.code} is sold out")
        return None

    def issue_to(self, user_id: str, coupon_id: str, issued_at: str) -> Coupon:
        return Coupon(
            coupon_id=coupon_id,
            user_id=user_id,
            code=self.code,
            discount_type=self.discount_type,
            value=self.value,
            min_order_amount=self.min_order_amount,
            expires_at=self.expires_at,
            status=CouponStatus.ISSUED,
            issued_at=issued_at,
            updated_at=issued_at,
        )

    def public(self, now: int) -> dict[str, object]:
        return {
            "code": self.code,
            "discountType": self.discount_type,
            "value": self.value,
            "totalQuantity": self.total_quantity,
            "issuedCount": self.issued_count,
            "minOrderAmount": self.min_order_amount,
            "expiresAt": iso_from_epoch(self.expires_at),
            "status": self.status(now).value,
            "createdAt": self.created_at,
        }


@dataclass(frozen=True)
class Coupon:
    """One customer's coupon of one campaign. ``reserved_by`` is the order holding (RESERVED) or having used (USED)
    it."""

    coupon_id: str
    user_id: str
    code: str
    discount_type: str
    value: int
    min_order_amount: int
    expires_at: int
    status: CouponStatus
    issued_at: str
    updated_at: str
    reserved_by: str | None = None

    def is_expired(self, now: int) -> bool:
        return now >= self.expires_at

    def effective_status(self, now: int) -> CouponStatus:
        """The status a customer sees: an ISSUED coupon past its expiry is EXPIRED even before the sweep marks it."""
        if self.status == CouponStatus.ISSUED and self.is_expired(now):
            return CouponStatus.EXPIRED
        return self.status

    def with_status(self, status: CouponStatus, updated_at: str, reserved_by: str | None) -> Coupon:
        return replace(self, status=status, updated_at=updated_at, reserved_by=reserved_by)

    def issued_view(self) -> dict[str, object]:
        """The body of a successful issue (exactly the contract's fields)."""
        return {
            "couponId": self.coupon_id,
            "code": self.code,
            "discountType": self.discount_type,
            "value": self.value,
            "expiresAt": iso_from_epoch(self.expires_at),
            "status": CouponStatus.ISSUED.value,
        }

    def public(self, now: int) -> dict[str, object]:
        return {
            **self.issued_view(),
            "minOrderAmount": self.min_order_amount,
            "status": self.effective_status(now).value,
            "issuedAt": self.issued_at,
            "updatedAt": self.updated_at,
        }


def reservation_refusal(coupon: Coupon | None, user_id: str, subtotal: int, now: int) -> RejectReason | None:
    """Why ``coupon`` cannot be reserved for an order of ``user_id`` with ``subtotal``, or None if it can.
    Another customer's coupon is reported exactly like an unknown one."""
    if coupon is None or coupon.user_id != user_id:
        return RejectReason.COUPON_NOT_FOUND
    if coupon.status == CouponStatus.USED:
        return RejectReason.COUPON_ALREADY_USED
    if coupon.status == CouponStatus.RESERVED:
        return RejectReason.COUPON_IN_USE
    if coupon.status == CouponStatus.EXPIRED or coupon.is_expired(now):
        return RejectReason.COUPON_EXPIRED
    if subtotal < coupon.min_order_amount:
        return RejectReason.MIN_ORDER_AMOUNT_NOT_MET
    return None


@dataclass(frozen=True)
class CouponHold:
    """The coupon service's answer to one order, stored once per order id. It points at the coupon the order holds,
    makes replies to a repeated ``OrderCreated`` identical, and keeps an order that already ended from reserving."""

    order_id: str
    user_id: str
    coupon_id: str
    state: HoldState  # RESERVED, REJECTED, or RELEASED: the order ended before its OrderCreated was handled
    created_at: str
    code: str | None = None
    discount: int = 0
    reason: RejectReason | None = None
    coupon_expires_at: int | None = None

    @classmethod
    def reserved(cls, order_id: str, coupon: Coupon, subtotal: int, created_at: str) -> CouponHold:
        return cls(
            order_id=order_id,
            user_id=coupon.user_id,
            coupon_id=coupon.coupon_id,
            state=HoldState.RESERVED,
            created_at=created_at,
            code=coupon.code,
            discount=discount_for(coupon.discount_type, coupon.value, subtotal),
            coupon_expires_at=coupon.expires_at,
        )

    @classmethod
    def rejected(cls, order_id: str, user_id: str, coupon_id: str, reason: RejectReason, created_at: str) -> CouponHold:
        return cls(
            order_id=order_id,
            user_id=user_id,
            coupon_id=coupon_id,
            state=HoldState.REJECTED,
            created_at=created_at,
            reason=reason,
        )

    @classmethod
    def tombstone(cls, order_id: str, coupon_id: str, created_at: str) -> CouponHold:
        return cls(order_id=order_id, user_id="", coupon_id=coupon_id, state=HoldState.RELEASED, created_at=created_at)

    def released_status(self, now: int) -> CouponStatus:
        """Where a coupon goes when this order gives it back: ISSUED, or EXPIRED once past its expiry."""
        expired = self.coupon_expires_at is not None and now >= self.coupon_expires_at
        return CouponStatus.EXPIRED if expired else CouponStatus.ISSUED
