"""Complaints behind ``/track/<token>/``: what the customer sees and may do (registered through ``cases.COMPLAINTS``).

The portal shell's page and the public tracking API (aftersales/portal) serve it; the customer
confirms or objects to a proposed resolution, writes, adds files and reopens within 30 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from aftersales.core.cases import ActionNotAllowed, case_customer_timeline
from aftersales.core.portal.tracking import ReopenSerializer, Step, TrackForm
from aftersales.core.trackables import CaseTrackable, TrackingActionUnsupported, TrackingConflict
from aftersales.core.trackables import tracking_time as _time

from . import selectors, services
from .actions import reopen_deadline
from .cases import COMPLAINTS
from .choices import DONE_STATUSES, ClockName, Status
from .models import Complaint
from .portal.forms import ObjectForm
from .portal.progress import complaint_progress

_SHOWS_RESOLUTION = (Status.PROPOSED, *DONE_STATUSES)
_CONFLICTS = (ActionNotAllowed, TransitionNotAllowed, ConcurrentTransition)


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
    timeline: list
    clocks: list
    actions: list[str]
    reopen_until: datetime | None


def complaint_customer_view(complaint: Complaint, *, now: datetime) -> CustomerView:
    """Public events with roles instead of names, the promises, and what the customer may do now."""
    clocks = [clock for clock in selectors.complaint_sla_clocks(complaint) if clock.name in ClockName.values]
    deadline = reopen_deadline(complaint) if complaint.status in DONE_STATUSES else None
    return CustomerView(
        complaint=complaint,
        timeline=case_customer_timeline(COMPLAINTS, complaint),
        clocks=clocks,
        actions=complaint_customer_actions(complaint, now=now),
        reopen_until=deadline,
    )


def _resolution(complaint: Complaint) -> dict | None:
    if complaint.status not in _SHOWS_RESOLUTION:
        return None
    return {
        "type": complaint.resolution_type,
        "type_label": complaint.get_resolution_type_display(),
        "details": complaint.resolution,
        "compensation_kind": complaint.compensation_kind or None,
        "compensation_label": complaint.get_compensation_kind_display() or None,
        "compensation_amount": str(complaint.compensation_amount) if complaint.compensation_kind else None,
    }


class ComplaintTrackable(CaseTrackable):
    kind = "complaint"
    model = Complaint
    related = ("owner", "duplicate_of", "unit__product_model")
    status_choices = Status
    clock_names = ClockName
    # What the portal shell adds for complaints (aftersales/core/portal/tracking.py).
    customer_serializers = {"object": ReopenSerializer}  # objecting to a proposal, with a reason
    portal_forms = {
        # A proposed resolution the customer does not accept (004 §2.4).
        "object": TrackForm(ObjectForm, "object", gettext_lazy("We have your objection; we will look into it again.")),
    }
    portal_templates = {
        "heading": "complaints/portal/_track_heading.html",
        "status": "complaints/portal/_track_status.html",
        "panels": ("complaints/portal/_track_resolution.html",),
    }
    time_keys = ("promised_by",)
    reopen_label = gettext_lazy("Reopen my complaint")

    def progress(self, complaint: Complaint) -> list[Step]:
        return complaint_progress(complaint.status)

    def paused_text(self, item: dict) -> str:
        if item.get("status") == Status.PROPOSED:
            return str(gettext_lazy("Paused while we wait for your answer to our proposal."))
        return str(gettext_lazy("Paused for now."))

    def represent(self, complaint: Complaint, *, now: datetime) -> dict:
        view = complaint_customer_view(complaint, now=now)
        owner = complaint.owner
        return {
            "kind": self.kind,
            "number": complaint.number,
            "category": complaint.category,
            "category_label": complaint.get_category_display(),
            "status": complaint.status,
            "status_label": complaint.get_status_display(),
            "created_at": _time(complaint.created_at),
            # The dedicated owner the customer was promised (000 P2§二), by name.
            "owner": (owner.get_full_name() or owner.username) if owner else None,
            "promised_by": _time(complaint.promised_by),
            "linked_to": complaint.duplicate_of.number if complaint.duplicate_of_id else None,
            "resolution": _resolution(complaint),
            "timeline": self.timeline_rows(view.timeline),
            "sla": self.clock_rows(view.clocks),
            "actions": [*view.actions, *(["attach"] if services.customer_may_attach(complaint) else [])],
            "attachments": self.attachment_rows(complaint),
            "reopen_until": _time(view.reopen_until),
        }

    def perform(self, complaint: Complaint, action: str, payload: dict, *, now: datetime) -> None:
        try:
            if action == "attach":
                services.complaint_attach(complaint, payload["file"], by_customer=True, now=now)
            elif action == "message":
                services.complaint_customer_message(complaint=complaint, body=payload["body"], now=now)
            elif action in ("confirm", "object", "reopen"):
                note = payload.get("reason") or payload.get("note") or ""
                services.complaint_transition(
                    complaint=complaint, action=action, by_customer=True, data={"note": note}, now=now
                )
            else:
                raise TrackingActionUnsupported(action)
        except _CONFLICTS as error:
            raise TrackingConflict(str(error)) from error
