"""Notifications: the texts of each email (KRW like ₩45,000, the customer's name, the reason in words, HTML
escaped), and the once-per-order-and-kind rule of the service on in-memory fakes."""

from __future__ import annotations

import pytest

from buynest.notifications import domain
from buynest.notifications.domain import Line, MailInProgress, Recipient, RecipientUnknown, won
from buynest.notifications.messages import EVENTS, OrderConfirmed, OrderFailed, OrderShipped, UserSignedUp
from buynest.notifications.service import LEASE_SECONDS, NotificationService, Outcome
from tests.unit.notification_fakes import FakeMailer, FakeNotificationStore

KIM = Recipient("u1", "kim@example.com", "Kim Minji")


@pytest.mark.parametrize(
    ("amount", "text"), [(45_000, "₩45,000"), (0, "₩0"), (1_234_567, "₩1,234,567"), (-500, "-₩500")]
)
def test_won(amount: int, text: str) -> None:
    assert won(amount) == text


def test_confirmation_lists_lines_total_and_points_in_the_customers_name() -> None:
    mail = domain.order_confirmed(
        KIM, "O1", [Line("Ceramic mug", 2, 12_000), Line("Linen apron", 1, 29_000)], 5_300, 2_000, 45_700, 457
    )
    assert mail.to == "kim@example.com" and "O1" in mail.subject and "confirmed" in mail.subject
    for part in (mail.text, mail.html):
        assert "Dear Kim Minji," in part
        assert "Ceramic mug x 2" in part and "₩24,000" in part and "₩29,000" in part
        assert "-₩5,300" in part and "-₩2,000" in part
        assert "₩45,700" in part and "457 points" in part
    assert mail.html.startswith("<!doctype html>") and "<table>" in mail.html


def test_failure_says_the_reason_in_words_and_that_nothing_was_charged() -> None:
    mail = domain.order_failed(KIM, "O1", "PAYMENT_DECLINED")
    assert "your card was declined" in mail.text and "Nothing was charged" in mail.text
    assert "PAYMENT_DECLINED" not in mail.text
    assert "the order could not be completed" in domain.order_failed(KIM, "O1", "SOMETHING_NEW").text


def test_cancellation_shows_the_refund_and_shipping_the_tracking() -> None:
    cancelled = domain.order_cancelled(KIM, "O1", 45_700, 2_000, 457)
    assert "Refunded to your card: ₩45,700" in cancelled.text and "Points returned: 2,000" in cancelled.text
    shipped = domain.order_shipped(KIM, "O1", "CJ Logistics", "6543-2109", "2026-12-01T09:00:00Z")
    assert "Carrier: CJ Logistics" in shipped.text and "Tracking number: 6543-2109" in shipped.text


def test_html_is_escaped_and_korean_names_are_kept() -> None:
    lee = Recipient("u2", "lee@example.com", "이서연 <b>")
    mail = domain.order_failed(lee, "O1", "OUT_OF_STOCK")
    assert "Dear 이서연 <b>," in mail.text
    assert "이서연 &lt;b&gt;" in mail.html and "<b>" not in mail.html


@pytest.fixture
def store() -> FakeNotificationStore:
    store = FakeNotificationStore()
    store.save_recipient(KIM)
    return store


class Clock:
    now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def confirmed(order_id: str = "O1") -> OrderConfirmed:
    return OrderConfirmed.model_validate(
        {
            "orderId": order_id,
            "userId": "u1",
            "items": [{"productId": "P1", "quantity": 1, "unitPrice": 45_000, "name": "Teapot"}],
            "total": 45_000,
            "pointsEarned": 450,
        }
    )


def test_a_redelivered_event_sends_one_email(store: FakeNotificationStore) -> None:
    mailer = FakeMailer()
    service = NotificationService(store, mailer)
    assert service.handle(confirmed(), "e1") == Outcome.SENT
    assert service.handle(confirmed(), "e1") == Outcome.DUPLICATE
    assert service.handle(confirmed(), "e2") == Outcome.DUPLICATE  # the same order's event re-published
    assert [m.subject for m in mailer.sent] == ["Your Buynest order O1 is confirmed"]
    assert "₩45,000" in mailer.sent[0].text
    assert store.marks["O1#CONFIRMED"]["dups"] == 2


def test_each_kind_and_order_gets_its_own_email(store: FakeNotificationStore) -> None:
    mailer = FakeMailer()
    service = NotificationService(store, mailer)
    service.handle(confirmed("O1"), "e1")
    service.handle(confirmed("O2"), "e2")
    service.handle(OrderFailed(order_id="O3", user_id="u1", reason="OUT_OF_STOCK"), "e3")
    service.handle(OrderShipped(order_id="O1", user_id="u1", carrier="CJ", tracking_number="T1"), "e4")
    assert len(mailer.sent) == 4


def test_a_failed_send_is_released_and_sent_on_the_retry(store: FakeNotificationStore) -> None:
    """Guards: a mail service error must not leave a claim that swallows the email."""
    mailer = FakeMailer(fail=1)
    service = NotificationService(store, mailer)
    with pytest.raises(ConnectionError):
        service.handle(confirmed(), "e1")
    assert service.handle(confirmed(), "e1") == Outcome.SENT
    assert len(mailer.sent) == 1


def test_a_delivery_during_the_send_is_retried_and_a_dead_senders_claim_expires(store: FakeNotificationStore) -> None:
    clock = Clock()
    mailer = FakeMailer()
    service = NotificationService(store, mailer, clock=clock)
    store.claim("O1#CONFIRMED", "e1", int(clock.now), LEASE_SECONDS)  # another delivery is sending
    with pytest.raises(MailInProgress):
        service.handle(confirmed(), "e1")
    clock.now += LEASE_SECONDS + 1  # ... and its sender died
    assert service.handle(confirmed(), "e1") == Outcome.SENT and len(mailer.sent) == 1


def test_sign_up_gives_the_address_and_an_unknown_customer_is_retried() -> None:
    store, mailer = FakeNotificationStore(), FakeMailer()
    service = NotificationService(store, mailer)
    with pytest.raises(RecipientUnknown):
        service.handle(confirmed(), "e1")
    assert store.marks == {}
    assert (
        service.handle(UserSignedUp(user_id="u1", email="kim@example.com", name="Kim"), "s1") == Outcome.RECIPIENT_SAVED
    )
    assert service.handle(confirmed(), "e1") == Outcome.SENT
    assert mailer.sent[0].to == "kim@example.com" and "Dear Kim," in mailer.sent[0].text


def test_reads_the_shipped_event_by_its_announced_shape_and_ignores_others() -> None:
    event = EVENTS.parse(
        "OrderShipped",
        {"orderId": "O1", "userId": "u1", "carrier": "CJ", "trackingNumber": "T1", "shippedAt": "2026-12-01T09:00:00Z"},
    )
    assert isinstance(event, OrderShipped) and event.tracking_number == "T1"
    assert EVENTS.parse("OrderCreated", {"orderId": "O1"}) is None
