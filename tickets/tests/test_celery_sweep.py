"""A real Celery worker sweeps overdue tickets: breaches once, one rung each, mail delivered once.

The worker is the subprocess of core's integration tests (``worker_process``: ``celery worker
--pool solo`` on the test database, a Redis database of its own and the local SMTP server). Beat
does not run; the test sends ``core.sla_sweep`` itself, twice, as an overlapping beat would, and
follows the worker through its log.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest
import redis
from django.contrib.contenttypes.models import ContentType

from aftersales.core import clock as wall_clock
from aftersales.core.models import ClockEvent, OutboxMessage
from aftersales.core.outbox.services import message_id_for
from tickets.choices import ClockName, FollowUpKind, Status
from tickets.models import FollowUp, Ticket
from tickets.services import ticket_create

from . import factories

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("committed_sla_matrix"),
]


def with_email(user, address: str):
    user.email = address
    user.save(update_fields=["email"])
    return user


def breaches(ticket: Ticket) -> Counter:
    return Counter(
        ClockEvent.objects.filter(
            clock__content_type=ContentType.objects.get_for_model(Ticket),
            clock__object_id=ticket.pk,
            kind=ClockEvent.Kind.BREACHED,
        ).values_list("clock__name", flat=True)
    )


def finished_tasks(worker, name: str) -> dict[str, str]:
    """Task id → outcome for the tasks the worker reported done (its INFO log: "Task <name>[<id>] <outcome>")."""
    log = worker.log_path.read_text(errors="replace")
    return dict(re.findall(rf"Task {re.escape(name)}\[([0-9a-f-]+)\] (succeeded|failed|raised)", log))


def idle(worker, broker_url: str) -> bool:
    """Nothing queued and every task the worker took has finished."""
    client = redis.Redis.from_url(broker_url)
    try:
        if client.llen("celery"):
            return False
    finally:
        client.close()
    log = worker.log_path.read_text(errors="replace")
    return len(re.findall(r"Task \S+\[[0-9a-f-]+\] received", log)) == len(
        re.findall(r"Task \S+\[[0-9a-f-]+\] (?:succeeded|failed|raised)", log)
    )


def test_the_worker_records_each_breach_once_escalates_once_and_mails_each_notice_once(
    worker_process, celery_broker, smtp, make_user
):
    from aftersales.celery import app

    agent = with_email(make_user("agent"), "agent@example.com")
    supervisor = with_email(make_user("supervisor"), "supervisor@example.com")
    technician = with_email(factories.technician(make_user), "technician@example.com")
    with_email(make_user("manager"), "manager@example.com")
    now = wall_clock.now()  # the worker sweeps at its own "now": the tickets are overdue in real time

    # A critical repair nobody answered for 2½ h: first response (1 h) breached.
    unanswered = ticket_create(
        customer=factories.customer(),
        ticket_type="repair",
        priority="critical",
        description="整机不启动",
        actor=agent,
        now=now - timedelta(hours=2, minutes=30),
    ).ticket
    # A critical repair answered and dispatched at once but nobody on site for 5 h: restore (4 h)
    # breached, which also asks for a standby unit (002 §11).
    not_restored = factories.ticket_in(
        Status.DISPATCHED,
        staff={"agent": agent, "technician": technician, "supervisor": supervisor},
        now=now - timedelta(hours=5),
        priority="critical",
        owner=factories.customer(phone="13900139000"),
    )
    # A high-priority repair waiting 30 h: on site (24 h) breached.
    waiting = factories.ticket_in(
        Status.DIAGNOSING,
        staff={"agent": agent, "technician": technician, "supervisor": supervisor},
        now=now - timedelta(hours=30),
        priority="high",
        owner=factories.customer(phone="13700137000"),
    )
    expected = {
        unanswered.pk: {ClockName.FIRST_RESPONSE},
        not_restored.pk: {ClockName.ON_SITE},
        waiting.pk: {ClockName.ON_SITE},
    }
    assert not ClockEvent.objects.filter(kind=ClockEvent.Kind.BREACHED).exists()

    # Two sweeps, as when beat fires again before the first is done.
    sweeps = [app.send_task("core.sla_sweep").id for _ in range(2)]
    worker_process.wait_until(
        lambda: set(sweeps) <= set(finished_tasks(worker_process, "core.sla_sweep")), what="both sweeps"
    )
    assert {finished_tasks(worker_process, "core.sla_sweep")[task] for task in sweeps} == {"succeeded"}
    # Then the deliveries they (and the tickets' creation) kicked off, until the worker is idle.
    worker_process.wait_until(
        lambda: (
            not OutboxMessage.objects.exclude(status=OutboxMessage.Status.SENT).exists()
            and idle(worker_process, celery_broker)
        ),
        what="every notice delivered and the worker idle",
    )

    for ticket in (unanswered, not_restored, waiting):
        ticket.refresh_from_db()
        recorded = breaches(ticket)
        assert set(recorded) == expected[ticket.pk] and set(recorded.values()) == {1}, ticket
        assert ticket.escalation_level == 1, "one rung for one breach, even with two sweeps"
        assert FollowUp.objects.filter(ticket=ticket, kind=FollowUpKind.BREACH_REPORT).count() == 1
    assert list(FollowUp.objects.filter(kind=FollowUpKind.SWAP).values_list("ticket", flat=True)) == [not_restored.pk]

    # Every email notice (breaches to the supervisor, warnings, the customers' notices) arrived once.
    email_keys = list(OutboxMessage.objects.filter(channel=OutboxMessage.Channel.EMAIL).values_list("key", flat=True))
    received = Counter(smtp.message_ids())
    assert received == Counter(message_id_for(key) for key in email_keys)
    to_supervisor = OutboxMessage.objects.filter(
        channel=OutboxMessage.Channel.EMAIL, template="sla_breach", recipient="supervisor@example.com"
    )
    assert to_supervisor.count() == 3, "the supervisor hears of each of the three breaches"
