"""The progress of a complaint as the customer sees it on ``/track/<token>/`` (004 §2.2–2.5)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from aftersales.core.portal.tracking import Step

from ..choices import Status

STEPS = [
    (Status.RECEIVED, _("Received")),
    (Status.ACKNOWLEDGED, _("Acknowledged")),
    (Status.INVESTIGATING, _("Investigating")),
    (Status.PROPOSED, _("Resolution proposed")),
    (Status.CONFIRMED, _("Confirmed")),
    (Status.CLOSED, _("Closed")),
]
_RANK = {status: index for index, (status, _label) in enumerate(STEPS)}
# The manager's approval is internal: the customer sees the investigation still going on.
_SHOWN_AS = {Status.AWAITING_APPROVAL: Status.INVESTIGATING}


def complaint_progress(status: str) -> list[Step]:
    """One ``Step`` per stage (done, current, todo); none for linked and withdrawn complaints."""
    status = _SHOWN_AS.get(status, status)
    if status not in _RANK:
        return []
    current = _RANK[status]
    return [
        Step(str(label), "done" if index < current else "current" if index == current else "todo")
        for index, (_status, label) in enumerate(STEPS)
    ]
