"""Reads of incidents: who sees which."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils.dateparse import parse_date

from aftersales.core.models import SlaClock
from aftersales.core.selectors import case_clock_filter, case_queue_filter, clocks_attach
from warranty.selectors import units_in_scope

from .models import ChecklistItem, Incident, NoticeRecipient, PagingRun


def incidents_visible_to(user) -> QuerySet[Incident]:
    """Coordinators, supervisors and managers (view permission) see every incident; others none."""
    if user is None or not user.is_active or not user.has_perm("emergency.view_incident"):
        return Incident.objects.none()
    return Incident.objects.all()


def incident_list_for_staff(
    *,
    user,
    statuses: Sequence[str] = (),
    incident_type: str = "",
    level: int | str = "",
    drill: bool | None = None,
    breached: bool | None = None,
    due_before: datetime | None = None,
    search: str = "",
    queue: str = "",
) -> QuerySet[Incident]:
    """The incidents this user may see, newest first; ``queue=mine``: those they command.

    Call ``clocks_attach`` on the page to fill ``sla_clocks`` with one more query.
    """
    incidents = incidents_visible_to(user).select_related("commander", "reporter", "sla_policy")
    if statuses:
        incidents = incidents.filter(status__in=list(statuses))
    if incident_type:
        incidents = incidents.filter(incident_type=incident_type)
    if level not in ("", None):
        incidents = incidents.filter(level=level)
    if drill is not None:
        incidents = incidents.filter(drill=drill)
    incidents = case_queue_filter(incidents, queue, user=user, owner_field="commander")
    incidents = case_clock_filter(incidents, breached=breached, due_before=due_before)
    if search := search.strip().replace("\x00", ""):
        incidents = incidents.filter(Q(number__iexact=search) | Q(title__icontains=search))
    return incidents.order_by("-reported_at", "-id")


def incident_for_staff(*, user, number: str) -> Incident | None:
    return (
        incident_list_for_staff(user=user)
        .prefetch_related("checklist__done_by", "pages__recipient")
        .filter(number=number)
        .first()
    )


def incident_by_number(number: str) -> Incident | None:
    """Any incident (the acknowledge endpoint: a paged technician may not see the incident list)."""
    return Incident.objects.filter(number=number).first()


def incident_current_run(incident: Incident) -> PagingRun | None:
    return (
        PagingRun.objects.select_related("acknowledged_by")
        .filter(incident=incident)
        .order_by("-started_at", "-pk")
        .first()
    )


def incident_sla_clocks(incident: Incident) -> list[SlaClock]:
    if not hasattr(incident, "sla_clocks"):
        clocks_attach([incident])
    return incident.sla_clocks  # type: ignore[attr-defined]  # set by clocks_attach


def checklist_item_for_staff(*, user, number: str, item_id: int) -> ChecklistItem | None:
    return ChecklistItem.objects.filter(
        incident__in=incidents_visible_to(user), incident__number=number, pk=item_id
    ).first()


# --- affected units and customers (the scope resolved in SQL) ---------------------------------------


def incident_affected_units(incident: Incident) -> QuerySet:
    """The registered units the incident's scope names (``warranty.selectors.units_in_scope``)."""
    scope = incident.scope or {}
    return units_in_scope(
        models=scope.get("models") or (),
        serial_from=scope.get("serial_from") or "",
        serial_to=scope.get("serial_to") or "",
        sold_from=parse_date(scope["sold_from"]) if scope.get("sold_from") else None,
        sold_to=parse_date(scope["sold_to"]) if scope.get("sold_to") else None,
        regions=scope.get("regions") or (),
    )


def incident_affected_customer_ids(incident: Incident) -> QuerySet:
    """The owners of the affected units, as a subquery of distinct customer ids."""
    return (
        incident_affected_units(incident)
        .filter(customer__isnull=False)
        .order_by()
        .values_list("customer_id", flat=True)
        .distinct()
    )


def incident_affected(incident: Incident) -> dict:
    """``{"units", "customers", "notified"}``: two aggregate queries whatever the installed base."""
    counts = (
        incident_affected_units(incident)
        .order_by()
        .aggregate(units=Count("pk"), customers=Count("customer_id", distinct=True))
    )
    notified = (
        NoticeRecipient.objects.filter(notice__incident=incident)
        .order_by()
        .aggregate(n=Count("customer_id", distinct=True))["n"]
    )
    return {"units": counts["units"], "customers": counts["customers"], "notified": notified}
