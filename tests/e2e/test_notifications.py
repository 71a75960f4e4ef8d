"""Email notifications on the local stack: a confirmed order gives its customer exactly one confirmation email, as
`make mail` reads it, even after the OrderConfirmed event is delivered again."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.e2e.conftest import Api, aws_client, wait_for

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from mail import sent_mail


def test_a_confirmed_order_sends_one_email_however_often_its_event_arrives(
    api: Api,
    admin: dict[str, Any],
    new_customer: Callable[..., dict[str, Any]],
    bus_tap: Callable[[list[str]], Any],
    outputs: dict[str, str],
) -> None:
    tap = bus_tap(["buynest.orders"])
    kim = new_customer("Kim Minji")
    product = api.post(
        "/products",
        json={"name": "Celadon teapot", "price": 45_000, "stock": 3, "category": "e2e-mail"},
        token=admin["token"],
    ).json()
    body = {
        "items": [{"productId": product["productId"], "quantity": 1}],
        "payment": {"method": "card", "token": "tok_ok"},
    }
    resp = api.post("/orders", json=body, token=kim["token"], headers={"Idempotency-Key": uuid.uuid4().hex})
    assert resp.status_code == 202, resp.text
    order_id = resp.json()["orderId"]

    # Kim signed up a second ago: on a loaded machine the OrderConfirmed can reach the notifications queue's consumer
    # before her UserSignedUp; it is then retried after the queue's 60 s visibility timeout and sent (once) then.
    mails = wait_for(lambda: sent_mail(outputs["Endpoint"], kim["email"]), timeout=100, interval=0.5, what="the email")
    [mail] = mails
    assert mail["to"] == kim["email"] and order_id in mail["subject"] and "confirmed" in mail["subject"]
    assert "Dear Kim Minji," in mail["text"] and "Celadon teapot x 1" in mail["text"] and "₩45,000" in mail["text"]
    assert "450 points" in mail["text"] and mail["sentAt"]

    # When the same OrderConfirmed is delivered again (same event id, as a redelivery carries)
    confirmed = tap.wait("OrderConfirmed", timeout=30, orderId=order_id)
    tap.put("buynest.orders", "OrderConfirmed", confirmed["detail"]["data"], confirmed["detail"]["metadata"]["eventId"])

    # Then the consumer sees it (it counts the duplicate on the email's marker) and sends nothing
    ddb = aws_client(outputs, "dynamodb")
    key = {"pk": {"S": f"mail#{order_id}#CONFIRMED"}}

    def duplicates() -> int:
        item = ddb.get_item(TableName=outputs["NotificationsTableName"], Key=key, ConsistentRead=True).get("Item")
        return int(item["duplicates"]["N"]) if item and "duplicates" in item else 0

    wait_for(lambda: duplicates() >= 1, timeout=30, interval=0.3, what="the redelivery handled")
    assert len(sent_mail(outputs["Endpoint"], kim["email"])) == 1
