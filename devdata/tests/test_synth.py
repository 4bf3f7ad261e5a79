"""``synth_data`` writes history the services could have written: a small run, checked row by row."""

import io
import itertools
import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command

from aftersales.core import clock, roles
from aftersales.core.models import ClockEvent, Customer, SlaClock
from aftersales.core.sla.sweep import sla_sweep
from aftersales.core.trackables import trackable_find
from complaints.models import Complaint, ComplaintEvent
from devdata.synth import tracking_token_for
from tickets.choices import OPEN_STATUSES, PAUSED_STATUSES, ClockName, Status
from tickets.models import Survey, Ticket, TicketEvent
from tickets.services import ticket_create, ticket_transition
from warranty.models import RegisteredUnit

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("committed_sla_matrix")]

TICKETS = 300
SEED = 7
NUMBER = re.compile(r"^T\d{8}\d{5}$")
WORK_CLOCKS = {ClockName.FIRST_RESPONSE, ClockName.ON_SITE, ClockName.RESOLUTION}


# A Monday morning in Shanghai. The wall clock stands still there for the whole test, so the seed and
# *now* fix every row (synth_data is reproducible for the same seed and now) and the sweeps after it.
NOW = datetime(2026, 11, 23, 2, 30, tzinfo=UTC)


@pytest.fixture
def synthetic(transactional_db):
    with time_machine.travel(NOW, tick=False):
        roles.roles_sync()
        call_command("synth_data", tickets=TICKETS, seed=SEED, stdout=io.StringIO())
        yield


def test_counts_statuses_numbers(synthetic):
    assert Ticket.objects.count() == TICKETS
    assert Customer.objects.count() == TICKETS // 3
    assert RegisteredUnit.objects.count() == TICKETS // 2
    assert set(Ticket.objects.values_list("status", flat=True)) <= set(Status.values)
    numbers = list(Ticket.objects.values_list("number", flat=True))
    assert len(set(numbers)) == TICKETS and all(NUMBER.match(number) for number in numbers)
    finished = Ticket.objects.filter(resolved_at__isnull=False).count()
    assert Survey.objects.count() == finished > 0
    assert Survey.objects.filter(score__isnull=False).count() == TicketEvent.objects.filter(action="rate").count()
    ticket = Ticket.objects.order_by("pk").first()
    tracked = trackable_find(tracking_token_for(SEED, ticket.pk))
    assert tracked is not None and tracked.subject == ticket
    complaint = Complaint.objects.order_by("pk").first()
    assert trackable_find(tracking_token_for(SEED, complaint.pk, "c")).subject == complaint
    for complaint in Complaint.objects.all():
        assert complaint.events.order_by("created_at", "pk").last().to_status == complaint.status
    assert ComplaintEvent.objects.count() >= Complaint.objects.count()


def test_events_follow_the_state_machine(synthetic):
    events = defaultdict(list)
    for event in TicketEvent.objects.exclude(action="rate").order_by("created_at", "pk"):
        events[event.ticket_id].append(event)
    for ticket in Ticket.objects.all():
        history = events[ticket.pk]
        assert history[0].action == "create" and history[0].to_status == Status.NEW
        for before, after in itertools.pairwise(history):
            assert after.from_status == before.to_status, (ticket.number, before.action, after.action)
        assert history[-1].to_status == ticket.status


def test_clocks_match_the_ticket_status(synthetic):
    now = clock.now()
    ticket_type = ContentType.objects.get_for_model(Ticket)
    clocks = defaultdict(list)
    for sla_clock in SlaClock.objects.filter(content_type=ticket_type):
        clocks[sla_clock.object_id].append(sla_clock)
    counting = 0
    for ticket in Ticket.objects.all():
        work = [item for item in clocks[ticket.pk] if item.name in WORK_CLOCKS]
        assert {item.name for item in work} >= {ClockName.FIRST_RESPONSE, ClockName.RESOLUTION}
        if ticket.status in PAUSED_STATUSES:
            assert all(item.state in ("paused", "met") and item.next_check_at is None for item in work)
        elif ticket.status in OPEN_STATUSES:
            resolution = next(item for item in work if item.name == ClockName.RESOLUTION)
            assert resolution.state in ("running", "breached")
            assert (resolution.state == "breached") == (resolution.breached_at is not None)
        else:
            assert all(item.state in ("met", "cancelled") for item in work)
        for item in clocks[ticket.pk]:
            if item.next_check_at is not None:
                counting += 1
                assert item.state in ("running", "breached") and item.next_check_at > now - timedelta(minutes=5)
        breaches = sum(item.breached_at is not None for item in work)
        assert ticket.escalation_level == breaches
    assert counting > 0
    assert ClockEvent.objects.filter(kind="started").count() == SlaClock.objects.count()


def test_the_services_carry_on_from_synthetic_data(synthetic):
    first = sla_sweep()
    assert sla_sweep().warnings == sla_sweep().breaches == 0  # nothing recorded twice
    assert first.clocks_checked < 50  # the history already holds what fell due before now
    agent = get_user_model().objects.get(username="synth_agent001")
    # The last day's intake is still waiting for its first response (a desk's backlog).
    waiting = Ticket.objects.filter(
        status=Status.NEW, sla_policy__isnull=False, created_at__gte=NOW - timedelta(days=1)
    )
    ticket = waiting.order_by("created_at").first()
    assert ticket is not None, "synth_data leaves the newest tickets unanswered"
    first_response = SlaClock.objects.get(
        object_id=ticket.pk, content_type__model="ticket", name=ClockName.FIRST_RESPONSE
    )
    assert first_response.state in ("running", "breached")
    ticket = ticket_transition(ticket=ticket, action="acknowledge", actor=agent)
    assert ticket.status == Status.ACKNOWLEDGED
    first_response.refresh_from_db()
    assert first_response.state == "met" and first_response.met_at == NOW
    created = ticket_create(customer=ticket.customer, ticket_type="repair", description="after synth")
    assert not Ticket.objects.filter(number=created.ticket.number).exclude(pk=created.ticket.pk).exists()
    with pytest.raises(CommandError, match="already has tickets"):
        call_command("synth_data", tickets=10)
