"""Concurrent work on one complaint, and transitions racing the SLA sweep, on real PostgreSQL."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps

from aftersales.core.models import ClockEvent, OutboxMessage
from aftersales.core.sla.sweep import sla_sweep
from aftersales.core.tests.concurrency import kinds, run_together
from complaints.choices import Status
from complaints.models import BreachReport, Complaint, ComplaintEvent
from complaints.services import complaint_transition
from conftest import shanghai

from . import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("committed_policies")]
T0 = shanghai(2026, 11, 24, 10)


@pytest.fixture
def committed_policies(committed_sla_matrix):
    """The complaint policies as migration 0002 made them (transactional tests flush migration data)."""
    importlib.import_module("complaints.migrations.0002_default_sla_policies").create_policies(apps, None)


@pytest.fixture
def staff(make_user):
    return factories.staff(make_user)


def transition(complaint, action, actor=None, *, by_customer=False, data=None, now=T0):
    return lambda: complaint_transition(
        complaint=Complaint(pk=complaint.pk), action=action, actor=actor, by_customer=by_customer, data=data, now=now
    )


def test_the_customer_confirming_and_objecting_at_once_ends_one_way(staff):
    complaint = factories.complaint_in(Status.PROPOSED, staff=staff, now=T0)
    outcomes = run_together(
        transition(complaint, "confirm", by_customer=True),
        transition(complaint, "object", by_customer=True, data={"note": "No."}),
        transition(complaint, "confirm", by_customer=True),
        transition(complaint, "object", by_customer=True, data={"note": "No!"}),
    )
    assert kinds(outcomes)["ok"] == 1, outcomes
    assert set(kinds(outcomes)) <= {"ok", "ActionNotAllowed"}
    complaint.refresh_from_db()
    assert complaint.status in (Status.CONFIRMED, Status.INVESTIGATING)
    answered = ComplaintEvent.objects.filter(complaint=complaint, action__in=["confirm", "object"])
    assert answered.count() == 1 and answered.get().to_status == complaint.status


def test_four_agents_acknowledging_at_once_make_one_first_response(staff, make_user):
    complaint = factories.complaint(now=T0, staff=staff)
    agents = [staff["agent"], staff["agent2"], make_user("agent"), make_user("agent")]
    outcomes = run_together(*(transition(complaint, "acknowledge", agent) for agent in agents))
    assert kinds(outcomes) == {"ok": 1, "ActionNotAllowed": 3}, outcomes
    assert ComplaintEvent.objects.filter(action="acknowledge").count() == 1
    assert OutboxMessage.objects.filter(key=f"complaint:{complaint.pk}:acknowledged:sms").count() == 1


def test_overlapping_sweeps_and_a_transition_escalate_each_breach_once(staff):
    complaints = [
        factories.complaint(
            now=T0, severity="major", category="service.attitude", owner=factories.customer(phone=f"1390000{index:04d}")
        )
        for index in range(6)
    ]
    later = T0 + timedelta(hours=60)  # first response (24 h) and resolution (48 h) both overdue
    outcomes = run_together(
        lambda: sla_sweep(now=later),
        lambda: sla_sweep(now=later),
        transition(complaints[0], "acknowledge", staff["agent"], now=later),
    )
    assert kinds(outcomes) == {"ok": 3}, outcomes
    # A clock the transition held locked was skipped by both sweeps (SKIP LOCKED) unless the
    # transition settled it itself; the next sweep, a minute later under beat, takes it.
    sla_sweep(now=later)
    breaches = ClockEvent.objects.filter(kind=ClockEvent.Kind.BREACHED)
    assert breaches.count() == 12  # two clocks × six complaints, once each
    for complaint in complaints:
        complaint.refresh_from_db()
        assert complaint.escalation_level == 3  # from the manager's rung, one per breach, up to the top
    assert BreachReport.objects.count() == 12
    keys = list(OutboxMessage.objects.filter(template="sla_breach").values_list("key", flat=True))
    assert len(keys) == len(set(keys))


# --- the kit's lock order: a dependent row racing the sweep over its case ---------------------------


def test_a_corrective_action_done_racing_the_sweep_over_its_complaint_does_not_deadlock(staff):
    """Clocks → complaint → corrective action, for the service and the sweep alike.

    The sweep's batch holds both the complaint's late clocks and the action's; its handlers lock the
    complaint before the action (dependent kinds after case kinds), and ``corrective_action_complete``
    takes the same order, so neither waits on the other in a cycle.
    """
    from complaints.models import CorrectiveAction
    from complaints.services import corrective_action_add, corrective_action_complete

    for attempt in range(8):
        start = T0 + timedelta(days=3 * attempt)
        complaint = factories.complaint_in(Status.INVESTIGATING, staff=staff, now=start)
        action = corrective_action_add(
            complaint=complaint,
            description="培训回访话术",
            owner=staff["supervisor"],
            due_at=start + timedelta(hours=2),
            actor=staff["supervisor"],
            now=start,
        )
        late = start + timedelta(days=2)  # the action's clock and the complaint's promises are past due

        outcomes = run_together(
            lambda action=action, late=late: corrective_action_complete(
                action=CorrectiveAction(pk=action.pk, complaint_id=action.complaint_id),
                actor=staff["supervisor"],
                note="已完成培训",
                now=late,
            ),
            lambda late=late: sla_sweep(now=late),
        )

        assert kinds(outcomes) == {"ok": 2}, outcomes
        sla_sweep(now=late + timedelta(minutes=1))  # what the racing sweep skipped
        breaches = ClockEvent.objects.filter(
            kind=ClockEvent.Kind.BREACHED, clock__object_id__in=[complaint.pk, action.pk]
        ).values_list("clock_id", flat=True)
        assert len(list(breaches)) == len(set(breaches)), "each breach is recorded once"
        action.refresh_from_db()
        assert action.status == "done"
