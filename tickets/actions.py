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
from warranty.services import (
    MAX_LABOUR_HOURS,
    PartLine,
    quote_create,
    quote_respond,
    warranty_decide,
    warranty_decision_record,
)

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


# One entry of labour and travel: at most what a quote may charge (warranty.services) and a long day's
# drive; the ticket's totals must still fit their columns (labour: 6 digits, 2 decimals).
MAX_TRAVEL_KM = 5000
MAX_TOTAL_LABOUR_HOURS = Decimal("9999.99")
MAX_TOTAL_TRAVEL_KM = 2**31 - 1


@dataclass(frozen=True)
class Work:
    labour_hours: Decimal  # added to the ticket's total
    travel_km: int

    def __bool__(self) -> bool:
        return bool(self.labour_hours or self.travel_km)


def _invalid(field: str, message, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _number(data: dict, field: str, message) -> Decimal | None:
    """A finite number from JSON (number or text) or a form; None when left out or empty."""
    raw = data.get(field)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        raise _invalid(field, message, "invalid")
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError) as error:
        raise _invalid(field, message, "invalid") from error
    if not value.is_finite():  # NaN and infinities compare by raising
        raise _invalid(field, message, "invalid")
    return value


def clean_work(data: dict, ticket: Ticket | None = None) -> Work:
    """``labour_hours`` (up to 2 decimals) and ``travel_km`` (whole km) of one visit, both optional.

    Refuses what is not a number, negative, beyond the per-visit bounds, or would overflow the
    ticket's totals (400, never a database error).
    """
    labour = _number(data, "labour_hours", _("Enter a number of hours.")) or Decimal("0")
    if not 0 <= labour <= MAX_LABOUR_HOURS:
        raise _invalid("labour_hours", _("Enter hours from 0 to %(max)s.") % {"max": MAX_LABOUR_HOURS}, "out_of_range")
    if labour != labour.quantize(Decimal("0.01")):
        raise _invalid("labour_hours", _("Give hours to at most 2 decimal places."), "invalid")
    distance = _number(data, "travel_km", _("Enter whole kilometres.")) or Decimal("0")
    if distance != distance.to_integral_value():
        raise _invalid("travel_km", _("Enter whole kilometres."), "invalid")
    if not 0 <= distance <= MAX_TRAVEL_KM:
        raise _invalid("travel_km", _("Enter kilometres from 0 to %(max)d.") % {"max": MAX_TRAVEL_KM}, "out_of_range")
    work = Work(labour_hours=labour.quantize(Decimal("0.01")), travel_km=int(distance))
    if ticket is not None:
        if ticket.labour_hours + work.labour_hours > MAX_TOTAL_LABOUR_HOURS:
            raise _invalid("labour_hours", _("The ticket's total labour would be too large."), "too_large")
        if ticket.travel_km + work.travel_km > MAX_TOTAL_TRAVEL_KM:
            raise _invalid("travel_km", _("The ticket's total travel would be too large."), "too_large")
    return work


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
    # The last visit's labour and travel may be recorded with the resolution (ticket_record_work).
    work = clean_work(data, ticket)
    return {"resolution": resolution, "functional_test": functional_test, "now": now, "work": work}


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
