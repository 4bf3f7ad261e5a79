"""Writes of the complaints app. ``complaint_transition`` is the only way a complaint changes state.

Every service refuses a caller who may not (``PermissionDenied``), with the predicates the admin and
the API ask to decide what to offer, and takes its locks in the case kit's one order: the complaint's
SLA clocks (and a corrective action's) → the complaint → its dependent rows
(aftersales/core/cases/locking.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.core import cases, clock
from aftersales.core.cases import ActionNotAllowed, event_append, lock_case, lock_dependent
from aftersales.core.cases.contacts import Contact, case_contact, contact_fields
from aftersales.core.models import Customer
from aftersales.core.notifications import notify_customer, notify_staff
from aftersales.core.numbering import number_next
from aftersales.core.tracking import tracking_link_for, tracking_url
from tickets import selectors as ticket_selectors
from warranty.selectors import unit_by_serial

from . import sla
from .actions import begin_handling, local_time, may_own
from .cases import COMPLAINTS
from .choices import OPEN_STATUSES, Category, Channel, CorrectiveStatus, Severity, Status
from .models import (
    BreachReport,
    Complaint,
    ComplaintAttachment,
    ComplaintEvent,
    CorrectiveAction,
)

__all__ = [
    "MAX_ATTACHMENTS",
    "ActionNotAllowed",
    "CreatedComplaint",
    "actions_for",
    "breach_report_explain",
    "complaint_attach",
    "complaint_create",
    "complaint_customer_message",
    "complaint_register",
    "complaint_staff_note",
    "complaint_transition",
    "corrective_action_add",
    "corrective_action_complete",
    "corrective_action_verify",
    "customer_may_attach",
    "find_duplicate",
    "may_attach",
    "may_note",
]

# Same customer + unit + category open within this window → linked, not handled twice (REQUIREMENTS §5).
DUPLICATE_WINDOW = timedelta(days=30)
MAX_TEXT = 5000
MAX_CORRECTIVE_HORIZON = timedelta(days=366)


# --- intake ---------------------------------------------------------------------------------------


def find_duplicate(*, customer: Customer, unit, category: str, now: datetime) -> Complaint | None:
    """The open complaint about the same matter: same customer, unit and category within 30 days."""
    return (
        Complaint.objects.filter(
            customer=customer,
            unit=unit,
            category=category,
            status__in=list(OPEN_STATUSES),
            created_at__gte=now - DUPLICATE_WINDOW,
        )
        .order_by("created_at", "id")
        .first()
    )


@dataclass(frozen=True)
class CreatedComplaint:
    complaint: Complaint
    tracking_token: str  # shown once: only its hash is stored (core.TrackingLink)

    @property
    def tracking_url(self) -> str:
        return tracking_url(self.tracking_token)

    @property
    def duplicate_of(self) -> Complaint | None:
        return self.complaint.duplicate_of


def _validate_intake(category: str, severity: str, channel: str, description: str) -> str:
    errors = {}
    if category not in Category.values:
        errors["category"] = _("Unknown category.")
    if severity not in Severity.values:
        errors["severity"] = _("Unknown severity.")
    if channel not in Channel.values:
        errors["channel"] = _("Unknown channel.")
    description = (description or "").strip()
    if not description or len(description) > MAX_TEXT or "\x00" in description:
        errors["description"] = _("Describe the complaint in 1 to 5000 characters.")
    if errors:
        raise ValidationError(errors)
    return description


@transaction.atomic
def complaint_create(
    *,
    customer: Customer,
    category: str,
    description: str,
    severity: str = Severity.GENERAL,
    channel: str = Channel.PHONE,
    unit=None,
    tickets: Sequence = (),
    owner=None,
    actor=None,
    allow_duplicate: bool = False,
    duplicate_reason: str = "",
    now: datetime | None = None,
    intake_link: bool = True,
    contact: Contact | None = None,
) -> CreatedComplaint:
    """Register a complaint: link it to an open one about the same matter, or start its promises.

    ``intake_link``: also issue the link shown once to whoever registered it (see ``ticket_create``).

    ``allow_duplicate`` (staff only, with a reason) handles a repeat separately, e.g. when the
    customer complains about a new failure of the same kind.
    """
    now = now or clock.now()
    description = _validate_intake(category, severity, channel, description)
    duplicate_reason = (duplicate_reason or "").strip()
    duplicate = None if allow_duplicate else find_duplicate(customer=customer, unit=unit, category=category, now=now)
    if allow_duplicate:
        if actor is None or not actor.has_perm("complaints.add_complaint"):
            raise PermissionDenied("Only staff may handle a repeat complaint separately.")
        if not duplicate_reason:
            raise ValidationError({"duplicate_reason": _("Say why this complaint is handled separately.")})
    if owner is not None and not may_own(owner):
        raise ValidationError({"owner": _("This person does not handle complaints.")})
    complaint = Complaint(
        number=number_next(prefix="C", at=now),
        channel=channel,
        category=category,
        severity=severity,
        status=Status.LINKED if duplicate else Status.RECEIVED,
        customer=customer,
        unit=unit,
        description=description,
        owner=owner,
        sla_policy=sla.policy_for(severity),
        duplicate_of=duplicate,
        duplicate_override_reason=duplicate_reason if allow_duplicate else "",
        created_at=now,
        **contact_fields(contact),
    )
    complaint.save()
    token = tracking_link_for(complaint, now=now) if intake_link else ""
    if tickets:
        complaint.tickets.set(tickets)
    event_append(
        COMPLAINTS,
        complaint,
        "create",
        to_status=complaint.status,
        actor=actor,
        by_customer=actor is None,
        now=now,
        data={
            "channel": channel,
            "severity": severity,
            "category": category,
            "tickets": [ticket.number for ticket in tickets],
            **({"duplicate_reason": duplicate_reason} if allow_duplicate else {}),
        },
    )
    context = {"number": complaint.number}
    if duplicate:
        event_append(
            COMPLAINTS,
            duplicate,
            "duplicate_linked",
            actor=actor,
            note=description,
            data={"duplicate": complaint.number},
            public=False,
            now=now,
        )
        notify_staff(
            users=sla.owner_or_desk(duplicate),
            key=f"complaint:{duplicate.pk}:duplicate:{complaint.pk}",
            template="complaint_duplicate",
            context={"number": duplicate.number, "duplicate": complaint.number, "url": COMPLAINTS.staff_url(duplicate)},
        )
        template, context = "complaint_linked", {**context, "original": duplicate.number}
    else:
        begin_handling(complaint, now, actor)
        template = "complaint_received"
    notify_customer(
        customer=case_contact(complaint),
        key=f"complaint:{complaint.pk}:received",
        template=template,
        context=context,
        tracking=complaint,
    )
    return CreatedComplaint(complaint=complaint, tracking_token=token)


def complaint_register(
    *,
    customer,
    category: str,
    description: str,
    actor,
    severity: str = Severity.GENERAL,
    channel: str = Channel.PHONE,
    unit=None,
    serial: str = "",
    ticket_numbers=(),
    owner=None,
    allow_duplicate: bool = False,
    duplicate_reason: str = "",
    now: datetime | None = None,
) -> CreatedComplaint:
    """A complaint staff take (phone, letter, visit, third-party platform), its customer found or registered.

    ``customer``: a ``Customer``, ``{"id": …}`` or ``{"new": {name, phone, email}}``
    (``cases.customer_for_reference``). ``serial`` names a registered unit (or pass ``unit``), which
    must not be another customer's; ``ticket_numbers`` must be this customer's tickets. One
    transaction for the customer and the complaint, or nothing.
    """
    if actor is None or not actor.is_active or not actor.has_perm("complaints.add_complaint"):
        raise PermissionDenied("You may not register complaints.")
    with transaction.atomic():
        found = cases.customer_for_reference(customer, user=actor)
        if serial.strip():
            try:
                unit = cases.known_unit(serial, unit_by_serial)
            except ValidationError as error:
                raise ValidationError({"serial": error.messages}) from error
        if unit is not None and unit.customer_id not in (None, found.pk):
            raise ValidationError({"serial": _("This unit is registered to another customer.")})
        numbers = {str(number).upper() for number in ticket_numbers}
        tickets = ticket_selectors.tickets_by_numbers(numbers)
        unknown = sorted(numbers - {ticket.number for ticket in tickets})
        if unknown:
            raise ValidationError(
                {"tickets": _("Unknown ticket numbers: %(numbers)s") % {"numbers": ", ".join(unknown)}}
            )
        foreign = sorted(ticket.number for ticket in tickets if ticket.customer_id != found.pk)
        if foreign:
            raise ValidationError(
                {"tickets": _("Not tickets of this customer: %(numbers)s") % {"numbers": ", ".join(foreign)}}
            )
        return complaint_create(
            customer=found,
            category=category,
            description=description,
            severity=severity,
            channel=channel,
            unit=unit,
            tickets=tickets,
            owner=owner,
            actor=actor,
            allow_duplicate=allow_duplicate,
            duplicate_reason=duplicate_reason,
            now=now,
        )


# --- the state machine ----------------------------------------------------------------------------


def actions_for(complaint: Complaint, user) -> list[str]:
    """The action names this user may perform on the complaint right now (the API's ``actions``)."""
    return cases.actions_for(COMPLAINTS, complaint, user)


def complaint_transition(
    *,
    complaint: Complaint,
    action: str,
    actor=None,
    by_customer: bool = False,
    data: dict | None = None,
    customer_message: str = "",
    now: datetime | None = None,
) -> Complaint:
    """Perform one complaint action (declared in ``actions.ACTIONS``).

    Raises ValidationError (unknown action, bad fields: 400), PermissionDenied (403) and
    ActionNotAllowed (wrong state or time, or changed concurrently: 409). The state, the event, the
    clocks, the notifications and ``customer_message`` (a public note) commit together or not at all.
    """
    return cases.case_transition(
        COMPLAINTS,
        case=complaint,
        action=action,
        actor=actor,
        by_customer=by_customer,
        data=data,
        customer_message=customer_message,
        now=now,
    )


# --- messages and notes -----------------------------------------------------------------------------


def complaint_customer_message(*, complaint: Complaint, body: str, now: datetime | None = None) -> ComplaintEvent:
    """The customer writes through the link; the owner (else the complaint desk) is told."""
    return cases.case_customer_message(COMPLAINTS, case=complaint, body=body, now=now)


def may_note(complaint: Complaint, user, *, public: bool = False) -> bool:
    return cases.may_note(COMPLAINTS, complaint, user) and (not public or cases.may_publish(COMPLAINTS, user))


def complaint_staff_note(
    *, complaint: Complaint, body: str, actor, public: bool = False, now: datetime | None = None
) -> ComplaintEvent:
    """An internal note, or a ``public`` one shown to the customer; PermissionDenied unless ``may_note``."""
    return cases.case_staff_note(COMPLAINTS, case=complaint, body=body, actor=actor, public=public, now=now)


# --- attachments ---------------------------------------------------------------------------------------

MAX_ATTACHMENTS = COMPLAINTS.max_attachments


def may_attach(complaint: Complaint, user) -> bool:
    return cases.may_attach(COMPLAINTS, complaint, user)


def customer_may_attach(complaint: Complaint) -> bool:
    return cases.customer_may_attach(COMPLAINTS, complaint)


def complaint_attach(
    complaint: Complaint,
    upload,
    *,
    by=None,
    by_customer: bool = False,
    public: bool = False,
    now: datetime | None = None,
) -> ComplaintAttachment:
    """Check and store a photo or document on the complaint and note it on the timeline.

    A customer's file is always visible to them; a staff file only when ``public`` (a desk decision,
    ``respond_complaint``). ValidationError (bad file, too many), PermissionDenied, ActionNotAllowed
    (closed to the customer). Nothing is stored unless everything succeeds.
    """
    return cases.case_attach(COMPLAINTS, complaint, upload, by=by, by_customer=by_customer, public=public, now=now)


# --- corrective actions (PDCA) ----------------------------------------------------------------------


def _corrective_locked(action: CorrectiveAction) -> CorrectiveAction:
    """The kit's lock order: the complaint's and the action's clocks → the complaint → the action."""
    lock_case(Complaint, action.complaint_id, also_clocks_of=[(CorrectiveAction, action.pk)])
    return lock_dependent(CorrectiveAction.objects.select_related("complaint", "owner"), action.pk)


def _due(due_at, now: datetime) -> datetime:
    if not isinstance(due_at, datetime) or due_at.tzinfo is None:
        raise ValidationError({"due_at": _("Enter a time with its offset.")})
    if not now < due_at <= now + MAX_CORRECTIVE_HORIZON:
        raise ValidationError({"due_at": _("Set a due time in the next 12 months.")})
    return due_at


@transaction.atomic
def corrective_action_add(
    *, complaint: Complaint, description: str, owner, due_at: datetime, actor, now: datetime | None = None
) -> CorrectiveAction:
    """Plan: what will change so the root cause does not come back, who does it, by when."""
    now = now or clock.now()
    if not actor.has_perm("complaints.add_correctiveaction"):
        raise PermissionDenied("You may not plan corrective actions.")
    complaint = lock_case(Complaint, complaint.pk)
    if complaint.status in (Status.LINKED, Status.WITHDRAWN, Status.RECEIVED):
        raise ActionNotAllowed("Corrective actions follow an investigation.")
    description = (description or "").strip()
    if not description or len(description) > MAX_TEXT or "\x00" in description:
        raise ValidationError({"description": _("Describe the action in 1 to 5000 characters.")})
    if owner is None or not owner.is_active or not owner.is_staff:
        raise ValidationError({"owner": _("Choose an active staff member.")})
    action = CorrectiveAction.objects.create(
        complaint=complaint,
        description=description,
        owner=owner,
        due_at=_due(due_at, now),
        created_by=actor,
        created_at=now,
    )
    sla.start_corrective_clock(action, now, actor)
    event_append(
        COMPLAINTS,
        complaint,
        "corrective_action",
        actor=actor,
        note=description,
        data={"id": action.pk, "owner": owner.username, "due_at": action.due_at.isoformat()},
        public=False,
        now=now,
    )
    notify_staff(
        users=[owner],
        key=f"corrective:{action.pk}:assigned",
        template="corrective_action_assigned",
        context={
            "number": complaint.number,
            "description": description[:500],
            "due_at": local_time(action.due_at),
            "url": f"/admin/complaints/correctiveaction/{action.pk}/change/",
        },
    )
    return action


@transaction.atomic
def corrective_action_complete(
    *, action: CorrectiveAction, actor, note: str, now: datetime | None = None
) -> CorrectiveAction:
    """Do: the owner (or whoever runs the plan) reports it done; it waits for verification."""
    now = now or clock.now()
    action = _corrective_locked(action)
    if actor.pk != action.owner_id and not actor.has_perm("complaints.change_correctiveaction"):
        raise PermissionDenied("Only the action's owner or a supervisor reports it done.")
    if action.status != CorrectiveStatus.OPEN:
        raise ActionNotAllowed("This corrective action is not open.")
    note = (note or "").strip()
    if not note or "\x00" in note:
        raise ValidationError({"note": _("Say what was done.")})
    action.status, action.done_at, action.done_note = CorrectiveStatus.DONE, now, note[:MAX_TEXT]
    action.save(update_fields=["status", "done_at", "done_note"])
    sla.stop_corrective_clock(action, now, actor)
    event_append(
        COMPLAINTS,
        action.complaint,
        "corrective_done",
        actor=actor,
        note=note,
        data={"id": action.pk},
        public=False,
        now=now,
    )
    return action


@transaction.atomic
def corrective_action_verify(
    *,
    action: CorrectiveAction,
    actor,
    effective: bool,
    note: str,
    new_due_at: datetime | None = None,
    now: datetime | None = None,
) -> CorrectiveAction:
    """Check and act: someone other than the owner confirms it worked, or sends it back with a new date."""
    now = now or clock.now()
    action = _corrective_locked(action)
    if not actor.has_perm("complaints.verify_correctiveaction"):
        raise PermissionDenied("You may not verify corrective actions.")
    if actor.pk == action.owner_id:
        raise PermissionDenied("The owner of an action does not verify it.")
    if action.status != CorrectiveStatus.DONE:
        raise ActionNotAllowed("Only a completed corrective action can be verified.")
    note = (note or "").strip()
    if not note or "\x00" in note:
        raise ValidationError({"note": _("Say how the effect was checked.")})
    if effective:
        action.status, action.verified_at, action.verified_by = CorrectiveStatus.VERIFIED, now, actor
        action.verification_note = note[:MAX_TEXT]
    else:
        action.status, action.done_at, action.due_at = CorrectiveStatus.OPEN, None, _due(new_due_at, now)
        action.verification_note = note[:MAX_TEXT]
    action.save()
    if not effective:
        sla.start_corrective_clock(action, now, actor)  # a new cycle of the due-date promise
    event_append(
        COMPLAINTS,
        action.complaint,
        "corrective_verified" if effective else "corrective_rejected",
        actor=actor,
        note=note,
        data={"id": action.pk, **({} if effective else {"due_at": action.due_at.isoformat()})},
        public=False,
        now=now,
    )
    return action


# --- late promises ------------------------------------------------------------------------------------


@transaction.atomic
def breach_report_explain(
    *, report: BreachReport, actor, explanation: str, remedy: str, now: datetime | None = None
) -> BreachReport:
    """Why a promise was late and what was done about it (000 P1§5)."""
    now = now or clock.now()
    if not actor.has_perm("complaints.change_breachreport"):
        raise PermissionDenied("You may not explain late promises.")
    lock_case(Complaint, report.complaint_id)
    report = lock_dependent(BreachReport.objects.select_related("complaint"), report.pk)
    if report.done_at is not None:
        raise ActionNotAllowed("This late promise was already explained.")
    explanation, remedy = (explanation or "").strip(), (remedy or "").strip()
    if not explanation or not remedy:
        raise ValidationError({"explanation": _("Give both the explanation and the remedy.")})
    report.explanation, report.remedy = explanation[:MAX_TEXT], remedy[:MAX_TEXT]
    report.done_at, report.done_by = now, actor
    report.save()
    event_append(
        COMPLAINTS,
        report.complaint,
        "breach_explained",
        actor=actor,
        note=explanation,
        data={"clock": report.clock_name, "remedy": remedy[:500]},
        public=False,
        now=now,
    )
    return report
