"""What each ticket action needs: who may do it and which fields it takes (CONTRACT.md §4 names).

``prepare_<action>`` validates the request's fields and returns the keyword arguments of the
model's transition method; it may write related rows (a quote, an entitlement snapshot) because it
runs inside the transition's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from warranty.choices import FaultCause
from warranty.services import PartLine, quote_create, quote_respond, warranty_decide, warranty_decision_record

from .choices import FunctionalTest, TicketType
from .models import Technician, Ticket

# A resolved ticket may be reopened within 30 days (REQUIREMENTS §3).
REOPEN_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Action:
    name: str
    permission: str | None  # Django permission staff need; None = customers' own action only
    customer_may: bool = False  # the customer may do it through the tracking link
    assignee_only: bool = False  # only the assigned technician (or someone who may dispatch)
    label: str = ""


ACTIONS = {
    action.name: action
    for action in [
        Action("acknowledge", "tickets.respond_ticket", label=_("Acknowledge")),
        Action("diagnose", "tickets.diagnose_ticket", label=_("Diagnose")),
        Action("request_quote", "tickets.quote_ticket", label=_("Send quote")),
        Action("approve_quote", "tickets.respond_ticket", customer_may=True, label=_("Quote accepted")),
        Action("decline_quote", "tickets.respond_ticket", customer_may=True, label=_("Quote declined")),
        Action("dispatch", "tickets.dispatch_ticket", label=_("Dispatch")),
        Action("start_work", "tickets.work_ticket", assignee_only=True, label=_("Start work")),
        Action("wait_parts", "tickets.work_ticket", label=_("Wait for parts")),
        Action("parts_arrived", "tickets.work_ticket", label=_("Parts arrived")),
        Action("wait_customer", "tickets.respond_ticket", label=_("Wait for customer")),
        Action("resume", "tickets.respond_ticket", customer_may=True, label=_("Resume")),
        Action("resolve", "tickets.work_ticket", assignee_only=True, label=_("Resolve")),
        Action("confirm", "tickets.respond_ticket", customer_may=True, label=_("Customer confirmed")),
        Action("close", "tickets.respond_ticket", label=_("Close")),
        Action("cancel", "tickets.cancel_ticket", label=_("Cancel")),
        Action("reopen", "tickets.reopen_ticket", customer_may=True, label=_("Reopen")),
    ]
}


class ActionNotAllowed(Exception):
    """The action does not fit the ticket's state or time (API: 409)."""


def _text(data: dict, name: str, *, required: bool = False, max_length: int = 5000) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        raise ValidationError({name: _("Enter text.")})
    value = value.strip()
    if required and not value:
        raise ValidationError({name: _("This field is required.")})
    if len(value) > max_length:
        raise ValidationError({name: _("At most %(n)d characters.") % {"n": max_length}})
    return value


def prepare_acknowledge(ticket: Ticket, data: dict, actor, now: datetime) -> dict:
    return {"now": now}


def prepare_diagnose(ticket: Ticket, data: dict, actor, now: datetime) -> dict:
    diagnosis = _text(data, "diagnosis")
    fault_cause = _text(data, "fault_cause") or FaultCause.QUALITY_DEFECT
    if fault_cause not in FaultCause.values:
        raise ValidationError({"fault_cause": _("Unknown fault cause.")})
    if ticket.unit_id:
        component = None
        if code := _text(data, "component"):
            component = ticket.unit.product_model.components.filter(code=code).first()
            if component is None:
                raise ValidationError({"component": _("Unknown component of this model.")})
        # Keep the entitlement as decided now, for audit even if the policy changes (REQUIREMENTS §2).
        decision = warranty_decide(
            unit=ticket.unit,
            on_date=timezone.localdate(ticket.created_at),  # the local day, not the UTC one
            fault_cause=fault_cause,
            component=component,
        )
        ticket.entitlement = warranty_decision_record(decision=decision, actor=actor, purpose=ticket.number)
    return {"diagnosis": diagnosis, "fault_cause": fault_cause}


def _decimal(data: dict, name: str, default: str = "0") -> Decimal:
    try:
        value = Decimal(str(data.get(name, default)))
    except (InvalidOperation, ValueError) as error:
        raise ValidationError({name: _("Enter a number.")}) from error
    if not value.is_finite() or value < 0 or value > Decimal("100000"):  # NaN compares by raising
        raise ValidationError({name: _("Enter a number between 0 and 100000.")})
    return value


