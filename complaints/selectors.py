"""Reads of the complaints app for screens and the API, at a fixed number of queries per page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from aftersales.core.models import SlaClock
from aftersales.core.selectors import (
    Queue,  # noqa: F401 (re-exported)
    TimelineEntry,
    case_clock_filter,
    case_queue_filter,
    case_search_condition,
    clocks_attach,
    customer_timeline,
)

from .actions import ACTIONS, reopen_deadline
from .choices import DONE_STATUSES, ClockName, Status
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
    return complaint.sla_clocks


def complaint_events(*, complaint: Complaint) -> QuerySet[ComplaintEvent]:
    return ComplaintEvent.objects.filter(complaint=complaint).select_related("actor").order_by("created_at", "id")


def corrective_actions_for_staff(*, user) -> QuerySet[CorrectiveAction]:
    return CorrectiveAction.objects.filter(complaint__in=complaints_visible_to(user)).select_related(
        "complaint", "owner"
    )


# --- what the customer sees -----------------------------------------------------------------------

_EVENT_LABELS = {
    "create": lambda: _("Complaint received"),
    "customer_message": lambda: _("Your message"),
    "note": lambda: _("Message from our service team"),
    "attachment_added": lambda: _("File added"),
    "follow_original": lambda: _("Handled together with the earlier complaint"),
}


def complaint_by_tracking_token_hash(token_hash: str) -> Complaint | None:
    return (
        Complaint.objects.select_related("owner", "duplicate_of", "unit__product_model")
        .filter(tracking_token_hash=token_hash)
        .first()
    )


def _event_label(action: str) -> str:
    if action in ACTIONS:
        return str(ACTIONS[action].label)
    return _EVENT_LABELS.get(action, lambda: _("Update"))()


def complaint_customer_actions(complaint: Complaint, *, now: datetime) -> list[str]:
    actions = ["message"]
    if complaint.status == Status.PROPOSED:
        actions += ["confirm", "object"]
    deadline = reopen_deadline(complaint)
    if complaint.status in DONE_STATUSES and deadline is not None and now <= deadline:
        actions.append("reopen")
    return actions


@dataclass(frozen=True)
class CustomerView:
    complaint: Complaint
    timeline: list[TimelineEntry]
    clocks: list[SlaClock]
    actions: list[str]
    reopen_until: datetime | None


def complaint_customer_view(complaint: Complaint, *, now: datetime) -> CustomerView:
    """Public events with roles instead of names, the promises, and what the customer may do now."""
    events = (
        ComplaintEvent.objects.filter(complaint=complaint, public=True)
        .select_related("actor")
        .prefetch_related("actor__groups")
        .order_by("created_at", "id")
    )
    timeline = customer_timeline(events, label=_event_label)
    clocks = [clock for clock in complaint_sla_clocks(complaint) if clock.name in ClockName.values]
    deadline = reopen_deadline(complaint) if complaint.status in DONE_STATUSES else None
    return CustomerView(
        complaint=complaint,
        timeline=timeline,
        clocks=clocks,
        actions=complaint_customer_actions(complaint, now=now),
        reopen_until=deadline,
    )
