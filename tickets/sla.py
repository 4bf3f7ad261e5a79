"""Ticket SLA: which promises a ticket gets, how transitions move its clocks, what a breach does.

Targets come from the SLA matrix (``SlaPolicy``: type × priority × customer tier, REQUIREMENTS §4).
Clocks run in the core engine; the core sweep calls ``on_clock_events`` (registered in apps.py)
with each warning and breach exactly once, inside the sweep's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from aftersales.core.calendars.services import DEFAULT_24X7_CODE
from aftersales.core.cases import PolicyClocks
from aftersales.core.models import BusinessCalendar, SlaClock
from aftersales.core.sla.handling import HandlerBatch, handle_in_batch
from aftersales.core.sla.messages import sla_message_ids
from aftersales.core.sla.registry import RecordedClockEvent
from aftersales.core.sla.services import clock_cancel, clock_start

from .choices import ClockName, FollowUpKind, Priority, TicketType
from .models import FollowUp, SlaPolicy, Ticket
from .notifications import staff_for_role

# No reply to the return-visit survey within 7 days → an agent calls (002 §4).
CSAT_REPLY_WINDOW = timedelta(days=7)
_ON_SITE_TYPES = {TicketType.REPAIR, TicketType.INSTALLATION, TicketType.MAINTENANCE}


def sla_policy_for(*, ticket_type: str, priority: str, customer_tier: str) -> SlaPolicy | None:
    """The most specific cell: this tier if the matrix has it, else the row for every tier."""
    cells = SlaPolicy.objects.select_related("calendar").filter(
        ticket_type=ticket_type, priority=priority, customer_tier__in=[customer_tier, ""]
    )
    return min(cells, key=lambda cell: cell.customer_tier == "", default=None)


def _on_site_applies(ticket: Ticket, name: str) -> bool:
    return name != ClockName.ON_SITE or ticket.ticket_type in _ON_SITE_TYPES


# The ticket's promises (SlaPolicy minutes per clock); the survey's reply window ends with the ticket.
CLOCKS = PolicyClocks(
    targets={
        ClockName.FIRST_RESPONSE: "first_response_minutes",
        ClockName.ON_SITE: "on_site_minutes",
        ClockName.RESOLUTION: "resolution_minutes",
    },
    others=(ClockName.CSAT_REPLY,),
    applies=_on_site_applies,
)


def start_clocks(ticket: Ticket, now: datetime) -> None:
    CLOCKS.start_all(ticket, now)


def start_csat_reply(ticket: Ticket, now: datetime) -> None:
    always = BusinessCalendar.objects.get(code=DEFAULT_24X7_CODE)
    clock_start(subject=ticket, name=ClockName.CSAT_REPLY, target=CSAT_REPLY_WINDOW, calendar=always, now=now)


def end_csat_reply(ticket: Ticket, now: datetime, actor=None, *, started_before: datetime) -> None:
    """The return-visit call was made, rated or not: nobody waits for that reply any longer.

    Without this an unanswered survey's clock would stay ``breached`` for ever and count as open.
    Cancelling keeps its breach in the history. Only clocks started before ``started_before`` (the
    call's follow-up) end: a later resolution's survey waits for its own reply.
    """
    for clock in CLOCKS.open(ticket, [ClockName.CSAT_REPLY]):
        if clock.started_at <= started_before:
            clock_cancel(clock=clock, now=now, actor=actor, note="return visit done")


# --- what warnings and breaches do (called by the core sweep, exactly once per event) ---------


def _follow_up(ticket: Ticket, kind: str, key: str, role: str, now: datetime) -> FollowUp:
    return FollowUp(
        key=key,
        ticket=ticket,
        kind=kind,
        assigned_role=role,
        assignee=ticket.assignee if role == "assignee" else None,
        created_at=now,
    )


def describe_for_message(ticket: Ticket, clock: SlaClock) -> dict:
    """What an SLA message says about the ticket, asked when it is delivered (core.sla.messages)."""
    return {
        "subject_label": f"{ticket.number} ({ticket.get_ticket_type_display()})",
        "clock_label": str(ClockName(clock.name).label) if clock.name in ClockName.values else clock.name,
        "url": f"/admin/tickets/ticket/{ticket.pk}/change/",
    }


def on_clock_events(events: Sequence[RecordedClockEvent]) -> None:
    handle_in_batch(events, Ticket.objects.select_related("assignee", "sla_policy"), _handle)


def _handle(ticket: Ticket, event: RecordedClockEvent, batch: HandlerBatch) -> None:
    name, occurred_at = event.clock.name, event.occurred_at
    key = f"ticket:{ticket.pk}:clock:{event.clock.pk}:{event.kind}:{event.threshold}"
    if name == ClockName.CSAT_REPLY:
        if event.is_breach:
            follow_up = _follow_up(
                ticket, FollowUpKind.RETURN_VISIT, f"return_visit:{event.clock.pk}", "agent", occurred_at
            )
            batch.create_once(follow_up)
        return
    if not event.is_breach:
        users = staff_for_role("assignee", ticket) or staff_for_role("agent", ticket, batch.members)
        batch.notify(
            users=users, key=key, template="sla_warning", context=sla_message_ids(event, ticket.escalation_level)
        )
        return
    # A breach climbs one rung of the ladder (up to its top), tells that rung or the next one up with
    # people, and asks for an explanation and a remedy (000 P1§5).
    ladder = (ticket.sla_policy.escalation_ladder if ticket.sla_policy else None) or ["assignee", "supervisor"]
    _rung, reached = batch.escalate(ticket, ladder, event, lambda rung: staff_for_role(rung, ticket, batch.members))
    users = staff_for_role("assignee", ticket) + reached
    batch.notify(users=users, key=key, template="sla_breach", context=sla_message_ids(event, ticket.escalation_level))
    role = "assignee" if ticket.assignee_id else "agent"
    batch.create_once(_follow_up(ticket, FollowUpKind.BREACH_REPORT, f"breach:{event.clock.pk}", role, occurred_at))
    if name == ClockName.ON_SITE and ticket.priority == Priority.CRITICAL:
        # Not restored within 4 hours: lend a same-model standby unit (002 §11).
        batch.create_once(_follow_up(ticket, FollowUpKind.SWAP, f"swap:{event.clock.pk}", "supervisor", occurred_at))
