"""Complaint promises: which clocks a complaint gets, how actions move them, what a breach does.

Targets come from ``ComplaintSlaPolicy`` (one row per severity, REQUIREMENTS §4). The clocks run in
the core engine; the core sweep calls ``on_complaint_clock_events`` and
``on_corrective_clock_events`` (registered in apps.py) with each warning and breach exactly once,
inside the sweep's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from aftersales.core.calendars.services import DEFAULT_24X7_CODE
from aftersales.core.cases import PolicyClocks
from aftersales.core.models import BusinessCalendar, SlaClock
from aftersales.core.notifications import users_in_role
from aftersales.core.roles import AGENT, MANAGER
from aftersales.core.selectors import clocks_for
from aftersales.core.sla.handling import HandlerBatch, handle_in_batch
from aftersales.core.sla.messages import sla_message_ids
from aftersales.core.sla.registry import RecordedClockEvent
from aftersales.core.sla.services import clock_cancel, clock_start, clock_stop

from .choices import CORRECTIVE_CLOCK, ClockName, Severity, Status
from .models import BreachReport, Complaint, ComplaintSlaPolicy, CorrectiveAction, default_ladder

WORK_CLOCKS = (ClockName.FIRST_RESPONSE, ClockName.ON_SITE, ClockName.RESOLUTION)
# Major and critical complaints go to the service manager at intake (REQUIREMENTS §5): they start
# on the manager's rung of the ladder, and a breach climbs from there.
ESCALATED_AT_INTAKE = (Severity.MAJOR, Severity.CRITICAL)
_CORRECTIVE_LABEL = _("Corrective action due")


def policy_for(severity: str) -> ComplaintSlaPolicy | None:
    return ComplaintSlaPolicy.objects.select_related("calendar").filter(severity=severity).first()


def ladder_of(complaint: Complaint) -> list[str]:
    return (complaint.sla_policy.escalation_ladder if complaint.sla_policy else None) or default_ladder()


def intake_level(complaint: Complaint) -> int:
    ladder = ladder_of(complaint)
    return ladder.index(MANAGER) if complaint.severity in ESCALATED_AT_INTAKE and MANAGER in ladder else 0


def staff_for_rung(rung: str, complaint: Complaint, members=users_in_role) -> list:
    """The people behind a rung; ``members`` looks up a role group (the sweep passes a cached one)."""
    if rung == "owner":
        return [complaint.owner] if complaint.owner and complaint.owner.is_active else []
    return members(rung)


def owner_or_desk(complaint: Complaint, members=users_in_role) -> list:
    """The owner, or the whole complaint desk while nobody owns it yet."""
    return staff_for_rung("owner", complaint) or members(AGENT)


# --- clocks of a complaint ------------------------------------------------------------------------

# The promises of a severity (ComplaintSlaPolicy minutes per clock), in the order they start.
CLOCKS = PolicyClocks(
    targets={
        ClockName.FIRST_RESPONSE: "first_response_minutes",
        ClockName.ON_SITE: "on_site_minutes",
        ClockName.RESOLUTION: "resolution_minutes",
    }
)
# Waiting for the customer's answer to a proposal is not the service's time.
AWAITING_ANSWER = "awaiting the customer's answer"


def start_clocks(complaint: Complaint, now: datetime, actor=None) -> None:
    CLOCKS.start_all(complaint, now, actor)


def retime(complaint: Complaint, now: datetime, actor=None) -> None:
    """A new severity brings new promises, counted from now; kept promises stay kept."""
    if complaint.sla_policy is None:
        return
    had = {clock.name for clock in clocks_for(complaint)}
    for clock in CLOCKS.open(complaint):
        clock_cancel(clock=clock, now=now, actor=actor, note="reclassified")
        CLOCKS.start(complaint, clock.name, now, actor)
    if ClockName.ON_SITE not in had and complaint.visited_at is None:
        CLOCKS.start(complaint, ClockName.ON_SITE, now, actor)
    if complaint.status == Status.PROPOSED:
        CLOCKS.pause(complaint, [ClockName.RESOLUTION], now, actor, note=AWAITING_ANSWER)


# --- clocks of a corrective action ------------------------------------------------------------------


def start_corrective_clock(action: CorrectiveAction, now: datetime, actor=None) -> None:
    """The due date as a promise on the 7×24 calendar: warned at the thresholds, escalated when late."""
    always = BusinessCalendar.objects.get(code=DEFAULT_24X7_CODE)
    clock_start(
        subject=action,
        name=CORRECTIVE_CLOCK,
        target=action.due_at - now,
        calendar=always,
        now=now,
        actor=actor,
    )


def stop_corrective_clock(action: CorrectiveAction, now: datetime, actor=None) -> None:
    for clock in clocks_for(action).filter(name=CORRECTIVE_CLOCK):
        if clock.is_open:
            clock_stop(clock=clock, now=now, actor=actor)


# --- what warnings and breaches do (called by the core sweep, exactly once per event) ---------


def describe_complaint_for_message(complaint: Complaint, clock: SlaClock) -> dict:
    """What an SLA message says about the complaint, asked when it is delivered (core.sla.messages)."""
    return {
        "subject_label": f"{complaint.number} ({complaint.get_category_display()})",
        "clock_label": str(ClockName(clock.name).label) if clock.name in ClockName.values else "",
        "url": f"/admin/complaints/complaint/{complaint.pk}/change/",
    }


def describe_corrective_for_message(action: CorrectiveAction, clock: SlaClock) -> dict:
    return {
        "subject_label": f"{action.complaint.number}: {action.description[:60]}",
        "clock_label": str(_CORRECTIVE_LABEL),
        "url": f"/admin/complaints/correctiveaction/{action.pk}/change/",
    }


def on_complaint_clock_events(events: Sequence[RecordedClockEvent]) -> None:
    handle_in_batch(events, Complaint.objects.select_related("owner", "sla_policy"), _handle_complaint)


def _handle_complaint(complaint: Complaint, event: RecordedClockEvent, batch: HandlerBatch) -> None:
    key = f"complaint:{complaint.pk}:clock:{event.clock.pk}:{event.kind}:{event.threshold}"
    desk = owner_or_desk(complaint, batch.members)
    if not event.is_breach:
        context = sla_message_ids(event, complaint.escalation_level)
        batch.notify(users=desk, key=key, template="sla_warning", context=context)
        return
    # A breach climbs one rung (up to the top), tells it or the next one up with people, and asks the
    # owner for an explanation and a remedy (000 P1§5).
    _rung, reached = batch.escalate(
        complaint, ladder_of(complaint), event, lambda rung: staff_for_rung(rung, complaint, batch.members)
    )
    context = sla_message_ids(event, complaint.escalation_level)
    batch.notify(users=desk + reached, key=key, template="sla_breach", context=context)
    batch.create_once(
        BreachReport(
            key=f"breach:{event.clock.pk}",
            complaint=complaint,
            clock_name=event.clock.name,
            assignee=complaint.owner,
            created_at=event.occurred_at,
        )
    )


def on_corrective_clock_events(events: Sequence[RecordedClockEvent]) -> None:
    """An overdue corrective action escalates like a clock: owner, then supervisor, manager, executive."""
    handle_in_batch(events, CorrectiveAction.objects.select_related("owner", "complaint"), _handle_corrective)


def _handle_corrective(action: CorrectiveAction, event: RecordedClockEvent, batch: HandlerBatch) -> None:
    key = f"corrective:{action.pk}:clock:{event.clock.pk}:{event.kind}:{event.threshold}"
    owner = [action.owner] if action.owner.is_active else []
    if not event.is_breach:
        context = sla_message_ids(event, action.escalation_level)
        batch.notify(users=owner, key=key, template="sla_warning", context=context)
        return
    ladder = default_ladder()  # its first rung, "owner", is the action's owner
    _rung, reached = batch.escalate(
        action, ladder, event, lambda rung: owner if rung == ladder[0] else batch.members(rung)
    )
    context = sla_message_ids(event, action.escalation_level)
    batch.notify(users=owner + reached, key=key, template="sla_breach", context=context)
