"""Campaigns, for admins: create (the code is unique by condition), read, list newest first."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, PutError

from buynest.core.pagination import decode_cursor, encode_cursor
from buynest.coupons.domain import (
    Campaign,
    CodeTaken,
    iso_from_epoch,
)
from buynest.coupons.store.items import (
    CAMPAIGN_SK,
    LIST_KEY,
    SWEEP_DUE,
    CampaignItem,
    CouponsTable,
    campaign_pk,
    is_condition_failure,
    to_campaign,
)


class CampaignStore(CouponsTable):
    """The admin's campaigns."""

    CAMPAIGN_LIST_KEYS = frozenset({"pk", "sk", "listKey", "listSort"})

    def create_campaign(self, campaign: Campaign) -> None:
        item = CampaignItem(
            pk=campaign_pk(campaign.code),
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
            if is_condition_failure(exc):
                raise CodeTaken(f"coupon code {campaign.code} is already taken") from exc
            raise

    def get_campaign(self, code: str, consistent: bool = True) -> Campaign | None:
        try:
            return to_campaign(CampaignItem.get(campaign_pk(code), CAMPAIGN_SK, consistent_read=consistent))
        except DoesNotExist:
            return None

    def list_campaigns(self, limit: int, cursor: str | None) -> tuple[list[Campaign], str | None]:
        start = decode_cursor(cursor, self.CAMPAIGN_LIST_KEYS, {"listKey": LIST_KEY, "sk": CAMPAIGN_SK})
        results = CampaignItem.campaigns.query(
            LIST_KEY, scan_index_forward=False, limit=limit, last_evaluated_key=start
        )
        order = [item.pk for item in results]
        found = {item.pk: item for item in CampaignItem.batch_get([(pk, CAMPAIGN_SK) for pk in order])}
        campaigns = [to_campaign(found[pk]) for pk in order if pk in found]
        return campaigns, encode_cursor(results.last_evaluated_key)
