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

Each job has its module: ``items`` (the item models and keys), ``campaigns`` (admin), ``issue`` (the rush and a
customer's coupons), ``holds`` (the order saga), ``sweep`` (expiry)."""

from __future__ import annotations

from buynest.coupons.store.campaigns import CampaignStore
from buynest.coupons.store.holds import HoldStore
from buynest.coupons.store.issue import IssueStore
from buynest.coupons.store.sweep import SweepStore

__all__ = ["DynamoCouponRepository"]


class DynamoCouponRepository(CampaignStore, IssueStore, HoldStore, SweepStore):
    """CouponRepository on DynamoDB: the issue is one TransactWriteItems (count + coupon), reservations are a
    transaction (coupon + the order's hold), and every status change is conditioned on the state it leaves."""
