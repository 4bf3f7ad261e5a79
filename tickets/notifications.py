"""Who hears about what happens to a ticket, through the outbox (written in the caller's transaction)."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model

from aftersales.core.outbox.services import Notification, outbox_enqueue

from .models import Ticket


def staff_for_role(role: str, ticket: Ticket) -> list:
    """The people behind a rung of the escalation ladder."""
    users = get_user_model().objects.filter(is_active=True)
    if role == "assignee":
        return [ticket.assignee] if ticket.assignee and ticket.assignee.is_active else []
    if role == "executive":
        # The top rung must reach someone: superusers, else the service managers.
        return list(users.filter(is_superuser=True).order_by("pk")) or staff_for_role("manager", ticket)
    return list(users.filter(groups__name=role).order_by("pk").distinct())


def notify_staff(*, users: Iterable, key: str, template: str, context: dict) -> None:
    """In-app for everyone, and email for those who have an address; one message per key and person."""
    notifications = []
    for user in users:
        base = {"template": template, "context": context, "language": settings.LANGUAGE_CODE}
        notifications.append(
            Notification(
                key=f"{key}:u{user.pk}:in_app",
                channel="in_app",
                recipient=user.username,
                recipient_user_id=user.pk,
                **base,
            )
        )
        if user.email:
            notifications.append(
                Notification(
                    key=f"{key}:u{user.pk}:email",
                    channel="email",
                    recipient=user.email,
                    recipient_user_id=user.pk,
                    **base,
                )
            )
    outbox_enqueue(notifications=notifications)


def notify_customer(*, ticket: Ticket, key: str, template: str, context: dict) -> None:
    """SMS to the customer's phone and email when known, in the customer's language."""
    customer = ticket.customer
    base = {"template": template, "context": context, "language": customer.language}
    notifications = [Notification(key=f"{key}:sms", channel="sms", recipient=customer.phone, **base)]
    if customer.email:
        notifications.append(Notification(key=f"{key}:email", channel="email", recipient=customer.email, **base))
    outbox_enqueue(notifications=notifications)
