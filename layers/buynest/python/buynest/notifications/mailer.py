"""The Mailer adapter on Amazon SES (``SendEmail`` with a text and an HTML part, UTF-8), from the sender identity
the template declares. The client is created on first use and kept for the container's life."""

from __future__ import annotations

from typing import Any

from buynest.core.lazy import Lazy
from buynest.notifications.domain import Mail


def _build_ses_client() -> Any:
    import boto3

    return boto3.client("ses")


_ses_client = Lazy(_build_ses_client)


class SesMailer:
    def __init__(self, sender: str) -> None:
        self._sender = sender

    def send(self, mail: Mail) -> str:
        def part(data: str) -> dict[str, str]:
            return {"Data": data, "Charset": "UTF-8"}

        response = _ses_client().send_email(
            Source=self._sender,
            Destination={"ToAddresses": [mail.to]},
            Message={"Subject": part(mail.subject), "Body": {"Text": part(mail.text), "Html": part(mail.html)}},
        )
        return str(response["MessageId"])
