"""Tickets behind ``/track/<token>/``: what the customer sees and may do (registered through ``cases.TICKETS``).

The portal shell's page and the public tracking API (aftersales/portal) serve it without knowing
it is a ticket: ``represent`` gives what the customer may see, ``perform`` the customer's actions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy
from rest_framework import serializers

from aftersales.core.cases import case_customer_timeline
from aftersales.core.portal.tracking import NoteSerializer, Step, TrackForm
from aftersales.core.trackables import CaseTrackable, TrackingActionUnsupported, TrackingConflict
from aftersales.core.trackables import tracking_time as _time
from warranty.choices import QuoteStatus

from . import selectors, services
from .actions import REOPEN_WINDOW
from .api.common import CONFLICTS
from .cases import TICKETS
from .choices import ClockName, Status
from .models import Ticket
from .portal.forms import QuoteAnswerForm, RateForm
from .portal.progress import PAUSE_TEXT, ticket_steps

_RESOLVED = (Status.RESOLVED, Status.CONFIRMED, Status.CLOSED)
# Clocks that are promises to the customer; the return-visit reply window is the service's own.
_CUSTOMER_CLOCKS = (ClockName.FIRST_RESPONSE, ClockName.ON_SITE, ClockName.RESOLUTION)


def reopen_deadline(ticket: Ticket) -> datetime | None:
    """Until when the customer may reopen (the rule ``actions.prepare_reopen`` enforces)."""
    resolved_at = ticket.resolved_at or ticket.closed_at
    if ticket.status not in _RESOLVED or resolved_at is None:
        return None
    return resolved_at + REOPEN_WINDOW


def ticket_customer_actions(ticket: Ticket, *, now: datetime, survey_open: bool) -> list[str]:
    """What the customer may do through the link right now."""
    actions = ["message"]
    if ticket.status == Status.AWAITING_QUOTE and ticket.quote and ticket.quote.status == QuoteStatus.PENDING:
        actions += ["approve_quote", "decline_quote"]
    if ticket.status == Status.RESOLVED:
        actions.append("confirm")
    if survey_open and ticket.status in _RESOLVED:
        actions.append("rate")
    deadline = reopen_deadline(ticket)
    if deadline is not None and now <= deadline:
        actions.append("reopen")
    return actions


@dataclass(frozen=True)
class CustomerView:
    ticket: Ticket
    timeline: list
    clocks: list
    actions: list[str]
    reopen_until: datetime | None
    rated_score: int | None


def ticket_customer_view(ticket: Ticket, *, now: datetime) -> CustomerView:
    """What the customer may see of their ticket: public events, promises, what they can do now.

    Notes are shown only where the customer wrote them or staff published them; transition notes,
    event details and staff names stay inside (a technician appears as "Technician").
    """
    survey = ticket.surveys.filter(cycle=ticket.reopened_count + 1).first()
    clocks = [clock for clock in selectors.ticket_sla_clocks(ticket) if clock.name in _CUSTOMER_CLOCKS]
    return CustomerView(
        ticket=ticket,
        timeline=case_customer_timeline(TICKETS, ticket),
        clocks=clocks,
        actions=ticket_customer_actions(ticket, now=now, survey_open=survey is not None and survey.answered_at is None),
        reopen_until=reopen_deadline(ticket),
        rated_score=survey.score if survey is not None else None,
    )


def _quote(ticket: Ticket) -> dict:
    quote = ticket.quote
    return {
        "labour_amount": str(quote.labour_amount),
        "travel_amount": str(quote.travel_amount),
        "parts_amount": str(quote.parts_amount),
        "total": str(quote.total),
        "created_at": _time(quote.created_at),
        "lines": [
            {
                "part_number": line.part_number,
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": str(line.charged_unit_price),
            }
            for line in quote.lines.order_by("id")
        ],
    }


class RateSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class TicketTrackable(CaseTrackable):
    kind = "ticket"
    model = Ticket
    related = ("unit__product_model", "quote")
    status_choices = Status
    clock_names = ClockName
    # What the portal shell adds for tickets (aftersales/core/portal/tracking.py).
    customer_serializers = {"rate": RateSerializer, "approve_quote": NoteSerializer, "decline_quote": NoteSerializer}
    portal_forms = {
        "rate": TrackForm(RateForm, "rate", gettext_lazy("Thank you for rating our service.")),
        "quote": TrackForm(
            QuoteAnswerForm,
            "",
            gettext_lazy("Thank you — we have your answer to the quote."),
            actions=frozenset({"approve_quote", "decline_quote"}),
        ),
    }
    portal_templates = {
        "heading": "tickets/portal/_track_heading.html",
        "status": "tickets/portal/_track_status.html",
        "panels": (
            "tickets/portal/_track_quote.html",
            "tickets/portal/_track_confirm.html",
            "tickets/portal/_track_rate.html",
        ),
    }
    time_keys = ("appointment_at",)
    reopen_label = gettext_lazy("Reopen my request")

    def progress(self, ticket: Ticket) -> list[Step]:
        return ticket_steps(ticket.status, ticket.ticket_type, ticket.resume_status)

    def paused_text(self, item: dict) -> str:
        return str(PAUSE_TEXT.get(item.get("status"), gettext_lazy("Paused for now.")))

    def find(self, token_hash: str) -> Ticket | None:
        return (
            Ticket.objects.select_related("unit__product_model", "quote").filter(tracking_token_hash=token_hash).first()
        )

    def represent(self, ticket: Ticket, *, now: datetime) -> dict:
        view = ticket_customer_view(ticket, now=now)
        return {
            "kind": self.kind,
            "number": ticket.number,
            "type": ticket.ticket_type,
            "type_label": ticket.get_ticket_type_display(),
            "status": ticket.status,
            "status_label": ticket.get_status_display(),
            "created_at": _time(ticket.created_at),
            "product": (
                {"model": ticket.unit.product_model.code, "name": ticket.unit.product_model.name}
                if ticket.unit_id
                else None
            ),
            "appointment_at": _time(ticket.appointment_at),
            "resolution": ticket.resolution if ticket.status in _RESOLVED else "",
            "timeline": self.timeline_rows(view.timeline),
            "sla": self.clock_rows(view.clocks),
            "actions": [*view.actions, *(["attach"] if services.customer_may_attach(ticket) else [])],
            "attachments": self.attachment_rows(ticket),
            "reopen_until": _time(view.reopen_until),
            "rating": view.rated_score,
            "quote": _quote(ticket) if "approve_quote" in view.actions else None,
        }

    def perform(self, ticket: Ticket, action: str, payload: dict, *, now: datetime) -> None:
        try:
            if action == "attach":
                services.ticket_attach(ticket, payload["file"], by_customer=True, now=now)
            elif action == "message":
                services.ticket_customer_message(ticket=ticket, body=payload["body"], now=now)
            elif action == "rate":
                services.survey_answer(ticket=ticket, score=payload["score"], comment=payload["comment"], now=now)
            elif action in ("confirm", "reopen", "approve_quote", "decline_quote"):
                note = payload.get("reason") or payload.get("note") or ""
                services.ticket_transition(ticket=ticket, action=action, by_customer=True, data={"note": note}, now=now)
            else:
                raise TrackingActionUnsupported(action)
        except CONFLICTS as error:
            raise TrackingConflict(str(error)) from error
