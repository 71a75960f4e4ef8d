"""Notification use cases: remember where a customer's emails go (``UserSignedUp``), and send each order email once
per order and kind, however often its event is delivered.

Once: before sending, the email's marker (order id + kind) is claimed with a conditional write; it is marked SENT
after SES accepted the email. A redelivery finds it SENT and sends nothing (it is counted); one arriving while the
first is sending finds a live claim and is retried later; a claim whose sender died expires after its lease (then
the email is sent again: the one case of a second email, after a crash between SES's answer and the mark)."""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum
from typing import Protocol

from buynest.notifications import domain
from buynest.notifications.domain import Kind, Line, Mail, MailInProgress, Recipient, RecipientUnknown
from buynest.notifications.messages import (
    NotificationEvent,
    OrderCancelled,
    OrderConfirmed,
    OrderFailed,
    OrderShipped,
    UserSignedUp,
)

LEASE_SECONDS = 120


class Claim(StrEnum):
    CLAIMED = "claimed"
    SENT = "sent"
    IN_PROGRESS = "in_progress"


class Outcome(StrEnum):
    RECIPIENT_SAVED = "recipient_saved"
    SENT = "sent"
    DUPLICATE = "duplicate"


class NotificationStore(Protocol):
    """Port to the notifications table: recipients (from ``UserSignedUp``) and one marker per email sent."""

    def save_recipient(self, recipient: Recipient) -> None: ...
    def recipient(self, user_id: str) -> Recipient | None: ...
    def claim(self, key: str, event_id: str, now: int, lease_seconds: int) -> Claim: ...
    def mark_sent(self, key: str, message_id: str, now: int) -> None: ...
    def release(self, key: str) -> None: ...
    def count_duplicate(self, key: str) -> None: ...


class Mailer(Protocol):
    """Port to the mail service: sends one email (text + HTML) and returns its message id, or raises."""

    def send(self, mail: Mail) -> str: ...


def compose(event: NotificationEvent, to: Recipient) -> tuple[Kind, Mail]:
    """The email an order event asks for."""
    match event:
        case OrderConfirmed():
            lines = [Line(i.name, i.quantity, i.unit_price) for i in event.items]
            mail = domain.order_confirmed(
                to, event.order_id, lines, event.discount, event.points_used, event.total, event.points_earned
            )
            return Kind.CONFIRMED, mail
        case OrderFailed():
            return Kind.FAILED, domain.order_failed(to, event.order_id, event.reason)
        case OrderCancelled():
            return Kind.CANCELLED, domain.order_cancelled(
                to, event.order_id, event.total, event.points_used, event.points_earned
            )
        case OrderShipped():
            return Kind.SHIPPED, domain.order_shipped(
                to, event.order_id, event.carrier, event.tracking_number, event.shipped_at
            )
    raise TypeError(f"no email for {type(event).__name__}")


class NotificationService:
    def __init__(self, store: NotificationStore, mailer: Mailer, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._mailer = mailer
        self._clock = clock

    def handle(self, event: NotificationEvent, event_id: str) -> Outcome:
        """Apply one delivered event (see the module docstring). Raises ``RecipientUnknown`` or
        ``MailInProgress`` (and the mailer's errors) so that the record is retried."""
        if isinstance(event, UserSignedUp):
            self._store.save_recipient(Recipient(event.user_id, event.email, event.name or event.email))
            return Outcome.RECIPIENT_SAVED
        to = self._store.recipient(event.user_id)
        if to is None:
            raise RecipientUnknown(f"no email address known for customer {event.user_id}")
        kind, mail = compose(event, to)
        key = f"{event.order_id}#{kind.value}"
        claim = self._store.claim(key, event_id, int(self._clock()), LEASE_SECONDS)
        if claim == Claim.SENT:
            self._store.count_duplicate(key)
            return Outcome.DUPLICATE
        if claim == Claim.IN_PROGRESS:
            raise MailInProgress(f"the {kind.value} email of order {event.order_id} is being sent")
        try:
            message_id = self._mailer.send(mail)
        except Exception:
            self._store.release(key)
            raise
        self._store.mark_sent(key, message_id, int(self._clock()))
        return Outcome.SENT
