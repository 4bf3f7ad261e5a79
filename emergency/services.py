"""Writes of incidents: reporting one and moving it through its lifecycle (the case kit's one skeleton)."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.core import clock
from aftersales.core.cases import case_transition, clean_text, event_append
from aftersales.core.numbering import number_next

from .actions import clean_scope
from .cases import INCIDENTS
from .choices import Channel, IncidentType
from .models import Incident


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
