"""Complaints behind ``/track/<token>/``: what the customer sees and may do (registered in apps.py).

The shared public endpoints and the portal page (aftersales/core/trackables.py) serve it; the
customer confirms or objects to a proposed resolution, writes, and reopens within 30 days.
"""

from __future__ import annotations

from datetime import datetime

from django_fsm import ConcurrentTransition, TransitionNotAllowed

from aftersales.core.trackables import CaseTrackable, TrackingActionUnsupported, TrackingConflict
from aftersales.core.trackables import tracking_time as _time

from . import selectors, services
from .actions import ActionNotAllowed
from .choices import DONE_STATUSES, ClockName, Status
from .models import Complaint

_SHOWS_RESOLUTION = (Status.PROPOSED, *DONE_STATUSES)
_CONFLICTS = (ActionNotAllowed, TransitionNotAllowed, ConcurrentTransition)


class ComplaintTrackable(CaseTrackable):
    kind = "complaint"
    status_choices = Status
    clock_names = ClockName

    def find(self, token_hash: str) -> Complaint | None:
        return selectors.complaint_by_tracking_token_hash(token_hash)

    def represent(self, complaint: Complaint, *, now: datetime) -> dict:
        view = selectors.complaint_customer_view(complaint, now=now)
        owner = complaint.owner
        shows_resolution = complaint.status in _SHOWS_RESOLUTION
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
            "resolution": (
                {
                    "type": complaint.resolution_type,
                    "type_label": complaint.get_resolution_type_display(),
                    "details": complaint.resolution,
                    "compensation_kind": complaint.compensation_kind or None,
                    "compensation_label": complaint.get_compensation_kind_display() or None,
                    "compensation_amount": str(complaint.compensation_amount) if complaint.compensation_kind else None,
                }
                if shows_resolution
                else None
            ),
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
