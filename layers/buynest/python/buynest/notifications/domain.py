"""Notifications: what each email says, in plain Python. One ``Letter`` per kind is rendered twice, as plain text
and as HTML (escaped), so the two parts never say different things. Money is KRW, written like ``₩45,000``."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from enum import StrEnum

from buynest.core.errors import BuynestError

REASONS = {
    "OUT_OF_STOCK": "an item you ordered is out of stock",
    "COUPON_INVALID": "the coupon on the order could not be used",
    "INSUFFICIENT_POINTS": "your points balance did not cover the points you wanted to use",
    "PAYMENT_DECLINED": "your card was declined",
    "PAYMENT_ERROR": "the payment could not be processed",
    "TIMEOUT": "the order could not be completed in time",
}
UNKNOWN_REASON = "the order could not be completed"


class NotificationError(BuynestError):
    """Base of the notifications service's errors."""


class RecipientUnknown(NotificationError):
    """No ``UserSignedUp`` was seen for this customer yet: the record is retried (then dead-lettered)."""


class MailInProgress(NotificationError):
    """Another delivery of the same event is sending this email right now: the record is retried."""


class Kind(StrEnum):
    CONFIRMED = "CONFIRMED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    SHIPPED = "SHIPPED"


@dataclass(frozen=True)
class Recipient:
    user_id: str
    email: str
    name: str


@dataclass(frozen=True)
class Line:
    name: str
    quantity: int
    unit_price: int

    @property
    def total(self) -> int:
        return self.quantity * self.unit_price


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Letter:
    """An email's content: paragraphs, then an optional table of (label, value) rows, then closing paragraphs."""

    subject: str
    recipient: Recipient
    paragraphs: list[str]
    rows: list[tuple[str, str]] = field(default_factory=list)
    closing: list[str] = field(default_factory=list)

    def mail(self) -> Mail:
        greeting = f"Dear {self.recipient.name},"
        sign = "— Buynest"
        text_rows = [f"{label}: {value}" for label, value in self.rows]
        text = "\n\n".join([greeting, *self.paragraphs, *(["\n".join(text_rows)] if text_rows else []), *self.closing])
        e = html.escape
        table = (
            "<table>" + "".join(f"<tr><td>{e(k)}</td><td>{e(v)}</td></tr>" for k, v in self.rows) + "</table>"
            if self.rows
            else ""
        )
        body = "".join(f"<p>{e(p)}</p>" for p in [greeting, *self.paragraphs]) + table
        body += "".join(f"<p>{e(p)}</p>" for p in [*self.closing, sign])
        return Mail(
            to=self.recipient.email,
            subject=self.subject,
            text=f"{text}\n\n{sign}\n",
            html=f'<!doctype html><html><body style="font-family:sans-serif">{body}</body></html>',
        )


def won(amount: int) -> str:
    """KRW as shoppers read it: ``won(45000) == "₩45,000"``."""
    return f"-₩{-amount:,}" if amount < 0 else f"₩{amount:,}"


def reason_in_words(reason: str) -> str:
    return REASONS.get(reason, UNKNOWN_REASON)


def order_confirmed(
    to: Recipient,
    order_id: str,
    lines: list[Line],
    discount: int,
    points_used: int,
    total: int,
    points_earned: int,
) -> Mail:
    rows = [(f"{line.name or 'Item'} x {line.quantity}", won(line.total)) for line in lines]
    if discount:
        rows.append(("Coupon discount", won(-discount)))
    if points_used:
        rows.append(("Points used", won(-points_used)))
    rows.append(("Total charged", won(total)))
    return Letter(
        subject=f"Your Buynest order {order_id} is confirmed",
        recipient=to,
        paragraphs=[f"Thank you for your order {order_id}. It is paid and confirmed."],
        rows=rows,
        closing=[f"You earned {points_earned:,} points with this order."],
    ).mail()


def order_failed(to: Recipient, order_id: str, reason: str) -> Mail:
    return Letter(
        subject=f"Your Buynest order {order_id} could not be completed",
        recipient=to,
        paragraphs=[
            f"We are sorry: your order {order_id} could not be completed because {reason_in_words(reason)}.",
            "Nothing was charged, and any coupon or points the order held are yours again.",
        ],
    ).mail()


def order_cancelled(to: Recipient, order_id: str, refund: int, points_returned: int, points_taken_back: int) -> Mail:
    rows = [("Refunded to your card", won(refund))]
    if points_returned:
        rows.append(("Points returned", f"{points_returned:,}"))
    if points_taken_back:
        rows.append(("Points earned, taken back", f"{points_taken_back:,}"))
    return Letter(
        subject=f"Your Buynest order {order_id} is cancelled",
        recipient=to,
        paragraphs=[f"Your order {order_id} is cancelled, and we have refunded your payment."],
        rows=rows,
        closing=["The refund may take a few days to show on your card statement."],
    ).mail()


def order_shipped(to: Recipient, order_id: str, carrier: str, tracking_number: str, shipped_at: str) -> Mail:
    rows = [("Carrier", carrier), ("Tracking number", tracking_number)]
    if shipped_at:
        rows.append(("Shipped at", shipped_at))
    return Letter(
        subject=f"Your Buynest order {order_id} has shipped",
        recipient=to,
        paragraphs=[f"Good news: your order {order_id} is on its way."],
        rows=rows,
    ).mail()
