"""In-memory fakes for the coupons service: a repository with the DynamoDB adapter's conditions, a publisher that
keeps what it was given, and builders of the events the consumer receives."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from buynest.core.errors import InvalidInput
from buynest.core.events import EventEnvelope, EventPublishError
from buynest.core.pagination import decode_cursor, encode_cursor
from buynest.coupons.domain import (
    AlreadyIssued,
    Campaign,
    CodeTaken,
    Coupon,
    CouponChanged,
    CouponHold,
    CouponNotFound,
    CouponStatus,
    IssueContention,
)


class FakeCouponRepository:
    """CouponRepository in memory. ``contention`` makes the next N issues lose a transaction conflict;
    ``stale_peek`` makes the cheap read miss the campaign (as an eventually consistent read may)."""

    CAMPAIGN_KEYS = frozenset({"pk", "sk", "listKey", "listSort"})
    COUPON_KEYS = frozenset({"pk", "sk", "couponId"})
    SWEEP_PAGE = 2

    def __init__(self) -> None:
        self.campaigns: dict[str, Campaign] = {}
        self.coupons: dict[tuple[str, str], Coupon] = {}
        self.holds: dict[str, CouponHold] = {}
        self.sweep_due: set[str] = set()
        self.contention = 0
        self.stale_peek = False
        self.issue_attempts = 0
        self._lock = threading.Lock()

    def create_campaign(self, campaign: Campaign) -> None:
        with self._lock:
            if campaign.code in self.campaigns:
                raise CodeTaken(f"coupon code {campaign.code} is already taken")
            self.campaigns[campaign.code] = campaign
            self.sweep_due.add(campaign.code)

    def get_campaign(self, code: str, consistent: bool = True) -> Campaign | None:
        return self.campaigns.get(code)

    def list_campaigns(self, limit: int, cursor: str | None) -> tuple[list[Campaign], str | None]:
        rows = sorted(self.campaigns.values(), key=lambda c: (c.created_at, c.code), reverse=True)
        start = decode_cursor(cursor, self.CAMPAIGN_KEYS)
        if start:
            rows = [c for c in rows if f"{c.created_at}#{c.code}" < start["listSort"]["S"]]
        chunk, more = rows[:limit], len(rows) > limit
        last = chunk[-1] if chunk and more else None
        key = (
            {
                "pk": {"S": f"CAMPAIGN#{last.code}"},
                "sk": {"S": "CAMPAIGN"},
                "listKey": {"S": "CAMPAIGN"},
                "listSort": {"S": f"{last.created_at}#{last.code}"},
            }
            if last
            else None
        )
        return chunk, encode_cursor(key)

    def peek_issue(self, code: str, user_id: str, consistent: bool) -> tuple[Campaign | None, bool]:
        campaign = None if self.stale_peek and not consistent else self.campaigns.get(code)
        return campaign, (user_id, code) in self.coupons

    def issue(self, coupon: Coupon, now: int) -> None:
        with self._lock:
            self.issue_attempts += 1
            if self.contention > 0:
                self.contention -= 1
                raise IssueContention("lost a conflict")
            if (coupon.user_id, coupon.code) in self.coupons:
                raise AlreadyIssued(f"you already have coupon {coupon.code}")
            campaign = self.campaigns.get(coupon.code)
            if campaign is None:
                raise CouponNotFound(f"coupon {coupon.code} does not exist")
            refusal = campaign.refusal(now)
            if refusal is not None:
                raise refusal
            self.campaigns[coupon.code] = replace(campaign, issued_count=campaign.issued_count + 1)
            self.coupons[(coupon.user_id, coupon.code)] = coupon

    def list_coupons(self, user_id: str, limit: int, cursor: str | None) -> tuple[list[Coupon], str | None]:
        rows = sorted((c for c in self.coupons.values() if c.user_id == user_id), key=lambda c: c.coupon_id)[::-1]
        start = decode_cursor(cursor, self.COUPON_KEYS)
        if start:
            if start["pk"]["S"] != f"USER#{user_id}":
                raise InvalidInput("cursor: is not a cursor returned by this list")
            rows = [c for c in rows if c.coupon_id < start["couponId"]["S"]]
        chunk, more = rows[:limit], len(rows) > limit
        last = chunk[-1] if chunk and more else None
        key = (
            {"pk": {"S": f"USER#{user_id}"}, "sk": {"S": f"COUPON#{last.code}"}, "couponId": {"S": last.coupon_id}}
            if last
            else None
        )
        return chunk, encode_cursor(key)

    def find_coupon(self, user_id: str, coupon_id: str) -> Coupon | None:
        return next(
            (c for c in self.coupons.values() if c.user_id == user_id and c.coupon_id == coupon_id),
            None,
        )

    def get_hold(self, order_id: str) -> CouponHold | None:
        return self.holds.get(order_id)

    def save_hold(self, hold: CouponHold) -> CouponHold:
        return self.holds.setdefault(hold.order_id, hold)

    def reserve(self, hold: CouponHold, now: int, updated_at: str) -> CouponHold:
        if hold.order_id in self.holds:
            return self.holds[hold.order_id]
        key = (hold.user_id, hold.code or "")
        coupon = self.coupons.get(key)
        if (
            coupon is None
            or coupon.coupon_id != hold.coupon_id
            or coupon.status != CouponStatus.ISSUED
            or coupon.is_expired(now)
        ):
            raise CouponChanged("coupon changed")
        self.coupons[key] = coupon.with_status(CouponStatus.RESERVED, updated_at, hold.order_id)
        self.holds[hold.order_id] = hold
        return hold

    def mark_used(self, hold: CouponHold, updated_at: str) -> bool:
        return self._move(hold, (CouponStatus.RESERVED,), CouponStatus.USED, hold.order_id, updated_at)

    def release(self, hold: CouponHold, to_status: CouponStatus, include_used: bool, updated_at: str) -> bool:
        held = (CouponStatus.RESERVED, CouponStatus.USED) if include_used else (CouponStatus.RESERVED,)
        return self._move(hold, held, to_status, None, updated_at)

    def _move(
        self,
        hold: CouponHold,
        held: tuple[CouponStatus, ...],
        to: CouponStatus,
        reserved_by: str | None,
        updated_at: str,
    ) -> bool:
        key = (hold.user_id, hold.code or "")
        coupon = self.coupons.get(key)
        if coupon is None or coupon.status not in held or coupon.reserved_by != hold.order_id:
            return False
        self.coupons[key] = coupon.with_status(to, updated_at, reserved_by)
        return True

    def campaigns_due_for_sweep(self, now: int) -> list[str]:
        return sorted(code for code in self.sweep_due if self.campaigns[code].expires_at <= now)

    def issued_coupon_owners(self, code: str, cursor: Any) -> tuple[list[str], Any]:
        owners = sorted(
            u
            for (u, c), coupon in self.coupons.items()
            if c == code and coupon.status == CouponStatus.ISSUED and (cursor is None or u > cursor)
        )
        page = owners[: self.SWEEP_PAGE]
        return page, (page[-1] if len(owners) > self.SWEEP_PAGE else None)

    def expire_coupon(self, user_id: str, code: str, now: int, updated_at: str) -> bool:
        coupon = self.coupons.get((user_id, code))
        if coupon is None or coupon.status != CouponStatus.ISSUED or not coupon.is_expired(now):
            return False
        self.coupons[(user_id, code)] = coupon.with_status(CouponStatus.EXPIRED, updated_at, None)
        return True

    def finish_sweep(self, code: str) -> None:
        self.sweep_due.discard(code)


class FakePublisher:
    """EventPublisher that keeps every entry; ``fail_next`` makes the next publish raise, as the bus may."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self.fail_next = False

    def publish(self, entries: Sequence[Mapping[str, Any]]) -> None:
        if self.fail_next:
            self.fail_next = False
            raise EventPublishError("bus unavailable")
        self.entries.extend(dict(e) for e in entries)

    def published(self, detail_type: str | None = None) -> list[tuple[str, EventEnvelope[dict[str, Any]]]]:
        """(detail-type, validated envelope) of each entry, optionally of one detail-type."""
        return [
            (e["DetailType"], EventEnvelope[dict[str, Any]].model_validate_json(e["Detail"]))
            for e in self.entries
            if detail_type is None or e["DetailType"] == detail_type
        ]


