"""The first-come issue: a cheap peek, then one transaction that counts the issue on the campaign under
``issuedCount < totalQuantity`` and stores the customer's coupon (the key is the one-per-customer guard); and a
customer's coupons."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from buynest.core.dynamo import CONDITION_FAILED, RETRYABLE_ERRORS, RETRYABLE_REASONS, reason_codes
from buynest.core.pagination import decode_cursor, encode_cursor
from buynest.coupons.domain import (
    AlreadyIssued,
    Campaign,
    Coupon,
    CouponError,
    CouponNotFound,
    IssueContention,
)
from buynest.coupons.store.items import (
    CAMPAIGN_SK,
    CampaignItem,
    CouponItem,
    CouponsTable,
    campaign_pk,
    coupon_item,
    coupon_sk,
    to_campaign,
    to_coupon,
    user_pk,
)


class IssueStore(CouponsTable):
    """Issuing coupons and reading a customer's."""

    COUPON_LIST_KEYS = frozenset({"pk", "sk", "couponId"})

    def peek_issue(self, code: str, user_id: str, consistent: bool) -> tuple[Campaign | None, bool]:
        """One BatchGetItem for both items; a key it leaves unprocessed reads as unseen (the transaction decides)."""
        campaign_key = {"pk": {"S": campaign_pk(code)}, "sk": {"S": CAMPAIGN_SK}}
        coupon_key = {"pk": {"S": user_pk(user_id)}, "sk": {"S": coupon_sk(code)}}
        client: Any = self._connection.client
        response = client.batch_get_item(
            RequestItems={self._table: {"Keys": [campaign_key, coupon_key], "ConsistentRead": consistent}}
        )
        campaign, held = None, False
        for raw in response.get("Responses", {}).get(self._table, []):
            if raw["pk"]["S"].startswith("CAMPAIGN#"):
                campaign = to_campaign(CampaignItem.from_raw_data(raw))
            else:
                held = True
        return campaign, held

    def issue(self, coupon: Coupon, now: int) -> None:
        campaign = CampaignItem(pk=campaign_pk(coupon.code), sk=CAMPAIGN_SK)
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(coupon_item(coupon), condition=CouponItem.pk.does_not_exist())
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
            refusal = to_campaign(CampaignItem.from_raw_data(raw)).refusal(now)
            return refusal or IssueContention(f"campaign {code} changed during the issue")
        if coupon_reason in RETRYABLE_REASONS or campaign_reason in RETRYABLE_REASONS:
            return IssueContention(f"issue of {code} lost a conflict")
        return None

    def list_coupons(self, user_id: str, limit: int, cursor: str | None) -> tuple[list[Coupon], str | None]:
        pk = user_pk(user_id)
        start = decode_cursor(cursor, self.COUPON_LIST_KEYS, {"pk": pk})
        results = CouponItem.by_coupon_id.query(
            pk, scan_index_forward=False, limit=limit, last_evaluated_key=start, consistent_read=True
        )
        coupons = [to_coupon(item) for item in results]
        return coupons, encode_cursor(results.last_evaluated_key)

    def find_coupon(self, user_id: str, coupon_id: str) -> Coupon | None:
        results = CouponItem.by_coupon_id.query(
            user_pk(user_id), CouponItem.couponId == coupon_id, consistent_read=True, limit=1
        )
        return next((to_coupon(item) for item in results), None)
