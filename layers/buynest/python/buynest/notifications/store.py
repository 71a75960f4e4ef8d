"""The notifications table (pynamodb), one key ``pk``: ``user#<userId>`` is a recipient (email, name: this
service's read model of ``UserSignedUp``); ``mail#<orderId>#<kind>`` is the marker of one email (status SENDING
with a lease, then SENT with SES's message id; ``duplicates`` counts deliveries that found it SENT)."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from buynest.notifications.domain import Recipient
from buynest.notifications.service import Claim

SENDING = "SENDING"
SENT = "SENT"


class RecipientItem(Model):
    class Meta:
        table_name = "notifications"

    pk = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute()
    name = UnicodeAttribute()


class MailItem(Model):
    class Meta:
        table_name = "notifications"

    pk = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute()
    eventId = UnicodeAttribute()
    leaseUntil = NumberAttribute(default=0)
    messageId = UnicodeAttribute(null=True)
    sentAt = NumberAttribute(null=True)
    duplicates = NumberAttribute(default=0)


def _mail_key(key: str) -> str:
    return f"mail#{key}"


class DynamoNotificationStore:
    """NotificationStore on DynamoDB: the claim is a conditional put (absent, or a SENDING whose lease ran out)."""

    def __init__(self, table_name: str) -> None:
        for model in (RecipientItem, MailItem):
            model.Meta.table_name = table_name

    def save_recipient(self, recipient: Recipient) -> None:
        RecipientItem(pk=f"user#{recipient.user_id}", email=recipient.email, name=recipient.name).save()

    def recipient(self, user_id: str) -> Recipient | None:
        try:
            item = RecipientItem.get(f"user#{user_id}", consistent_read=True)
        except RecipientItem.DoesNotExist:
            return None
        return Recipient(user_id, item.email, item.name)

    def claim(self, key: str, event_id: str, now: int, lease_seconds: int) -> Claim:
        item = MailItem(pk=_mail_key(key), status=SENDING, eventId=event_id, leaseUntil=now + lease_seconds)
        try:
            item.save(
                condition=MailItem.pk.does_not_exist() | ((MailItem.status == SENDING) & (MailItem.leaseUntil < now))
            )
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            stored = MailItem.get(_mail_key(key), consistent_read=True)
            return Claim.SENT if stored.status == SENT else Claim.IN_PROGRESS
        return Claim.CLAIMED

    def mark_sent(self, key: str, message_id: str, now: int) -> None:
        MailItem(pk=_mail_key(key)).update(
            actions=[MailItem.status.set(SENT), MailItem.messageId.set(message_id), MailItem.sentAt.set(now)]
        )

    def release(self, key: str) -> None:
        MailItem(pk=_mail_key(key)).delete(condition=MailItem.status == SENDING)

    def count_duplicate(self, key: str) -> None:
        MailItem(pk=_mail_key(key)).update(actions=[MailItem.duplicates.add(1)])
