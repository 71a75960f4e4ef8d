"""Notifications against moto (its DynamoDB table from template.yaml, SES with the sender verified): events as the
queue delivers them, through the consumer, to the emails SES has sent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from buynest.notifications.runtime import set_notification_service
from tests.conftest import FakeContext, load_handler
from tests.integration.payments_fixtures import bus_event, serialize_dynamodb, sqs_event
from tests.integration.saga_fixtures import deliver, deliver_concurrently

SENDER = "orders@buynest.example"
on_event = load_handler("notifications/on_event")


@pytest.fixture
def ses(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("NOTIFICATIONS_TABLE", aws["tables"]["NotificationsTable"])
    monkeypatch.setenv("MAIL_SENDER", SENDER)
    serialize_dynamodb(monkeypatch)  # each request atomic, as on DynamoDB (moto's conditional put is not)
    client = boto3.client("ses", region_name="us-east-1")
    client.verify_email_identity(EmailAddress=SENDER)
    set_notification_service(None)
    yield client
    set_notification_service(None)


def sent(ses: Any) -> int:
    return int(ses.get_send_quota()["SentLast24Hours"])


SIGNED_UP = bus_event(
    "UserSignedUp", {"userId": "u1", "email": "kim@example.com", "name": "Kim Minji"}, source="buynest.users"
)
CONFIRMED = bus_event(
    "OrderConfirmed",
    {
        "orderId": "O1",
        "userId": "u1",
        "items": [{"productId": "P1", "quantity": 1, "unitPrice": 45_000, "name": "Teapot"}],
        "subtotal": 45_000,
        "discount": 0,
        "pointsToUse": 0,
        "pointsUsed": 0,
        "pointsEarned": 450,
        "total": 45_000,
    },
)


def test_a_duplicate_event_sends_one_email(ses: Any) -> None:
    assert deliver(on_event, SIGNED_UP) == {"batchItemFailures": []}
    assert deliver(on_event, CONFIRMED, CONFIRMED) == {"batchItemFailures": []}
    assert deliver(on_event, CONFIRMED) == {"batchItemFailures": []}
    assert sent(ses) == 1


def test_concurrent_deliveries_send_one_email(ses: Any) -> None:
    """Guards the claim: two containers handling the same event at once must not both send."""
    deliver(on_event, SIGNED_UP)
    results = deliver_concurrently("notifications/on_event", [[CONFIRMED]] * 4)
    failed = sum(len(r["batchItemFailures"]) for r in results)
    assert sent(ses) == 1
    # a delivery that met a live claim fails (is retried later, then finds it SENT)
    assert deliver(on_event, CONFIRMED) == {"batchItemFailures": []} and failed <= 3
    assert sent(ses) == 1


def test_an_order_event_before_the_signup_is_retried_then_sent(ses: Any) -> None:
    response = on_event.handler(sqs_event(CONFIRMED), FakeContext())
    assert len(response["batchItemFailures"]) == 1 and sent(ses) == 0
    deliver(on_event, SIGNED_UP)
    assert deliver(on_event, CONFIRMED) == {"batchItemFailures": []}
    assert sent(ses) == 1
