"""Who hears about what happens, through the outbox (written in the caller's transaction).

Shared by every app with a subject that has people behind it (tickets, complaints, incidents):
the rungs of an escalation ladder are role groups. A breach always reaches a person: a rung without
members falls through to the next rung up that has some, and past the top to the administrators
(``escalation_reach``); a breach that still finds nobody is recorded as an ``UnreachedBreach`` — an
alarm on ``/healthz`` and in the admin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from .outbox.services import Notification, outbox_enqueue

EXECUTIVE = "executive"
# Past the top of every ladder: the superusers and the members of this group.
ADMINISTRATORS = "administrators"
ADMIN_GROUP = "admin"


def users_in_role(role: str) -> list:
    """The active members of a role group.

    ``executive`` means the superusers; ``administrators`` the superusers and the ``admin`` group.
    An empty rung does not borrow a lower one's people: ``escalation_reach`` climbs on instead.
    """
    users = get_user_model().objects.filter(is_active=True)
    if role == EXECUTIVE:
        return list(users.filter(is_superuser=True).order_by("pk"))
    if role == ADMINISTRATORS:
        return list(users.filter(Q(is_superuser=True) | Q(groups__name=ADMIN_GROUP)).order_by("pk").distinct())
    return list(users.filter(groups__name=role).order_by("pk").distinct())


def escalation_reach(ladder: Sequence[str], level: int, people: Callable[[str], list]) -> tuple[str, list]:
    """Who a breach at ``level`` of ``ladder`` reaches: ``(rung, people)``.

    The rung at ``level`` if it has people, else the next rung up that has, else the administrators;
    ``people`` empty only when none of them has anyone (``people(rung)`` looks a rung up).
    """
    for rung in ladder[min(level, len(ladder) - 1) :]:
        found = people(rung)
        if found:
            return rung, found
    return ADMINISTRATORS, people(ADMINISTRATORS)


def notify_staff(*, users: Iterable, key: str, template: str, context: dict) -> None:
    """In-app for everyone, and email for those who have an address; one message per key and person."""
    outbox_enqueue(notifications=staff_notifications(users=users, key=key, template=template, context=context))


def staff_notifications(*, users: Iterable, key: str, template: str, context: dict) -> list[Notification]:
    """What ``notify_staff`` enqueues, for callers that write many at once (the sweep's handlers)."""
    notifications = []
    seen = set()
    for user in users:
        if user.pk in seen:
            continue
        seen.add(user.pk)
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
    return notifications


def notify_customer(*, customer, key: str, template: str, context: dict, tracking=None) -> None:
    """SMS to the customer's phone and email when known, in the customer's language.

    ``tracking``: the case whose link the message carries (``{{ tracking_url }}`` in its template);
    the link is minted when each message is delivered, never stored with it (``core.tracking``).
    """
    base = {"template": template, "context": context, "language": customer.language}
    if tracking is not None:
        base["tracking_content_type_id"] = ContentType.objects.get_for_model(tracking).pk
        base["tracking_object_id"] = tracking.pk
    notifications = [Notification(key=f"{key}:sms", channel="sms", recipient=customer.phone, **base)]
    if customer.email:
        notifications.append(Notification(key=f"{key}:email", channel="email", recipient=customer.email, **base))
    outbox_enqueue(notifications=notifications)


def announce_file(*, attachment, number: str, staff_url: str, key: str, customer, responsible: list, desk) -> None:
    """A new file on a case, told to whoever has to look at it — never to the person who added it.

    A customer's file goes to the case's ``responsible`` staff (assignee, owner), else to the
    ``desk()``; a file staff share with the customer goes to the customer; a file a colleague adds
    goes to the responsible staff.
    """
    context = {"number": number, "name": attachment.original_name, "url": staff_url}
    if attachment.by_customer:
        notify_staff(users=responsible or desk(), key=key, template="customer_file", context=context)
        return
    if attachment.public and customer is not None:
        shared = {"number": number, "name": attachment.original_name}
        notify_customer(customer=customer, key=key, template="file_shared", context=shared)
    colleagues = [user for user in responsible if user.pk != attachment.uploaded_by_id]
    if colleagues:
        by = attachment.uploaded_by.get_username()
        notify_staff(users=colleagues, key=key, template="staff_file", context={**context, "by": by})
