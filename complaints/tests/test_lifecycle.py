"""The complaint lifecycle through the services: intake, duplicates, the flow, approval, the loop."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from aftersales.core.models import OutboxMessage, SlaClock, TrackingLink, UnreachedBreach
from aftersales.core.selectors import clocks_for
from aftersales.core.sla.sweep import sla_sweep
from aftersales.core.tracking import tracking_token_hash
from complaints.actions import ActionNotAllowed
from complaints.choices import Status
from complaints.models import BreachReport, ComplaintEvent, StaffComplaintRecord
from complaints.services import (
    actions_for,
    breach_report_explain,
    complaint_create,
    complaint_customer_message,
    complaint_transition,
)
from conftest import shanghai

from . import factories
from .factories import PROPOSAL

pytestmark = pytest.mark.django_db
T0 = shanghai(2026, 11, 24, 10)  # a Tuesday, inside office hours


@pytest.fixture
def staff(make_user):
    return factories.staff(make_user)


def clocks(complaint) -> dict:
    return {(clock.name, clock.cycle): clock for clock in clocks_for(complaint)}


def states(complaint) -> dict:
    return {key: clock.state for key, clock in clocks(complaint).items()}


def act(complaint, action, actor, data=None, *, now=T0, by_customer=False):
    return complaint_transition(
        complaint=complaint, action=action, actor=actor, by_customer=by_customer, data=data or {}, now=now
    )


# --- intake -------------------------------------------------------------------------------------


def test_a_general_complaint_gets_a_number_working_day_promises_and_a_tracking_link(staff):
    created = complaint_create(
        customer=factories.customer(),
        category="service.attitude",
        description="The technician was rude.",
        channel="phone",
        actor=staff["agent"],
        now=T0,
    )
    complaint = created.complaint

    assert complaint.number == "C2026112400001"
    assert complaint.status == Status.RECEIVED and complaint.escalation_level == 0
    due = {name: clock.due_at for (name, _cycle), clock in clocks(complaint).items()}
    # 1 working day to respond, 3 to resolve, on office hours 09:00–18:00 (000 P2§二).
    assert due == {"first_response": shanghai(2026, 11, 25, 10), "resolution": shanghai(2026, 11, 27, 10)}
    sms = OutboxMessage.objects.get(key=f"complaint:{complaint.pk}:received:sms")
    # The message names the complaint whose link it carries; the link is minted when it is delivered.
    assert sms.template == "complaint_received" and "tracking_url" not in sms.context
    assert (sms.tracking_content_type.model, sms.tracking_object_id) == ("complaint", complaint.pk)
    assert TrackingLink.objects.filter(token_hash=tracking_token_hash(created.tracking_token)).exists()
    assert ComplaintEvent.objects.get(complaint=complaint).action == "create"


def test_major_and_critical_complaints_go_to_the_service_manager_at_intake(staff):
    major = factories.complaint(now=T0, severity="major", staff=staff)
    critical = factories.complaint(
        now=T0, severity="critical", category="product.function_defect", owner=factories.customer(phone="13900000001")
    )

    assert major.escalation_level == 2 == critical.escalation_level  # owner → supervisor → manager
    managers = {staff["manager"].username, staff["manager2"].username}
    for complaint in (major, critical):
        notified = OutboxMessage.objects.filter(
            template="complaint_escalated", key__startswith=f"complaint:{complaint.pk}:"
        )
        assert {message.recipient for message in notified if message.channel == "in_app"} == managers
    assert {name for name, _cycle in clocks(major)} == {"first_response", "resolution"}
    critical_due = {name: clock.due_at for (name, _cycle), clock in clocks(critical).items()}
    assert critical_due == {
        "first_response": T0 + timedelta(hours=1),
        "on_site": T0 + timedelta(hours=24),
        "resolution": T0 + timedelta(hours=48),
    }
    general = factories.complaint(now=T0, owner=factories.customer(phone="13900000002"))
    assert not OutboxMessage.objects.filter(template="complaint_escalated", key__startswith=f"complaint:{general.pk}:")


@pytest.mark.parametrize(
    "bad, field",
    [
        ({"category": "product"}, "category"),
        ({"severity": "urgent"}, "severity"),
        ({"channel": "pigeon"}, "channel"),
        ({"description": "   "}, "description"),
        ({"description": "x" * 5001}, "description"),
    ],
)
def test_intake_refuses_bad_fields_and_writes_nothing(staff, bad, field):
    fields = {"category": "service.attitude", "description": "late", "severity": "general", "channel": "phone"}
    with pytest.raises(ValidationError) as error:
        complaint_create(customer=factories.customer(), actor=staff["agent"], now=T0, **{**fields, **bad})
    assert field in error.value.message_dict
    assert not ComplaintEvent.objects.exists() and not SlaClock.objects.exists()


# --- duplicates ---------------------------------------------------------------------------------


def test_the_same_matter_open_within_30_days_is_linked_not_handled_twice(staff):
    owner = factories.customer()
    unit = factories.unit(owner=owner)
    first = factories.complaint(owner=owner, unit=unit, now=T0, staff=staff)
    again = complaint_create(
        customer=owner,
        unit=unit,
        category="service.attitude",
        description="Still nobody called me!",
        now=T0 + timedelta(days=3),
    )

    second = again.complaint
    assert second.status == Status.LINKED and again.duplicate_of == first
    assert not clocks(second)  # nobody works on the copy: its promises are the original's
    assert ComplaintEvent.objects.filter(complaint=first, action="duplicate_linked", public=False).exists()
    assert OutboxMessage.objects.get(key=f"complaint:{second.pk}:received:sms").template == "complaint_linked"
    # Nobody owns the first one yet, so the whole desk hears that the customer complained again.
    desk = OutboxMessage.objects.filter(template="complaint_duplicate", channel="in_app")
    assert {message.recipient for message in desk} == {staff["agent"].username, staff["agent2"].username}

    # Another category, another unit, or after 30 days: a new matter.
    other_category = complaint_create(
        customer=owner, unit=unit, category="service.late_repair", description="x", now=T0
    )
    other_unit = complaint_create(customer=owner, category="service.attitude", description="x", now=T0)
    later = complaint_create(
        customer=owner, unit=unit, category="service.attitude", description="x", now=T0 + timedelta(days=31)
    )
    assert {other_category.complaint.status, other_unit.complaint.status, later.complaint.status} == {Status.RECEIVED}


def test_a_closed_complaint_is_not_a_duplicate_of_a_new_one(staff):
    closed = factories.complaint_in(Status.CLOSED, staff=staff, now=T0)
    again = complaint_create(customer=closed.customer, category=closed.category, description="again", now=T0)
    assert again.complaint.status == Status.RECEIVED


def test_staff_may_handle_a_repeat_separately_with_a_reason(staff):
    first = factories.complaint(now=T0, staff=staff)
    with pytest.raises(ValidationError):
        complaint_create(
            customer=first.customer,
            category=first.category,
            description="new",
            allow_duplicate=True,
            actor=staff["agent"],
            now=T0,
        )
    with pytest.raises(PermissionDenied):  # a customer cannot skip the rule
        complaint_create(
            customer=first.customer,
            category=first.category,
            description="new",
            allow_duplicate=True,
            duplicate_reason="x",
            now=T0,
        )

    separate = complaint_create(
        customer=first.customer,
        category=first.category,
        description="a new failure",
        allow_duplicate=True,
        duplicate_reason="A different visit, a different technician.",
        actor=staff["agent"],
        now=T0,
    ).complaint
    assert separate.status == Status.RECEIVED and separate.duplicate_override_reason.startswith("A different")


def test_a_supervisor_unlinks_a_wrongly_linked_complaint_and_its_promises_start(staff):
    first = factories.complaint(now=T0, staff=staff)
    linked = complaint_create(customer=first.customer, category=first.category, description="again", now=T0).complaint

    with pytest.raises(PermissionDenied):
        act(linked, "unlink", staff["agent"], {"note": "different problem"})
    with pytest.raises(ValidationError):
        act(linked, "unlink", staff["supervisor"], {})
    later = T0 + timedelta(hours=1)
    unlinked = act(linked, "unlink", staff["supervisor"], {"note": "A different problem."}, now=later)

    assert unlinked.status == Status.RECEIVED and unlinked.duplicate_of is None
    assert clocks(unlinked)[("first_response", 1)].started_at == later


# --- the flow -----------------------------------------------------------------------------------


def test_the_whole_flow_from_intake_to_archive(staff):
    complaint = factories.complaint(now=T0, staff=staff)

    complaint = act(complaint, "acknowledge", staff["agent"], {"note": "Called back."}, now=T0 + timedelta(hours=1))
    assert complaint.owner == staff["agent"]  # whoever answers first owns it unless told otherwise
    assert complaint.promised_by == shanghai(2026, 11, 27, 10)  # the resolution promise, told to the customer
    assert states(complaint)[("first_response", 1)] == SlaClock.State.MET
    acknowledged = OutboxMessage.objects.get(key=f"complaint:{complaint.pk}:acknowledged:sms")
    assert acknowledged.context["promised_by"] == "2026-11-27 10:00"

    complaint = act(complaint, "investigate", staff["supervisor"], now=T0 + timedelta(hours=2))
    complaint = act(
        complaint,
        "propose_resolution",
        staff["supervisor"],
        {**PROPOSAL, "responsible_staff": staff["technician"].username},
        now=T0 + timedelta(hours=3),
    )
    assert complaint.status == Status.PROPOSED and complaint.approved_by == staff["supervisor"]
    assert states(complaint)[("resolution", 1)] == SlaClock.State.PAUSED  # the customer's time to answer
    assert OutboxMessage.objects.filter(
        key__startswith=f"complaint:{complaint.pk}:proposed:", template="complaint_proposed"
    ).exists()

    complaint = act(complaint, "confirm", None, by_customer=True, now=T0 + timedelta(hours=5))
    assert complaint.status == Status.CONFIRMED
    assert states(complaint)[("resolution", 1)] == SlaClock.State.MET
    assert not StaffComplaintRecord.objects.exists()  # recorded when the complaint is archived

    with pytest.raises(ValidationError):  # closing needs the return visit's outcome
        act(complaint, "close", staff["agent"])
    complaint = act(complaint, "close", staff["agent"], {"return_visit": "Satisfied."}, now=T0 + timedelta(days=1))
    assert complaint.status == Status.CLOSED and complaint.return_visit == "Satisfied."
    record = StaffComplaintRecord.objects.get()
    assert (record.staff, record.complaint, record.root_causes) == (
        staff["technician"],
        complaint,
        ["miscommunication"],
    )
    assert [event.action for event in complaint.events.all()] == [
        "create",
        "acknowledge",
        "investigate",
        "propose_resolution",
        "confirm",
        "close",
    ]


def test_an_objection_loops_back_to_investigation_and_the_clock_runs_again(staff):
    complaint = factories.complaint_in(Status.PROPOSED, staff=staff, now=T0)

    with pytest.raises(ValidationError):  # the customer says what they do not accept
        act(complaint, "object", None, by_customer=True)
    complaint = act(complaint, "object", None, {"note": "A coupon is not enough."}, by_customer=True)

    assert complaint.status == Status.INVESTIGATING and complaint.objection_count == 1
    assert states(complaint)[("resolution", 1)] == SlaClock.State.RUNNING
    assert OutboxMessage.objects.filter(template="complaint_objection", recipient=staff["agent"].username).exists()
    complaint = act(complaint, "propose_resolution", staff["supervisor"], {**PROPOSAL, "compensation_amount": "300"})
    assert complaint.status == Status.PROPOSED and complaint.compensation_amount == Decimal("300")
    # A new proposal is a new message to the customer, not a duplicate of the first.
    assert OutboxMessage.objects.filter(template="complaint_proposed", channel="sms").count() == 2


def test_closing_without_the_customers_confirmation_needs_three_attempts_and_a_reason(staff):
    complaint = factories.complaint_in(Status.PROPOSED, staff=staff, now=T0)

    with pytest.raises(ActionNotAllowed):
        act(complaint, "close", staff["agent"], {"close_reason": "no answer"})
    with pytest.raises(ValidationError):
        act(complaint, "contact_attempt", staff["agent"])
    for attempt in range(3):
        complaint = act(complaint, "contact_attempt", staff["agent"], {"note": f"Called, no answer ({attempt + 1})."})
    assert complaint.contact_attempts == 3 and complaint.status == Status.PROPOSED
    assert "close" in actions_for(complaint, staff["agent"])
    with pytest.raises(ValidationError):
        act(complaint, "close", staff["agent"], {})
    complaint = act(complaint, "close", staff["agent"], {"close_reason": "Three calls and an SMS, no answer."})
    assert complaint.status == Status.CLOSED and complaint.close_reason.startswith("Three calls")
    assert states(complaint)[("resolution", 1)] == SlaClock.State.MET


def test_compensation_above_the_limit_waits_for_the_service_manager(staff, settings):
    settings.COMPLAINT_COMPENSATION_APPROVAL_LIMIT = 500
    complaint = factories.complaint_in(Status.INVESTIGATING, staff=staff, now=T0)

    complaint = act(complaint, "propose_resolution", staff["supervisor"], {**PROPOSAL, "compensation_amount": "800"})
    assert complaint.status == Status.AWAITING_APPROVAL and complaint.approved_by is None
    assert states(complaint)[("resolution", 1)] == SlaClock.State.RUNNING  # internal time counts
    assert not OutboxMessage.objects.filter(template="complaint_proposed").exists()
    approvers = OutboxMessage.objects.filter(template="complaint_approval", channel="in_app")
    assert {message.recipient for message in approvers} == {staff["manager"].username, staff["manager2"].username}

    with pytest.raises(PermissionDenied):
        act(complaint, "approve_resolution", staff["supervisor"])
    complaint = act(complaint, "approve_resolution", staff["manager"], now=T0 + timedelta(hours=2))
    assert complaint.status == Status.PROPOSED and complaint.approved_by == staff["manager"]
    assert complaint.proposed_at == T0 + timedelta(hours=2)
    assert OutboxMessage.objects.filter(template="complaint_proposed").exists()


def test_a_rejected_proposal_goes_back_and_no_one_approves_their_own(staff, settings):
    settings.COMPLAINT_COMPENSATION_APPROVAL_LIMIT = 500
    complaint = factories.complaint_in(Status.INVESTIGATING, staff=staff, now=T0)
    complaint = act(complaint, "propose_resolution", staff["supervisor"], {**PROPOSAL, "compensation_amount": "900"})

    with pytest.raises(ValidationError):
        act(complaint, "reject_resolution", staff["manager"])
    complaint = act(complaint, "reject_resolution", staff["manager"], {"note": "Offer a repair instead."})
    assert complaint.status == Status.INVESTIGATING

    # A manager may propose within their own authority, but the four-eyes rule binds the approval step.
    complaint = act(complaint, "propose_resolution", staff["manager"], {**PROPOSAL, "compensation_amount": "900"})
    assert complaint.status == Status.PROPOSED and complaint.approved_by == staff["manager"]


def test_the_proposal_must_name_a_cause_and_root_causes(staff):
    complaint = factories.complaint_in(Status.INVESTIGATING, staff=staff, now=T0)
    cases = [
        ({"cause": "weather"}, "cause"),
        ({"root_causes": []}, "root_causes"),
        ({"root_causes": ["bad_luck"]}, "root_causes"),
        ({"resolution_type": "magic"}, "resolution_type"),
        ({"compensation_amount": "-1"}, "compensation_amount"),
        ({"compensation_amount": "NaN"}, "compensation_amount"),
        ({"compensation_amount": "1.234"}, "compensation_amount"),
        ({"compensation_kind": ""}, "compensation_kind"),
        ({"cause": "policy", "responsible_staff": staff["technician"].username}, "responsible_staff"),
        ({"resolution": ""}, "resolution"),
    ]
    for change, field in cases:
        with pytest.raises(ValidationError) as error:
            act(complaint, "propose_resolution", staff["supervisor"], {**PROPOSAL, **change})
        assert field in error.value.message_dict, change
    complaint.refresh_from_db()
    assert complaint.status == Status.INVESTIGATING and complaint.cause == ""
    unsubstantiated = {**PROPOSAL, "cause": "not_substantiated", "root_causes": [], "resolution_type": "explanation"}
    unsubstantiated.update(compensation_kind="", compensation_amount="0")
    assert act(complaint, "propose_resolution", staff["supervisor"], unsubstantiated).status == Status.PROPOSED


# --- roles ----------------------------------------------------------------------------------------


def test_roles_are_enforced_on_every_step(staff, make_user):
    complaint = factories.complaint(now=T0, staff=staff)
    for user in (staff["technician"], staff["coordinator"], staff["nobody"]):
        with pytest.raises(PermissionDenied):
            act(complaint, "acknowledge", user)
        assert actions_for(complaint, user) == []
    with pytest.raises(PermissionDenied):
        act(complaint, "acknowledge", None, by_customer=True)
    assert actions_for(complaint, staff["agent"]) == ["acknowledge", "classify", "withdraw"]

    complaint = act(complaint, "acknowledge", staff["agent"], {"owner": staff["supervisor"].username})
    assert complaint.owner == staff["supervisor"]
    with pytest.raises(PermissionDenied):  # agents answer; investigating is for owners and supervisors
        act(complaint, "investigate", staff["agent"])

    # Someone who may investigate but not assign works only on the complaints they own.
    from django.contrib.auth.models import Permission

    investigator = make_user(None)
    investigator.user_permissions.add(Permission.objects.get(codename="investigate_complaint"))
    investigator = type(investigator).objects.get(pk=investigator.pk)
    with pytest.raises(PermissionDenied):
        act(complaint, "investigate", investigator)
    assert act(complaint, "investigate", staff["supervisor"]).status == Status.INVESTIGATING


def test_the_owner_must_be_someone_who_handles_complaints(staff):
    complaint = factories.complaint(now=T0, staff=staff)
    with pytest.raises(ValidationError):
        act(complaint, "acknowledge", staff["agent"], {"owner": staff["technician"].username})
    with pytest.raises(ValidationError):
        act(complaint, "acknowledge", staff["agent"], {"owner": "ghost"})
    with pytest.raises(ValidationError):
        act(complaint, "acknowledge", staff["agent"], {"promised_by": "2026-11-24T09:00:00+08:00"})  # the past
    with pytest.raises(ValidationError):
        act(complaint, "acknowledge", staff["agent"], {"promised_by": "2026-11-30T09:00:00"})  # no offset
    promised = act(complaint, "acknowledge", staff["agent"], {"promised_by": "2026-11-26T17:00:00+08:00"})
    assert promised.promised_by == shanghai(2026, 11, 26, 17)


def test_wrong_state_is_a_conflict(staff):
    complaint = factories.complaint(now=T0, staff=staff)
    for action in ("investigate", "confirm", "close", "reopen", "approve_resolution", "unlink"):
        with pytest.raises(ActionNotAllowed):
            act(
                complaint,
                action,
                staff["supervisor"] if action != "approve_resolution" else staff["manager"],
                {"note": "x"},
            )


# --- reopen and withdraw ------------------------------------------------------------------------------


def test_the_customer_reopens_within_30_days_and_a_new_resolution_promise_starts(staff):
    complaint = factories.complaint_in(Status.CLOSED, staff=staff, now=T0)

    with pytest.raises(ActionNotAllowed):
        act(complaint, "reopen", None, {"note": "again"}, by_customer=True, now=T0 + timedelta(days=31))
    reopened = act(
        complaint, "reopen", None, {"note": "It happened again."}, by_customer=True, now=T0 + timedelta(days=29)
    )

    assert reopened.status == Status.INVESTIGATING and reopened.reopened_count == 1
    assert reopened.closed_at is None and reopened.contact_attempts == 0
    assert states(reopened)[("resolution", 2)] == SlaClock.State.RUNNING


def test_a_withdrawn_complaint_promises_nothing_more(staff):
    complaint = factories.complaint_in(Status.ACKNOWLEDGED, staff=staff, now=T0)
    with pytest.raises(ValidationError):
        act(complaint, "withdraw", staff["agent"])
    complaint = act(complaint, "withdraw", staff["agent"], {"note": "The customer withdrew by phone."})
    assert complaint.status == Status.WITHDRAWN
    assert set(states(complaint).values()) <= {SlaClock.State.MET, SlaClock.State.CANCELLED}


# --- SLA: warnings and breaches exactly once ---------------------------------------------------------


def test_warnings_go_to_the_owner_and_a_breach_climbs_once_and_asks_for_a_report(staff):
    complaint = factories.complaint(now=T0, staff=staff, severity="major")
    complaint = act(complaint, "acknowledge", staff["agent"], now=T0 + timedelta(minutes=5))

    first = sla_sweep(now=T0 + timedelta(hours=30))  # 62 % of 48 h: the 50 % warning
    again = sla_sweep(now=T0 + timedelta(hours=30))
    assert (first.warnings, again.warnings) == (1, 0)
    warned = OutboxMessage.objects.filter(template="sla_warning", channel="in_app")
    assert [message.recipient for message in warned] == [staff["agent"].username]

    sla_sweep(now=T0 + timedelta(hours=49))
    sla_sweep(now=T0 + timedelta(hours=50))
    complaint.refresh_from_db()
    assert complaint.escalation_level == 3  # from the manager's rung to the executive's
    report = BreachReport.objects.get()
    assert (report.complaint, report.clock_name, report.assignee) == (complaint, "resolution", staff["agent"])
    breach = OutboxMessage.objects.filter(template="sla_breach", channel="in_app")
    # No superuser and no administrator exists: the owner is told, and the escalation that found
    # nobody above the managers is an alarm.
    assert [message.recipient for message in breach] == [staff["agent"].username]
    assert UnreachedBreach.objects.get().rung == "executive"

    with pytest.raises(ValidationError):
        breach_report_explain(report=report, actor=staff["agent"], explanation="Busy.", remedy="")
    breach_report_explain(report=report, actor=staff["agent"], explanation="Parts were late.", remedy="Called daily.")
    report.refresh_from_db()
    assert report.done_by == staff["agent"]
    with pytest.raises(ActionNotAllowed):
        breach_report_explain(report=report, actor=staff["agent"], explanation="x", remedy="y")


def test_a_general_complaint_waits_for_office_hours(staff):
    complaint = factories.complaint(now=shanghai(2026, 11, 27, 17), staff=staff)  # Friday 17:00
    due = clocks(complaint)[("first_response", 1)].due_at
    assert due == shanghai(2026, 11, 30, 17)  # Monday 17:00: the weekend does not count
    assert sla_sweep(now=shanghai(2026, 11, 30, 16, 59)).breaches == 0
    assert sla_sweep(now=shanghai(2026, 11, 30, 17, 1)).breaches == 1


def test_a_customer_message_reaches_the_owner(staff):
    complaint = factories.complaint_in(Status.ACKNOWLEDGED, staff=staff, now=T0)
    with pytest.raises(ValidationError):
        complaint_customer_message(complaint=complaint, body=" ")
    event = complaint_customer_message(complaint=complaint, body="Any news?", now=T0)
    assert event.by_customer and event.public
    message = OutboxMessage.objects.get(template="complaint_customer_message", channel="in_app")
    assert message.recipient == staff["agent"].username


# --- triage ---------------------------------------------------------------------------------------


def test_raising_the_severity_re_times_the_promises_and_tells_the_service_manager(staff):
    complaint = factories.complaint_in(Status.ACKNOWLEDGED, staff=staff, now=T0)
    later = T0 + timedelta(hours=2)

    with pytest.raises(ValidationError):  # the reclassification is audited: say why
        act(complaint, "classify", staff["agent"], {"severity": "critical"}, now=later)
    with pytest.raises(ValidationError):
        act(complaint, "classify", staff["agent"], {"severity": "general", "note": "no change"}, now=later)
    complaint = act(complaint, "classify", staff["agent"], {"severity": "critical", "note": "Gas smell."}, now=later)

    assert complaint.severity == "critical" and complaint.status == Status.ACKNOWLEDGED
    assert complaint.escalation_level == 2
    current = {name: clock for (name, _cycle), clock in clocks(complaint).items() if clock.is_open}
    # The first response was given already; the visit and the resolution are promised anew from now.
    assert {name: clock.due_at for name, clock in current.items()} == {
        "on_site": later + timedelta(hours=24),
        "resolution": later + timedelta(hours=48),
    }
    assert states(complaint)[("first_response", 1)] == SlaClock.State.MET
    assert states(complaint)[("resolution", 1)] == SlaClock.State.CANCELLED
    escalated = OutboxMessage.objects.filter(template="complaint_escalated", channel="in_app")
    assert {message.recipient for message in escalated} == {staff["manager"].username, staff["manager2"].username}

    recategorised = act(complaint, "classify", staff["agent"], {"category": "product.function_defect", "note": "x"})
    assert recategorised.category == "product.function_defect"
    assert OutboxMessage.objects.filter(template="complaint_escalated", channel="in_app").count() == 2  # not again


def test_public_intake_links_only_the_customers_own_ticket_and_keeps_unknown_serials(staff):
    from complaints.intake import complaint_submit
    from tickets.services import ticket_create

    owner = factories.customer(phone="13800138000")
    stranger = factories.customer(phone="13900139000", name="路人")
    own_ticket = ticket_create(customer=owner, ticket_type="repair", description="x", now=T0).ticket
    other_ticket = ticket_create(customer=stranger, ticket_type="repair", description="x", now=T0).ticket

    mine = complaint_submit(
        category="service.late_repair",
        name="Someone else",
        phone="138 0013 8000",
        description="Still waiting.",
        ticket_number=own_ticket.number.lower(),
        serial="NOPE-1",
    )
    assert mine.created.complaint.customer == owner and owner.name == "赵敏"  # the record is not changed
    assert list(mine.created.complaint.tickets.all()) == [own_ticket] and mine.ticket_linked
    assert mine.serial_registered is False and "NOPE-1" in mine.created.complaint.description
    assert mine.created.complaint.severity == "general"

    theirs = complaint_submit(
        category="service.attitude", name="x", phone="13800138000", description="y", ticket_number=other_ticket.number
    )
    assert theirs.ticket_linked is False and not theirs.created.complaint.tickets.exists()


def test_linked_duplicates_end_with_the_complaint_that_handled_their_matter(staff):
    original = factories.complaint_in(Status.CONFIRMED, staff=staff, now=T0)
    first = complaint_create(customer=original.customer, category=original.category, description="x", now=T0)
    # A confirmed complaint is no longer open: a new one is a new matter, not a duplicate of it.
    assert first.complaint.status == Status.RECEIVED

    open_one = factories.complaint(now=T0, staff=staff, owner=factories.customer(phone="13900000077"))
    linked = complaint_create(customer=open_one.customer, category=open_one.category, description="y", now=T0)
    withdrawn_copy = complaint_create(customer=open_one.customer, category=open_one.category, description="z", now=T0)
    act(withdrawn_copy.complaint, "withdraw", staff["agent"], {"note": "The customer withdrew the copy."})
    act(open_one, "withdraw", staff["agent"], {"note": "Solved on the phone."})

    linked_complaint = linked.complaint
    linked_complaint.refresh_from_db()
    assert linked_complaint.status == Status.WITHDRAWN
    event = linked_complaint.events.get(action="follow_original")
    assert event.data == {"original": open_one.number} and event.public

    original = factories.complaint_in(
        Status.PROPOSED, staff=staff, now=T0, owner=factories.customer(phone="13900000088")
    )
    copy = complaint_create(customer=original.customer, category=original.category, description="again", now=T0)
    act(original, "confirm", None, by_customer=True)
    closed = act(original, "close", staff["agent"], {"return_visit": "Satisfied."})
    copy.complaint.refresh_from_db()
    assert closed.status == Status.CLOSED
    assert (copy.complaint.status, copy.complaint.close_reason) == (Status.CLOSED, f"handled as {original.number}")
