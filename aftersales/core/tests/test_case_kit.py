"""The case kit (aftersales/core/cases): one lock order, authorization in the services, declared actions.

These run against the two kinds that use the kit today (tickets, complaints); the emergency kind
plugs in the same way.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftersales.core.cases import ActionNotAllowed, case_spec, registered_cases
from aftersales.core.models import SlaClock
from aftersales.core.sla import registry
from aftersales.core.sla.registry import RecordedClockEvent
from aftersales.core.trackables import registered_trackables
from complaints.tests import factories as complaint_factories
from conftest import shanghai
from tickets.choices import Status
from tickets.models import PartUsage, StandbyUnit, Ticket, TicketEvent
from tickets.services import (
    follow_up_complete,
    part_record,
    standby_lend,
    survey_answer,
    ticket_register,
    ticket_staff_note,
    ticket_transition,
)
from tickets.tests import factories

pytestmark = pytest.mark.django_db
T0 = shanghai(2026, 11, 23, 10)


@pytest.fixture
def staff(make_user):
    return factories.staff(make_user)


# --- the registry ------------------------------------------------------------------------------------


def test_each_kind_is_one_registered_spec_that_feeds_the_sweep_and_the_portal():
    kinds = {spec.kind: spec for spec in registered_cases()}
    assert {"ticket", "complaint", "incident"} <= set(kinds)
    assert kinds["ticket"].trackable and kinds["complaint"].trackable
    for spec in kinds.values():
        # The sweep's handler of the kind's model, and its trackable behind /track/<token>/ for
        # the kinds customers follow (an incident has none: customers are told, they do not track it).
        assert registry._key(spec.model) in registry._handlers
        tracked = {trackable.kind for trackable in registered_trackables()}
        assert (spec.kind in tracked) == (spec.trackable is not None)
        # Every action is a transition method of the model, with a label for the buttons.
        assert all(callable(getattr(spec.model, name)) and spec.actions[name].label for name in spec.actions)


def test_the_sweep_hands_dependent_rows_to_their_handlers_after_their_cases(monkeypatch):
    """Clocks → case → dependent rows: a corrective action's events after every complaint's."""
    from complaints.models import Complaint, CorrectiveAction

    calls = []
    monkeypatch.setitem(registry._handlers, "complaints.complaint", lambda events: calls.append("complaint"))
    monkeypatch.setitem(registry._handlers, "complaints.correctiveaction", lambda events: calls.append("corrective"))

    def event(model, pk):
        from django.contrib.contenttypes.models import ContentType

        clock = SlaClock(pk=pk, content_type=ContentType.objects.get_for_model(model), object_id=pk)
        return RecordedClockEvent(event_id=pk, clock=clock, kind="breached", threshold=100, occurred_at=T0)

    registry.dispatch([event(CorrectiveAction, 1), event(Complaint, 2), event(CorrectiveAction, 3)])

    assert calls == ["complaint", "corrective"]


# --- authorization inside the services ---------------------------------------------------------------


def test_a_staff_note_is_refused_to_who_may_not_write_it(staff, make_user):
    ticket = factories.ticket_in(Status.DISPATCHED, staff=staff, now=T0)
    other = factories.technician(make_user, username="tech-other")
    for actor, public in [
        (staff["manager"], False),  # watches the queue, does not work it
        (staff["technician"], True),  # works it, but writing to the customer is the service desk's
        (other, False),  # a technician who may not see this ticket
        (None, False),
    ]:
        with pytest.raises(PermissionDenied):
            ticket_staff_note(ticket=ticket, body="看过了", actor=actor, public=public, now=T0)
    note = ticket_staff_note(ticket=ticket, body="已电话确认地址", actor=staff["technician"], now=T0)
    assert (note.action, note.public) == ("note", False)
    assert ticket_staff_note(ticket=ticket, body="技师明天上门", actor=staff["agent"], public=True, now=T0).public


def test_recording_a_part_checks_who_and_the_locked_state_and_leaves_an_event(staff, make_user):
    ticket = factories.ticket_in(Status.IN_PROGRESS, staff=staff, now=T0)
    part = {"part_number": "AC-CAP-35", "description": "电容", "quantity": 1, "unit_cost": Decimal("25")}
    for actor in (staff["agent"], staff["manager"], factories.technician(make_user, username="tech-other")):
        with pytest.raises(PermissionDenied):
            part_record(ticket=ticket, actor=actor, now=T0, **part)
    usage = part_record(ticket=ticket, actor=staff["technician"], now=T0, **part)
    event = TicketEvent.objects.get(ticket=ticket, action="part_recorded")
    assert event.data["part"] == usage.pk and event.actor == staff["technician"] and not event.public

    # The state is read on the locked row: a stale instance does not let a part onto a resolved ticket.
    stale = Ticket.objects.get(pk=ticket.pk)
    ticket_transition(
        ticket=ticket,
        action="resolve",
        actor=staff["technician"],
        data={"resolution": "换电容", "functional_test": "passed"},
        now=T0,
    )
    with pytest.raises(ActionNotAllowed):
        part_record(ticket=stale, actor=staff["technician"], now=T0, **part)
    assert PartUsage.objects.filter(ticket=ticket).count() == 1


def test_the_other_writes_of_a_ticket_refuse_roles_that_may_not(staff):
    ticket = factories.ticket_in(Status.IN_PROGRESS, staff=staff, now=T0)
    unit = StandbyUnit.objects.create(serial="SB-1", product_model=factories.air_conditioner())
    with pytest.raises(PermissionDenied):
        standby_lend(ticket=ticket, standby_unit=unit, actor=staff["technician"], now=T0)
    with pytest.raises(PermissionDenied):
        survey_answer(ticket=ticket, score=5, agent=staff["technician"], now=T0)  # takes answers: the desk
    with pytest.raises(PermissionDenied):
        ticket_register(customer=factories.customer(), ticket_type="repair", description="x", actor=staff["technician"])
    from tickets.models import FollowUp

    follow_up = FollowUp.objects.create(
        ticket=ticket, kind="swap", key="swap:test", assigned_role="supervisor", created_at=T0
    )
    with pytest.raises(PermissionDenied):
        follow_up_complete(follow_up=follow_up, actor=staff["manager"], now=T0)


def test_a_complaint_note_and_file_are_refused_outside_the_complaint_desk(make_user):
    from complaints.services import complaint_attach, complaint_staff_note

    people = complaint_factories.staff(make_user)
    complaint = complaint_factories.complaint(now=T0, staff=people)
    technician = factories.technician(make_user, username="tech-c")
    with pytest.raises(PermissionDenied):
        complaint_staff_note(complaint=complaint, body="我来看看", actor=technician, now=T0)
    with pytest.raises(PermissionDenied):
        complaint_attach(complaint, factories_png(), by=technician, now=T0)


def factories_png():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("p.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, content_type="image/png")


# --- declared actions ---------------------------------------------------------------------------------


WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.mark.parametrize("kind", ["ticket", "complaint"])
def test_preparing_an_action_only_reads(kind, staff, make_user):
    """``prepare`` validates and reads; the rows an action points at are written by ``record``."""
    spec = case_spec(kind)
    if kind == "ticket":
        case = factories.ticket_in(Status.ACKNOWLEDGED, staff=staff, now=T0, owner=factories.customer())
        case.unit = factories.unit(owner=case.customer)
        case.save(update_fields=["unit"])
        actor, data = staff["technician"], {"diagnosis": "电容老化", "fault_cause": "quality_defect"}
        action = "diagnose"
    else:
        people = complaint_factories.staff(make_user)
        case = complaint_factories.complaint(now=T0, staff=people)
        actor, data, action = people["agent"], {}, "acknowledge"
    with CaptureQueriesContext(connection) as queries:
        spec.actions[action].prepare(case, data, actor, T0)
    assert not [query["sql"] for query in queries if query["sql"].lstrip().upper().startswith(WRITES)]


def test_a_declared_action_moves_its_clocks_and_records_what_it_points_at(staff):
    ticket = factories.ticket_in(Status.ACKNOWLEDGED, staff=staff, now=T0)
    ticket.unit = factories.unit(owner=ticket.customer)
    ticket.save(update_fields=["unit"])
    ticket = ticket_transition(
        ticket=ticket,
        action="diagnose",
        actor=staff["technician"],
        data={"diagnosis": "电容老化", "fault_cause": "quality_defect"},
        now=T0,
    )
    event = TicketEvent.objects.filter(ticket=ticket, action="diagnose").get()
    assert ticket.entitlement is not None and event.data["entitlement"] == ticket.entitlement_id
    clocks = {clock.name: clock.state for clock in SlaClock.objects.filter(object_id=ticket.pk)}
    assert clocks["first_response"] == "met"  # stopped by acknowledge, as its spec declares


def test_an_action_and_its_message_to_the_customer_commit_together_or_not_at_all(staff):
    ticket = factories.ticket_in(Status.NEW, staff=staff, now=T0)
    with pytest.raises(ValidationError):
        ticket_transition(ticket=ticket, action="acknowledge", actor=staff["agent"], customer_message="x\x00", now=T0)
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW and not TicketEvent.objects.filter(ticket=ticket, action="note").exists()

    ticket = ticket_transition(
        ticket=ticket, action="acknowledge", actor=staff["agent"], customer_message="我们已收到，今天内联系您", now=T0
    )
    events = list(TicketEvent.objects.filter(ticket=ticket).order_by("id").values_list("action", "public"))
    assert events[-2:] == [("acknowledge", True), ("note", True)]

    # Writing to the customer is the service desk's: a technician's action with a message is refused whole.
    working = factories.ticket_in(Status.IN_PROGRESS, staff=staff, now=T0)
    with pytest.raises(PermissionDenied):
        ticket_transition(
            ticket=working,
            action="resolve",
            actor=staff["technician"],
            data={"resolution": "换电容", "functional_test": "passed"},
            customer_message="修好了",
            now=T0,
        )
    working.refresh_from_db()
    assert working.status == Status.IN_PROGRESS


# --- the portal shell knows no kind ---------------------------------------------------------------------


def test_the_portal_shell_names_no_kind_of_case():
    """The shell serves whatever registered (tickets, complaints, incidents next) without asking which."""
    root = Path(__file__).resolve().parents[3]
    sources = [*sorted((root / "aftersales/portal").glob("*.py")), *sorted((root / "templates/portal").glob("*.html"))]
    words = ("ticket", "complaint", "incident")
    offenders = [
        source.name for source in sources if any(word in source.read_text(encoding="utf-8").lower() for word in words)
    ]
    assert sources and offenders == []
