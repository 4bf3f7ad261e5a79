"""The response plan in force and its snapshot into an incident's checklist.

Activating copies the plan of the incident's type × level (the version in force that day) into
``ChecklistItem`` rows, each due ``deadline_minutes`` after activation with an SLA clock of its own on
the 7×24 calendar. A level change of an activated incident adds only the items of the new level's plan
that the checklist does not hold yet (same title and owner role); nothing is removed or re-timed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.calendars.services import DEFAULT_24X7_CODE
from aftersales.core.models import BusinessCalendar
from aftersales.core.roles import MANAGER
from aftersales.core.selectors import clocks_for
from aftersales.core.sla.handling import HandlerBatch, handle_in_batch
from aftersales.core.sla.messages import sla_message_ids
from aftersales.core.sla.registry import RecordedClockEvent
from aftersales.core.sla.services import clock_cancel, clock_start, clock_stop

from .models import ChecklistItem, Incident, ResponsePlan

CHECKLIST_CLOCK = "checklist"


def plan_in_force(incident_type: str, level: int, at: datetime) -> ResponsePlan | None:
    day = timezone.localtime(at).date()
    return (
        ResponsePlan.objects.filter(incident_type=incident_type, level=level, effective_from__lte=day)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=day))
        .order_by("-version")
        .first()
    )


def checklist_snapshot(incident: Incident, now: datetime, actor=None) -> list[ChecklistItem]:
    """Copy the items of the plan in force that the checklist lacks; returns the items added."""
    plan = plan_in_force(incident.incident_type, incident.level or 0, now)
    if plan is None:
        return []
    have = set(ChecklistItem.objects.filter(incident=incident).values_list("title", "owner_role"))
    added = ChecklistItem.objects.bulk_create(
        ChecklistItem(
            incident=incident,
            title=item.title,
            owner_role=item.owner_role,
            due_at=now + timedelta(minutes=item.deadline_minutes),
            plan=plan,
            level=incident.level,
            created_at=now,
        )
        for item in plan.items.all()
        if (item.title, item.owner_role) not in have
    )
    always = BusinessCalendar.objects.get(code=DEFAULT_24X7_CODE)
    for item in added:
        clock_start(subject=item, name=CHECKLIST_CLOCK, target=item.due_at - now, calendar=always, now=now, actor=actor)
    return added


def checklist_clock_stop(item: ChecklistItem, now: datetime, actor=None) -> None:
    for clock in clocks_for(item).filter(name=CHECKLIST_CLOCK):
        if clock.is_open:
            clock_stop(clock=clock, now=now, actor=actor)


def checklist_clocks_cancel(incident: Incident, now: datetime, actor=None, note: str = "") -> None:
    for item in ChecklistItem.objects.filter(incident=incident, done_at__isnull=True):
        for clock in clocks_for(item).filter(name=CHECKLIST_CLOCK):
            if clock.is_open:
                clock_cancel(clock=clock, now=now, actor=actor, note=note)


# --- the sweep: a late checklist item warns its role, a breach tells the managers too ---------------


def on_checklist_clock_events(events: Sequence[RecordedClockEvent]) -> None:
    handle_in_batch(events, ChecklistItem.objects.select_related("incident"), _handle_item)


def describe_item_for_message(item: ChecklistItem, clock) -> dict:
    """What an SLA message says about a checklist item, asked when it is delivered."""
    return {
        "subject_label": f"{item.incident.number}: {item.title}",
        "clock_label": str(_("checklist")),
        "url": f"/admin/emergency/incident/{item.incident_id}/change/",
    }


def _handle_item(item: ChecklistItem, event: RecordedClockEvent, batch: HandlerBatch) -> None:
    key = f"incident-checklist:{item.pk}:clock:{event.clock.pk}:{event.kind}:{event.threshold}"
    users = batch.members(item.owner_role) if item.owner_role else []
    if event.is_breach:
        # A late item climbs from its owner role to the managers (and on, if nobody is there).
        _rung, reached = batch.escalate(item, [item.owner_role or MANAGER, MANAGER], event)
        users = users + [user for user in reached if user not in users]
    template = "sla_breach" if event.is_breach else "sla_warning"
    batch.notify(users=users, key=key, template=template, context=sla_message_ids(event, item.escalation_level))
