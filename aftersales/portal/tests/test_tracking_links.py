"""No live tracking link is stored in clear (#18 item 1): outbox rows name the case, delivery mints the link.

A whole request → resolve → survey flow (and a complaint), with real SMTP: afterwards no column of
any table holds a token that opens a case, the outbox admin pages show none, and what the customer
received does open their case.
"""

import re

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from aftersales.core.models import OutboxMessage, TrackingLink
from aftersales.core.outbox.services import outbox_deliver
from aftersales.core.trackables import trackable_find
from tickets.models import Ticket
from tickets.services import ticket_transition

LINK = re.compile(r"/track/([A-Za-z0-9_-]{16,128})/")
TOKEN_LIKE = re.compile(r"[A-Za-z0-9_-]{16,128}")
TEXT_TYPES = ("text", "character varying", "jsonb", "json")


def delivered_links(smtp, capsys) -> list[str]:
    """Deliver everything due; the tokens of the links in the emails and SMS that went out."""
    outbox_deliver()
    texts = [email.body for email in smtp.received] + [capsys.readouterr().out]
    smtp.clear()
    return [token for text in texts for token in LINK.findall(text)]


def stored_texts():
    """Every text and JSON value of every table in the database, as (table, column, text)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = ANY(%s)",
            [list(TEXT_TYPES)],
        )
        columns = cursor.fetchall()
        for table, column in columns:
            quoted_table, quoted_column = connection.ops.quote_name(table), connection.ops.quote_name(column)
            cursor.execute(f"SELECT {quoted_column}::text FROM {quoted_table} WHERE {quoted_column} IS NOT NULL")  # noqa: S608
            for (value,) in cursor.fetchall():
                yield table, column, value


def opens_a_case(text: str) -> list[str]:
    return [candidate for candidate in TOKEN_LIKE.findall(text) if trackable_find(candidate) is not None]


@pytest.mark.django_db
def test_no_table_and_no_admin_page_holds_a_live_link_while_the_delivered_ones_work(smtp, capsys, settings, make_user):
    settings.SMS_BACKEND = "aftersales.core.outbox.sms.ConsoleSmsBackend"
    public = APIClient()
    request = public.post(
        "/api/v1/public/requests/",
        {
            "type": "consultation",
            "name": "周敏",
            "phone": "13900004444",
            "email": "zhou@example.com",
            "description": "遥控器怎么配对？",
        },
        format="json",
    )
    assert request.status_code == 201
    intake_token = request.json()["tracking_token"]
    complaint = public.post(
        "/api/v1/public/complaints/",
        {
            "category": "service.attitude",
            "name": "周敏",
            "phone": "13900004444",
            "email": "zhou@example.com",
            "description": "客服态度差",
        },
        format="json",
    )
    assert complaint.status_code == 201
    sent = delivered_links(smtp, capsys)
    # The request's and the complaint's messages each went by SMS and email, each with a fresh link.
    assert len(sent) == 4 and len(set(sent)) == 4 and intake_token not in sent

    ticket = Ticket.objects.get(number=request.json()["number"])
    agent, supervisor = make_user("agent"), make_user("supervisor")
    ticket = ticket_transition(ticket=ticket, action="acknowledge", actor=agent)
    ticket_transition(ticket=ticket, action="resolve", actor=supervisor, data={"resolution": "已远程指导配对"})
    sent += delivered_links(smtp, capsys)  # the survey message (no link in it)

    # The customer follows the link from the SMS and rates the service.
    customer = Client()
    page = customer.get(f"/track/{sent[0]}/")
    assert page.status_code == 200 and ticket.number in page.content.decode()
    rated = public.post(f"/api/v1/public/track/{sent[0]}/rate/", {"score": 5, "comment": "很好"}, format="json")
    assert rated.status_code == 200
    assert all(trackable_find(token) is not None for token in [intake_token, *sent])
    assert TrackingLink.objects.filter(purpose=TrackingLink.Purpose.MESSAGE).count() == len(sent)

    # Nothing stored in clear opens a case: no outbox context or recipient, no event, no log row.
    tokens = {intake_token, *sent}
    leaks = [
        (table, column)
        for table, column, text in stored_texts()
        if any(token in text for token in tokens) or opens_a_case(text)
    ]
    assert leaks == []
    assert OutboxMessage.objects.filter(tracking_object_id=ticket.pk).exists()

    # The outbox pages of the admin show the messages, not a working link.
    staff = Client()
    staff.force_login(make_user("supervisor"))
    pages = [staff.get("/admin/core/outboxmessage/")]
    pages += [
        staff.get(f"/admin/core/outboxmessage/{pk}/change/")
        for pk in OutboxMessage.objects.values_list("pk", flat=True)
    ]
    assert all(page.status_code == 200 for page in pages)
    assert not any(opens_a_case(page.content.decode()) for page in pages)
