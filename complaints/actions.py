"""The complaint's actions (CONTRACT.md §4 names and the flow's own): who may, which fields, what follows.

Each action is an ``ActionSpec`` of the case kit (aftersales/core/cases/spec.py), run by
``services.complaint_transition`` through the kit's one skeleton. ``prepare_<action>`` validates the
request's fields and returns the keyword arguments of the model's transition method; it runs inside
the transaction, after the row is locked, and only reads. The clocks each action moves, its event
data, who is told with which template and what else follows are declared on the spec below.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.core.cases import (
    ActionNotAllowed,
    ActionRun,
    ActionSpec,
    Notice,
    actions_by_name,
    clean_staff_user,
    clean_text,
    clean_time,
    event_append,
    lock_dependents,
)
from aftersales.core.notifications import notify_staff, users_in_role
from aftersales.core.roles import MANAGER

from . import sla
from .choices import Category, Cause, ClockName, CompensationKind, ResolutionType, RootCause, Severity, Status
from .models import Complaint, ComplaintEvent, StaffComplaintRecord

__all__ = ["ACTIONS", "APPROVE", "ASSIGN", "INVESTIGATE", "REOPEN_WINDOW", "RESPOND", "ActionNotAllowed"]

# A complaint the customer confirmed (or that was closed) may be reopened within 30 days.
REOPEN_WINDOW = timedelta(days=30)
# The expected handling time told to the customer must be a real promise, not a year away.
MAX_PROMISE = timedelta(days=90)
MAX_AMOUNT = Decimal("1000000")
DEFAULT_APPROVAL_LIMIT = Decimal("500")

RESPOND = "complaints.respond_complaint"
INVESTIGATE = "complaints.investigate_complaint"
ASSIGN = "complaints.assign_complaint"
APPROVE = "complaints.approve_compensation"


def approval_limit() -> Decimal:
    """Compensation above this amount needs the service manager's approval (REQUIREMENTS §5)."""
    return Decimal(str(getattr(settings, "COMPLAINT_COMPENSATION_APPROVAL_LIMIT", DEFAULT_APPROVAL_LIMIT)))


text = clean_text


def may_own(user) -> bool:
    """Who can be a complaint's dedicated owner: staff who answer or investigate complaints."""
    return bool(user and user.is_active and (user.has_perm(RESPOND) or user.has_perm(INVESTIGATE)))


def staff_user(data: dict, name: str, *, required: bool = False):
    return clean_staff_user(data, name, required=required)


def _owner(data: dict, default=None):
    owner = staff_user(data, "owner") or default
    if owner is not None and not may_own(owner):
        raise ValidationError({"owner": _("This person does not handle complaints.")})
    return owner


_time = clean_time


def amount(data: dict, name: str) -> Decimal:
    raw = data.get(name, "0")
    if raw in (None, ""):
        raw = "0"
    if isinstance(raw, bool):
        raise ValidationError({name: _("Enter an amount.")})
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError) as error:
        raise ValidationError({name: _("Enter an amount.")}) from error
    if not value.is_finite() or value < 0 or value > MAX_AMOUNT or value != value.quantize(Decimal("0.01")):
        raise ValidationError({name: _("Enter an amount from 0 to 1,000,000 with at most two decimals.")})
    return value


def prepare_acknowledge(complaint: Complaint, data: dict, actor, now: datetime) -> dict:
    promised_by = _time(data, "promised_by")
    if promised_by is not None and not now < promised_by <= now + MAX_PROMISE:
        raise ValidationError({"promised_by": _("Promise a time in the next 90 days.")})
    # The one who answers first owns the complaint unless someone else is named (000 P2§二).
    owner = _owner(data, default=complaint.owner or (actor if may_own(actor) else None))
    # The expected handling time told to the customer: by default the resolution promise (004 §2.2).
    promised_by = promised_by or complaint.promised_by or sla.CLOCKS.due(complaint, ClockName.RESOLUTION)
    return {"now": now, "owner": owner, "promised_by": promised_by}


