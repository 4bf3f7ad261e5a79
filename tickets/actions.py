"""The ticket's actions (CONTRACT.md §4 names): who may take each, which fields it takes, what it does.

Each action is an ``ActionSpec`` of the case kit (aftersales/core/cases/spec.py), run by
``services.ticket_transition`` through the kit's one skeleton. ``prepare_<action>`` validates the
request's fields and returns the keyword arguments of the model's transition method — it reads,
it never writes; ``record_<action>`` writes the rows the transition points at (an entitlement
snapshot, a quote, the customer's answer to it) once everything is validated. The clocks each
action moves, its event data and what follows it are declared on the spec.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.core.cases import ActionNotAllowed, ActionRun, ActionSpec, actions_by_name, clean_text, clean_time
from aftersales.core.cases.contacts import case_contact
from aftersales.core.notifications import notify_customer
from parts.services import reservations_release_for
from warranty.choices import FaultCause
from warranty.services import (
    MAX_LABOUR_HOURS,
    PartLine,
    quote_create,
    quote_respond,
    warranty_decide,
    warranty_decision_record,
)

from . import sla
from .choices import ClockName, FunctionalTest, TicketType
from .models import Survey, Technician, Ticket

__all__ = ["ACTIONS", "REOPEN_WINDOW", "ActionNotAllowed", "AlreadyRated", "Work", "clean_work", "within_reopen_window"]


class AlreadyRated(Exception):
    """The customer already rated this resolution (API: 409)."""


# A resolved ticket may be reopened within 30 days (REQUIREMENTS §3).
REOPEN_WINDOW = timedelta(days=30)
DISPATCH = "tickets.dispatch_ticket"
_WORK_CLOCKS = (ClockName.FIRST_RESPONSE, ClockName.ON_SITE, ClockName.RESOLUTION)


_text = clean_text


def _decimal(data: dict, name: str, default: str = "0") -> Decimal:
    try:
        value = Decimal(str(data.get(name, default)))
    except (InvalidOperation, ValueError) as error:
        raise ValidationError({name: _("Enter a number.")}) from error
    if not value.is_finite() or value < 0 or value > Decimal("100000"):  # NaN compares by raising
        raise ValidationError({name: _("Enter a number between 0 and 100000.")})
    return value


# --- who may -------------------------------------------------------------------------------------


def assigned_or_dispatcher(ticket: Ticket, user, has) -> bool:
    """Only the assigned technician, or someone who dispatches (a supervisor)."""
    return ticket.assignee_id == user.pk or has(DISPATCH)


def within_reopen_window(ticket: Ticket, now: datetime) -> bool:
    resolved_at = ticket.resolved_at or ticket.closed_at
    return resolved_at is not None and now - resolved_at <= REOPEN_WINDOW


# --- validation: reads only ------------------------------------------------------------------------


def prepare_now(ticket: Ticket, data: dict, actor, now: datetime) -> dict:
    return {"now": now}


def prepare_diagnose(ticket: Ticket, data: dict, actor, now: datetime) -> dict:
    diagnosis = _text(data, "diagnosis")
    fault_cause = _text(data, "fault_cause") or FaultCause.QUALITY_DEFECT
    if fault_cause not in FaultCause.values:
        raise ValidationError({"fault_cause": _("Unknown fault cause.")})
    kwargs: dict = {"diagnosis": diagnosis, "fault_cause": fault_cause}
    if ticket.unit_id:
        component = None
        if code := _text(data, "component"):
            component = ticket.unit.product_model.components.filter(code=code).first()
            if component is None:
                raise ValidationError({"component": _("Unknown component of this model.")})
        # Decided now (a read); stored by record_diagnose once the whole action is valid.
        kwargs["decision"] = warranty_decide(
            unit=ticket.unit,
            on_date=timezone.localdate(ticket.created_at),  # the local day, not the UTC one
            fault_cause=fault_cause,
            component=component,
        )
    return kwargs


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
    return {"lines": lines, "labour_hours": _decimal(data, "labour_hours")}


def prepare_quote_answer(ticket: Ticket, data: dict, actor, now: datetime) -> dict:
    return {"answer_note": _text(data, "note")}


def prepare_dispatch(ticket: Ticket, data: dict, actor, now: datetime) -> dict:
    username = _text(data, "technician", required=True, max_length=150)
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    profile = Technician.objects.filter(user=user, is_active=True).first() if user else None
    if profile is None:
        raise ValidationError({"technician": _("No active technician with this username.")})
    if not profile.is_certified:
        # Only a technician who passed training may be assigned (001 三(二)1).
        raise ValidationError({"technician": _("This technician is not certified.")})
    return {"technician": user, "appointment_at": clean_time(data, "appointment_at")}


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


def prepare_reason(ticket: Ticket, data: dict, actor, now: datetime) -> dict:
    """Cancelling says why."""
    _text(data, "note", required=True)
    return {"now": now}


def prepare_reopen(ticket: Ticket, data: dict, actor, now: datetime) -> dict:
    _text(data, "note", required=True)
    if not within_reopen_window(ticket, now):
        raise ActionNotAllowed("A ticket can be reopened within 30 days of its resolution.")
    return {}


# --- the rows a transition points at: written once everything is valid ------------------------------


def record_diagnose(run: ActionRun) -> dict:
    decision = run.kwargs.pop("decision", None)
    if decision is not None:
        # Kept as decided now, for audit even if the policy changes (REQUIREMENTS §2).
        run.case.entitlement = warranty_decision_record(decision=decision, actor=run.actor, purpose=run.case.number)
    return {}


def record_quote(run: ActionRun) -> dict:
    lines, labour_hours = run.kwargs.pop("lines"), run.kwargs.pop("labour_hours")
    quote = quote_create(decision=run.case.entitlement, parts=lines, labour_hours=labour_hours, actor=run.actor)
    return {"quote": quote}


def _quote_answer(accepted: bool):
    def record(run: ActionRun) -> dict:
        note = run.kwargs.pop("answer_note")
        quote_respond(quote=run.case.quote, accepted=accepted, note=note, actor=run.actor, now=run.now)
        return {} if accepted else {"now": run.now}

    return record


# --- what the timeline keeps -------------------------------------------------------------------------


def work_data(work: Work, ticket: Ticket) -> dict:
    return {
        "labour_hours": str(work.labour_hours),
        "travel_km": work.travel_km,
        "total_labour_hours": str(ticket.labour_hours),
        "total_travel_km": ticket.travel_km,
    }


def _dispatch_data(run: ActionRun) -> dict:
    ticket = run.case
    return {
        "technician": ticket.assignee.username,
        "appointment_at": ticket.appointment_at and ticket.appointment_at.isoformat(),
    }


def _resolve_data(run: ActionRun) -> dict:
    work = run.kwargs.get("work")
    return {"functional_test": run.case.functional_test, **(work_data(work, run.case) if work else {})}


def release_parts(run: ActionRun) -> None:
    """The job has ended: units still reserved for the ticket go back to stock (parts/services.py).
    What was issued and not used comes back as a ``return`` movement booked by the technician."""
    reservations_release_for(ticket_reference=run.case.number)


def _after_resolve(run: ActionRun) -> None:
    """The return visit: a 7-day reply window and a survey link to the customer (002 §4)."""
    release_parts(run)
    ticket, now = run.case, run.now
    sla.start_csat_reply(ticket, now)
    cycle = ticket.reopened_count + 1
    Survey.objects.get_or_create(ticket=ticket, cycle=cycle, defaults={"sent_at": now})
    notify_customer(
        customer=case_contact(ticket),
        key=f"ticket:{ticket.pk}:survey:{cycle}",
        template="ticket_resolved",
        context={"number": ticket.number, "resolution": ticket.resolution},
    )


ACTIONS = actions_by_name(
    ActionSpec("acknowledge", _("Acknowledge"), "tickets.respond_ticket", prepare=prepare_now, stop=_WORK_CLOCKS[:1]),
    ActionSpec(
        "diagnose",
        _("Diagnose"),
        "tickets.diagnose_ticket",
        prepare=prepare_diagnose,
        record=record_diagnose,
        event_data=lambda run: {"fault_cause": run.case.fault_cause, "entitlement": run.case.entitlement_id},
    ),
    ActionSpec(
        "request_quote",
        _("Send quote"),
        "tickets.quote_ticket",
        prepare=prepare_request_quote,
        record=record_quote,
        event_data=lambda run: {"quote": run.case.quote_id, "total": str(run.case.quote.total)},
    ),
    ActionSpec(
        "approve_quote",
        _("Quote accepted"),
        "tickets.respond_ticket",
        customer_may=True,
        prepare=prepare_quote_answer,
        record=_quote_answer(True),
    ),
    ActionSpec(
        "decline_quote",
        _("Quote declined"),
        "tickets.respond_ticket",
        customer_may=True,
        prepare=prepare_quote_answer,
        record=_quote_answer(False),
        cancel="decline_quote",
    ),
    ActionSpec("dispatch", _("Dispatch"), DISPATCH, prepare=prepare_dispatch, event_data=_dispatch_data),
    ActionSpec(
        "start_work",
        _("Start work"),
        "tickets.work_ticket",
        who=assigned_or_dispatcher,
        who_refusal="Only the assigned technician (or a dispatcher) may do this.",
        stop=(ClockName.ON_SITE,),
    ),
    ActionSpec("wait_parts", _("Wait for parts"), "tickets.work_ticket"),
    ActionSpec("parts_arrived", _("Parts arrived"), "tickets.work_ticket"),
    ActionSpec("wait_customer", _("Wait for customer"), "tickets.respond_ticket"),
    ActionSpec("resume", _("Resume"), "tickets.respond_ticket", customer_may=True),
    ActionSpec(
        "resolve",
        _("Resolve"),
        "tickets.work_ticket",
        who=assigned_or_dispatcher,
        who_refusal="Only the assigned technician (or a dispatcher) may do this.",
        prepare=prepare_resolve,
        stop=_WORK_CLOCKS,
        event_data=_resolve_data,
        after=_after_resolve,
    ),
    ActionSpec("confirm", _("Customer confirmed"), "tickets.respond_ticket", customer_may=True),
    ActionSpec("close", _("Close"), "tickets.respond_ticket", prepare=prepare_now),
    ActionSpec(
        "cancel", _("Cancel"), "tickets.cancel_ticket", prepare=prepare_reason, cancel="cancel", after=release_parts
    ),
    ActionSpec(
        "reopen",
        _("Reopen"),
        "tickets.reopen_ticket",
        customer_may=True,
        available=lambda ticket, user, now: within_reopen_window(ticket, now),
        prepare=prepare_reopen,
        restart=(ClockName.RESOLUTION,),
    ),
)
