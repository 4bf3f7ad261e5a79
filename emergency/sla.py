"""Incident promises: respond and initial handling, per level (``IncidentSlaPolicy``, configurable in the admin).

The clocks start when the incident is assessed (its level is known), respond stops at activation,
initial handling at recovery; a level change re-counts the open promises from now under the new
level. Warnings and breaches reach the commander, else the coordinators, through the shared sweep.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from aftersales.core.cases import PolicyClocks
from aftersales.core.notifications import users_in_role
from aftersales.core.roles import COORDINATOR, MANAGER
from aftersales.core.sla.handling import HandlerBatch, handle_in_batch
from aftersales.core.sla.messages import sla_message_ids
from aftersales.core.sla.registry import RecordedClockEvent
from aftersales.core.sla.services import clock_cancel

from .choices import ClockName
from .models import Incident, IncidentSlaPolicy

CLOCKS = PolicyClocks(
    targets={ClockName.RESPOND: "respond_minutes", ClockName.INITIAL_HANDLING: "initial_handling_minutes"}
)


def policy_for(level: int) -> IncidentSlaPolicy | None:
    return IncidentSlaPolicy.objects.select_related("calendar").filter(level=level).first()


def retime(incident: Incident, now: datetime, actor=None) -> None:
    """A new level brings its own promises, counted from now."""
    for clock in CLOCKS.open(incident):
        clock_cancel(clock=clock, now=now, actor=actor, note="level changed")
        CLOCKS.start(incident, clock.name, now, actor)


def commander_or_desk(incident: Incident, members=users_in_role) -> list:
    if incident.commander is not None and incident.commander.is_active:
        return [incident.commander]
    return members(COORDINATOR)


def on_incident_clock_events(events: Sequence[RecordedClockEvent]) -> None:
    handle_in_batch(events, Incident.objects.select_related("commander", "sla_policy"), _handle_incident)


def describe_incident_for_message(incident: Incident, clock) -> dict:
    """What an SLA message says about the incident, asked when it is delivered (core.sla.messages)."""
    return {
        "subject_label": f"{incident.number} ({incident.title})",
        "clock_label": str(ClockName(clock.name).label) if clock.name in ClockName.values else clock.name,
        "url": f"/admin/emergency/incident/{incident.pk}/change/",
    }


def _handle_incident(incident: Incident, event: RecordedClockEvent, batch: HandlerBatch) -> None:
    key = f"incident:{incident.pk}:clock:{event.clock.pk}:{event.kind}:{event.threshold}"
    users = commander_or_desk(incident, batch.members)
    if event.is_breach:
        users = users + batch.members(MANAGER)
    template = "sla_breach" if event.is_breach else "sla_warning"
    batch.notify(users=users, key=key, template=template, context=sla_message_ids(event, incident.escalation_level))