def prepare_request_quote(ticket: Ticket, data: dict, actor, now: datetime) -> dict:
    if ticket.entitlement is None:
        raise ValidationError({"detail": _("Diagnose a registered unit before quoting.")})
    parts = data.get("parts", [])
    if not isinstance(parts, list) or len(parts) > 50:
        raise ValidationError({"parts": _("Give a list of at most 50 parts.")})
    lines = []
    for index, part in enumerate(parts):
        if not isinstance(part, dict):
            raise ValidationError({"parts": _("Part %(n)d is not an object.") % {"n": index + 1}})
        quantity = _decimal(part, "quantity", "1")
        if quantity != quantity.to_integral_value() or quantity < 1:
            raise ValidationError({"parts": _("Quantities are whole numbers of at least 1.")})
        lines.append(
            PartLine(
                part_number=_text(part, "part_number", required=True, max_length=64),
                description=_text(part, "description", max_length=200),
                quantity=int(quantity),
                unit_price=_decimal(part, "unit_price"),
            )
        )
    quote = quote_create(
        decision=ticket.entitlement, parts=lines, labour_hours=_decimal(data, "labour_hours"), actor=actor
    )
    return {"quote": quote}


def prepare_approve_quote(ticket: Ticket, data: dict, actor, now: datetime) -> dict:
    quote_respond(quote=ticket.quote, accepted=True, note=_text(data, "note"), actor=actor, now=now)
    return {}


def prepare_decline_quote(ticket: Ticket, data: dict, actor, now: datetime) -> dict:
    quote_respond(quote=ticket.quote, accepted=False, note=_text(data, "note"), actor=actor, now=now)
    return {"now": now}


def prepare_dispatch(ticket: Ticket, data: dict, actor, now: datetime) -> dict:
    username = _text(data, "technician", required=True, max_length=150)
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    profile = Technician.objects.filter(user=user, is_active=True).first() if user else None
    if profile is None:
        raise ValidationError({"technician": _("No active technician with this username.")})
    if not profile.is_certified:
        # Only a technician who passed training may be assigned (001 三(二)1).
        raise ValidationError({"technician": _("This technician is not certified.")})
    appointment_at = None
    if raw := _text(data, "appointment_at"):
        try:
            appointment_at = parse_datetime(raw)
        except ValueError:  # well-formed but impossible, e.g. month 13
            appointment_at = None
        if appointment_at is None or appointment_at.tzinfo is None:
            raise ValidationError({"appointment_at": _("Enter an ISO-8601 time with its offset.")})
    return {"technician": user, "appointment_at": appointment_at}


def prepare_resolve(ticket: Ticket, data: dict, actor, now: datetime) -> dict:
    resolution = _text(data, "resolution", required=True)
    functional_test = _text(data, "functional_test")
    if ticket.ticket_type == TicketType.CONSULTATION:
        functional_test = functional_test or FunctionalTest.NOT_APPLICABLE
    elif functional_test != FunctionalTest.PASSED:
        # Resolved means the functional test was done and passed (REQUIREMENTS §3).
        raise ValidationError({"functional_test": _("A repair is resolved only after a passed functional test.")})
    if functional_test not in FunctionalTest.values:
        raise ValidationError({"functional_test": _("Unknown functional test result.")})
    return {"resolution": resolution, "functional_test": functional_test, "now": now}


def prepare_close(ticket: Ticket, data: dict, actor, now: datetime) -> dict:
    return {"now": now}


def prepare_cancel(ticket: Ticket, data: dict, actor, now: datetime) -> dict:
    _text(data, "note", required=True)  # why it is cancelled
    return {"now": now}


def within_reopen_window(ticket: Ticket, now: datetime) -> bool:
    resolved_at = ticket.resolved_at or ticket.closed_at
    return resolved_at is not None and now - resolved_at <= REOPEN_WINDOW


def prepare_reopen(ticket: Ticket, data: dict, actor, now: datetime) -> dict:
    _text(data, "note", required=True)
    if not within_reopen_window(ticket, now):
        raise ActionNotAllowed("A ticket can be reopened within 30 days of its resolution.")
    return {}


_PREPARERS = {
    "acknowledge": prepare_acknowledge,
    "diagnose": prepare_diagnose,
    "request_quote": prepare_request_quote,
    "approve_quote": prepare_approve_quote,
    "decline_quote": prepare_decline_quote,
    "dispatch": prepare_dispatch,
    "resolve": prepare_resolve,
    "close": prepare_close,
    "cancel": prepare_cancel,
    "reopen": prepare_reopen,
}


def prepare(action: str, ticket: Ticket, data: dict, actor, now: datetime) -> dict:
    """Keyword arguments for the transition method; actions without fields take none."""
    preparer = _PREPARERS.get(action)
    return preparer(ticket, data, actor, now) if preparer else {}
