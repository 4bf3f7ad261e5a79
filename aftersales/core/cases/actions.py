"""Running one action of a case: the shared skeleton every kind's transition service calls.

lock (clocks → case) → authorize → ``can_proceed`` → validate (``prepare``) → record → transition →
save → event → declared effects (clocks, pauses, ``after``, notices) → the customer message, if any —
all in one transaction: the state, the event, the clocks and the notifications commit together or
not at all.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django_fsm import can_proceed

from .. import clock
from ..notifications import notify_customer, notify_staff
from ..roles import permissions_of
from .contacts import case_contact
from .errors import ActionNotAllowed
from .events import MAX_NOTE, event_append
from .locking import lock_case
from .notes import clean_body, note_append, note_check
from .spec import ActionRun, ActionSpec, CaseSpec


def action_check(
    spec: CaseSpec, action: ActionSpec, case, actor, *, by_customer: bool, has: Callable[[str], bool] | None = None
) -> None:
    """``PermissionDenied`` unless this caller may take this action on this case (its state aside)."""
    if by_customer:
        if not action.customer_may:
            raise PermissionDenied("Customers cannot do this.")
        return
    if actor is None or not actor.is_active or action.permission is None:
        raise PermissionDenied("You may not do this.")
    has = has or actor.has_perm
    if not has(action.permission):
        raise PermissionDenied("You may not do this.")
    if action.who is not None and not action.who(case, actor, has):
        raise PermissionDenied(action.who_refusal)


def actions_for(spec: CaseSpec, case, user, *, now: datetime | None = None) -> list[str]:
    """The action names ``user`` may take on ``case`` right now (the API's ``actions``, the buttons).

    The same rules as ``action_check``, with the user's permissions read once for a whole page.
    """
    now = now or clock.now()
    perms = permissions_of(user)
    names = []
    for name, action in spec.actions.items():
        try:
            action_check(spec, action, case, user, by_customer=False, has=perms.__contains__)
        except PermissionDenied:
            continue
        if action.available is not None and not action.available(case, user, now):
            continue
        if can_proceed(getattr(case, name)):
            names.append(name)
    return names


def _note(data: dict) -> str:
    note = data.get("note", "")
    if not isinstance(note, str):
        return ""
    if "\x00" in note or len(note.strip()) > MAX_NOTE:
        raise ValidationError({"note": "Write a note of at most 5000 characters."})
    return note.strip()


def _move_clocks(spec: CaseSpec, run: ActionRun) -> None:
    """The action's declared clock moves, then the kind's pause rules (which skip what the action ended)."""
    action, case, now, actor, clocks = run.action, run.case, run.now, run.actor, spec.clocks
    if action.stop:
        clocks.stop(case, action.stop, now, actor)
    if action.cancel is not None:
        clocks.cancel(case, now, actor, note=action.cancel)
    if action.restart:
        clocks.restart(case, action.restart, now, actor)
    for rule in spec.pauses:
        was, now_in = run.before in rule.statuses, run.after in rule.statuses
        if now_in and not was:
            clocks.pause(case, rule.clocks, now, actor, note=rule.note or run.after)
        elif was and not now_in:
            clocks.resume(case, rule.clocks, now, actor)


def _send_notices(run: ActionRun) -> None:
    case = run.case
    for notice in run.action.notices:
        if notice.when is not None and not notice.when(run):
            continue
        context = notice.context(run) if notice.context else {"number": case.number}
        if notice.to_customer:
            notify_customer(customer=case_contact(case), key=notice.key(run), template=notice.template, context=context)
        else:
            users = notice.staff(run) if notice.staff else []
            notify_staff(users=users, key=notice.key(run), template=notice.template, context=context)


def _effects(spec: CaseSpec, run: ActionRun) -> None:
    """What the action declares besides its transition: clocks, then ``after``, then notices."""
    if spec.clocks is not None:
        _move_clocks(spec, run)
    if run.action.after is not None:
        run.action.after(run)
    _send_notices(run)


def case_transition(
    spec: CaseSpec,
    *,
    case,
    action: str,
    actor=None,
    by_customer: bool = False,
    data: dict | None = None,
    customer_message: str = "",
    now: datetime | None = None,
):
    """Perform one action on a case; returns the case as it is now.

    Raises ValidationError (unknown action, bad fields: 400), PermissionDenied (403) and
    ActionNotAllowed or the kind's ``conflicts`` (wrong state or time, changed concurrently: 409).
    ``customer_message``: a public note to the customer, written with the action or not at all.
    """
    spec_action = spec.actions.get(action)
    if spec_action is None:
        raise ValidationError({"action": f"Unknown action {action!r}."})
    data = data or {}
    now = now or clock.now()
    note = _note(data)
    message = clean_body(customer_message, field="customer_message") if customer_message.strip() else ""
    with transaction.atomic():
        case = lock_case(spec.model, case.pk, select_related=spec.lock_related)
        action_check(spec, spec_action, case, actor, by_customer=by_customer)
        if message:
            note_check(spec, case, actor, public=True)
        method = getattr(case, action)
        if not can_proceed(method):
            raise ActionNotAllowed(spec.wording.not_now.format(action=action, status=case.status))
        kwargs = spec_action.prepare(case, data, actor, now) if spec_action.prepare else {}
        run = ActionRun(
            case=case,
            action=spec_action,
            actor=actor,
            by_customer=by_customer,
            data=data,
            now=now,
            before=case.status,
            previous=copy.copy(case),
            kwargs=kwargs,
        )
        if spec_action.record is not None:
            run.kwargs.update(spec_action.record(run))
        method(**run.kwargs)
        case.save()
        event_append(
            spec,
            case,
            action,
            from_status=run.before,
            to_status=case.status,
            actor=actor,
            by_customer=by_customer,
            note=note,
            data=spec_action.event_data(run) if spec_action.event_data else {},
            public=spec_action.public,
            now=now,
        )
        _effects(spec, run)
        if message:
            note_append(spec, case, body=message, actor=actor, public=True, now=now)
    case.refresh_from_db()
    return case
