"""Writes of the tickets app. ``ticket_transition`` is the only way a ticket changes state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from aftersales.core import clock
from aftersales.core.attachments import attachment_check, attachment_create, files_discarded_on_error
from aftersales.core.models import Customer, SlaClock
from aftersales.core.notifications import announce_file, notify_staff
from aftersales.core.numbering import number_next
from aftersales.core.roles import permissions_of
from aftersales.core.tracking import tracking_token_new, tracking_url

from . import sla
from .actions import ACTIONS, ActionNotAllowed, Work, clean_work, prepare, within_reopen_window
from .choices import PAUSED_STATUSES, ClockName, FollowUpKind, Priority, Status
from .models import FollowUp, PartUsage, StandbyLoan, StandbyUnit, Survey, Ticket, TicketAttachment, TicketEvent
from .notifications import notify_customer, staff_for_role
from .selectors import tickets_visible_to

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


@dataclass(frozen=True)
class CreatedTicket:
    ticket: Ticket
    tracking_token: str  # shown once: only its hash is stored

    @property
    def tracking_url(self) -> str:
        return tracking_url(self.tracking_token)


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
        context={"number": ticket.number, "tracking_url": tracking_url(token)},
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
    perms = permissions_of(user)  # the same rules as _authorize, asked once for the whole page
    for name, action in ACTIONS.items():
        if action.permission not in perms:
            continue
        if action.assignee_only and ticket.assignee_id != user.pk and "tickets.dispatch_ticket" not in perms:
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
            data=_event_data(action, ticket, kwargs),
            now=now,
        )
        _move_clocks(ticket, action, before, now, actor)
        if action == "resolve":
            _send_survey(ticket, now)
    ticket.refresh_from_db()
    return ticket


def _work_data(work: Work, ticket: Ticket) -> dict:
    return {
        "labour_hours": str(work.labour_hours),
        "travel_km": work.travel_km,
        "total_labour_hours": str(ticket.labour_hours),
        "total_travel_km": ticket.travel_km,
    }


def _event_data(action: str, ticket: Ticket, kwargs: dict) -> dict:
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
        work = kwargs.get("work")
        return {"functional_test": ticket.functional_test, **(_work_data(work, ticket) if work else {})}
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
    if follow_up.kind == FollowUpKind.RETURN_VISIT:
        sla.end_csat_reply(follow_up.ticket, follow_up.done_at, actor, started_before=follow_up.created_at)
    return follow_up


# One visit's labour and travel (REQUIREMENTS §3: parts used, labour, travel): while the work goes on,
# and after the fix until the ticket is closed (the drive back, the last hour written up late).
WORK_STATUSES = (Status.IN_PROGRESS, Status.AWAITING_PARTS, Status.RESOLVED, Status.CONFIRMED)


def may_record_work(ticket: Ticket, user) -> bool:
    """The assigned technician, or someone who dispatches (a supervisor); the rule of ``assignee_only``."""
    if user is None or not user.is_active or not user.has_perm("tickets.work_ticket"):
        return False
    return ticket.assignee_id == user.pk or user.has_perm("tickets.dispatch_ticket")


def ticket_record_work(
    *,
    ticket: Ticket,
    by,
    labour_hours=None,
    travel_km=None,
    note: str = "",
    now: datetime | None = None,
) -> Ticket:
    """Add one visit's labour hours and travel kilometres to the ticket's totals, with an event.

    PermissionDenied (403) unless ``may_record_work``; ActionNotAllowed (409) outside ``WORK_STATUSES``;
    ValidationError (400) for bad or missing amounts (see ``actions.clean_work``).
    """
    now = now or clock.now()
    if not isinstance(note, str) or len(note) > 5000:
        raise ValidationError({"note": ValidationError("Write a note of at most 5000 characters.", code="invalid")})
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if not may_record_work(ticket, by):
            raise PermissionDenied("Only the assigned technician (or a dispatcher) records the work.")
        if ticket.status not in WORK_STATUSES:
            raise ActionNotAllowed(f"Work is recorded while the ticket is in work, not while it is {ticket.status}.")
        work = clean_work({"labour_hours": labour_hours, "travel_km": travel_km}, ticket)
        if not work:
            raise ValidationError(_("Give the labour hours or the travel kilometres."), code="nothing_to_record")
        ticket.add_work(work)
        ticket.save(update_fields=["labour_hours", "travel_km", "updated_at"])
        _event(
            ticket, "work_recorded", actor=by, note=note.strip(), data=_work_data(work, ticket), public=False, now=now
        )
    return ticket


# --- attachments ------------------------------------------------------------------------------

MAX_ATTACHMENTS = 10  # per ticket: photos of the fault and the paperwork, not an archive
# A customer adds files while the request is open or waiting for them to confirm; staff at any time.
_CLOSED_TO_CUSTOMER = (Status.CLOSED, Status.CANCELLED)


def may_attach(ticket: Ticket, user) -> bool:
    """Staff who may add attachments and may see this ticket (``selectors.tickets_visible_to``)."""
    if user is None or not user.is_active or not user.has_perm("tickets.add_ticketattachment"):
        return False
    return tickets_visible_to(user).filter(pk=ticket.pk).exists()


def customer_may_attach(ticket: Ticket) -> bool:
    return ticket.status not in _CLOSED_TO_CUSTOMER and ticket.attachments.count() < MAX_ATTACHMENTS


def ticket_attach(
    ticket: Ticket,
    upload,
    *,
    by=None,
    by_customer: bool = False,
    public: bool | None = None,
    now: datetime | None = None,
) -> TicketAttachment:
    """Check and store a photo or document on the ticket and note it on the timeline.

    ``by_customer``: sent through the tracking link (``by`` is None); always shown to the customer.
    Staff (``by``) need ``may_attach``; their files are internal unless ``public`` (which, like a
    public note, is the service desk's to decide: ``respond_ticket``). At most ``MAX_ATTACHMENTS``.
    Raises ValidationError (bad file, too many: 400), PermissionDenied (403), ActionNotAllowed (409:
    the customer's request is closed). Nothing is stored unless everything succeeds.
    """
    now = now or clock.now()
    if by_customer:
        by, public = None, True
    else:
        if not may_attach(ticket, by):
            raise PermissionDenied("You may not add files to this ticket.")
        public = bool(public)
        if public and not by.has_perm("tickets.respond_ticket"):
            raise PermissionDenied("Only the service desk shows files to the customer.")
    attachment_check(upload)  # before any lock or write: a bad file changes nothing
    with files_discarded_on_error() as stored, transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if by_customer and ticket.status in _CLOSED_TO_CUSTOMER:
            raise ActionNotAllowed(_("This request is closed; files can no longer be added."))
        if ticket.attachments.count() >= MAX_ATTACHMENTS:
            raise ValidationError(
                {
                    "file": ValidationError(
                        _("A request holds at most %(max)d files; this one has reached the limit."),
                        code="too_many_files",
                        params={"max": MAX_ATTACHMENTS},
                    )
                }
            )
        attachment = attachment_create(
            model=TicketAttachment,
            upload=upload,
            by=by,
            by_customer=by_customer,
            now=now,
            ticket=ticket,
            public=public,
        )
        stored.append(attachment)
        _event(
            ticket,
            "attachment_added",
            actor=by,
            by_customer=by_customer,
            note=attachment.original_name,
            data={"attachment": attachment.pk, "name": attachment.original_name, "size": attachment.size},
            public=public,
            now=now,
        )
        announce_file(
            attachment=attachment,
            number=ticket.number,
            staff_url=f"/admin/tickets/ticket/{ticket.pk}/change/",
            key=f"ticket:{ticket.pk}:file:{attachment.pk}",
            customer=ticket.customer,
            responsible=staff_for_role("assignee", ticket),
            desk=lambda: staff_for_role("agent", ticket),
        )
    return attachment
