"""Concurrent requests on one ticket, and transitions racing the SLA sweep, on real PostgreSQL.

Each worker is a thread with its own database connection; a barrier releases them together so the
row locks really contend. ``ticket_transition`` locks the ticket's clocks, then the ticket; the
sweep locks due clocks (``SKIP LOCKED``) and then updates their tickets from ``sla.on_clock_events``:
the same order, so the two never wait on each other in a cycle.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from aftersales.core.models import ClockEvent, OutboxMessage, SlaClock
from aftersales.core.sla.registry import register_clock_handler
from aftersales.core.sla.sweep import sla_sweep
from aftersales.core.tests.concurrency import THREAD_TIMEOUT, kinds, run_together
from conftest import shanghai
from tickets import sla
from tickets.choices import ClockName, FollowUpKind, Status
from tickets.models import FollowUp, SlaPolicy, Ticket, TicketEvent
from tickets.services import ticket_create, ticket_transition

from . import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("committed_sla_matrix")]

T0 = shanghai(2026, 11, 23, 10)


@pytest.fixture
def staff(make_user):
    return factories.staff(make_user)


def transition(ticket: Ticket, action: str, actor=None, *, now, by_customer=False, data=None):
    return lambda: ticket_transition(
        ticket=Ticket(pk=ticket.pk), action=action, actor=actor, by_customer=by_customer, data=data, now=now
    )


# --- conflicting transitions: exactly one wins ------------------------------------------------


def test_eight_agents_acknowledging_at_once_make_one_first_response(staff, make_user):
    ticket = factories.ticket_in(Status.NEW, staff=staff, now=T0)
    agents = [staff["agent"], *(make_user("agent") for _ in range(7))]
    now = T0 + timedelta(minutes=10)

    outcomes = run_together(*(transition(ticket, "acknowledge", agent, now=now) for agent in agents))

    assert kinds(outcomes) == {"ok": 1, "ActionNotAllowed": 7}
    assert TicketEvent.objects.filter(ticket=ticket, action="acknowledge").count() == 1
    first_response = SlaClock.objects.get(object_id=ticket.pk, name=ClockName.FIRST_RESPONSE)
    assert first_response.state == SlaClock.State.MET
    assert first_response.events.filter(kind=ClockEvent.Kind.MET).count() == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.ACKNOWLEDGED and ticket.acknowledged_at == now


def test_accepting_and_declining_a_quote_at_once_decide_it_once(staff):
    for attempt in range(6):
        owner = factories.customer()
        unit = factories.unit(serial=f"RACE-{attempt}", owner=owner)
        ticket = ticket_create(
            customer=owner, ticket_type="repair", description="漏水", unit=unit, actor=staff["agent"], now=T0
        ).ticket
        ticket_transition(ticket=ticket, action="acknowledge", actor=staff["agent"], now=T0)
        ticket_transition(
            ticket=ticket, action="diagnose", actor=staff["technician"], data={"fault_cause": "liquid"}, now=T0
        )
        ticket_transition(
            ticket=ticket,
            action="request_quote",
            actor=staff["agent"],
            data={"parts": [{"part_number": "AC-PCB-01", "unit_price": "260"}], "labour_hours": "1"},
            now=T0,
        )
        now = T0 + timedelta(hours=2)
        jobs = [transition(ticket, "approve_quote", by_customer=True, now=now)] * 3
        jobs += [transition(ticket, "decline_quote", staff["agent"], now=now, data={"note": "太贵"})] * 3

        outcomes = run_together(*jobs)

        assert kinds(outcomes) == {"ok": 1, "ActionNotAllowed": 5}
        decided = TicketEvent.objects.filter(ticket=ticket, action__in=["approve_quote", "decline_quote"])
        assert decided.count() == 1
        ticket.refresh_from_db()
        assert (
            ticket.status
            == {"approve_quote": Status.DIAGNOSING, "decline_quote": Status.CANCELLED}[decided.get().action]
        )
        assert ticket.quote.status == {"approve_quote": "accepted", "decline_quote": "declined"}[decided.get().action]


def test_the_technician_starting_work_from_two_devices_counts_one_visit(staff):
    ticket = factories.ticket_in(Status.DISPATCHED, staff=staff, now=T0)
    now = T0 + timedelta(hours=3)

    outcomes = run_together(*[transition(ticket, "start_work", staff["technician"], now=now)] * 4)

    assert kinds(outcomes) == {"ok": 1, "ActionNotAllowed": 3}
    ticket.refresh_from_db()
    assert (ticket.status, ticket.visits) == (Status.IN_PROGRESS, 1)
    assert TicketEvent.objects.filter(ticket=ticket, action="start_work").count() == 1


# --- a transition racing the sweep on the same ticket's clocks --------------------------------

# (status the ticket is in, the action racing the sweep, by whom, its fields, clocks breached in the end)
# A critical repair: first response 1 h, on site 4 h, resolution 24 h. 30 h after it came in and was
# handled up to ``status`` (all at once), every open clock is overdue and no sweep has run yet: the
# transition (stopping or pausing settles what fell due) and the sweep both want to record the breaches.
FR, ON_SITE, RES = ClockName.FIRST_RESPONSE, ClockName.ON_SITE, ClockName.RESOLUTION
RACES = [
    (Status.NEW, "acknowledge", "agent", {}, {FR, ON_SITE, RES}),
    (Status.DIAGNOSING, "wait_customer", "agent", {"note": "等照片"}, {ON_SITE, RES}),
    (Status.IN_PROGRESS, "resolve", "technician", {"resolution": "修好了", "functional_test": "passed"}, {RES}),
    # Cancelling settles nothing: the breaches are there only if the sweep got there first.
    (Status.DIAGNOSING, "cancel", "agent", {"note": "客户取消"}, None),
]


def breaches_by_clock(ticket: Ticket) -> Counter:
    content_type = ContentType.objects.get_for_model(Ticket)
    return Counter(
        ClockEvent.objects.filter(
            clock__content_type=content_type, clock__object_id=ticket.pk, kind=ClockEvent.Kind.BREACHED
        ).values_list("clock__name", flat=True)
    )


@pytest.mark.parametrize(("status", "action", "role", "data", "breached"), RACES, ids=[race[1] for race in RACES])
def test_a_transition_racing_the_sweep_neither_deadlocks_nor_records_anything_twice(
    staff, status, action, role, data, breached
):
    for attempt in range(12):
        start = T0 + timedelta(days=2 * attempt)  # earlier rounds' clocks are all settled by then
        late = start + timedelta(hours=30)
        ticket = factories.ticket_in(status, staff=staff, now=start, priority="critical")

        outcomes = run_together(
            transition(ticket, action, staff[role], now=late, data=data), lambda late=late: sla_sweep(now=late)
        )

        assert kinds(outcomes) == {"ok": 2}, outcomes
        # The sweep skips clocks the transition holds; beat's next run, a minute later, takes them.
        sla_sweep(now=late + timedelta(minutes=1))
        ticket.refresh_from_db()
        breaches = breaches_by_clock(ticket)
        assert all(count == 1 for count in breaches.values()), "each breach is recorded once"
        if breached is not None:
            assert set(breaches) == breached, "what fell due is recorded, by one side or the other"
        else:
            assert set(breaches) in ({ON_SITE, RES}, set())
        assert ticket.escalation_level == sum(breaches.values()), "one rung per breach, no lost update"
        reports = FollowUp.objects.filter(ticket=ticket, kind=FollowUpKind.BREACH_REPORT).count()
        assert reports == sum(breaches.values())
        keys = list(
            OutboxMessage.objects.filter(key__startswith=f"ticket:{ticket.pk}:clock:").values_list("key", flat=True)
        )
        assert len(keys) == len(set(keys))


# --- two sweeps at once ----------------------------------------------------------------------


@pytest.fixture
def key_account_policy(always_calendar):
    """Critical repairs of key accounts: first response 90 min, restore in 3 h (a tier-specific cell)."""
    return SlaPolicy.objects.create(
        ticket_type="repair",
        priority="critical",
        customer_tier="key_account",
        first_response_minutes=90,
        on_site_minutes=180,
        resolution_minutes=24 * 60,
        calendar=always_calendar,
    )


@pytest.fixture
def meeting():
    """Each pair of sweeps waits in the ticket handler until both hold their batch of clocks."""
    state = {"barrier": None, "arrived": threading.Event()}
    seen = threading.local()

    def meet_then_handle(events):
        barrier = state["barrier"]
        if barrier is not None and getattr(seen, "barrier", None) is not barrier:
            seen.barrier = barrier
            state["arrived"].set()
            barrier.wait(timeout=10)
        sla.on_clock_events(events)

    register_clock_handler(Ticket, meet_then_handle)
    yield state
    register_clock_handler(Ticket, sla.on_clock_events)


def test_two_overlapping_sweeps_over_the_same_tickets_do_not_deadlock(settings, key_account_policy, meeting):
    # Ticket A (standard customer) and ticket B (key account): their clocks fall due in the order
    # A.first_response (30 min), B.first_response (45 min), B.on_site (90 min), A.on_site (2 h), so
    # with batches of two the first sweep takes [A, B] and the second, skipping locked rows, [B, A].
    settings.SLA_SWEEP_BATCH_SIZE = 2
    for attempt in range(5):
        start = T0 + timedelta(days=3 * attempt)
        late = start + timedelta(hours=30)
        tickets = [
            ticket_create(
                customer=factories.customer(tier=tier, phone=phone),
                ticket_type="repair",
                priority="critical",
                description=name,
                now=start,
            ).ticket
            for name, tier, phone in [("A", "standard", "13800138000"), ("B", "key_account", "13900139000")]
        ]
        meeting["barrier"], meeting["arrived"] = threading.Barrier(2), threading.Event()
        outcomes: list = []

        def sweep(late=late, outcomes=outcomes):
            try:
                outcomes.append(("ok", sla_sweep(now=late)))
            except Exception as error:  # the test inspects it
                outcomes.append(("error", error))
            finally:
                connection.close()

        first = threading.Thread(target=sweep)
        first.start()
        assert meeting["arrived"].wait(timeout=10), "the first sweep never reached the handler"
        second = threading.Thread(target=sweep)
        second.start()
        for thread in (first, second):
            thread.join(timeout=THREAD_TIMEOUT)
        assert not first.is_alive() and not second.is_alive()
        meeting["barrier"] = None
        sla_sweep(now=late)  # whatever a failed batch left

        assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
        for ticket in tickets:
            ticket.refresh_from_db()
            assert ticket.escalation_level == sum(breaches_by_clock(ticket).values()) == 3


# --- one new customer, however many requests from the number arrive at once ---------------------


def test_requests_from_one_new_number_at_once_register_one_customer():
    from aftersales.core.models import Customer
    from tickets.intake import request_submit

    submit = lambda: request_submit(  # noqa: E731 - the same form, double-clicked on four devices
        ticket_type="repair", name="王芳", phone="139 0000-4242", description="不制冷"
    )

    outcomes = run_together(submit, submit, submit, submit)

    assert kinds(outcomes) == {"ok": 4}
    customer = Customer.objects.get(phone="13900004242")
    assert Ticket.objects.filter(customer=customer).count() == 4
