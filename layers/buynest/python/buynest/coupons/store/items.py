"""The coupons table's items (pynamodb models), keys and their mapping to the domain; see the package docstring."""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection, LocalSecondaryIndex
from pynamodb.models import Model

from buynest.core.hold import HoldState
from buynest.coupons.domain import (
    Campaign,
    Coupon,
    CouponHold,
    CouponStatus,
    RejectReason,
    iso_from_epoch,
)

CAMPAIGN_SK = "CAMPAIGN"
HOLD_SK = "COUPON"
LIST_KEY = "CAMPAIGN"
SWEEP_DUE = "DUE"
SWEEP_PAGE = 100
RETENTION_SECONDS = 30 * 24 * 3600


def campaign_pk(code: str) -> str:
    return f"CAMPAIGN#{code}"


def user_pk(user_id: str) -> str:
    return f"USER#{user_id}"


def coupon_sk(code: str) -> str:
    return f"COUPON#{code}"


def hold_pk(order_id: str) -> str:
    return f"ORDER#{order_id}"


class CampaignsIndex(GlobalSecondaryIndex["CampaignItem"]):
    class Meta:
        index_name = "campaigns"
        projection = KeysOnlyProjection()

    listKey = UnicodeAttribute(hash_key=True)
    listSort = UnicodeAttribute(range_key=True)


class SweepDueIndex(GlobalSecondaryIndex["CampaignItem"]):
    class Meta:
        index_name = "sweepDue"
        projection = KeysOnlyProjection()

    sweep = UnicodeAttribute(hash_key=True)
    expiresEpoch = NumberAttribute(range_key=True)


class CampaignItem(Model):
    class Meta:
        table_name = "coupons"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    code = UnicodeAttribute()
    discountType = UnicodeAttribute()
    value = NumberAttribute()
    totalQuantity = NumberAttribute()
    issuedCount = NumberAttribute(default=0)
    minOrderAmount = NumberAttribute(default=0)
    expiresAt = UnicodeAttribute()
    expiresEpoch = NumberAttribute()
    createdAt = UnicodeAttribute()
    listKey = UnicodeAttribute(default=LIST_KEY)
    listSort = UnicodeAttribute()
    sweep = UnicodeAttribute(null=True)

    campaigns = CampaignsIndex()
    sweep_due = SweepDueIndex()


class ByCouponId(LocalSecondaryIndex["CouponItem"]):
    class Meta:
        index_name = "byCouponId"
        projection = AllProjection()

    pk = UnicodeAttribute(hash_key=True)
    couponId = UnicodeAttribute(range_key=True)


class ByCampaign(GlobalSecondaryIndex["CouponItem"]):
    class Meta:
        index_name = "byCampaign"
        projection = KeysOnlyProjection()

    code = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute(range_key=True)


class CouponItem(Model):
    class Meta:
        table_name = "coupons"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    couponId = UnicodeAttribute()
    userId = UnicodeAttribute()
    code = UnicodeAttribute()
    discountType = UnicodeAttribute()
    value = NumberAttribute()
    minOrderAmount = NumberAttribute(default=0)
    expiresAt = UnicodeAttribute()
    expiresEpoch = NumberAttribute()
    status = UnicodeAttribute()
    reservedBy = UnicodeAttribute(null=True)
    issuedAt = UnicodeAttribute()
    updatedAt = UnicodeAttribute()
    purgeAt = NumberAttribute()

    by_coupon_id = ByCouponId()
    by_campaign = ByCampaign()


class HoldItem(Model):
    class Meta:
        table_name = "coupons"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    orderId = UnicodeAttribute()
    userId = UnicodeAttribute(default="")
    couponId = UnicodeAttribute()
    outcome = UnicodeAttribute()
    createdAt = UnicodeAttribute()
    couponCode = UnicodeAttribute(null=True)
    discount = NumberAttribute(default=0)
    reason = UnicodeAttribute(null=True)
    couponExpiresEpoch = NumberAttribute(null=True)
    purgeAt = NumberAttribute()


def to_campaign(item: CampaignItem) -> Campaign:
    return Campaign(
        code=item.code,
        discount_type=item.discountType,
        value=int(item.value),
        total_quantity=int(item.totalQuantity),
        issued_count=int(item.issuedCount or 0),
        min_order_amount=int(item.minOrderAmount or 0),
        expires_at=int(item.expiresEpoch),
        created_at=item.createdAt,
    )


def to_coupon(item: CouponItem) -> Coupon:
    return Coupon(
        coupon_id=item.couponId,
        user_id=item.userId,
        code=item.code,
        discount_type=item.discountType,
        value=int(item.value),
        min_order_amount=int(item.minOrderAmount or 0),
        expires_at=int(item.expiresEpoch),
        status=CouponStatus(item.status),
        issued_at=item.issuedAt,
        updated_at=item.updatedAt,
        reserved_by=item.reservedBy,
    )


# A hold's state as the table stores it (``outcome``): an order that ended first is CLOSED there.
STORED_OUTCOMES = {HoldState.RESERVED: "RESERVED", HoldState.REJECTED: "REJECTED", HoldState.RELEASED: "CLOSED"}
HOLD_STATES = {stored: state for state, stored in STORED_OUTCOMES.items()}


def to_hold(item: HoldItem) -> CouponHold:
    return CouponHold(
        order_id=item.orderId,
        user_id=item.userId or "",
        coupon_id=item.couponId,
        state=HOLD_STATES[item.outcome],
        created_at=item.createdAt,
        code=item.couponCode,
        discount=int(item.discount or 0),
        reason=RejectReason(item.reason) if item.reason else None,
        coupon_expires_at=int(item.couponExpiresEpoch) if item.couponExpiresEpoch is not None else None,
    )


def coupon_item(coupon: Coupon) -> CouponItem:
    return CouponItem(
        pk=user_pk(coupon.user_id),
        sk=coupon_sk(coupon.code),
        couponId=coupon.coupon_id,
        userId=coupon.user_id,
        code=coupon.code,
        discountType=coupon.discount_type,
        value=coupon.value,
        minOrderAmount=coupon.min_order_amount,
        expiresAt=iso_from_epoch(coupon.expires_at),
        expiresEpoch=coupon.expires_at,
        status=coupon.status.value,
        reservedBy=coupon.reserved_by,
        issuedAt=coupon.issued_at,
        updatedAt=coupon.updated_at,
        purgeAt=coupon.expires_at + RETENTION_SECONDS,
    )


def hold_item(hold: CouponHold) -> HoldItem:
    keep_from = max(int(datetime.fromisoformat(hold.created_at).timestamp()), hold.coupon_expires_at or 0)
    return HoldItem(
        pk=hold_pk(hold.order_id),
        sk=HOLD_SK,
        orderId=hold.order_id,
        userId=hold.user_id,
        couponId=hold.coupon_id,
        outcome=STORED_OUTCOMES[hold.state],
        createdAt=hold.created_at,
        couponCode=hold.code,
        discount=hold.discount,
        reason=hold.reason.value if hold.reason else None,
        couponExpiresEpoch=hold.coupon_expires_at,
        purgeAt=keep_from + RETENTION_SECONDS,
    )


def is_condition_failure(exc: PutError | UpdateError) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


class CouponsTable:
    """The coupons table, for each job's store: its name set on every item model, one connection."""

    def __init__(self, table_name: str) -> None:
        for model in (CampaignItem, CouponItem, HoldItem):
            model.Meta.table_name = table_name
        self._table = table_name
        self._connection = Connection()