def prepare_classify(complaint: Complaint, data: dict, actor, now: datetime) -> dict:
    """Triage: fix the category, or raise (lower) the severity and with it the promises."""
    category = text(data, "category", max_length=40) or complaint.category
    severity = text(data, "severity", max_length=10) or complaint.severity
    if category not in Category.values:
        raise ValidationError({"category": _("Unknown category.")})
    if severity not in Severity.values:
        raise ValidationError({"severity": _("Unknown severity.")})
    if (category, severity) == (complaint.category, complaint.severity):
        raise ValidationError({"detail": _("Change the category or the severity.")})
    text(data, "note", required=True)  # why: the reclassification is audited
    return {"category": category, "severity": severity, "sla_policy": sla.policy_for(severity)}


def prepare_assign(complaint: Complaint, data: dict, actor, now: datetime) -> dict:
    owner = _owner(data)
    if owner is None:
        raise ValidationError({"owner": _("This field is required.")})
    return {"owner": owner}


def prepare_record_visit(complaint: Complaint, data: dict, actor, now: datetime) -> dict:
    return {"now": now}


def _codes(data: dict, name: str, choices) -> list[str]:
    values = data.get(name, [])
    if isinstance(values, str):
        values = [value for value in values.split(",") if value.strip()]
    if not isinstance(values, list) or len(values) > len(choices.values):
        raise ValidationError({name: _("Give a list of codes.")})
    codes = []
    for value in values:
        if not isinstance(value, str) or value.strip() not in choices.values:
            raise ValidationError({name: _("Unknown code: %(code)s") % {"code": str(value)[:40]}})
        if value.strip() not in codes:
            codes.append(value.strip())
    return codes


def prepare_propose_resolution(complaint: Complaint, data: dict, actor, now: datetime) -> dict:
    cause = text(data, "cause", required=True, max_length=20)
    if cause not in Cause.values:
        raise ValidationError({"cause": _("Unknown cause.")})
    root_causes = _codes(data, "root_causes", RootCause)
    if cause != Cause.NOT_SUBSTANTIATED and not root_causes:
        # The PDCA loop starts from a named root cause (000 P1§7.2).
        raise ValidationError({"root_causes": _("Name at least one root cause.")})
    responsible = staff_user(data, "responsible_staff")
    if responsible is not None and cause != Cause.SERVICE:
        raise ValidationError({"responsible_staff": _("Name a staff member only for a service failure.")})
    resolution_type = text(data, "resolution_type", required=True, max_length=20)
    if resolution_type not in ResolutionType.values:
        raise ValidationError({"resolution_type": _("Unknown resolution type.")})
    compensation = amount(data, "compensation_amount")
    kind = text(data, "compensation_kind", max_length=10)
    if kind and kind not in CompensationKind.values:
        raise ValidationError({"compensation_kind": _("Unknown kind of compensation.")})
    if (compensation > 0 or resolution_type == ResolutionType.COMPENSATION) and not kind:
        raise ValidationError({"compensation_kind": _("Say how the customer is compensated.")})
    if kind and compensation == 0 and kind != CompensationKind.GIFT:
        raise ValidationError({"compensation_amount": _("Give the amount of the compensation.")})
    needs_approval = compensation > approval_limit() and not actor.has_perm(APPROVE)
    return {
        "findings": {
            "cause": cause,
            "root_causes": root_causes,
            "findings": text(data, "findings", required=True),
            "responsible_staff": responsible,
        },
        "resolution": {
            "resolution_type": resolution_type,
            "resolution": text(data, "resolution", required=True),
            "compensation_kind": kind,
            "compensation_amount": compensation,
        },
        "actor": actor,
        "now": now,
        "needs_approval": needs_approval,
    }


def prepare_approve_resolution(complaint: Complaint, data: dict, actor, now: datetime) -> dict:
    if complaint.proposed_by_id == actor.pk:
        # Four eyes: whoever proposes a large compensation does not approve it too.
        raise ActionNotAllowed("The resolution must be approved by someone other than its proposer.")
    return {"actor": actor, "now": now}


def prepare_reject_resolution(complaint: Complaint, data: dict, actor, now: datetime) -> dict:
    text(data, "note", required=True)
    return {}


