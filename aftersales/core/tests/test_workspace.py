"""The admin's start page shows each role its own work, and the inbox holds the in-app notifications (#17)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from aftersales.core.inbox import inbox_mark_read, inbox_unread_count
from aftersales.core.models import OutboxMessage
from aftersales.core.notifications import notify_staff
from complaints.tests.factories import complaint
from emergency.services import incident_create
from tickets.services import ticket_customer_message, ticket_transition
from tickets.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def staff(make_user, calendars):
    return factories.staff(make_user)


def panels(client, user) -> dict[str, str]:
    """The start page's panels for ``user``: key → the panel's text."""
    client.force_login(user)
    response = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    found = re.findall(r'<article class="workspace-panel" id="panel-([\w.]+)">(.*?)</article>', html, re.S)
    return {key: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)) for key, body in found}


def count(text: str) -> int:
    return int(re.search(r"^\s*\S.*?(\d+)", text).group(1))


def test_each_role_lands_on_its_own_panels(client, staff):
    expected = {
        "agent": {"tickets.first_responses", "tickets.replied", "complaints.received", "complaints.mine"},
        "technician": {"tickets.visits_today", "tickets.mine", "tickets.replied"},
        "supervisor": {"tickets.unassigned", "tickets.breached", "complaints.unassigned", "emergency.open"},
        "manager": {"tickets.breached", "complaints.breached", "complaints.approvals", "emergency.open", "kpi.reports"},
        "coordinator": {"emergency.open"},
    }
    not_expected = {
        "agent": {"tickets.visits_today", "tickets.unassigned", "emergency.open"},
        "technician": {"tickets.unassigned", "complaints.mine", "emergency.open"},
        "coordinator": {"tickets.first_responses", "tickets.visits_today"},
    }
    for role, keys in expected.items():
        shown = set(panels(client, staff[role]))
        assert keys <= shown, (role, shown)
        assert "core.escalations" in shown  # everyone sees what was escalated to them
        assert not (not_expected.get(role, set()) & shown), (role, shown)


def test_the_agent_sees_first_responses_due_by_due_time_and_who_wrote_last(client, staff):
    now = timezone.now()
    older = factories.ticket_in("new", staff=staff, now=now - timedelta(hours=2))
    newer = factories.ticket_in("new", staff=staff, now=now - timedelta(minutes=5))
    answered = factories.ticket_in("acknowledged", staff=staff, now=now - timedelta(hours=1))
    ticket_customer_message(ticket=answered, body="Any news?", now=now)

    shown = panels(client, staff["agent"])
    first = shown["tickets.first_responses"]
    assert count(first) == 2 and first.index(older.number) < first.index(newer.number)
    assert answered.number not in first
    assert answered.number in shown["tickets.replied"] and count(shown["tickets.replied"]) == 1


def test_the_technician_sees_todays_visits_in_order_with_address_and_phone(client, staff):
    now = timezone.now()
    today = timezone.localtime(now).replace(hour=9, minute=0, second=0, microsecond=0)
    visits = []
    for hour in (15, 10):
        owner = factories.customer(phone=f"139000000{hour}", name=f"客户{hour}")
        owner.address = f"上海市{hour}号"
        owner.save()
        ticket = factories.ticket_in("diagnosing", staff=staff, now=now - timedelta(hours=3), owner=owner)
        ticket = ticket_transition(
            ticket=ticket,
            action="dispatch",
            actor=staff["supervisor"],
            data={"technician": staff["technician"].username, "appointment_at": (today.replace(hour=hour)).isoformat()},
            now=now - timedelta(hours=2),
        )
        visits.append(ticket)

    text = panels(client, staff["technician"])["tickets.visits_today"]
    assert count(text) == 2
    assert text.index(visits[1].number) < text.index(visits[0].number)  # 10:00 before 15:00
    assert "上海市10号" in text and "13900000010" in text  # technicians see the contact they visit


def test_the_supervisor_sees_what_nobody_owns_and_what_is_late(client, staff):
    now = timezone.now()
    waiting = factories.ticket_in("acknowledged", staff=staff, now=now - timedelta(days=3))
    factories.ticket_in("new", staff=staff, now=now)  # the desk's to acknowledge, not "unassigned"

    shown = panels(client, staff["supervisor"])
    assert waiting.number in shown["tickets.unassigned"] and count(shown["tickets.unassigned"]) == 1
    # Three days old: its resolution promise is long past (the sweep may not have run yet).
    assert waiting.number in shown["tickets.breached"]


def test_the_coordinator_sees_open_incidents_the_most_severe_first(client, staff, make_user):
    coordinator = staff["coordinator"]
    report = {"incident_type": "batch_failure", "title": "压缩机批量故障", "description": "同一批次"}
    incident = incident_create(actor=coordinator, data=report, now=timezone.now())
    text = panels(client, coordinator)["emergency.open"]
    assert incident.number in text and count(text) == 1


def test_the_start_page_costs_the_same_however_much_work_waits(client, staff, django_assert_max_num_queries):
    now = timezone.now()
    for _ in range(2):
        factories.ticket_in("acknowledged", staff=staff, now=now - timedelta(days=2))
        complaint(now=now - timedelta(hours=1), staff=staff)
    client.force_login(staff["supervisor"])
    client.get("/admin/")  # warm the content-type and permission caches

    def queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get("/admin/").status_code == 200
        return len(captured)

    few = queries()
    for _ in range(6):
        factories.ticket_in("acknowledged", staff=staff, now=now - timedelta(days=2))
        complaint(now=now - timedelta(hours=1), staff=staff)
    assert queries() == few


# --- the inbox ------------------------------------------------------------------------------


def notify(user, key="k1", template="customer_file"):
    notify_staff(
        users=[user], key=key, template=template, context={"number": "T1", "name": "photo.jpg", "url": "/admin/"}
    )


def test_the_inbox_badge_counts_unread_and_opening_marks_read(client, staff):
    agent = staff["agent"]
    notify(agent, "k1")
    notify(agent, "k2")
    client.force_login(agent)
    page = client.get("/admin/").content.decode()
    assert re.search(r'class="inbox-badge"[^>]*>2<', page)

    inbox = client.get("/admin/inbox/").content.decode()
    assert "photo.jpg" in inbox and inbox.count('class="inbox-entry unread"') == 2
    message = OutboxMessage.objects.filter(recipient_user=agent, channel="in_app").first()
    response = client.post(f"/admin/inbox/{message.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert inbox_unread_count(agent) == 1

    client.post("/admin/inbox/", {"all": "1"})
    assert inbox_unread_count(agent) == 0
    assert "inbox-badge" not in client.get("/admin/").content.decode()


def test_nobody_reads_or_marks_another_persons_inbox(client, staff):
    notify(staff["agent"])
    theirs = OutboxMessage.objects.get(channel="in_app")
    client.force_login(staff["technician"])
    assert client.post(f"/admin/inbox/{theirs.pk}/open/").status_code == 404
    assert "photo.jpg" not in client.get("/admin/inbox/").content.decode()
    assert inbox_mark_read(user=staff["technician"], ids=[theirs.pk]) == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_inbox_needs_a_staff_login(client):
    response = client.get("/admin/inbox/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert client.get("/admin/inbox/1/open/").status_code in (302, 405)
