"""Coupons use cases: campaigns for admins, the first-come issue for customers and the expiry sweep (the coupon's
part in the order saga is ``coupons/saga.py``). The table's conditions decide every race; this code reads, asks,
and reports."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from buynest.core.ids import new_id
from buynest.core.observability import logger
from buynest.core.retry import Backoff
from buynest.coupons.domain import (
    AlreadyIssued,
    Campaign,
    Coupon,
    CouponHold,
    CouponNotFound,
    CouponStatus,
    IssueBusy,
    IssueContention,
    check_new_campaign,
    iso_from_epoch,
)


class CouponRepository(Protocol):
    """Port to the coupons table. Each write is conditional; a refused condition is reported as a domain error or a
    False/None result, never by a prior read in the caller."""

    def create_campaign(self, campaign: Campaign) -> None:
        """Store a new campaign; ``CodeTaken`` if the code exists."""
        ...

    def get_campaign(self, code: str, consistent: bool = True) -> Campaign | None: ...

    def list_campaigns(self, limit: int, cursor: str | None) -> tuple[list[Campaign], str | None]:
        """Newest first."""
        ...

    def peek_issue(self, code: str, user_id: str, consistent: bool) -> tuple[Campaign | None, bool]:
        """The campaign (None if unseen) and whether the customer already holds this code, in one cheap read."""
        ...

    def issue(self, coupon: Coupon, now: int) -> None:
        """Count one more issue on the campaign and store the customer's coupon, atomically. Raises
        ``AlreadyIssued``, ``SoldOut``, ``CouponExpired`` or ``CouponNotFound`` when a condition refuses, and
        ``IssueContention`` when the transaction lost a conflict (nothing changed)."""
        ...

    def list_coupons(self, user_id: str, limit: int, cursor: str | None) -> tuple[list[Coupon], str | None]:
        """A customer's coupons, newest first."""
        ...

    def find_coupon(self, user_id: str, coupon_id: str) -> Coupon | None:
        """A customer's coupon by id (a strongly consistent read); None if it is not theirs."""
        ...

    def get_hold(self, order_id: str) -> CouponHold | None: ...

    def save_hold(self, hold: CouponHold) -> CouponHold:
        """Store an answer for an order unless one exists; returns the stored one (the first answer wins)."""
        ...

    def reserve(self, hold: CouponHold, now: int, updated_at: str) -> CouponHold:
        """Move the hold's coupon ISSUED -> RESERVED (still unexpired) and store the hold, atomically. Returns the
        stored hold (another delivery's, if it got there first); ``CouponChanged`` if the coupon's state moved."""
        ...

    def mark_used(self, hold: CouponHold, updated_at: str) -> bool:
        """RESERVED by this order -> USED. False when that is not the coupon's state (a repeat, or released)."""
        ...

    def release(self, hold: CouponHold, to_status: CouponStatus, include_used: bool, updated_at: str) -> bool:
        """RESERVED (or, with ``include_used``, USED) by this order -> ``to_status``. False when it is not."""
        ...

    def campaigns_due_for_sweep(self, now: int) -> list[str]:
        """Codes of expired campaigns whose ISSUED coupons may not all be marked EXPIRED yet."""
        ...

    def issued_coupon_owners(self, code: str, cursor: Any) -> tuple[list[str], Any]:
        """One page of the user ids holding an ISSUED coupon of ``code`` (eventually consistent), and the next
        page's cursor or None."""
        ...

    def expire_coupon(self, user_id: str, code: str, now: int, updated_at: str) -> bool:
        """ISSUED and past expiry -> EXPIRED. False when the coupon is in another state."""
        ...

    def finish_sweep(self, code: str) -> None:
        """Take the campaign off the sweep's list."""
        ...


@dataclass(frozen=True)
class SweepSummary:
    expired: int
    campaigns_finished: int
    complete: bool


# A rush of customers on one campaign conflicts on its counter: up to six tries, pauses of at most 0.25 s.
ISSUE_BACKOFF = Backoff(max_attempts=6, base=0.01, cap=0.25)


