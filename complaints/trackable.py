"""Complaints behind ``/track/<token>/``: what the customer sees and may do (registered in apps.py).

The shared public endpoints and the portal page (aftersales/core/trackables.py) serve it; the
customer confirms or objects to a proposed resolution, writes, and reopens within 30 days.
"""

from __future__ import annotations

from datetime import datetime

from django_fsm import ConcurrentTransition, TransitionNotAllowed
from rest_framework import serializers

from aftersales.core.trackables import TrackingActionUnsupported, TrackingConflict

from . import selectors, services
from .actions import ActionNotAllowed
from .choices import DONE_STATUSES, ClockName, Status
from .models import Complaint, ComplaintAttachment

_SHOWS_RESOLUTION = (Status.PROPOSED, *DONE_STATUSES)
_CONFLICTS = (ActionNotAllowed, TransitionNotAllowed, ConcurrentTransition)


def _time(value: datetime | None) -> str | None:
    """ISO-8601 in the service's local time, with its offset (as the staff API renders times)."""
    return serializers.DateTimeField().to_representation(value) if value else None


class ComplaintTrackable:
    kind = "complaint"

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
            "timeline": [
                {
                    "at": _time(entry.at),
                    "action": entry.action,
                    "label": entry.label,
                    "status": entry.status or None,
                    "status_label": Status(entry.status).label if entry.status in Status.values else None,
                    "by": entry.by,
                    "by_label": entry.by_label,
                    "note": entry.note,
                }
                for entry in view.timeline
            ],
            "sla": [
                {
                    "name": clock.name,
                    "label": ClockName(clock.name).label,
                    # While the customer considers a proposal the due time will move.
                    "due_at": None if clock.state == clock.State.PAUSED else _time(clock.due_at),
                    "met_at": _time(clock.met_at),
                    "state": clock.state,
                }
                for clock in view.clocks
            ],
            "actions": [*view.actions, *(["attach"] if services.customer_may_attach(complaint) else [])],
            "attachments": [
                {
                    "id": attachment.pk,
                    "name": attachment.original_name,
                    "size": attachment.size,
                    "content_type": attachment.content_type,
                    "created_at": _time(attachment.created_at),
                    "by": "customer" if attachment.by_customer else "service",
                }
                for attachment in self._attachments(complaint)
            ],
            "reopen_until": _time(view.reopen_until),
        }

    def _attachments(self, complaint: Complaint):
        # The customer's own files, and those staff chose to show (as with notes).
        return complaint.attachments.filter(public=True).order_by("created_at", "id")

    def attachment(self, complaint: Complaint, attachment_id: int) -> ComplaintAttachment | None:
        """One file the customer may download through their link, or None."""
        return self._attachments(complaint).filter(pk=attachment_id).first()

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
