"""The staff inbox: the in-app notifications the system writes (a customer replied, a file was added,
a deadline is near or late), read and marked read by the person they were written for.

An in-app notification is an outbox row on the ``in_app`` channel (``core.notifications``): the row
itself is the message, so the inbox reads the outbox and never copies it. Rows appear as soon as the
transaction that wrote them commits; delivering them only stamps ``sent_at``. Nobody reads or marks
another person's inbox: every read and write here is filtered by the recipient.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from . import clock
from .models import OutboxMessage
from .outbox.rendering import render_message


@dataclass(frozen=True)
class InboxEntry:
    message: OutboxMessage
    subject: str
    body: str
    url: str

    @property
    def unread(self) -> bool:
        return self.message.read_at is None


def inbox_messages(user) -> QuerySet[OutboxMessage]:
    """``user``'s in-app notifications, newest first (none for anyone not signed in)."""
    if not (user and user.is_authenticated and user.is_active):
        return OutboxMessage.objects.none()
    return OutboxMessage.objects.filter(channel=OutboxMessage.Channel.IN_APP, recipient_user=user).order_by(
        "-created_at", "-id"
    )


def inbox_unread_count(user) -> int:
    return inbox_messages(user).filter(read_at__isnull=True).count()


def inbox_entries(messages) -> list[InboxEntry]:
    """The texts of a page of notifications, in each message's language, with the page they are about."""
    entries = []
    for message in messages:
        rendered = render_message(message)
        entries.append(InboxEntry(message=message, subject=rendered.subject, body=rendered.body, url=rendered.url))
    return entries


def inbox_mark_read(*, user, ids=None, now: datetime | None = None) -> int:
    """Mark ``ids`` (all unread when None) of ``user``'s own notifications read; returns how many.

    Ids of someone else's messages are ignored, not refused: the answer must not tell whether they exist.
    """
    unread = inbox_messages(user).filter(read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=now or clock.now())