class CouponService:
    """Campaigns (admin), issuing under a rush and listing a customer's coupons, and the expiry sweep."""

    def __init__(
        self,
        repo: CouponRepository,
        clock: Callable[[], float] = time.time,
        *,
        backoff: Backoff = ISSUE_BACKOFF,
    ) -> None:
        self._repo = repo
        self._clock = clock
        self._backoff = backoff

    def now(self) -> int:
        return int(self._clock())

    def create_campaign(
        self,
        code: str,
        discount_type: str,
        value: int,
        total_quantity: int,
        expires_at: int,
        min_order_amount: int,
    ) -> Campaign:
        """A new campaign; its code is unique by the table's condition (``CodeTaken``)."""
        now = self.now()
        check_new_campaign(discount_type, value, expires_at, now)
        campaign = Campaign(
            code=code,
            discount_type=discount_type,
            value=value,
            total_quantity=total_quantity,
            issued_count=0,
            min_order_amount=min_order_amount,
            expires_at=expires_at,
            created_at=iso_from_epoch(now),
        )
        self._repo.create_campaign(campaign)
        return campaign

    def get_campaign(self, code: str) -> Campaign:
        campaign = self._repo.get_campaign(code, consistent=True)
        if campaign is None:
            raise CouponNotFound(f"coupon {code} does not exist")
        return campaign

    def list_campaigns(self, limit: int, cursor: str | None) -> tuple[list[Campaign], str | None]:
        return self._repo.list_campaigns(limit, cursor)

    def issue(self, code: str, user_id: str) -> Coupon:
        """Give ``user_id`` one coupon of ``code``: one per customer, never more than the campaign's quantity.

        A cheap (eventually consistent) read answers the losers of a rush at once: both "sold out" and "already
        holds one" only ever become true, so a stale read cannot wrongly refuse. Everyone else goes through the
        transaction, which alone decides; conflicts are retried with jittered exponential backoff. If every attempt
        conflicts, a consistent re-read gives the definite answer when there is one, else 409
        ``ISSUE_CONFLICT_RETRY`` (nothing was issued; the customer may try again)."""
        campaign, held = self._repo.peek_issue(code, user_id, consistent=False)
        if held:
            raise AlreadyIssued(f"you already have coupon {code}")
        if campaign is None:
            campaign = self.get_campaign(code)
        refusal = campaign.refusal(self.now())
        if refusal is not None:
            raise refusal
        coupon = campaign.issue_to(user_id, new_id(), iso_from_epoch(self.now()))
        try:
            self._backoff.retrying(lambda: self._repo.issue(coupon, self.now()), IssueContention)
            return coupon
        except IssueContention:
            pass
        campaign, held = self._repo.peek_issue(code, user_id, consistent=True)
        if held:
            raise AlreadyIssued(f"you already have coupon {code}")
        refusal = campaign.refusal(self.now()) if campaign else None
        if refusal is not None:
            raise refusal
        logger.warning("issue gave up after conflicts", extra={"code": code, "attempts": self._backoff.max_attempts})
        raise IssueBusy(f"too many customers are claiming coupon {code} at this moment; please try again")

    def list_coupons(self, user_id: str, limit: int, cursor: str | None) -> tuple[list[Coupon], str | None]:
        return self._repo.list_coupons(user_id, limit, cursor)

    def expire_due(self, keep_going: Callable[[], bool] = lambda: True) -> SweepSummary:
        """Mark the ISSUED coupons of expired campaigns EXPIRED. A campaign leaves the sweep's list once a pass
        finds none left, so a pass interrupted by ``keep_going`` (the function's time budget) resumes next run."""
        now = self.now()
        expired = finished = 0
        for code in self._repo.campaigns_due_for_sweep(now):
            found, cursor = 0, None
            while True:
                if not keep_going():
                    return SweepSummary(expired, finished, complete=False)
                owners, cursor = self._repo.issued_coupon_owners(code, cursor)
                found += len(owners)
                for user_id in owners:
                    expired += self._repo.expire_coupon(user_id, code, now, iso_from_epoch(now))
                if cursor is None:
                    break
            if found == 0:
                self._repo.finish_sweep(code)
                finished += 1
        return SweepSummary(expired, finished, complete=True)
