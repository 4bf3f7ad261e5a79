"""The incident's actions (REQUIREMENTS §6 lifecycle): who may, which fields, which clocks move.

Each is an ``ActionSpec`` of the case kit run by ``services.incident_transition``; ``prepare_<action>``
validates and returns the transition's keyword arguments (it only reads).
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from aftersales.core.cases import ActionNotAllowed, ActionRun, ActionSpec, actions_by_name, clean_staff_user, clean_text

from . import paging, plans, sla
from .choices import ClockName, Level, Status
from .models import Incident, IncidentReview

RUN = "emergency.run_incident"
REVIEW_FIELDS = ("root_cause", "lessons", "accountability", "customer_follow_up")
_SCOPE_LISTS = ("models", "regions")
_SCOPE_TEXT = ("serial_from", "serial_to")
_SCOPE_DATES = ("sold_from", "sold_to")


def _is_date(value) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return parse_date(value) is not None
    except ValueError:
        return False


def _scope_field(name: str, value):
    """One scope field, cleaned, or ValidationError."""
    if name in _SCOPE_LISTS:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ValidationError({"scope": _("%(f)s must be a list of codes.") % {"f": name}})
        return sorted({v.strip() for v in value})
    if name in _SCOPE_TEXT:
        if not isinstance(value, str) or not value.strip():
            raise ValidationError({"scope": _("%(f)s must be a serial number.") % {"f": name}})
        return value.strip()
    if not _is_date(value):
        raise ValidationError({"scope": _("%(f)s must be a date (YYYY-MM-DD).") % {"f": name}})
    return value


def clean_scope(raw) -> dict:
    """The scope of CONTRACT.md §4: model codes, a serial range, a sale-date range, region codes."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ValidationError({"scope": _("Give the scope as an object.")})
    unknown = set(raw) - {*_SCOPE_LISTS, *_SCOPE_TEXT, *_SCOPE_DATES}
    if unknown:
        raise ValidationError({"scope": _("Unknown scope fields: %(f)s.") % {"f": ", ".join(sorted(unknown))}})
    scope = {name: _scope_field(name, value) for name, value in raw.items()}
    if "sold_from" in scope and "sold_to" in scope and scope["sold_from"] > scope["sold_to"]:
        raise ValidationError({"scope": _("The sale dates are the wrong way round.")})
    return scope


def clean_level(data: dict) -> int:
    level = data.get("level")
    if isinstance(level, bool) or level not in Level.values:
        raise ValidationError({"level": _("Choose a level from 1 (I) to 4 (IV).")})
    return int(level)


def prepare_assess(incident: Incident, data: dict, actor, now: datetime) -> dict:
    level = clean_level(data)
    scope = clean_scope(data.get("scope", incident.scope))
    commander = clean_staff_user(data, "commander")
    if commander is not None and not commander.has_perm(RUN):
        raise ValidationError({"commander": _("The commander must be someone who runs incidents.")})
    return {"level": level, "scope": scope, "sla_policy": sla.policy_for(level), "commander": commander}


def _prepare_level(higher: bool):
    def prepare(incident: Incident, data: dict, actor, now: datetime) -> dict:
        level = clean_level(data)
        current = incident.level or Level.IV
        if higher and level >= current:
            raise ValidationError({"level": _("Escalating needs a more severe level (a lower number).")})
        if not higher and level <= current:
            raise ValidationError({"level": _("Downgrading needs a less severe level (a higher number).")})
        return {"level": level, "sla_policy": sla.policy_for(level)}

    return prepare


def prepare_at(incident: Incident, data: dict, actor, now: datetime) -> dict:
    return {"at": now}


def prepare_stand_down(incident: Incident, data: dict, actor, now: datetime) -> dict:
    return {"reason": clean_text(data, "reason", required=True), "at": now}


def prepare_review(incident: Incident, data: dict, actor, now: datetime) -> dict:
    for name in REVIEW_FIELDS:
        clean_text(data, name, required=True)
    return {}


def record_review(run: ActionRun) -> dict:
    IncidentReview.objects.create(
        incident=run.case,
        author=run.actor,
        written_at=run.now,
        **{name: clean_text(run.data, name, required=True) for name in REVIEW_FIELDS},
    )
    return {}


def prepare_close(incident: Incident, data: dict, actor, now: datetime) -> dict:
    """Closing verifies the review: it must exist and be verified by someone other than its author."""
    review = IncidentReview.objects.filter(incident=incident).first()
    if review is None:
        raise ActionNotAllowed(_("Close needs a completed post-incident review first."))
    if review.author_id == actor.pk:
        raise ActionNotAllowed(_("The review must be verified by someone other than its author."))
    return {"at": now}


def record_close(run: ActionRun) -> dict:
    IncidentReview.objects.filter(incident=run.case).update(verified_by=run.actor, verified_at=run.now)
    return {}


def _after_level(run: ActionRun) -> None:
    """New promises for the new level; an activated incident also gets the new plan's missing items."""
    sla.retime(run.case, run.now, run.actor)
    if run.case.status != Status.ASSESSED:
        plans.checklist_snapshot(run.case, run.now, run.actor)


def _after_escalate(run: ActionRun) -> None:
    """A more severe level of a running incident pages its own chain (its people, its executives)."""
    _after_level(run)
    if run.case.status != Status.ASSESSED:
        paging.paging_start(run.case, run.now, run.actor)


def _after_activate(run: ActionRun) -> None:
    plans.checklist_snapshot(run.case, run.now, run.actor)
    paging.paging_start(run.case, run.now, run.actor)


def _after_end(run: ActionRun) -> None:
    plans.checklist_clocks_cancel(run.case, run.now, run.actor, note=run.case.status)
    paging.paging_cancel(run.case, run.now, run.actor, note=run.case.status)


def _after_assess(run: ActionRun) -> None:
    sla.CLOCKS.start_all(run.case, run.now, run.actor)


def _level_data(run: ActionRun) -> dict:
    return {"from_level": run.previous.level, "level": run.case.level}


ACTIONS = actions_by_name(
    ActionSpec(
        "assess",
        _("Assess"),
        RUN,
        prepare=prepare_assess,
        event_data=lambda run: {"level": run.case.level, "scope": run.case.scope},
        after=_after_assess,
    ),
    ActionSpec(
        "activate", _("Activate the plan"), RUN, prepare=prepare_at, stop=(ClockName.RESPOND,), after=_after_activate
    ),
    ActionSpec("mitigate", _("Start mitigation"), RUN),
    ActionSpec(
        "recover",
        _("Recovered"),
        RUN,
        prepare=prepare_at,
        stop=(ClockName.INITIAL_HANDLING,),
        after=lambda run: paging.paging_cancel(run.case, run.now, run.actor, note="recovered"),
    ),
    ActionSpec("review", _("Record the review"), RUN, prepare=prepare_review, record=record_review),
    ActionSpec("close", _("Close"), RUN, prepare=prepare_close, record=record_close, cancel="closed", after=_after_end),
    ActionSpec(
        "escalate_level",
        _("Escalate level"),
        RUN,
        prepare=_prepare_level(True),
        event_data=_level_data,
        after=_after_escalate,
    ),
    ActionSpec(
        "downgrade",
        _("Downgrade level"),
        RUN,
        prepare=_prepare_level(False),
        event_data=_level_data,
        after=_after_level,
    ),
    ActionSpec(
        "stand_down",
        _("Stand down"),
        RUN,
        prepare=prepare_stand_down,
        cancel="stood down",
        after=_after_end,
        event_data=lambda run: {"reason": run.case.stand_down_reason},
    ),
)
