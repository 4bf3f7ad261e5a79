"""Notifying the affected customers of an incident, set-based (``services.incident_notify_customers``).

The recipients are frozen with one ``INSERT … SELECT`` from the scope's query; the messages are written
with ``outbox_enqueue_many`` (one statement per 5,000), one per customer and channel they have, keyed by
incident × notice × customer × channel so a retry writes nothing twice. The row stores the notice's
id; its text is looked up when each message is delivered (``notice_message_context``).
"""

from __future__ import annotations

from django.db import connection

from aftersales.core.models import Customer
from aftersales.core.outbox.services import Notification, outbox_enqueue_many

from .models import CustomerNotice, NoticeRecipient
from .selectors import incident_affected_customer_ids

NOTICE_TEMPLATE = "incident_customer_notice"


class DrillMessageRefused(Exception):
    """A drill tried to write a message to a customer: never (issue 12 §9)."""


def notice_recipients_freeze(notice: CustomerNotice) -> int:
    """Add the incident's affected customers to the notice's recipients (those already there stay)."""
    ids_sql, params = incident_affected_customer_ids(notice.incident).query.sql_with_params()
    table = connection.ops.quote_name(NoticeRecipient._meta.db_table)
    # Only the model's own table name is interpolated; the subquery is Django's, with its parameters.
    sql = (
        f"INSERT INTO {table} (notice_id, customer_id) "  # noqa: S608
        f"SELECT %s, affected.customer_id FROM ({ids_sql}) AS affected(customer_id) "
        "ON CONFLICT (notice_id, customer_id) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [notice.pk, *params])
        return cursor.rowcount


def notice_messages_write(notice: CustomerNotice) -> int:
    """One message per recipient and channel (SMS to the phone, email when known); how many were new.

    The one place customer messages of an incident are written, so the drill rule is enforced here.
    """
    if notice.drill or notice.incident.drill:
        raise DrillMessageRefused(f"notice {notice.pk} belongs to a drill")
    prefix = f"incident:{notice.incident_id}:notice:{notice.pk}"
    context = {"notice": notice.pk}
    rows = (
        Customer.objects.filter(pk__in=NoticeRecipient.objects.filter(notice=notice).values("customer_id"))
        .order_by("pk")
        .values_list("pk", "phone", "email", "language")
    )
    messages = []
    for customer_id, phone, email, language in rows.iterator(chunk_size=5000):
        base = {"template": NOTICE_TEMPLATE, "context": context, "language": language}
        if phone:
            messages.append(Notification(key=f"{prefix}:c{customer_id}:sms", channel="sms", recipient=phone, **base))
        if email:
            messages.append(
                Notification(key=f"{prefix}:c{customer_id}:email", channel="email", recipient=email, **base)
            )
    return outbox_enqueue_many(messages)


def notice_message_context(stored: dict) -> dict:
    """At delivery: the notice's text and the incident's title (core.outbox.rendering)."""
    notice = CustomerNotice.objects.select_related("incident").filter(pk=stored.get("notice")).first()
    if notice is None:
        return {}
    return {"message": notice.message, "title": notice.incident.title, "number": notice.incident.number}
