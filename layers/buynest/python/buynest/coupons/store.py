"""The coupons table (pynamodb). One table, three item kinds keyed by ``pk``/``sk``:

* ``CAMPAIGN#<code>`` / ``CAMPAIGN``: a campaign and its ``issuedCount``. The ``campaigns`` index (newest first)
  and the sparse ``sweepDue`` index (expired campaigns the sweep has not finished) are keys-only, so the rush's
  ``issuedCount`` updates never write to them.
* ``USER#<userId>`` / ``COUPON#<code>``: a customer's coupon; the key itself is the one-per-customer guard. The
  ``byCouponId`` local index finds a coupon by id with a strongly consistent read and lists a customer's coupons
  newest first; the keys-only ``byCampaign`` index (``code``, ``status``) lets the sweep find ISSUED coupons.
* ``ORDER#<orderId>`` / ``COUPON``: the answer given to an order (``CouponHold``).

A campaign holds its count in one item, so a rush is bounded by that item's write rate (about 500 issues a second
on DynamoDB, each issue being a two-item transaction): exactness is bought with that ceiling.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection, LocalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from buynest.core.dynamo import CONDITION_FAILED, RETRYABLE_ERRORS, RETRYABLE_REASONS, reason_codes
from buynest.core.hold import HoldState
from buynest.core.pagination import decode_cursor, encode_cursor
from buynest.coupons.domain import (
    AlreadyIssued,
    Campaign,
    CodeTaken,
    Coupon,
    CouponChanged,
    CouponError,
    CouponHold,
    CouponNotFound,
    CouponStatus,
    IssueContention,
    RejectReason,
    iso_from_epoch,
)

CAMPAIGN_SK = "CAMPAIGN"
HOLD_SK = "COUPON"
LIST_KEY = "CAMPAIGN"
SWEEP_DUE = "DUE"
SWEEP_PAGE = 100
RETENTION_SECONDS = 30 * 24 * 3600


def _campaign_pk(code: str) -> str:
    return f"CAMPAIGN#{code}"


def _user_pk(user_id: str) -> str:
    return f"USER#{user_id}"


def _coupon_sk(code: str) -> str:
    return f"COUPON#{code}"


def _hold_pk(order_id: str) -> str:
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


def _to_campaign(item: CampaignItem) -> Campaign:
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


def _to_coupon(item: CouponItem) -> Coupon:
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
_STORED_OUTCOMES = {HoldState.RESERVED: "RESERVED", HoldState.REJECTED: "REJECTED", HoldState.RELEASED: "CLOSED"}
_HOLD_STATES = {stored: state for state, stored in _STORED_OUTCOMES.items()}


def _to_hold(item: HoldItem) -> CouponHold:
    return CouponHold(
        order_id=item.orderId,
        user_id=item.userId or "",
        coupon_id=item.couponId,
        state=_HOLD_STATES[item.outcome],
        created_at=item.createdAt,
        code=item.couponCode,
        discount=int(item.discount or 0),
        reason=RejectReason(item.reason) if item.reason else None,
        coupon_expires_at=int(item.couponExpiresEpoch) if item.couponExpiresEpoch is not None else None,
    )


def _coupon_item(coupon: Coupon) -> CouponItem:
    return CouponItem(
        pk=_user_pk(coupon.user_id),
        sk=_coupon_sk(coupon.code),
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


def _hold_item(hold: CouponHold) -> HoldItem:
    keep_from = max(int(datetime.fromisoformat(hold.created_at).timestamp()), hold.coupon_expires_at or 0)
    return HoldItem(
        pk=_hold_pk(hold.order_id),
        sk=HOLD_SK,
        orderId=hold.order_id,
        userId=hold.user_id,
        couponId=hold.coupon_id,
        outcome=_STORED_OUTCOMES[hold.state],
        createdAt=hold.created_at,
        couponCode=hold.code,
        discount=hold.discount,
        reason=hold.reason.value if hold.reason else None,
        couponExpiresEpoch=hold.coupon_expires_at,
        purgeAt=keep_from + RETENTION_SECONDS,
    )


def _is_condition_failure(exc: PutError | UpdateError) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


def _checked_cursor(cursor: str | None, key_names: frozenset[str], fixed: dict[str, str]) -> dict[str, Any] | None:
    """A decoded cursor whose fixed key parts match this list (a cursor of another list or customer is a 400, not
    a database error)."""
    return decode_cursor(cursor, key_names, fixed)


class DynamoCouponRepository:
    """CouponRepository on DynamoDB: the issue is one TransactWriteItems (count + coupon), reservations are a
    transaction (coupon + the order's hold), and every status change is conditioned on the state it leaves."""

    CAMPAIGN_LIST_KEYS = frozenset({"pk", "sk", "listKey", "listSort"})
    COUPON_LIST_KEYS = frozenset({"pk", "sk", "couponId"})

    def __init__(self, table_name: str) -> None:
        for model in (CampaignItem, CouponItem, HoldItem):
            model.Meta.table_name = table_name
        self._table = table_name
        self._connection = Connection()

    def create_campaign(self, campaign: Campaign) -> None:
        item = CampaignItem(
            pk=_campaign_pk(campaign.code),
            sk=CAMPAIGN_SK,
            code=campaign.code,
            discountType=campaign.discount_type,
            value=campaign.value,
            totalQuantity=campaign.total_quantity,
            issuedCount=campaign.issued_count,
            minOrderAmount=campaign.min_order_amount,
            expiresAt=iso_from_epoch(campaign.expires_at),
            expiresEpoch=campaign.expires_at,
            createdAt=campaign.created_at,
            listKey=LIST_KEY,
            listSort=f"{campaign.created_at}#{campaign.code}",
            sweep=SWEEP_DUE,
        )
        try:
            item.save(condition=CampaignItem.pk.does_not_exist())
        except PutError as exc:
            if _is_condition_failure(exc):
                raise CodeTaken(f"coupon code {campaign.code} is already taken") from exc
            raise

    def get_campaign(self, code: str, consistent: bool = True) -> Campaign | None:
        try:
            return _to_campaign(CampaignItem.get(_campaign_pk(code), CAMPAIGN_SK, consistent_read=consistent))
        except DoesNotExist:
            return None

    def list_campaigns(self, limit: int, cursor: str | None) -> tuple[list[Campaign], str | None]:
        start = _checked_cursor(cursor, self.CAMPAIGN_LIST_KEYS, {"listKey": LIST_KEY, "sk": CAMPAIGN_SK})
        results = CampaignItem.campaigns.query(
            LIST_KEY, scan_index_forward=False, limit=limit, last_evaluated_key=start
        )
        order = [item.pk for item in results]
        found = {item.pk: item for item in CampaignItem.batch_get([(pk, CAMPAIGN_SK) for pk in order])}
        campaigns = [_to_campaign(found[pk]) for pk in order if pk in found]
        return campaigns, encode_cursor(results.last_evaluated_key)

    def peek_issue(self, code: str, user_id: str, consistent: bool) -> tuple[Campaign | None, bool]:
        """One BatchGetItem for both items; a key it leaves unprocessed reads as unseen (the transaction decides)."""
        campaign_key = {"pk": {"S": _campaign_pk(code)}, "sk": {"S": CAMPAIGN_SK}}
        coupon_key = {"pk": {"S": _user_pk(user_id)}, "sk": {"S": _coupon_sk(code)}}
        client: Any = self._connection.client
        response = client.batch_get_item(
            RequestItems={self._table: {"Keys": [campaign_key, coupon_key], "ConsistentRead": consistent}}
        )
        campaign, held = None, False
        for raw in response.get("Responses", {}).get(self._table, []):
            if raw["pk"]["S"].startswith("CAMPAIGN#"):
                campaign = _to_campaign(CampaignItem.from_raw_data(raw))
            else:
                held = True
        return campaign, held

    def issue(self, coupon: Coupon, now: int) -> None:
        campaign = CampaignItem(pk=_campaign_pk(coupon.code), sk=CAMPAIGN_SK)
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(_coupon_item(coupon), condition=CouponItem.pk.does_not_exist())
                tx.update(
                    campaign,
                    actions=[CampaignItem.issuedCount.add(1)],
                    condition=CampaignItem.pk.exists()
                    & (CampaignItem.issuedCount < CampaignItem.totalQuantity)
                    & (CampaignItem.expiresEpoch > now),
                    return_values="ALL_OLD",
                )
        except TransactWriteError as exc:
            refusal = self._issue_refusal(exc, coupon.code, now)
            if refusal is None:
                raise
            raise refusal from exc

    @staticmethod
    def _issue_refusal(exc: TransactWriteError, code: str, now: int) -> CouponError | None:
        """What a cancelled issue means, from its reasons (items in pynamodb's order: the put, then the update)."""
        if exc.cause_response_code in RETRYABLE_ERRORS:
            return IssueContention(f"issue of {code} was not applied: {exc.cause_response_code}")
        coupon_reason, campaign_reason = reason_codes(exc, 2)
        if coupon_reason == CONDITION_FAILED:
            return AlreadyIssued(f"you already have coupon {code}")
        if campaign_reason == CONDITION_FAILED:
            reasons = exc.cancellation_reasons
            raw = reasons[1].raw_item if len(reasons) > 1 and reasons[1] else None
            if not raw:
                return CouponNotFound(f"coupon {code} does not exist")
            refusal = _to_campaign(CampaignItem.from_raw_data(raw)).refusal(now)
            return refusal or IssueContention(f"campaign {code} changed during the issue")
        if coupon_reason in RETRYABLE_REASONS or campaign_reason in RETRYABLE_REASONS:
            return IssueContention(f"issue of {code} lost a conflict")
        return None

    def list_coupons(self, user_id: str, limit: int, cursor: str | None) -> tuple[list[Coupon], str | None]:
        pk = _user_pk(user_id)
        start = _checked_cursor(cursor, self.COUPON_LIST_KEYS, {"pk": pk})
        results = CouponItem.by_coupon_id.query(
            pk, scan_index_forward=False, limit=limit, last_evaluated_key=start, consistent_read=True
        )
        coupons = [_to_coupon(item) for item in results]
        return coupons, encode_cursor(results.last_evaluated_key)

    def find_coupon(self, user_id: str, coupon_id: str) -> Coupon | None:
        results = CouponItem.by_coupon_id.query(
            _user_pk(user_id), CouponItem.couponId == coupon_id, consistent_read=True, limit=1
        )
        return next((_to_coupon(item) for item in results), None)

    def get_hold(self, order_id: str) -> CouponHold | None:
        try:
            return _to_hold(HoldItem.get(_hold_pk(order_id), HOLD_SK, consistent_read=True))
        except DoesNotExist:
            return None

    def save_hold(self, hold: CouponHold) -> CouponHold:
        try:
            _hold_item(hold).save(condition=HoldItem.pk.does_not_exist())
        except PutError as exc:
            if not _is_condition_failure(exc):
                raise
            stored = self.get_hold(hold.order_id)
            if stored is None:
                raise
            return stored
        return hold

    def reserve(self, hold: CouponHold, now: int, updated_at: str) -> CouponHold:
        coupon = CouponItem(pk=_user_pk(hold.user_id), sk=_coupon_sk(hold.code or ""))
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(_hold_item(hold), condition=HoldItem.pk.does_not_exist())
                tx.update(
                    coupon,
                    actions=[
                        CouponItem.status.set(CouponStatus.RESERVED.value),
                        CouponItem.reservedBy.set(hold.order_id),
                        CouponItem.updatedAt.set(updated_at),
                    ],
                    condition=(CouponItem.couponId == hold.coupon_id)
                    & (CouponItem.status == CouponStatus.ISSUED.value)
                    & (CouponItem.expiresEpoch > now),
                )
        except TransactWriteError as exc:
            hold_reason, coupon_reason = reason_codes(exc, 2)
            if hold_reason == CONDITION_FAILED:
                stored = self.get_hold(hold.order_id)
                if stored is not None:
                    return stored
            retryable = exc.cause_response_code in RETRYABLE_ERRORS or bool(
                {hold_reason, coupon_reason} & RETRYABLE_REASONS
            )
            if coupon_reason == CONDITION_FAILED or retryable:
                raise CouponChanged(f"coupon {hold.coupon_id} changed while reserving it") from exc
            raise
        return hold

    def mark_used(self, hold: CouponHold, updated_at: str) -> bool:
        return self._move(
            hold,
            [CouponItem.status.set(CouponStatus.USED.value), CouponItem.updatedAt.set(updated_at)],
            (CouponItem.status == CouponStatus.RESERVED.value) & (CouponItem.reservedBy == hold.order_id),
        )

    def release(self, hold: CouponHold, to_status: CouponStatus, include_used: bool, updated_at: str) -> bool:
        held = [CouponStatus.RESERVED.value, CouponStatus.USED.value] if include_used else [CouponStatus.RESERVED.value]
        return self._move(
            hold,
            [
                CouponItem.status.set(to_status.value),
                CouponItem.reservedBy.remove(),
                CouponItem.updatedAt.set(updated_at),
            ],
            CouponItem.status.is_in(*held) & (CouponItem.reservedBy == hold.order_id),
        )

    def _move(self, hold: CouponHold, actions: list[Any], condition: Condition) -> bool:
        item = CouponItem(pk=_user_pk(hold.user_id), sk=_coupon_sk(hold.code or ""))
        try:
            item.update(actions=actions, condition=condition & (CouponItem.couponId == hold.coupon_id))
        except UpdateError as exc:
            if _is_condition_failure(exc):
                return False
            raise
        return True

    def campaigns_due_for_sweep(self, now: int) -> list[str]:
        results = CampaignItem.sweep_due.query(SWEEP_DUE, CampaignItem.expiresEpoch <= now)
        return [item.pk.removeprefix("CAMPAIGN#") for item in results]

    def issued_coupon_owners(self, code: str, cursor: Any) -> tuple[list[str], Any]:
        results = CouponItem.by_campaign.query(
            code, CouponItem.status == CouponStatus.ISSUED.value, limit=SWEEP_PAGE, last_evaluated_key=cursor
        )
        owners = [item.pk.removeprefix("USER#") for item in results]
        return owners, results.last_evaluated_key

    def expire_coupon(self, user_id: str, code: str, now: int, updated_at: str) -> bool:
        item = CouponItem(pk=_user_pk(user_id), sk=_coupon_sk(code))
        try:
            item.update(
                actions=[CouponItem.status.set(CouponStatus.EXPIRED.value), CouponItem.updatedAt.set(updated_at)],
                condition=(CouponItem.status == CouponStatus.ISSUED.value) & (CouponItem.expiresEpoch <= now),
            )
        except UpdateError as exc:
            if _is_condition_failure(exc):
                return False
            raise
        return True

    def finish_sweep(self, code: str) -> None:
        try:
            CampaignItem(pk=_campaign_pk(code), sk=CAMPAIGN_SK).update(
                actions=[CampaignItem.sweep.remove()], condition=CampaignItem.pk.exists()
            )
        except UpdateError as exc:
            if not _is_condition_failure(exc):
                raise