def prepare_confirm(complaint: Complaint, data: dict, actor, now: datetime) -> dict:
    return {"now": now}


def prepare_object(complaint: Complaint, data: dict, actor, now: datetime) -> dict:
    text(data, "note", required=True)  # what the customer does not accept
    return {}


def prepare_contact_attempt(complaint: Complaint, data: dict, actor, now: datetime) -> dict:
    text(data, "note", required=True)  # how and when the customer was tried
    return {}


def prepare_close(complaint: Complaint, data: dict, actor, now: datetime) -> dict:
    if complaint.status == Status.CONFIRMED:
        # Closed after the return visit that checks the customer is satisfied (004 §2.5).
        return {"now": now, "return_visit": text(data, "return_visit", required=True)}
    return {"now": now, "close_reason": text(data, "close_reason", required=True)}


def reopen_deadline(complaint: Complaint) -> datetime | None:
    done_at = complaint.closed_at or complaint.confirmed_at
    return done_at + REOPEN_WINDOW if done_at else None


def within_reopen_window(complaint: Complaint, now: datetime) -> bool:
    deadline = reopen_deadline(complaint)
    return deadline is not None and now <= deadline


def prepare_reopen(complaint: Complaint, data: dict, actor, now: datetime) -> dict:
    text(data, "note", required=True)
    if not within_reopen_window(complaint, now):
        raise ActionNotAllowed("A complaint can be reopened within 30 days of its resolution.")
    return {}


def prepare_withdraw(complaint: Complaint, data: dict, actor, now: datetime) -> dict:
    text(data, "note", required=True)
    return {"now": now}


def prepare_unlink(complaint: Complaint, data: dict, actor, now: datetime) -> dict:
    return {"reason": text(data, "note", required=True)}


# --- what follows an action (inside its transaction) --------------------------------------------------


def _staff_url(complaint: Complaint) -> str:
    return f"/admin/complaints/complaint/{complaint.pk}/change/"


