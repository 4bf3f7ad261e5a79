"""Reads of the complaints app for screens and the API, at a fixed number of queries per page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db.models import Q, QuerySet

from aftersales.core.models import SlaClock
from aftersales.core.selectors import (
    Queue,  # noqa: F401 (re-exported)
    case_clock_filter,
    case_queue_filter,
    case_search_condition,
    clocks_attach,
)

from .models import Complaint, ComplaintEvent, CorrectiveAction


def complaints_visible_to(user) -> QuerySet[Complaint]:
    """Complaints are the service desk's and management's business; other roles see none."""
    if not (user and user.is_active and user.has_perm("complaints.view_complaint")):
        return Complaint.objects.none()
    return Complaint.objects.all()


def complaint_list_for_staff(
    *,
    user,
    statuses: Sequence[str] = (),
    category: str = "",
    severity: str = "",
    channel: str = "",
    owner: str = "",
    breached: bool | None = None,
    due_before: datetime | None = None,
    search: str = "",
    queue: str = "",
) -> QuerySet[Complaint]:
    """The complaints this user may see, newest first. ``category`` may be a group (``product``).

    Call ``clocks_attach`` on the page to fill ``sla_clocks`` with one more query.
    """
    complaints = complaints_visible_to(user).select_related(
        "customer__region", "unit__product_model", "owner", "duplicate_of", "sla_policy"
    )
    if statuses:
        complaints = complaints.filter(status__in=list(statuses))
    if category:
        complaints = complaints.filter(Q(category=category) | Q(category__startswith=f"{category}."))
    if severity:
        complaints = complaints.filter(severity=severity)
    if channel:
        complaints = complaints.filter(channel=channel)
    if owner:
        complaints = complaints.filter(owner__username=owner)
    complaints = case_queue_filter(complaints, queue, user=user, owner_field="owner")
    complaints = case_clock_filter(complaints, breached=breached, due_before=due_before)
    if search := search.strip().replace("\x00", ""):
        complaints = complaints.filter(case_search_condition(search, user))
    return complaints.order_by("-created_at", "-id")


def complaint_for_staff(*, user, number: str) -> Complaint | None:
    return (
        complaint_list_for_staff(user=user)
        .prefetch_related("tickets", "corrective_actions__owner", "duplicates")
        .filter(number=number)
        .first()
    )


def complaint_sla_clocks(complaint: Complaint) -> list[SlaClock]:
    if not hasattr(complaint, "sla_clocks"):
        clocks_attach([complaint])
    return complaint.sla_clocks  # type: ignore[attr-defined]  # set by clocks_attach


def complaint_events(*, complaint: Complaint) -> QuerySet[ComplaintEvent]:
    return ComplaintEvent.objects.filter(complaint=complaint).select_related("actor").order_by("created_at", "id")


def corrective_actions_for_staff(*, user) -> QuerySet[CorrectiveAction]:
    return CorrectiveAction.objects.filter(complaint__in=complaints_visible_to(user)).select_related(
        "complaint", "owner"
    )