def bus_event(
    detail_type: str,
    data: Mapping[str, Any],
    *,
    source: str = "buynest.orders",
    correlation_id: str = "corr-1",
    event_id: str | None = None,
) -> dict[str, Any]:
    """An event as an EventBridge rule delivers it to its SQS target (the body of the SQS message)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": "000000000000",
        "time": "2026-11-27T10:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "metadata": {
                "eventId": event_id or str(uuid.uuid4()),
                "eventVersion": 1,
                "correlationId": correlation_id,
                "occurredAt": "2026-11-27T10:00:00Z",
            },
            "data": dict(data),
        },
    }


def sqs_event(*bodies: Mapping[str, Any] | str) -> dict[str, Any]:
    """An SQS event as Lambda receives it, one record per body (a dict is sent as JSON, a str as is)."""
    records = []
    for i, body in enumerate(bodies):
        records.append(
            {
                "messageId": f"msg-{i}-{uuid.uuid4()}",
                "receiptHandle": f"handle-{i}",
                "body": body if isinstance(body, str) else json.dumps(body),
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1764237600000",
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": "1764237600000",
                },
                "messageAttributes": {},
                "md5OfBody": "0" * 32,
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:coupons-order-events",
                "awsRegion": "us-east-1",
            }
        )
    return {"Records": records}
