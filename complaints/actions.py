"""What each complaint action needs: who may do it and which fields it takes (CONTRACT.md §4 names).

``prepare_<action>`` validates the request's fields and returns the keyword arguments of the
model's transition method. It runs inside the transition's transaction, after the row is locked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from . import sla
from .choices import Category, Cause, CompensationKind, ResolutionType, RootCause, Severity, Status
from .models import Complaint

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


@dataclass(frozen=True)
class Action:
    name: str
    permission: str
    customer_may: bool = False  # the customer may do it through the tracking link
    owner_only: bool = False  # only the owner (or someone who may assign owners)
    label: str = ""


ACTIONS = {
    action.name: action
    for action in [
        Action("acknowledge", RESPOND, label=_("Acknowledge")),
        Action("classify", RESPOND, label=_("Reclassify")),
        Action("assign", ASSIGN, label=_("Assign owner")),
        Action("investigate", INVESTIGATE, owner_only=True, label=_("Investigate")),
        Action("record_visit", INVESTIGATE, label=_("Record visit")),
        Action("propose_resolution", INVESTIGATE, owner_only=True, label=_("Propose resolution")),
        Action("approve_resolution", APPROVE, label=_("Approve resolution")),
        Action("reject_resolution", APPROVE, label=_("Reject resolution")),
        Action("confirm", RESPOND, customer_may=True, label=_("Customer accepted")),
        Action("object", RESPOND, customer_may=True, label=_("Customer objected")),
        Action("contact_attempt", RESPOND, label=_("Contact attempt")),
        Action("close", RESPOND, label=_("Close")),
        Action("reopen", "complaints.reopen_complaint", customer_may=True, label=_("Reopen")),
        Action("withdraw", RESPOND, label=_("Withdrawn by customer")),
        Action("unlink", ASSIGN, label=_("Handle separately")),
    ]
}


class ActionNotAllowed(Exception):
    """The action does not fit the complaint's state or time (API: 409)."""


def text(data: dict, name: str, *, required: bool = False, max_length: int = 5000) -> str:
    value = data.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({name: _("Enter text.")})
    value = value.strip()
    if "\x00" in value:
        raise ValidationError({name: _("Null characters are not allowed.")})
    if required and not value:
        raise ValidationError({name: _("This field is required.")})
    if len(value) > max_length:
        raise ValidationError({name: _("At most %(n)d characters.") % {"n": max_length}})
    return value


def may_own(user) -> bool:
    """Who can be a complaint's dedicated owner: staff who answer or investigate complaints."""
    return bool(user and user.is_active and (user.has_perm(RESPOND) or user.has_perm(INVESTIGATE)))


def staff_user(data: dict, name: str, *, required: bool = False):
    username = text(data, name, required=required, max_length=150)
    if not username:
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationError({name: _("No active staff member with this username.")})
    return user


def _owner(data: dict, default=None):
    owner = staff_user(data, "owner") or default
    if owner is not None and not may_own(owner):
        raise ValidationError({"owner": _("This person does not handle complaints.")})
    return owner


def _time(data: dict, name: str) -> datetime | None:
    raw = text(data, name, max_length=64)
    if not raw:
        return None
    try:
        value = parse_datetime(raw)
    except ValueError:  # well-formed but impossible, e.g. month 13
        value = None
    if value is None or value.tzinfo is None:
        raise ValidationError({name: _("Enter an ISO-8601 time with its offset.")})
    return value


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


_PREPARERS = {
    "acknowledge": prepare_acknowledge,
    "classify": prepare_classify,
    "assign": prepare_assign,
    "record_visit": prepare_record_visit,
    "propose_resolution": prepare_propose_resolution,
    "approve_resolution": prepare_approve_resolution,
    "reject_resolution": prepare_reject_resolution,
    "confirm": prepare_confirm,
    "object": prepare_object,
    "contact_attempt": prepare_contact_attempt,
    "close": prepare_close,
    "reopen": prepare_reopen,
    "withdraw": prepare_withdraw,
    "unlink": prepare_unlink,
}


def prepare(action: str, complaint: Complaint, data: dict, actor, now: datetime) -> dict:
    """Keyword arguments for the transition method; actions without fields take none."""
    preparer = _PREPARERS.get(action)
    return preparer(complaint, data, actor, now) if preparer else {}
