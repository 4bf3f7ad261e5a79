"""Writes of the complaints app. ``complaint_transition`` is the only way a complaint changes state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from aftersales.core import clock
from aftersales.core.attachments import attachment_check, attachment_create, files_discarded_on_error
from aftersales.core.models import Customer, SlaClock
from aftersales.core.notifications import announce_file, notify_customer, notify_staff, users_in_role
from aftersales.core.numbering import number_next
from aftersales.core.roles import AGENT, MANAGER, permissions_of
from aftersales.core.tracking import tracking_token_new, tracking_url

from . import sla
from .actions import ACTIONS, ASSIGN, ActionNotAllowed, may_own, prepare, text, within_reopen_window
from .choices import OPEN_STATUSES, Category, Cause, Channel, ClockName, CorrectiveStatus, Severity, Status
from .models import (
    BreachReport,
    Complaint,
    ComplaintAttachment,
    ComplaintEvent,
    CorrectiveAction,
    StaffComplaintRecord,
)

# Same customer + unit + category open within this window → linked, not handled twice (REQUIREMENTS §5).
DUPLICATE_WINDOW = timedelta(days=30)
MAX_TEXT = 5000
MAX_CORRECTIVE_HORIZON = timedelta(days=366)


def _event(
    complaint: Complaint,
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
) -> ComplaintEvent:
    return ComplaintEvent.objects.create(
        complaint=complaint,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        by_customer=by_customer,
        note=note[:MAX_TEXT],
        data=data or {},
        public=public,
        created_at=now,
    )


def _staff_url(complaint: Complaint) -> str:
    return f"/admin/complaints/complaint/{complaint.pk}/change/"


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


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
    tracking_token: str  # shown once: only its hash is stored

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
) -> CreatedComplaint:
    """Register a complaint: link it to an open one about the same matter, or start its promises.

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
    token, token_hash = tracking_token_new()
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
        tracking_token_hash=token_hash,
        created_at=now,
    )
    complaint.save()
    if tickets:
        complaint.tickets.set(tickets)
    _event(
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
    context = {"number": complaint.number, "tracking_url": tracking_url(token)}
    if duplicate:
        _event(
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
            context={"number": duplicate.number, "duplicate": complaint.number, "url": _staff_url(duplicate)},
        )
        template, context = "complaint_linked", {**context, "original": duplicate.number}
    else:
        _begin_handling(complaint, now, actor)
        template = "complaint_received"
    notify_customer(customer=customer, key=f"complaint:{complaint.pk}:received", template=template, context=context)
    return CreatedComplaint(complaint=complaint, tracking_token=token)


def _begin_handling(complaint: Complaint, now: datetime, actor=None) -> None:
    """Start the promises, and send major and critical complaints to the service manager at once."""
    sla.start_clocks(complaint, now, actor)
    _escalate_by_severity(complaint, now, actor)
    if complaint.owner_id:
        _notify_owner(complaint, "assigned", now)


def _escalate_by_severity(complaint: Complaint, now: datetime, actor=None) -> None:
    level = sla.intake_level(complaint)
    if level <= complaint.escalation_level:
        return
    Complaint.objects.filter(pk=complaint.pk).update(escalation_level=level)
    complaint.escalation_level = level
    _event(complaint, "escalate", actor=actor, data={"level": level}, public=False, now=now)
    notify_staff(
        users=users_in_role(MANAGER),
        key=f"complaint:{complaint.pk}:severity:{complaint.severity}:{complaint.reopened_count}",
        template="complaint_escalated",
        context={
            "number": complaint.number,
            "severity": str(complaint.get_severity_display()),
            "category": str(complaint.get_category_display()),
            "description": complaint.description[:500],
            "url": _staff_url(complaint),
        },
    )


def _notify_owner(complaint: Complaint, reason: str, now: datetime) -> None:
    notify_staff(
        users=sla.staff_for_rung("owner", complaint),
        key=f"complaint:{complaint.pk}:owner:{complaint.owner_id}:{reason}:{now.isoformat()}",
        template="complaint_assigned",
        context={
            "number": complaint.number,
            "category": str(complaint.get_category_display()),
            "severity": str(complaint.get_severity_display()),
            "url": _staff_url(complaint),
        },
    )


# --- the state machine ----------------------------------------------------------------------------


def _authorize(spec, complaint: Complaint, actor, by_customer: bool) -> None:
    if by_customer:
        if not spec.customer_may:
            raise PermissionDenied("Customers cannot do this.")
        return
    if actor is None or not actor.is_active or not actor.has_perm(spec.permission):
        raise PermissionDenied("You may not do this.")
    if spec.owner_only and complaint.owner_id not in (None, actor.pk) and not actor.has_perm(ASSIGN):
        raise PermissionDenied("Only the complaint's owner (or a supervisor) may do this.")


def actions_for(complaint: Complaint, user) -> list[str]:
    """The action names this user may perform on the complaint right now (the API's ``actions``)."""
    names = []
    now = clock.now()
    perms = permissions_of(user)  # the same rules as _authorize, asked once for the whole page
    for name, spec in ACTIONS.items():
        if spec.permission not in perms:
            continue
        if spec.owner_only and complaint.owner_id not in (None, user.pk) and ASSIGN not in perms:
            continue
        if name == "reopen" and not within_reopen_window(complaint, now):
            continue
        if name == "approve_resolution" and complaint.proposed_by_id == user.pk:
            continue
        if can_proceed(getattr(complaint, name)):
            names.append(name)
    return names


def _lock(pk: int) -> Complaint:
    """Lock the complaint's clocks, then the complaint: the SLA sweep takes them in the same order."""
    content_type = ContentType.objects.get_for_model(Complaint)
    list(
        SlaClock.objects.select_for_update()
        .filter(content_type=content_type, object_id=pk)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return (
        Complaint.objects.select_for_update(of=("self",)).select_related("customer", "owner", "sla_policy").get(pk=pk)
    )


def complaint_transition(
    *,
    complaint: Complaint,
    action: str,
    actor=None,
    by_customer: bool = False,
    data: dict | None = None,
    now: datetime | None = None,
) -> Complaint:
    """Perform one complaint action (CONTRACT.md §4 names and the flow's own).

    Raises ValidationError (unknown action, bad fields: 400), PermissionDenied (403) and
    ActionNotAllowed (wrong state or time, or changed concurrently: 409). The state, the event, the
    clocks and the notifications commit together or not at all.
    """
    spec = ACTIONS.get(action)
    if spec is None:
        raise ValidationError({"action": f"Unknown action {action!r}."})
    data = data or {}
    now = now or clock.now()
    with transaction.atomic():
        complaint = _lock(complaint.pk)
        _authorize(spec, complaint, actor, by_customer)
        method = getattr(complaint, action)
        if not can_proceed(method):
            raise ActionNotAllowed(f"{action} is not possible while the complaint is {complaint.status}.")
        kwargs = prepare(action, complaint, data, actor, now)
        before, before_severity = complaint.status, complaint.severity
        method(**kwargs)
        if action == "acknowledge" and complaint.promised_by is None:
            # The expected handling time told to the customer: the resolution promise (004 §2.2).
            complaint.promised_by = sla.resolution_due(complaint)
        complaint.save()
        note = text(data, "note") if isinstance(data.get("note", ""), str) else ""
        _event(
            complaint,
            action,
            from_status=before,
            to_status=complaint.status,
            actor=actor,
            by_customer=by_customer,
            note=note,
            data=_event_data(action, complaint),
            # The customer sees the steps of their complaint, not the internal ones.
            public=action not in ("assign", "approve_resolution", "reject_resolution", "contact_attempt"),
            now=now,
        )
        _after(complaint, action, before_severity, now, actor)
    complaint.refresh_from_db()
    return complaint


def _event_data(action: str, complaint: Complaint) -> dict:
    if action == "classify":
        return {"category": complaint.category, "severity": complaint.severity}
    if action in ("acknowledge", "assign"):
        return {
            "owner": complaint.owner.username if complaint.owner else None,
            "promised_by": complaint.promised_by.isoformat() if complaint.promised_by else None,
        }
    if action == "propose_resolution":
        return {
            "cause": complaint.cause,
            "root_causes": complaint.root_causes,
            "resolution_type": complaint.resolution_type,
            "compensation_kind": complaint.compensation_kind,
            "compensation_amount": str(complaint.compensation_amount),
            "needs_approval": complaint.status == Status.AWAITING_APPROVAL,
        }
    if action == "approve_resolution":
        return {"compensation_amount": str(complaint.compensation_amount)}
    if action == "object":
        return {"objections": complaint.objection_count}
    if action == "contact_attempt":
        return {"attempts": complaint.contact_attempts}
    return {}


def _after(complaint: Complaint, action: str, before_severity: str, now: datetime, actor) -> None:
    """Clocks, records and notifications that follow an action (inside its transaction)."""
    customer_context = {"number": complaint.number}
    if action == "acknowledge":
        sla.stop(complaint, [ClockName.FIRST_RESPONSE], now, actor)
        owner = complaint.owner
        notify_customer(
            customer=complaint.customer,
            key=f"complaint:{complaint.pk}:acknowledged",
            template="complaint_acknowledged",
            context={
                **customer_context,
                "owner": (owner.get_full_name() or owner.username) if owner else "",
                "promised_by": _local(complaint.promised_by),
            },
        )
        if owner and owner != actor:
            _notify_owner(complaint, "acknowledged", now)
    elif action == "classify":
        if complaint.severity != before_severity:
            sla.retime(complaint, now, actor)
            _escalate_by_severity(complaint, now, actor)
    elif action == "assign":
        _notify_owner(complaint, "assigned", now)
    elif action == "record_visit":
        sla.stop(complaint, [ClockName.ON_SITE], now, actor)
    elif action in ("propose_resolution", "approve_resolution") and complaint.status == Status.PROPOSED:
        sla.pause_resolution(complaint, now, actor, note="awaiting the customer's answer")
        notify_customer(
            customer=complaint.customer,
            key=f"complaint:{complaint.pk}:proposed:{complaint.objection_count}:{complaint.reopened_count}",
            template="complaint_proposed",
            context={**customer_context, "resolution": complaint.resolution},
        )
    elif action == "propose_resolution":  # above the limit: the service manager decides first
        notify_staff(
            users=[user for user in users_in_role(MANAGER) if user != actor],
            key=f"complaint:{complaint.pk}:approval:{complaint.objection_count}:{complaint.reopened_count}",
            template="complaint_approval",
            context={
                "number": complaint.number,
                "amount": str(complaint.compensation_amount),
                "kind": str(complaint.get_compensation_kind_display()),
                "url": _staff_url(complaint),
            },
        )
    elif action == "object":
        sla.resume_resolution(complaint, now, actor)
        notify_staff(
            users=sla.owner_or_desk(complaint),
            key=f"complaint:{complaint.pk}:objection:{complaint.objection_count}:{complaint.reopened_count}",
            template="complaint_objection",
            context={"number": complaint.number, "url": _staff_url(complaint)},
        )
    elif action == "confirm":
        sla.stop(complaint, sla.WORK_CLOCKS, now, actor)
    elif action == "close":
        sla.stop(complaint, sla.WORK_CLOCKS, now, actor)
        _record_on_staff(complaint, actor, now)
        notify_customer(
            customer=complaint.customer,
            key=f"complaint:{complaint.pk}:closed:{complaint.reopened_count}",
            template="complaint_closed",
            context=customer_context,
        )
    elif action == "reopen":
        sla.restart_resolution(complaint, now, actor)
        notify_staff(
            users=sla.owner_or_desk(complaint),
            key=f"complaint:{complaint.pk}:reopened:{complaint.reopened_count}",
            template="complaint_objection",
            context={"number": complaint.number, "url": _staff_url(complaint)},
        )
    elif action == "withdraw":
        sla.cancel_all(complaint, now, actor, note="withdrawn")
    if action in ("close", "withdraw"):
        _settle_duplicates(complaint, now, actor)
    elif action == "unlink":
        _begin_handling(complaint, now, actor)


def _settle_duplicates(original: Complaint, now: datetime, actor) -> None:
    """Linked duplicates end with the complaint that handled their matter, so none stays open forever."""
    for duplicate in original.duplicates.select_for_update().filter(status=Status.LINKED).order_by("pk"):
        duplicate.follow_original(original=original, now=now)
        duplicate.save()
        _event(
            duplicate,
            "follow_original",
            from_status=Status.LINKED,
            to_status=duplicate.status,
            actor=actor,
            data={"original": original.number},
            now=now,
        )


def _record_on_staff(complaint: Complaint, actor, now: datetime) -> None:
    """A service failure found against a named person goes on that person's record (002 §16)."""
    if complaint.cause != Cause.SERVICE or complaint.responsible_staff_id is None:
        return
    StaffComplaintRecord.objects.get_or_create(
        staff_id=complaint.responsible_staff_id,
        complaint=complaint,
        defaults={
            "category": complaint.category,
            "root_causes": complaint.root_causes,
            "recorded_at": now,
            "recorded_by": actor,
        },
    )


# --- messages and notes -----------------------------------------------------------------------------


@transaction.atomic
def complaint_customer_message(*, complaint: Complaint, body: str, now: datetime | None = None) -> ComplaintEvent:
    body = (body or "").strip()
    if not body or len(body) > MAX_TEXT or "\x00" in body:
        raise ValidationError({"body": _("Write a message of 1 to 5000 characters.")})
    event = _event(complaint, "customer_message", by_customer=True, note=body, now=now or clock.now())
    notify_staff(
        users=sla.owner_or_desk(complaint),
        key=f"complaint:{complaint.pk}:message:{event.pk}",
        template="complaint_customer_message",
        context={"number": complaint.number, "body": body[:500], "url": _staff_url(complaint)},
    )
    return event


@transaction.atomic
def complaint_staff_note(
    *, complaint: Complaint, body: str, actor, public: bool = False, now: datetime | None = None
) -> ComplaintEvent:
    body = (body or "").strip()
    if not body or "\x00" in body:
        raise ValidationError({"body": _("Write a note.")})
    return _event(complaint, "note", actor=actor, note=body, public=public, now=now or clock.now())


# --- attachments ---------------------------------------------------------------------------------------

MAX_ATTACHMENTS = 10  # per complaint: photos and paperwork, not an archive
# A customer adds files until the complaint is archived or withdrawn; staff at any time.
_CLOSED_TO_CUSTOMER = (Status.CLOSED, Status.WITHDRAWN)


def customer_may_attach(complaint: Complaint) -> bool:
    return complaint.status not in _CLOSED_TO_CUSTOMER and complaint.attachments.count() < MAX_ATTACHMENTS


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
    now = now or clock.now()
    if by_customer:
        by, public = None, True
    else:
        if by is None or not by.is_active or not by.has_perm("complaints.add_complaintattachment"):
            raise PermissionDenied("You may not add files to complaints.")
        if public and not by.has_perm("complaints.respond_complaint"):
            raise PermissionDenied("Only the complaint desk shows files to the customer.")
    attachment_check(upload)  # before any lock or write: a bad file changes nothing
    with files_discarded_on_error() as stored, transaction.atomic():
        complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
        if by_customer and complaint.status in _CLOSED_TO_CUSTOMER:
            raise ActionNotAllowed("This complaint is closed; files can no longer be added.")
        if complaint.attachments.count() >= MAX_ATTACHMENTS:
            raise ValidationError(
                {
                    "file": ValidationError(
                        _("A complaint holds at most %(max)d files; this one has reached the limit."),
                        code="too_many_files",
                        params={"max": MAX_ATTACHMENTS},
                    )
                }
            )
        attachment = attachment_create(
            model=ComplaintAttachment,
            upload=upload,
            by=by,
            by_customer=by_customer,
            now=now,
            complaint=complaint,
            public=bool(public),
        )
        stored.append(attachment)
        _event(
            complaint,
            "attachment_added",
            actor=by,
            by_customer=by_customer,
            note=attachment.original_name,
            data={"attachment": attachment.pk, "name": attachment.original_name, "size": attachment.size},
            public=bool(public),
            now=now,
        )
        announce_file(
            attachment=attachment,
            number=complaint.number,
            staff_url=_staff_url(complaint),
            key=f"complaint:{complaint.pk}:file:{attachment.pk}",
            customer=complaint.customer,
            responsible=sla.staff_for_rung("owner", complaint),
            desk=lambda: users_in_role(AGENT),
        )
    return attachment


# --- corrective actions (PDCA) ----------------------------------------------------------------------


def _corrective_locked(action: CorrectiveAction) -> CorrectiveAction:
    content_type = ContentType.objects.get_for_model(CorrectiveAction)
    list(SlaClock.objects.select_for_update().filter(content_type=content_type, object_id=action.pk).order_by("pk"))
    return (
        CorrectiveAction.objects.select_for_update(of=("self",)).select_related("complaint", "owner").get(pk=action.pk)
    )


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
    _event(
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
            "due_at": _local(action.due_at),
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
    _event(
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
    _event(
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
    report = BreachReport.objects.select_for_update().get(pk=report.pk)
    if not actor.has_perm("complaints.change_breachreport"):
        raise PermissionDenied("You may not explain late promises.")
    if report.done_at is not None:
        raise ActionNotAllowed("This late promise was already explained.")
    explanation, remedy = (explanation or "").strip(), (remedy or "").strip()
    if not explanation or not remedy:
        raise ValidationError({"explanation": _("Give both the explanation and the remedy.")})
    report.explanation, report.remedy = explanation[:MAX_TEXT], remedy[:MAX_TEXT]
    report.done_at, report.done_by = now, actor
    report.save()
    _event(
        report.complaint,
        "breach_explained",
        actor=actor,
        note=explanation,
        data={"clock": report.clock_name, "remedy": remedy[:500]},
        public=False,
        now=now,
    )
    return report
