"""The ticket lifecycle through ticket_transition: the repair path, pauses, roles, reopen, surveys."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from aftersales.core.models import ClockEvent, OutboxMessage, SlaClock, TrackingLink
from aftersales.core.selectors import clocks_for
from aftersales.core.sla.sweep import sla_sweep
from aftersales.core.tracking import tracking_token_hash
from conftest import shanghai
from tickets.actions import ActionNotAllowed
from tickets.choices import FollowUpKind, Status
from tickets.models import FollowUp, Ticket, TicketEvent
from tickets.services import actions_for, follow_up_complete, survey_answer, ticket_create, ticket_transition

from . import factories

pytestmark = pytest.mark.django_db
T0 = shanghai(2026, 11, 23, 10)


@pytest.fixture
def staff(make_user):
    return factories.staff(make_user)


def clock_states(ticket):
    return {(clock.name, clock.cycle): clock.state for clock in clocks_for(ticket)}


def test_creating_a_ticket_numbers_it_starts_its_clocks_and_sends_the_tracking_link(staff):
    created = ticket_create(
        customer=factories.customer(),
        ticket_type="repair",
        priority="high",
        description="不制冷",
        actor=staff["agent"],
        now=T0,
    )
    ticket = created.ticket

    assert ticket.number == "T2026112300001"
    assert ticket.status == Status.NEW
    assert len(created.tracking_token) >= 32
    assert TrackingLink.objects.filter(
        token_hash=tracking_token_hash(created.tracking_token), object_id=ticket.pk
    ).exists()
    clocks = {clock.name: clock for clock in clocks_for(ticket)}
    assert clocks["first_response"].due_at == T0 + timedelta(hours=2)  # high: 2 h first response
    assert clocks["on_site"].due_at == T0 + timedelta(hours=24)
    assert clocks["resolution"].due_at == T0 + timedelta(hours=48)
    sms = OutboxMessage.objects.get(key=f"ticket:{ticket.pk}:created:sms")
    # The message names the ticket whose link it carries; the link is minted when it is delivered.
    assert "tracking_url" not in sms.context and sms.tracking_object_id == ticket.pk
    assert TicketEvent.objects.get(ticket=ticket).action == "create"


def test_the_repair_path_end_to_end(staff):
    ticket = factories.ticket_in(Status.RESOLVED, staff=staff, now=T0)

    assert [event.action for event in ticket.events.all()] == [
        "create",
        "acknowledge",
        "diagnose",
        "dispatch",
        "start_work",
        "resolve",
    ]
    assert ticket.assignee == staff["technician"]
    assert ticket.first_visit_fixed is True
    assert ticket.entitlement is None  # no registered unit: nothing to decide
    states = clock_states(ticket)
    assert states[("first_response", 1)] == states[("on_site", 1)] == states[("resolution", 1)] == SlaClock.State.MET
    assert states[("csat_reply", 1)] == SlaClock.State.RUNNING

    ticket = ticket_transition(ticket=ticket, action="confirm", by_customer=True, now=T0)
    ticket = ticket_transition(ticket=ticket, action="close", actor=staff["agent"], now=T0)
    assert ticket.status == Status.CLOSED and ticket.closed_at == T0


def test_diagnosing_a_registered_unit_stores_the_entitlement(staff):
    owner = factories.customer()
    unit = factories.unit(owner=owner)
    created = ticket_create(
        customer=owner, ticket_type="repair", description="漏水", unit=unit, actor=staff["agent"], now=T0
    )
    ticket = ticket_transition(ticket=created.ticket, action="acknowledge", actor=staff["agent"], now=T0)
    ticket = ticket_transition(
        ticket=ticket, action="diagnose", actor=staff["technician"], data={"fault_cause": "liquid"}, now=T0
    )

    assert ticket.entitlement.in_warranty is True
    assert ticket.entitlement.outputs["charges"]["parts"] == "at_cost"
    assert ticket.entitlement.purpose == ticket.number


def test_waiting_for_the_customer_pauses_every_clock_and_resume_returns_to_the_same_step(staff):
    ticket = factories.ticket_in(Status.DIAGNOSING, staff=staff, now=T0)
    ticket = ticket_transition(
        ticket=ticket,
        action="wait_customer",
        actor=staff["agent"],
        data={"note": "need photos"},
        now=T0 + timedelta(hours=1),
    )
    assert ticket.status == Status.AWAITING_CUSTOMER
    assert clock_states(ticket)[("resolution", 1)] == SlaClock.State.PAUSED

    ticket = ticket_transition(ticket=ticket, action="resume", actor=staff["agent"], now=T0 + timedelta(hours=25))
    assert ticket.status == Status.DIAGNOSING
    resolution = clocks_for(ticket).get(name="resolution")
    assert resolution.paused_seconds == 24 * 3600
    assert resolution.due_at == T0 + timedelta(hours=72 + 24)  # normal repair: 72 h plus the pause


def test_awaiting_parts_also_pauses_and_returns(staff):
    ticket = factories.ticket_in(Status.IN_PROGRESS, staff=staff, now=T0)
    ticket = ticket_transition(ticket=ticket, action="wait_parts", actor=staff["technician"], now=T0)
    assert clock_states(ticket)[("resolution", 1)] == SlaClock.State.PAUSED
    ticket = ticket_transition(
        ticket=ticket, action="parts_arrived", actor=staff["technician"], now=T0 + timedelta(days=2)
    )
    assert ticket.status == Status.IN_PROGRESS
    assert clock_states(ticket)[("resolution", 1)] == SlaClock.State.RUNNING


@pytest.mark.parametrize(
    ("role", "action", "status"),
    [
        ("technician", "acknowledge", Status.NEW),  # technicians do not answer the phone
        ("manager", "acknowledge", Status.NEW),  # managers watch; they do not work tickets
        ("coordinator", "cancel", Status.NEW),
        ("nobody", "acknowledge", Status.NEW),
        ("agent", "dispatch", Status.DIAGNOSING),  # dispatch is the supervisor's
        ("agent", "start_work", Status.DISPATCHED),
        ("agent", "resolve", Status.IN_PROGRESS),
    ],
)
def test_roles_are_enforced_server_side(staff, role, action, status):
    ticket = factories.ticket_in(status, staff=staff, now=T0)
    events = ticket.events.count()
    with pytest.raises(PermissionDenied):
        ticket_transition(ticket=ticket, action=action, actor=staff[role], data={"note": "x"}, now=T0)
    assert ticket.events.count() == events


def test_only_the_assigned_technician_starts_work(staff, make_user):
    ticket = factories.ticket_in(Status.DISPATCHED, staff=staff, now=T0)
    other = factories.technician(make_user)
    with pytest.raises(PermissionDenied):
        ticket_transition(ticket=ticket, action="start_work", actor=other, now=T0)
    assert (
        ticket_transition(ticket=ticket, action="start_work", actor=staff["technician"], now=T0).status
        == Status.IN_PROGRESS
    )


def test_an_uncertified_technician_cannot_be_dispatched(staff, make_user):
    ticket = factories.ticket_in(Status.DIAGNOSING, staff=staff, now=T0)
    trainee = factories.technician(make_user, certified=False)
    with pytest.raises(ValidationError) as error:
        ticket_transition(
            ticket=ticket, action="dispatch", actor=staff["supervisor"], data={"technician": trainee.username}, now=T0
        )
    assert "technician" in error.value.message_dict


def test_actions_in_the_wrong_state_are_refused_with_nothing_written(staff):
    ticket = factories.ticket_in(Status.NEW, staff=staff, now=T0)
    with pytest.raises(ActionNotAllowed):
        ticket_transition(
            ticket=ticket,
            action="resolve",
            actor=staff["supervisor"],
            data={"resolution": "x", "functional_test": "passed"},
            now=T0,
        )
    assert ticket.events.count() == 1


def test_resolve_needs_a_note_and_a_passed_functional_test(staff):
    ticket = factories.ticket_in(Status.IN_PROGRESS, staff=staff, now=T0)
    for data in (
        {"functional_test": "passed"},
        {"resolution": "fixed"},
        {"resolution": "fixed", "functional_test": "failed"},
    ):
        with pytest.raises(ValidationError):
            ticket_transition(ticket=ticket, action="resolve", actor=staff["technician"], data=data, now=T0)


def test_unknown_action_is_a_validation_error(staff):
    ticket = factories.ticket_in(Status.NEW, staff=staff, now=T0)
    with pytest.raises(ValidationError):
        ticket_transition(ticket=ticket, action="teleport", actor=staff["supervisor"], now=T0)


def test_actions_lists_what_this_user_may_do_now(staff):
    ticket = factories.ticket_in(Status.NEW, staff=staff, now=T0)
    assert actions_for(ticket, staff["agent"]) == ["acknowledge", "cancel"]
    assert actions_for(ticket, staff["manager"]) == []
    assert "dispatch" in actions_for(factories.ticket_in(Status.DIAGNOSING, staff=staff, now=T0), staff["supervisor"])


def test_reopen_within_30_days_restarts_the_resolution_clock(staff):
    ticket = factories.ticket_in(Status.RESOLVED, staff=staff, now=T0)
    ticket = ticket_transition(
        ticket=ticket, action="reopen", by_customer=True, data={"note": "漏水又出现"}, now=T0 + timedelta(days=29)
    )

    assert (ticket.status, ticket.reopened_count, ticket.first_visit_fixed) == (Status.ACKNOWLEDGED, 1, False)
    states = clock_states(ticket)
    assert states[("resolution", 2)] == SlaClock.State.RUNNING
    assert states[("csat_reply", 1)] == SlaClock.State.CANCELLED


def test_reopen_after_30_days_is_refused(staff):
    ticket = factories.ticket_in(Status.RESOLVED, staff=staff, now=T0)
    with pytest.raises(ActionNotAllowed):
        ticket_transition(
            ticket=ticket, action="reopen", by_customer=True, data={"note": "again"}, now=T0 + timedelta(days=31)
        )


def test_customers_may_only_do_customer_actions(staff):
    ticket = factories.ticket_in(Status.NEW, staff=staff, now=T0)
    with pytest.raises(PermissionDenied):
        ticket_transition(ticket=ticket, action="acknowledge", by_customer=True, now=T0)


def test_survey_once_per_resolution_and_low_scores_open_a_follow_up(staff):
    ticket = factories.ticket_in(Status.RESOLVED, staff=staff, now=T0)
    survey = survey_answer(ticket=ticket, score=2, comment="技师迟到", now=T0 + timedelta(hours=3))

    assert survey.score == 2
    assert FollowUp.objects.get(ticket=ticket).kind == FollowUpKind.LOW_SCORE
    assert clock_states(ticket)[("csat_reply", 1)] == SlaClock.State.MET
    with pytest.raises(Exception, match="already rated"):
        survey_answer(ticket=ticket, score=5, now=T0 + timedelta(hours=4))


def test_no_survey_reply_in_7_days_creates_a_return_visit_task(staff):
    ticket = factories.ticket_in(Status.RESOLVED, staff=staff, now=T0)
    sla_sweep(now=T0 + timedelta(days=7, minutes=1))
    follow_up = FollowUp.objects.get(ticket=ticket, kind=FollowUpKind.RETURN_VISIT)
    assert follow_up.assigned_role == "agent"
    assert clock_states(ticket)[("csat_reply", 1)] == SlaClock.State.BREACHED


def test_the_return_visit_call_ends_the_wait_for_a_reply_keeping_its_breach(staff):
    ticket = factories.ticket_in(Status.RESOLVED, staff=staff, now=T0)
    sla_sweep(now=T0 + timedelta(days=7, minutes=1))
    follow_up = FollowUp.objects.get(ticket=ticket, kind=FollowUpKind.RETURN_VISIT)

    follow_up_complete(follow_up=follow_up, actor=staff["agent"], note="客户未接电话", now=T0 + timedelta(days=8))

    reply = next(clock for clock in clocks_for(ticket) if clock.name == "csat_reply")
    assert reply.state == SlaClock.State.CANCELLED
    assert reply.breached_at == T0 + timedelta(days=7)
    assert reply.next_check_at is None


def test_a_late_return_visit_call_leaves_a_later_resolutions_survey_waiting(staff):
    ticket = factories.ticket_in(Status.RESOLVED, staff=staff, now=T0)
    sla_sweep(now=T0 + timedelta(days=7, minutes=1))
    follow_up = FollowUp.objects.get(ticket=ticket, kind=FollowUpKind.RETURN_VISIT)
    later = T0 + timedelta(days=9)
    ticket = ticket_transition(ticket=ticket, action="reopen", by_customer=True, data={"note": "又坏了"}, now=later)
    for action, role, data in factories.REPAIR_PATH[1:]:
        data = {**data, "technician": staff["technician"].username} if action == "dispatch" else data
        ticket = ticket_transition(ticket=ticket, action=action, actor=staff[role], data=data, now=later)

    follow_up_complete(follow_up=follow_up, actor=staff["agent"], now=later + timedelta(hours=1))

    assert clock_states(ticket)[("csat_reply", 2)] == SlaClock.State.RUNNING


def test_a_breach_escalates_once_notifies_the_next_rung_and_asks_for_an_explanation(staff):
    ticket = factories.ticket_in(Status.NEW, staff=staff, now=T0, priority="high")

    sla_sweep(now=T0 + timedelta(hours=3))  # first response (2 h) is late
    sla_sweep(now=T0 + timedelta(hours=3))

    ticket.refresh_from_db()
    assert ticket.escalation_level == 1
    assert ClockEvent.objects.filter(kind="breached").count() == 1
    supervisor_messages = OutboxMessage.objects.filter(recipient_user=staff["supervisor"], template="sla_breach")
    assert supervisor_messages.filter(channel="in_app").count() == 1
    assert FollowUp.objects.filter(ticket=ticket, kind=FollowUpKind.BREACH_REPORT).count() == 1


def test_a_critical_repair_not_restored_in_4_hours_asks_for_a_standby_unit(staff):
    ticket = factories.ticket_in(Status.DISPATCHED, staff=staff, now=T0, priority="critical")
    sla_sweep(now=T0 + timedelta(hours=4, minutes=1))
    assert FollowUp.objects.filter(ticket=ticket, kind=FollowUpKind.SWAP, assigned_role="supervisor").exists()


def test_a_customer_message_alerts_the_assignee_or_the_agents(staff):
    from tickets.services import ticket_customer_message

    ticket = factories.ticket_in(Status.NEW, staff=staff, now=T0)
    event = ticket_customer_message(ticket=ticket, body="照片已上传", now=T0)

    alerted = OutboxMessage.objects.filter(key__startswith=f"ticket:{ticket.pk}:message:{event.pk}:", channel="in_app")
    assert set(alerted.values_list("recipient_user", flat=True)) == {staff["agent"].pk}


def _sweep_queries(now) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        result = sla_sweep(now=now)
    assert result.batches == 1
    return len(queries)


def test_a_sweep_batch_costs_the_same_queries_for_2_or_12_breaching_tickets(staff):
    """The handler writes escalations, follow-ups and messages once per batch, not once per event."""
    for _ in range(2):
        factories.ticket_in(Status.DISPATCHED, staff=staff, now=T0, priority="critical")
    few = _sweep_queries(T0 + timedelta(days=3))
    for _ in range(12):
        factories.ticket_in(Status.DISPATCHED, staff=staff, now=T0 + timedelta(days=10), priority="critical")

    many = _sweep_queries(T0 + timedelta(days=13))

    assert many == few
    # Both breaches (on site, resolution) of every ticket escalated, followed up and told, exactly once.
    assert FollowUp.objects.filter(kind=FollowUpKind.BREACH_REPORT).count() == 14 * 2
    assert FollowUp.objects.filter(kind=FollowUpKind.SWAP).count() == 14
    assert set(Ticket.objects.values_list("escalation_level", flat=True)) == {2}
    breach_messages = OutboxMessage.objects.filter(template="sla_breach", channel="in_app")
    assert breach_messages.filter(recipient_user=staff["technician"]).count() == 14 * 2
