"""In-memory fakes of the notifications service's ports: the same claim rules as the DynamoDB store, no network."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from buynest.notifications.domain import Mail, Recipient
from buynest.notifications.service import Claim


@dataclass
class FakeNotificationStore:
    recipients: dict[str, Recipient] = field(default_factory=dict)
    marks: dict[str, dict[str, Any]] = field(default_factory=dict)

    def save_recipient(self, recipient: Recipient) -> None:
        self.recipients[recipient.user_id] = recipient

    def recipient(self, user_id: str) -> Recipient | None:
        return self.recipients.get(user_id)

    def claim(self, key: str, event_id: str, now: int, lease_seconds: int) -> Claim:
        mark = self.marks.get(key)
        if mark is not None and (mark["status"] == "SENT" or mark["lease_until"] >= now):
            return Claim.SENT if mark["status"] == "SENT" else Claim.IN_PROGRESS
        self.marks[key] = {"status": "SENDING", "event_id": event_id, "lease_until": now + lease_seconds, "dups": 0}
        return Claim.CLAIMED

    def mark_sent(self, key: str, message_id: str, now: int) -> None:
        self.marks[key].update(status="SENT", message_id=message_id)

    def release(self, key: str) -> None:
        if self.marks.get(key, {}).get("status") == "SENDING":
            del self.marks[key]

    def count_duplicate(self, key: str) -> None:
        self.marks[key]["dups"] += 1


@dataclass
class FakeMailer:
    """Keeps what it sends; ``fail`` makes the next sends raise (a mail service that is down)."""

    sent: list[Mail] = field(default_factory=list)
    fail: int = 0

    def send(self, mail: Mail) -> str:
        if self.fail:
            self.fail -= 1
            raise ConnectionError("mail service unreachable")
        self.sent.append(mail)
        return f"msg-{len(self.sent)}"