def local_time(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def escalate_by_severity(complaint: Complaint, now: datetime, actor=None) -> None:
    """Major and critical complaints go to the service manager's rung at once (REQUIREMENTS §5)."""
    level = sla.intake_level(complaint)
    if level <= complaint.escalation_level:
        return
    Complaint.objects.filter(pk=complaint.pk).update(escalation_level=level)
    complaint.escalation_level = level
    event_append(ComplaintEvent, complaint, "escalate", actor=actor, data={"level": level}, public=False, now=now)
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


def _owner_notice_context(complaint: Complaint) -> dict:
    return {
        "number": complaint.number,
        "category": str(complaint.get_category_display()),
        "severity": str(complaint.get_severity_display()),
        "url": _staff_url(complaint),
    }


def notify_owner(complaint: Complaint, reason: str, now: datetime) -> None:
    notify_staff(
        users=sla.staff_for_rung("owner", complaint),
        key=f"complaint:{complaint.pk}:owner:{complaint.owner_id}:{reason}:{now.isoformat()}",
        template="complaint_assigned",
        context=_owner_notice_context(complaint),
    )


def begin_handling(complaint: Complaint, now: datetime, actor=None) -> None:
    """Start the promises, and send major and critical complaints to the service manager at once."""
    sla.start_clocks(complaint, now, actor)
    escalate_by_severity(complaint, now, actor)
    if complaint.owner_id:
        notify_owner(complaint, "assigned", now)


def _settle_duplicates(run: ActionRun) -> None:
    """Linked duplicates end with the complaint that handled their matter, so none stays open forever."""
    original = run.case
    for duplicate in lock_dependents(original.duplicates.filter(status=Status.LINKED)):
        duplicate.follow_original(original=original, now=run.now)
        duplicate.save()
        event_append(
            ComplaintEvent,
            duplicate,
            "follow_original",
            from_status=Status.LINKED,
            to_status=duplicate.status,
            actor=run.actor,
            data={"original": original.number},
            now=run.now,
        )


def _after_close(run: ActionRun) -> None:
    """A service failure found against a named person goes on that person's record (002 §16)."""
    complaint = run.case
    if complaint.cause == Cause.SERVICE and complaint.responsible_staff_id is not None:
        StaffComplaintRecord.objects.get_or_create(
            staff_id=complaint.responsible_staff_id,
            complaint=complaint,
            defaults={
                "category": complaint.category,
                "root_causes": complaint.root_causes,
                "recorded_at": run.now,
                "recorded_by": run.actor,
            },
        )
    _settle_duplicates(run)


def _after_classify(run: ActionRun) -> None:
    if run.case.severity != run.previous.severity:
        sla.retime(run.case, run.now, run.actor)
        escalate_by_severity(run.case, run.now, run.actor)


# Notices: who hears about an action, with which template (CONTRACT names of templates/notifications).


def _round(complaint: Complaint) -> str:
    """Proposals and objections repeat: keyed by the objection and reopen counts they belong to."""
    return f"{complaint.objection_count}:{complaint.reopened_count}"


def _to_owner(reason: str, *, when=None) -> Notice:
    return Notice(
        template="complaint_assigned",
        staff=lambda run: sla.staff_for_rung("owner", run.case),
        key=lambda run: f"complaint:{run.case.pk}:owner:{run.case.owner_id}:{reason}:{run.now.isoformat()}",
        context=lambda run: _owner_notice_context(run.case),
        when=when,
    )


def _to_owner_or_desk(template: str, what: str, count: str) -> Notice:
    return Notice(
        template=template,
        staff=lambda run: sla.owner_or_desk(run.case),
        key=lambda run: f"complaint:{run.case.pk}:{what}:{getattr(run.case, count)}",
        context=lambda run: {"number": run.case.number, "url": _staff_url(run.case)},
    )


_PROPOSED_TO_CUSTOMER = Notice(
    template="complaint_proposed",
    to_customer=True,
    key=lambda run: f"complaint:{run.case.pk}:proposed:{_round(run.case)}",
    context=lambda run: {"number": run.case.number, "resolution": run.case.resolution},
    when=lambda run: run.after == Status.PROPOSED,
)
_OBJECTION = Notice(
    template="complaint_objection",
    staff=lambda run: sla.owner_or_desk(run.case),
    key=lambda run: f"complaint:{run.case.pk}:objection:{_round(run.case)}",
    context=lambda run: {"number": run.case.number, "url": _staff_url(run.case)},
)


def _acknowledged_context(run: ActionRun) -> dict:
    owner = run.case.owner
    return {
        "number": run.case.number,
        "owner": (owner.get_full_name() or owner.username) if owner else "",
        "promised_by": local_time(run.case.promised_by),
    }


def _approval_context(run: ActionRun) -> dict:
    complaint = run.case
    return {
        "number": complaint.number,
        "amount": str(complaint.compensation_amount),
        "kind": str(complaint.get_compensation_kind_display()),
        "url": _staff_url(complaint),
    }


def _owner_data(run: ActionRun) -> dict:
    complaint = run.case
    return {
        "owner": complaint.owner.username if complaint.owner else None,
        "promised_by": complaint.promised_by.isoformat() if complaint.promised_by else None,
    }


def _proposal_data(run: ActionRun) -> dict:
    complaint = run.case
    return {
        "cause": complaint.cause,
        "root_causes": complaint.root_causes,
        "resolution_type": complaint.resolution_type,
        "compensation_kind": complaint.compensation_kind,
        "compensation_amount": str(complaint.compensation_amount),
        "needs_approval": complaint.status == Status.AWAITING_APPROVAL,
    }


def owner_or_assigner(complaint: Complaint, user, has) -> bool:
    """Only the complaint's owner (while it has none, anyone who may) or someone who assigns owners."""
    return complaint.owner_id in (None, user.pk) or has(ASSIGN)


_OWNER_ONLY = {"who": owner_or_assigner, "who_refusal": "Only the complaint's owner (or a supervisor) may do this."}

ACTIONS = actions_by_name(
    ActionSpec(
        "acknowledge",
        _("Acknowledge"),
        RESPOND,
        prepare=prepare_acknowledge,
        stop=(ClockName.FIRST_RESPONSE,),
        event_data=_owner_data,
        notices=(
            Notice(
                template="complaint_acknowledged",
                to_customer=True,
                key=lambda run: f"complaint:{run.case.pk}:acknowledged",
                context=_acknowledged_context,
            ),
            _to_owner("acknowledged", when=lambda run: run.case.owner is not None and run.case.owner != run.actor),
        ),
    ),
    ActionSpec(
        "classify",
        _("Reclassify"),
        RESPOND,
        prepare=prepare_classify,
        event_data=lambda run: {"category": run.case.category, "severity": run.case.severity},
        after=_after_classify,
    ),
    ActionSpec(
        "assign",
        _("Assign owner"),
        ASSIGN,
        prepare=prepare_assign,
        public=False,
        event_data=_owner_data,
        notices=(_to_owner("assigned"),),
    ),
    ActionSpec("investigate", _("Investigate"), INVESTIGATE, **_OWNER_ONLY),
    ActionSpec("record_visit", _("Record visit"), INVESTIGATE, prepare=prepare_record_visit, stop=(ClockName.ON_SITE,)),
    ActionSpec(
        "propose_resolution",
        _("Propose resolution"),
        INVESTIGATE,
        **_OWNER_ONLY,
        prepare=prepare_propose_resolution,
        event_data=_proposal_data,
        notices=(
            _PROPOSED_TO_CUSTOMER,
            # Above the limit: the service manager decides first (not the proposer).
            Notice(
                template="complaint_approval",
                staff=lambda run: [user for user in users_in_role(MANAGER) if user != run.actor],
                key=lambda run: f"complaint:{run.case.pk}:approval:{_round(run.case)}",
                context=_approval_context,
                when=lambda run: run.after == Status.AWAITING_APPROVAL,
            ),
        ),
    ),
    ActionSpec(
        "approve_resolution",
        _("Approve resolution"),
        APPROVE,
        available=lambda complaint, user, now: complaint.proposed_by_id != user.pk,
        prepare=prepare_approve_resolution,
        public=False,
        event_data=lambda run: {"compensation_amount": str(run.case.compensation_amount)},
        notices=(_PROPOSED_TO_CUSTOMER,),
    ),
    ActionSpec("reject_resolution", _("Reject resolution"), APPROVE, prepare=prepare_reject_resolution, public=False),
    ActionSpec(
        "confirm", _("Customer accepted"), RESPOND, customer_may=True, prepare=prepare_confirm, stop=sla.WORK_CLOCKS
    ),
    ActionSpec(
        "object",
        _("Customer objected"),
        RESPOND,
        customer_may=True,
        prepare=prepare_object,
        event_data=lambda run: {"objections": run.case.objection_count},
        notices=(_OBJECTION,),
    ),
    ActionSpec(
        "contact_attempt",
        _("Contact attempt"),
        RESPOND,
        prepare=prepare_contact_attempt,
        public=False,
        event_data=lambda run: {"attempts": run.case.contact_attempts},
    ),
    ActionSpec(
        "close",
        _("Close"),
        RESPOND,
        prepare=prepare_close,
        stop=sla.WORK_CLOCKS,
        after=_after_close,
        notices=(
            Notice(
                template="complaint_closed",
                to_customer=True,
                key=lambda run: f"complaint:{run.case.pk}:closed:{run.case.reopened_count}",
            ),
        ),
    ),
    ActionSpec(
        "reopen",
        _("Reopen"),
        "complaints.reopen_complaint",
        customer_may=True,
        available=lambda complaint, user, now: within_reopen_window(complaint, now),
        prepare=prepare_reopen,
        restart=(ClockName.RESOLUTION,),
        notices=(_to_owner_or_desk("complaint_objection", "reopened", "reopened_count"),),
    ),
    ActionSpec(
        "withdraw",
        _("Withdrawn by customer"),
        RESPOND,
        prepare=prepare_withdraw,
        cancel="withdrawn",
        after=_settle_duplicates,
    ),
    ActionSpec(
        "unlink",
        _("Handle separately"),
        ASSIGN,
        prepare=prepare_unlink,
        after=lambda run: begin_handling(run.case, run.now, run.actor),
    ),
)
