"""Writes of the tickets app. ``ticket_transition`` is the only way a ticket changes state.

Every service here refuses a caller who may not (``PermissionDenied``) with the predicates the admin
and the API ask to decide what to offer (``may_note``, ``may_attach``, ``may_record_part``,
``may_record_work``, ``actions_for``), and takes its locks in the case kit's one order: the ticket's
SLA clocks → the ticket → its dependent rows (aftersales/core/cases/locking.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from aftersales.core import cases, clock
from aftersales.core.cases import ActionNotAllowed, event_append, lock_case, lock_dependent
from aftersales.core.cases.contacts import Contact, case_contact, contact_fields
from aftersales.core.models import Customer
from aftersales.core.notifications import notify_customer
from aftersales.core.numbering import number_next
from aftersales.core.tracking import tracking_link_for, tracking_url
from parts.services import reservation_issue
from warranty.selectors import unit_by_serial

from . import sla
from .actions import AlreadyRated, Work, clean_work, work_data
from .cases import TICKETS
from .choices import ClockName, FollowUpKind, Priority, Status
from .models import FollowUp, PartUsage, StandbyLoan, StandbyUnit, Survey, Ticket, TicketAttachment, TicketEvent

if TYPE_CHECKING:
    from parts.models import Reservation

__all__ = [
    "MAX_ATTACHMENTS",
    "PART_STATUSES",
    "WORK_STATUSES",
    "AlreadyRated",
    "CreatedTicket",
    "actions_for",
    "customer_may_attach",
    "follow_up_complete",
    "may_attach",
    "may_note",
    "may_record_part",
    "may_record_work",
    "part_issue_reserved",
    "part_record",
    "standby_lend",
    "standby_return",
    "survey_answer",
    "ticket_attach",
    "ticket_create",
    "ticket_customer_message",
    "ticket_record_work",
    "ticket_register",
    "ticket_staff_note",
    "ticket_transition",
]

LOW_SCORE = 2  # a score of 2 or less opens a follow-up for the supervisor (REQUIREMENTS §3)
MAX_ATTACHMENTS = TICKETS.max_attachments
# Parts are recorded while the ticket is being worked on: diagnosed, dispatched, on site, waiting for them.
PART_STATUSES = frozenset({Status.DIAGNOSING, Status.DISPATCHED, Status.IN_PROGRESS, Status.AWAITING_PARTS})
# One visit's labour and travel (REQUIREMENTS §3: parts used, labour, travel): while the work goes on,
# and after the fix until the ticket is closed (the drive back, the last hour written up late).
WORK_STATUSES = frozenset({Status.IN_PROGRESS, Status.AWAITING_PARTS, Status.RESOLVED, Status.CONFIRMED})


def _lock(ticket_pk: int) -> Ticket:
    """The ticket's clocks, then the ticket (the kit's lock order), read with its customer and unit."""
    return lock_case(Ticket, ticket_pk, select_related=TICKETS.lock_related)


# --- registering ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedTicket:
    ticket: Ticket
    tracking_token: str  # shown once: only its hash is stored (core.TrackingLink)

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
    intake_link: bool = True,
    contact: Contact | None = None,
) -> CreatedTicket:
    """Register a request, start its SLA clocks and send the customer the tracking link.

    ``intake_link``: also issue the link shown once to whoever registered it (the API's answer, the
    staff member); the portal's thanks page mints its own instead. Either way the message sent to
    the customer carries a link minted when it is delivered.

    ``contact``: the details typed with a public request; messages go to them, not to the customer
    found by the phone number (``cases.contacts``).
    """
    now = now or clock.now()
    ticket = Ticket(
        number=number_next(prefix=Ticket.NUMBER_PREFIX, at=now),
        ticket_type=ticket_type,
        channel=channel,
        priority=priority,
        customer=customer,
        unit=unit,
        region=customer.region,
        description=description,
        sla_policy=sla.sla_policy_for(ticket_type=ticket_type, priority=priority, customer_tier=customer.tier),
        created_at=now,
        **contact_fields(contact),
    )
    ticket.full_clean(exclude=["status"])  # status is protected (django-fsm)
    ticket.save()
    token = tracking_link_for(ticket, now=now) if intake_link else ""
    event_append(
        TICKETS,
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
        customer=case_contact(ticket),
        key=f"ticket:{ticket.pk}:created",
        template="ticket_created",
        context={"number": ticket.number},
        tracking=ticket,
    )
    return CreatedTicket(ticket=ticket, tracking_token=token)


def ticket_register(
    *,
    customer,
    ticket_type: str,
    description: str,
    actor,
    channel: str = "phone",
    priority: str = Priority.NORMAL,
    unit=None,
    serial: str = "",
    now: datetime | None = None,
) -> CreatedTicket:
    """A request staff take for a customer (phone, letter, walk-in…), found or registered with it.

    ``customer``: a ``Customer``, ``{"id": …}`` or ``{"new": {name, phone, email}}``
    (``cases.customer_for_reference``: registering one needs ``core.add_customer``). ``serial`` must
    name a registered unit (ValidationError otherwise), or pass the ``unit``. The customer, the
    ticket and its clocks are written in one transaction, or nothing is.
    """
    if actor is None or not actor.is_active or not actor.has_perm("tickets.add_ticket"):
        raise PermissionDenied("You may not register requests.")
    with transaction.atomic():
        found = cases.customer_for_reference(customer, user=actor)
        if serial.strip():
            try:
                unit = cases.known_unit(serial, unit_by_serial)
            except ValidationError as error:
                raise ValidationError({"serial": error.messages}) from error
        return ticket_create(
            customer=found,
            ticket_type=ticket_type,
            description=description,
            channel=channel,
            priority=priority,
            unit=unit,
            actor=actor,
            now=now,
        )


# --- the state machine ------------------------------------------------------------------------


def actions_for(ticket: Ticket, user) -> list[str]:
    """The action names this user may perform on the ticket right now (the API's ``actions``)."""
    return cases.actions_for(TICKETS, ticket, user)


def ticket_transition(
    *,
    ticket: Ticket,
    action: str,
    actor=None,
    by_customer: bool = False,
    data: dict | None = None,
    customer_message: str = "",
    now: datetime | None = None,
) -> Ticket:
    """Perform one action of CONTRACT.md §4 on a ticket (declared in ``actions.ACTIONS``).

    Raises ValidationError (unknown action, bad fields: 400), PermissionDenied (403) and
    ActionNotAllowed (wrong state, or changed concurrently: 409). Everything — the state, the event,
    the clocks, the notifications and ``customer_message`` (a public note for the customer) —
    commits together or not at all.
    """
    return cases.case_transition(
        TICKETS,
        case=ticket,
        action=action,
        actor=actor,
        by_customer=by_customer,
        data=data,
        customer_message=customer_message,
        now=now,
    )


# --- customer-side actions through the tracking link ------------------------------------------


def survey_answer(*, ticket: Ticket, score: int, comment: str = "", agent=None, now: datetime | None = None) -> Survey:
    """Record the CSAT score once per resolution; a low score opens a follow-up for the supervisor.

    The customer answers through the link (``agent`` None); an agent who took the answer by phone
    needs ``tickets.change_survey``.
    """
    now = now or clock.now()
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise ValidationError({"score": "Give a score from 1 to 5."})
    if agent is not None and not (agent.is_active and agent.has_perm("tickets.change_survey")):
        raise PermissionDenied("You may not record survey answers.")
    comment = (comment or "")[:2000]
    with transaction.atomic():
        ticket = _lock(ticket.pk)
        cycle = ticket.reopened_count + 1
        survey = Survey.objects.select_for_update().filter(ticket=ticket, cycle=cycle).first()
        if survey is None or ticket.status not in (Status.RESOLVED, Status.CONFIRMED, Status.CLOSED):
            raise ActionNotAllowed("There is no resolution to rate yet.")
        if survey.answered_at is not None:
            raise AlreadyRated("This resolution was already rated.")
        survey.score, survey.comment, survey.answered_at, survey.answered_by_agent = score, comment, now, agent
        survey.save()
        sla.CLOCKS.stop(ticket, [ClockName.CSAT_REPLY], now, agent)
        event_append(
            TICKETS,
            ticket,
            "rate",
            actor=agent,
            by_customer=agent is None,
            data={"score": score},
            note=comment,
            now=now,
        )
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


def ticket_safety_flag(ticket: Ticket, words: list[str], now: datetime | None = None) -> TicketEvent:
    """Record for triage that the customer's own words name a danger (``tickets.safety``).

    Called by the public intake in the transaction that registers the request; staff see the event
    on the ticket, the customer sees the safety advice on the page instead.
    """
    return event_append(
        TICKETS,
        ticket,
        "safety_flag",
        now=now or clock.now(),
        by_customer=True,
        note=", ".join(words),
        data={"safety_words": words},
        public=False,
    )


def ticket_customer_message(*, ticket: Ticket, body: str, now: datetime | None = None) -> TicketEvent:
    """The customer writes through the link; the assignee (else the service desk) is told."""
    return cases.case_customer_message(TICKETS, case=ticket, body=body, now=now)


# --- staff notes ------------------------------------------------------------------------------


def may_note(ticket: Ticket, user, *, public: bool = False) -> bool:
    """Staff who work the ticket may note; a note the customer reads is the service desk's."""
    return cases.may_note(TICKETS, ticket, user) and (not public or cases.may_publish(TICKETS, user))


def ticket_staff_note(*, ticket: Ticket, body: str, actor, public: bool = False, now: datetime | None = None):
    """An internal note, or a ``public`` one shown on the customer's page; PermissionDenied unless ``may_note``."""
    return cases.case_staff_note(TICKETS, case=ticket, body=body, actor=actor, public=public, now=now)


# --- repair details ---------------------------------------------------------------------------


def may_record_part(ticket: Ticket, user) -> bool:
    """Who records parts: ``tickets.add_partusage``, on a ticket they may see (its state aside)."""
    if user is None or not user.is_active or not user.has_perm("tickets.add_partusage"):
        return False
    return cases.may_see(TICKETS, ticket, user)


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
    """A part used on the ticket; who pays follows the stored entitlement.

    PermissionDenied unless ``may_record_part``; ActionNotAllowed (409) outside ``PART_STATUSES``,
    checked on the locked ticket; the part and its ``part_recorded`` event commit together.
    """
    now = now or clock.now()
    if not may_record_part(ticket, actor):
        raise PermissionDenied("You may not record parts on this ticket.")
    with transaction.atomic():
        ticket = _lock(ticket.pk)
        if ticket.status not in PART_STATUSES:
            raise ActionNotAllowed("Parts are recorded while the ticket is being worked on.")
        return _part_usage_add(
            ticket=ticket,
            actor=actor,
            part_number=part_number,
            description=description,
            quantity=quantity,
            unit_cost=unit_cost,
            replacement_serial=replacement_serial,
            now=now,
        )


def part_issue_reserved(
    *,
    ticket: Ticket,
    actor,
    reservation: Reservation,
    quantity: int | None = None,
    replacement_serial: str = "",
    now: datetime | None = None,
) -> PartUsage:
    """Take reserved units from stock for the repair and record them as used on the ticket.

    The issue movement (``parts.services.reservation_issue``, which checks that the actor may move
    stock in that warehouse) and the part used commit together. Locks: the ticket first (the case
    kit's order), then the stock rows (parts' order). What the ticket still holds when it is
    resolved or cancelled goes back to stock (``tickets.actions.release_parts``).
    """
    now = now or clock.now()
    if not may_record_part(ticket, actor):
        raise PermissionDenied("You may not record parts on this ticket.")
    with transaction.atomic():
        ticket = _lock(ticket.pk)
        if ticket.status not in PART_STATUSES:
            raise ActionNotAllowed("Parts are recorded while the ticket is being worked on.")
        if reservation.ticket_reference != ticket.number:
            raise ValidationError({"reservation": "This reservation is for another ticket or incident."})
        movement = reservation_issue(
            actor=actor, reservation=reservation, quantity=quantity, reason=f"repair {ticket.number}"
        )
        part = reservation.part
        return _part_usage_add(
            ticket=ticket,
            actor=actor,
            part_number=part.sku,
            description=part.name[:200],
            quantity=-movement.quantity,
            unit_cost=part.price,
            replacement_serial=replacement_serial,
            now=now,
        )


def _part_usage_add(
    *,
    ticket: Ticket,
    actor,
    part_number: str,
    description: str,
    quantity: int,
    unit_cost: Decimal,
    replacement_serial: str,
    now: datetime,
) -> PartUsage:
    """A part used on the locked ``ticket``, with its ``part_recorded`` event."""
    entitlement = ticket.entitlement
    paid = bool(entitlement and entitlement.outputs["charges"]["parts"] != "free") or (
        entitlement is None and ticket.unit_id is not None
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
        recorded_at=now,
    )
    usage.full_clean()
    usage.save()
    event_append(
        TICKETS,
        ticket,
        "part_recorded",
        actor=actor,
        data={
            "part": usage.pk,
            "part_number": usage.part_number,
            "quantity": usage.quantity,
            "paid_by_customer": usage.paid_by_customer,
        },
        public=False,
        now=now,
    )
    return usage


def standby_lend(*, ticket: Ticket, standby_unit: StandbyUnit, actor, now: datetime | None = None) -> StandbyLoan:
    """Lend a same-model standby unit while a critical repair runs long (002 §11)."""
    now = now or clock.now()
    if actor is None or not actor.is_active or not actor.has_perm("tickets.add_standbyloan"):
        raise PermissionDenied("You may not lend standby units.")
    with transaction.atomic():
        ticket = _lock(ticket.pk)
        standby_unit = lock_dependent(StandbyUnit.objects.all(), standby_unit.pk)
        if not standby_unit.is_available:
            raise ActionNotAllowed("This standby unit is already lent.")
        if ticket.unit is not None and ticket.unit.product_model_id != standby_unit.product_model_id:
            raise ValidationError({"standby_unit": "Lend a unit of the same model."})
        standby_unit.is_available = False
        standby_unit.save(update_fields=["is_available"])
        loan = StandbyLoan.objects.create(ticket=ticket, standby_unit=standby_unit, lent_at=now, lent_by=actor)
        event_append(
            TICKETS, ticket, "standby_lent", actor=actor, data={"standby_serial": standby_unit.serial}, now=now
        )
        FollowUp.objects.filter(ticket=ticket, kind=FollowUpKind.SWAP, done_at__isnull=True).update(
            done_at=now, done_by=actor
        )
    return loan


def standby_return(*, loan: StandbyLoan, actor, now: datetime | None = None) -> StandbyLoan:
    now = now or clock.now()
    if actor is None or not actor.is_active or not actor.has_perm("tickets.change_standbyloan"):
        raise PermissionDenied("You may not take standby units back.")
    with transaction.atomic():
        ticket = _lock(loan.ticket_id)
        loan = lock_dependent(StandbyLoan.objects.select_related("standby_unit"), loan.pk)
        if loan.returned_at:
            raise ActionNotAllowed("This loan was already returned.")
        loan.returned_at = now
        loan.save(update_fields=["returned_at"])
        StandbyUnit.objects.filter(pk=loan.standby_unit_id).update(is_available=True)
        event_append(
            TICKETS, ticket, "standby_returned", actor=actor, data={"standby_serial": loan.standby_unit.serial}, now=now
        )
    return loan


def follow_up_complete(
    *, follow_up: FollowUp, actor, note: str = "", explanation: str = "", remedy: str = "", now: datetime | None = None
) -> FollowUp:
    if actor is None or not actor.is_active or not actor.has_perm("tickets.change_followup"):
        raise PermissionDenied("You may not complete follow-ups.")
    with transaction.atomic():
        ticket = _lock(follow_up.ticket_id)
        follow_up = lock_dependent(FollowUp.objects.all(), follow_up.pk)
        if follow_up.done_at:
            raise ActionNotAllowed("This follow-up is already done.")
        if follow_up.kind == FollowUpKind.BREACH_REPORT and not (explanation.strip() and remedy.strip()):
            # A late promise is closed with why it was late and what was done (000 P1§5).
            raise ValidationError({"explanation": "Give the explanation and the remedy."})
        follow_up.done_at, follow_up.done_by = now or clock.now(), actor
        follow_up.note, follow_up.explanation, follow_up.remedy = note, explanation.strip(), remedy.strip()
        follow_up.save()
        if follow_up.kind == FollowUpKind.RETURN_VISIT:
            sla.end_csat_reply(ticket, follow_up.done_at, actor, started_before=follow_up.created_at)
    return follow_up


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
        ticket = _lock(ticket.pk)
        if not may_record_work(ticket, by):
            raise PermissionDenied("Only the assigned technician (or a dispatcher) records the work.")
        if ticket.status not in WORK_STATUSES:
            raise ActionNotAllowed(f"Work is recorded while the ticket is in work, not while it is {ticket.status}.")
        work: Work = clean_work({"labour_hours": labour_hours, "travel_km": travel_km}, ticket)
        if not work:
            raise ValidationError(_("Give the labour hours or the travel kilometres."), code="nothing_to_record")
        ticket.add_work(work)
        ticket.save(update_fields=["labour_hours", "travel_km", "updated_at"])
        event_append(
            TICKETS,
            ticket,
            "work_recorded",
            actor=by,
            note=note.strip(),
            data=work_data(work, ticket),
            public=False,
            now=now,
        )
    return ticket


# --- attachments ------------------------------------------------------------------------------


def may_attach(ticket: Ticket, user) -> bool:
    """Staff who may add attachments and may see this ticket (``selectors.tickets_visible_to``)."""
    return cases.may_attach(TICKETS, ticket, user)


def customer_may_attach(ticket: Ticket) -> bool:
    return cases.customer_may_attach(TICKETS, ticket)


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
    return cases.case_attach(TICKETS, ticket, upload, by=by, by_customer=by_customer, public=public, now=now)
