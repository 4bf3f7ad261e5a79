"""The incident panel of the staff start page (``aftersales.core.workspace``): what the coordinator runs."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from aftersales.core.workspace import CaseQueues, Panel, panel_content, panel_register, with_next_due

from .cases import INCIDENTS
from .choices import OPEN_STATUSES
from .selectors import incidents_visible_to


def _detail(incident) -> str:
    parts = [incident.get_level_display() if incident.level else "", str(incident.get_incident_type_display())]
    if incident.drill:
        parts.append(str(_("drill")))
    return " · ".join(part for part in parts if part) + f" — {incident.title}"


QUEUES = CaseQueues(spec=INCIDENTS, owner_field="commander", open_statuses=frozenset(OPEN_STATUSES), detail=_detail)


def _open_incidents(user, now):
    """Every open incident, the most severe first (level I before IV; not yet assessed first of all)."""
    incidents = incidents_visible_to(user).filter(status__in=list(OPEN_STATUSES))
    if not user.has_perm("emergency.view_incident"):
        return None
    incidents = with_next_due(incidents).order_by("level", "reported_at", "pk")
    return panel_content(incidents, lambda incident: QUEUES.row(incident, now), QUEUES.changelist_url())


def register_panels() -> None:
    panel_register(
        Panel(
            key="emergency.open",
            title=_("Open incidents"),
            roles=frozenset({"coordinator", "supervisor", "manager"}),
            read=_open_incidents,
            order=1,
            empty=_("No incident is open."),
        )
    )
