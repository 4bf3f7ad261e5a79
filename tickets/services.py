"""Writes of the tickets app. ``ticket_transition`` is the only way a ticket changes state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django_fsm import can_proceed

from aftersales.core import clock
from aftersales.core.models import Customer, SlaClock
from aftersales.core.notifications import notify_staff
from aftersales.core.numbering import number_next
from aftersales.core.tracking import tracking_token_new

from . import sla
from .actions import ACTIONS, ActionNotAllowed, prepare, within_reopen_window
from .choices import PAUSED_STATUSES, ClockName, FollowUpKind, Priority, Status
from .models import FollowUp, PartUsage, StandbyLoan, StandbyUnit, Survey, Ticket, TicketEvent
from .notifications import notify_customer, staff_for_role

LOW_SCORE = 2  # a score of 2 or less opens a follow-up for the supervisor (REQUIREMENTS §3)


def _event(
    ticket: Ticket,
    action: str,
    *,
    from_status="",
    to_status="",
    actor=None,
    by_customer=False,
    note="",
    data=None,
    public=True,
    now: datetime,
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        by_customer=by_customer,
        note=note,
        data=data or {},
        public=public,
        created_at=now,
    )


def _tracking_url(token: str) -> str:
    return f"{settings.SITE_URL}/track/{token}/"


@dataclass(frozen=True)
class CreatedTicket:
    ticket: Ticket
    tracking_token: str  # shown once: only its hash is stored

    @property
    def tracking_url(self) -> str:
        return _tracking_url(self.tracking_token)


@transaction.atomic
def ticket_create(
    *,
    customer: Customer,
    ticket_type: str,
    description: str,
    channel: str = "phone",
    priority: str = Priority.NORMAL,
    unit=None,
    actor=None,
    now: datetime | None = None,
) -> CreatedTicket:
    """Register a request, start its SLA clocks and send the customer the tracking link."""
    now = now or clock.now()
    token, token_hash = tracking_token_new()
    ticket = Ticket(
        number=number_next(prefix="T", at=now),
        ticket_type=ticket_type,
        channel=channel,
        priority=priority,
        customer=customer,
        unit=unit,
        region=customer.region,
        description=description,
        sla_policy=sla.sla_policy_for(ticket_type=ticket_type, priority=priority, customer_tier=customer.tier),
        tracking_token_hash=token_hash,
        created_at=now,
    )
    ticket.full_clean(exclude=["tracking_token_hash", "status"])  # status is protected (django-fsm)
    ticket.save()
    _event(
        ticket,
        "create",
        to_status=ticket.status,
        actor=actor,
        by_customer=actor is None,
        now=now,
        data={"channel": channel, "priority": priority},
    )
    sla.start_clocks(ticket, now)
    notify_customer(
        ticket=ticket,
        key=f"ticket:{ticket.pk}:created",
        template="ticket_created",
        context={"number": ticket.number, "tracking_url": _tracking_url(token)},
    )
    return CreatedTicket(ticket=ticket, tracking_token=token)


def _authorize(action, ticket: Ticket, actor, by_customer: bool) -> None:
    if by_customer:
        if not action.customer_may:
            raise PermissionDenied("Customers cannot do this.")
        return
    if actor is None or not actor.is_active or not actor.has_perm(action.permission):
        raise PermissionDenied("You may not do this.")
    if action.assignee_only and ticket.assignee_id != actor.pk and not actor.has_perm("tickets.dispatch_ticket"):
        raise PermissionDenied("Only the assigned technician (or a dispatcher) may do this.")


def actions_for(ticket: Ticket, user) -> list[str]:
    """The action names this user may perform on the ticket right now (the API's ``actions``)."""
    names = []
    for name, action in ACTIONS.items():
        try:
            _authorize(action, ticket, user, by_customer=False)
        except PermissionDenied:
            continue
        if name == "reopen" and not within_reopen_window(ticket, clock.now()):
            continue
        if can_proceed(getattr(ticket, name)):
            names.append(name)
    return names


def _move_clocks(ticket: Ticket, action: str, before: str, now: datetime, actor) -> None:
    after = ticket.status
    if action == "acknowledge":
        sla.stop(ticket, [ClockName.FIRST_RESPONSE], now, actor)
    elif action == "start_work":
        sla.stop(ticket, [ClockName.ON_SITE], now, actor)
    elif action == "resolve":
        sla.stop(ticket, [ClockName.FIRST_RESPONSE, ClockName.ON_SITE, ClockName.RESOLUTION], now, actor)
        sla.start_csat_reply(ticket, now)
    elif action in ("cancel", "decline_quote"):
        sla.cancel_all(ticket, now, actor, note=action)
    elif action == "reopen":
        sla.restart_resolution(ticket, now, actor)
    if after in PAUSED_STATUSES and before not in PAUSED_STATUSES:
        sla.pause_all(ticket, now, actor, note=after)
    elif before in PAUSED_STATUSES and after not in PAUSED_STATUSES and after != Status.CANCELLED:
        sla.resume_all(ticket, now, actor)


def _lock(ticket_pk: int) -> Ticket:
    """Lock the ticket's clocks, then the ticket: the SLA sweep takes them in the same order."""
    content_type = ContentType.objects.get_for_model(Ticket)
    list(
        SlaClock.objects.select_for_update()
        .filter(content_type=content_type, object_id=ticket_pk)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    tickets = Ticket.objects.select_for_update(of=("self",)).select_related("customer", "unit__product_model")
    return tickets.get(pk=ticket_pk)


def ticket_transition(
    *,
    ticket: Ticket,
    action: str,
    actor=None,
    by_customer: bool = False,
    data: dict | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Perform one action of CONTRACT.md §4 on a ticket.

    Raises ValidationError (unknown action, bad fields: 400), PermissionDenied (403) and
    ActionNotAllowed (wrong state, or changed concurrently: 409). Everything — the state, the event,
    the clocks, the notifications — commits together or not at all.
    """
    spec = ACTIONS.get(action)
    if spec is None:
        raise ValidationError({"action": f"Unknown action {action!r}."})
    data = data or {}
    now = now or clock.now()
    with transaction.atomic():
        ticket = _lock(ticket.pk)
        _authorize(spec, ticket, actor, by_customer)
        method = getattr(ticket, action)
        if not can_proceed(method):
            raise ActionNotAllowed(f"{action} is not possible while the ticket is {ticket.status}.")
        kwargs = prepare(action, ticket, data, actor, now)
        before = ticket.status
        method(**kwargs)
        ticket.save()
        note = data.get("note", "") if isinstance(data.get("note", ""), str) else ""
        _event(
            ticket,
            action,
            from_status=before,
            to_status=ticket.status,
            actor=actor,
            by_customer=by_customer,
            note=note[:5000],
            data=_event_data(action, ticket),
            now=now,
        )
        _move_clocks(ticket, action, before, now, actor)
        if action == "resolve":
            _send_survey(ticket, now)
    ticket.refresh_from_db()
    return ticket


def _event_data(action: str, ticket: Ticket) -> dict:
    if action == "dispatch":
        return {
            "technician": ticket.assignee.username,
            "appointment_at": ticket.appointment_at and ticket.appointment_at.isoformat(),
        }
    if action == "diagnose":
        return {"fault_cause": ticket.fault_cause, "entitlement": ticket.entitlement_id}
    if action == "request_quote":
        return {"quote": ticket.quote_id, "total": str(ticket.quote.total)}
    if action == "resolve":
        return {"functional_test": ticket.functional_test}
    return {}


def _send_survey(ticket: Ticket, now: datetime) -> None:
    """The return visit: a survey link to the customer after each resolution (002 §4)."""
    cycle = ticket.reopened_count + 1
    Survey.objects.get_or_create(ticket=ticket, cycle=cycle, defaults={"sent_at": now})
    notify_customer(
        ticket=ticket,
        key=f"ticket:{ticket.pk}:survey:{cycle}",
        template="ticket_resolved",
        context={"number": ticket.number, "resolution": ticket.resolution},
    )


# --- customer-side actions through the tracking link ------------------------------------------


class AlreadyRated(Exception):
    """The customer already rated this resolution (API: 409)."""


@transaction.atomic
def survey_answer(*, ticket: Ticket, score: int, comment: str = "", agent=None, now: datetime | None = None) -> Survey:
    """Record the CSAT score once per resolution; a low score opens a follow-up for the supervisor."""
    now = now or clock.now()
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise ValidationError({"score": "Give a score from 1 to 5."})
    survey = Survey.objects.select_for_update().filter(ticket=ticket, cycle=ticket.reopened_count + 1).first()
    if survey is None or ticket.status not in (Status.RESOLVED, Status.CONFIRMED, Status.CLOSED):
        raise ActionNotAllowed("There is no resolution to rate yet.")
    if survey.answered_at is not None:
        raise AlreadyRated("This resolution was already rated.")
    survey.score, survey.comment, survey.answered_at, survey.answered_by_agent = score, comment[:2000], now, agent
    survey.save()
    sla.stop(ticket, [ClockName.CSAT_REPLY], now, agent)
    _event(ticket, "rate", actor=agent, by_customer=agent is None, data={"score": score}, note=comment[:2000], now=now)
    if score <= LOW_SCORE:
        FollowUp.objects.get_or_create(
            key=f"low_score:{survey.pk}",
            defaults={
                "ticket": ticket,
                "kind": FollowUpKind.LOW_SCORE,
                "assigned_role": "supervisor",
                "created_at": now,
            },
        )
    return survey


@transaction.atomic
def ticket_customer_message(*, ticket: Ticket, body: str, now: datetime | None = None) -> TicketEvent:
    body = (body or "").strip()
    if not body or len(body) > 5000:
        raise ValidationError({"body": "Write a message of 1 to 5000 characters."})
    event = _event(ticket, "customer_message", by_customer=True, note=body, now=now or clock.now())
    # Someone must read it, above all while the ticket waits for this very reply.
    notify_staff(
        users=staff_for_role("assignee", ticket) or staff_for_role("agent", ticket),
        key=f"ticket:{ticket.pk}:message:{event.pk}",
        template="ticket_customer_message",
        context={"number": ticket.number, "body": body[:500], "url": f"/admin/tickets/ticket/{ticket.pk}/change/"},
    )
    return event


@transaction.atomic
def ticket_staff_note(*, ticket: Ticket, body: str, actor, public: bool = False, now: datetime | None = None):
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write a note."})
    return _event(ticket, "note", actor=actor, note=body[:5000], public=public, now=now or clock.now())


# --- repair details ---------------------------------------------------------------------------


@transaction.atomic
def part_record(
    *,
    ticket: Ticket,
    actor,
    part_number: str,
    description: str,
    quantity: int,
    unit_cost: Decimal,
    replacement_serial: str = "",
    now: datetime | None = None,
) -> PartUsage:
    """A part used on the ticket; who pays follows the stored entitlement."""
    if ticket.status not in (Status.DIAGNOSING, Status.DISPATCHED, Status.IN_PROGRESS, Status.AWAITING_PARTS):
        raise ActionNotAllowed("Parts are recorded while the ticket is being worked on.")
    paid = bool(ticket.entitlement and ticket.entitlement.outputs["charges"]["parts"] != "free") or (
        ticket.entitlement is None and ticket.unit_id is not None
    )
    usage = PartUsage(
        ticket=ticket,
        part_number=part_number,
        description=description,
        quantity=quantity,
        unit_cost=unit_cost,
        replacement_serial=replacement_serial,
        paid_by_customer=paid,
        recorded_by=actor,
        recorded_at=now or clock.now(),
    )
    usage.full_clean()
    usage.save()
    return usage


@transaction.atomic
def standby_lend(*, ticket: Ticket, standby_unit: StandbyUnit, actor, now: datetime | None = None) -> StandbyLoan:
    """Lend a same-model standby unit while a critical repair runs long (002 §11)."""
    now = now or clock.now()
    standby_unit = StandbyUnit.objects.select_for_update().get(pk=standby_unit.pk)
    if not standby_unit.is_available:
        raise ActionNotAllowed("This standby unit is already lent.")
    if ticket.unit_id and ticket.unit.product_model_id != standby_unit.product_model_id:
        raise ValidationError({"standby_unit": "Lend a unit of the same model."})
    standby_unit.is_available = False
    standby_unit.save(update_fields=["is_available"])
    loan = StandbyLoan.objects.create(ticket=ticket, standby_unit=standby_unit, lent_at=now, lent_by=actor)
    _event(ticket, "standby_lent", actor=actor, data={"standby_serial": standby_unit.serial}, now=now)
    FollowUp.objects.filter(ticket=ticket, kind=FollowUpKind.SWAP, done_at__isnull=True).update(
        done_at=now, done_by=actor
    )
    return loan


@transaction.atomic
def standby_return(*, loan: StandbyLoan, actor, now: datetime | None = None) -> StandbyLoan:
    now = now or clock.now()
    loan = StandbyLoan.objects.select_for_update().select_related("standby_unit").get(pk=loan.pk)
    if loan.returned_at:
        raise ActionNotAllowed("This loan was already returned.")
    loan.returned_at = now
    loan.save(update_fields=["returned_at"])
    StandbyUnit.objects.filter(pk=loan.standby_unit_id).update(is_available=True)
    _event(loan.ticket, "standby_returned", actor=actor, data={"standby_serial": loan.standby_unit.serial}, now=now)
    return loan


@transaction.atomic
def follow_up_complete(
    *, follow_up: FollowUp, actor, note: str = "", explanation: str = "", remedy: str = "", now: datetime | None = None
) -> FollowUp:
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if follow_up.done_at:
        raise ActionNotAllowed("This follow-up is already done.")
    if follow_up.kind == FollowUpKind.BREACH_REPORT and not (explanation.strip() and remedy.strip()):
        # A late promise is closed with why it was late and what was done (000 P1§5).
        raise ValidationError({"explanation": "Give the explanation and the remedy."})
    follow_up.done_at, follow_up.done_by = now or clock.now(), actor
    follow_up.note, follow_up.explanation, follow_up.remedy = note, explanation.strip(), remedy.strip()
    follow_up.save()
    return follow_up
