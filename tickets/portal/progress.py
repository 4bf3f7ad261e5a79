"""The progress of a request as the customer sees it on ``/track/<token>/`` (REQUIREMENTS §3)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from aftersales.core.portal.tracking import Step

from ..choices import Status, TicketType

# The lifecycle as the customer sees it; a consultation skips the field work.
_FULL_STEPS = [
    (Status.NEW, gettext_lazy("Received")),
    (Status.ACKNOWLEDGED, gettext_lazy("Acknowledged")),
    (Status.DIAGNOSING, gettext_lazy("Diagnosis")),
    (Status.DISPATCHED, gettext_lazy("Technician assigned")),
    (Status.IN_PROGRESS, gettext_lazy("Repair")),
    (Status.RESOLVED, gettext_lazy("Resolved")),
    (Status.CONFIRMED, gettext_lazy("Confirmed")),
    (Status.CLOSED, gettext_lazy("Closed")),
]
_SHORT_STEPS = [
    (Status.NEW, gettext_lazy("Received")),
    (Status.ACKNOWLEDGED, gettext_lazy("Acknowledged")),
    (Status.RESOLVED, gettext_lazy("Answered")),
    (Status.CONFIRMED, gettext_lazy("Confirmed")),
    (Status.CLOSED, gettext_lazy("Closed")),
]
_RANK = {status: index for index, (status, _label) in enumerate(_FULL_STEPS)}
# Where a paused request stands: at the step it waits in.
_WAITING_AT = {Status.AWAITING_QUOTE: Status.DIAGNOSING}
PAUSE_TEXT = {
    Status.AWAITING_CUSTOMER: gettext_lazy("Paused while we wait for you — please see our last message and reply."),
    Status.AWAITING_QUOTE: gettext_lazy("Paused while we wait for your answer to the quote."),
    Status.AWAITING_PARTS: gettext_lazy("Paused while we wait for spare parts."),
}


def ticket_steps(status: str, ticket_type: str, resume_status: str = "") -> list[Step]:
    if status == Status.CANCELLED:
        return []
    steps = _SHORT_STEPS if ticket_type == TicketType.CONSULTATION else _FULL_STEPS
    where = _WAITING_AT.get(status) or (resume_status if status in PAUSE_TEXT else status) or Status.ACKNOWLEDGED
    rank = _RANK.get(where, 0)
    current = max(index for index, (step, _label) in enumerate(steps) if _RANK[step] <= rank)
    return [
        Step(str(label), "done" if index < current else "current" if index == current else "todo")
        for index, (_step, label) in enumerate(steps)
    ]
