"""Writes of incidents: reporting one and moving it through its lifecycle (the case kit's one skeleton)."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.core import clock
from aftersales.core.cases import ActionNotAllowed, case_transition, clean_text, event_append, lock_case, lock_dependent
from aftersales.core.cases import actions_for as case_actions_for
from aftersales.core.numbering import number_next

from .actions import RUN, clean_scope
from .cases import INCIDENTS
from .choices import Channel, IncidentType, Status
from .models import ChecklistItem, Incident
from .plans import checklist_clock_stop

RUNNING = (Status.ACTIVATED, Status.MITIGATING)


def incident_create(*, actor, data: dict, now: datetime | None = None) -> Incident:
    """Report an incident (CONTRACT.md §4): type, title, description, drill flag, scope, channel."""
    if actor is None or not actor.is_active or not actor.has_perm("emergency.add_incident"):
        raise PermissionDenied("You may not report incidents.")
    now = now or clock.now()
    incident_type = data.get("incident_type")
    if incident_type not in IncidentType.values:
        raise ValidationError({"incident_type": _("Choose a known incident type.")})
    channel = data.get("channel", Channel.PHONE)
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Choose a known channel.")})
    drill = data.get("drill", False)
    if not isinstance(drill, bool):
        raise ValidationError({"drill": _("Say true or false.")})
    title = clean_text(data, "title", required=True, max_length=200)
    description = clean_text(data, "description", required=True)
    scope = clean_scope(data.get("scope"))
    with transaction.atomic():
        incident = Incident.objects.create(
            number=number_next(prefix="E", at=now),
            incident_type=incident_type,
            title=title,
            description=description,
            scope=scope,
            drill=drill,
            channel=channel,
            reporter=actor,
            reported_at=now,
        )
        event_append(
            INCIDENTS,
            incident,
            "create",
            to_status=incident.status,
            actor=actor,
            data={"incident_type": incident_type, "drill": drill},
            now=now,
        )
    return incident


def incident_transition(
    *, incident: Incident, action: str, actor, data: dict | None = None, now: datetime | None = None
) -> Incident:
    """assess, activate, mitigate, recover, review, close, escalate_level, downgrade, stand_down.

    ValidationError → 400, PermissionDenied → 403, ActionNotAllowed → 409 (wrong state, close without review).
    """
    return case_transition(INCIDENTS, case=incident, action=action, actor=actor, data=data, now=now)


def may_do_item(item: ChecklistItem, user) -> bool:
    """The coordinators, and the staff of the item's owner role (a technician ticks off their own tasks)."""
    if user is None or not user.is_active:
        return False
    return user.has_perm(RUN) or user.groups.filter(name=item.owner_role).exists()


def checklist_item_done(*, item: ChecklistItem, actor, note: str = "", now: datetime | None = None) -> ChecklistItem:
    """Tick off a checklist item of a running incident: its deadline clock stops (met or late)."""
    now = now or clock.now()
    with transaction.atomic():
        incident = lock_case(Incident, item.incident_id, also_clocks_of=[(ChecklistItem, item.pk)])
        item = lock_dependent(ChecklistItem.objects.all(), item.pk)
        if not may_do_item(item, actor):
            raise PermissionDenied("You may not tick off this item.")
        if incident.status not in RUNNING or item.done_at is not None:
            raise ActionNotAllowed(_("Only an open item of a running incident can be ticked off."))
        item.done_at, item.done_by = now, actor
        item.save(update_fields=["done_at", "done_by"])
        checklist_clock_stop(item, now, actor)
        event_append(
            INCIDENTS,
            incident,
            "checklist_done",
            actor=actor,
            note=(note or "").strip(),
            data={"item": item.pk, "title": item.title, "late": now > item.due_at},
            now=now,
        )
    return item


def actions_for(incident: Incident, user) -> list[str]:
    """The action names this user may perform on the incident right now (the API's ``actions``)."""
    return case_actions_for(INCIDENTS, incident, user)
