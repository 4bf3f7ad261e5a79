"""The incident as a kind of case: the spec the case kit and the sweep read (registered in apps.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from aftersales.core.cases import CasePeople, CaseSpec, CaseWording
from aftersales.core.notifications import users_in_role
from aftersales.core.roles import COORDINATOR

from . import paging, plans, sla
from .actions import ACTIONS, RUN
from .choices import ClockName, Status
from .models import ChecklistItem, Incident, IncidentAttachment, IncidentEvent, PagingRun
from .selectors import incidents_visible_to

INCIDENTS = CaseSpec(
    kind="incident",
    model=Incident,
    event_model=IncidentEvent,
    actions=ACTIONS,
    status_choices=Status,
    people=CasePeople(
        responsible=lambda incident: [incident.commander] if incident.commander else [],
        desk=lambda members=users_in_role: members(COORDINATOR),
        visible_to=incidents_visible_to,
        note_permissions=(RUN,),
        publish_permission=RUN,
        attach_permission="emergency.add_incidentattachment",
    ),
    lock_related=("commander", "sla_policy"),
    wording=CaseWording(
        not_now="{action} is not possible while the incident is {status}.",
        closed_to_files=_("This incident is closed; files can no longer be added."),
        too_many_files=_("An incident holds at most %(max)d files; this one has reached the limit."),
    ),
    clocks=sla.CLOCKS,
    clock_names=ClockName,
    clock_handlers=(
        (Incident, sla.on_incident_clock_events, False),
        # A checklist item is a dependent row of its incident (the lock order) with a deadline clock.
        (ChecklistItem, plans.on_checklist_clock_events, True),
        # So is a paging run: its step clock falling due pages the next step.
        (PagingRun, paging.on_page_clock_events, True),
    ),
    attachment_model=IncidentAttachment,
    max_attachments=50,
    event_labels={
        "create": _("Reported"),
        "note": _("Note"),
        "checklist_done": _("Checklist item done"),
        "page": _("Paged"),
        "page_skipped": _("Paging step skipped (nobody on call)"),
        "page_exhausted": _("Nobody acknowledged: executives alarmed"),
        "acknowledge": _("Page acknowledged"),
        "notify_customers": _("Affected customers notified"),
    },
)
