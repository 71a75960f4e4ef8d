"""The expiry sweep: expired campaigns still on the sparse ``sweepDue`` index, their ISSUED coupons page by page,
each marked EXPIRED by condition."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import UpdateError

from buynest.coupons.domain import (
    CouponStatus,
)
from buynest.coupons.store.items import (
    CAMPAIGN_SK,
    SWEEP_DUE,
    SWEEP_PAGE,
    CampaignItem,
    CouponItem,
    CouponsTable,
    campaign_pk,
    coupon_sk,
    is_condition_failure,
    user_pk,
)


class SweepStore(CouponsTable):
    """The sweep's reads and conditional writes."""

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
        item = CouponItem(pk=user_pk(user_id), sk=coupon_sk(code))
        try:
            item.update(
                actions=[CouponItem.status.set(CouponStatus.EXPIRED.value), CouponItem.updatedAt.set(updated_at)],
                condition=(CouponItem.status == CouponStatus.ISSUED.value) & (CouponItem.expiresEpoch <= now),
            )
        except UpdateError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def finish_sweep(self, code: str) -> None:
        try:
            CampaignItem(pk=campaign_pk(code), sk=CAMPAIGN_SK).update(
                actions=[CampaignItem.sweep.remove()], condition=CampaignItem.pk.exists()
            )
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise
