"""Builds the notifications service from the environment, once per container (tests may install their own)."""

from __future__ import annotations

from dataclasses import dataclass

from buynest.core.config import env_str
from buynest.core.lazy import Lazy
from buynest.notifications.service import NotificationService


@dataclass(frozen=True)
class NotificationsSettings:
    notifications_table: str
    mail_sender: str

    @classmethod
    def from_env(cls) -> NotificationsSettings:
        return cls(notifications_table=env_str("NOTIFICATIONS_TABLE"), mail_sender=env_str("MAIL_SENDER"))


def _build_notification_service() -> NotificationService:
    from buynest.notifications.mailer import SesMailer
    from buynest.notifications.store import DynamoNotificationStore

    settings = NotificationsSettings.from_env()
    return NotificationService(DynamoNotificationStore(settings.notifications_table), SesMailer(settings.mail_sender))


notification_service = Lazy(_build_notification_service)
set_notification_service = notification_service.set
