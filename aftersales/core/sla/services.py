"""Starting, pausing, resuming, stopping and cancelling SLA clocks.

Apps call these from their own transition services, inside the transition's transaction, so a
clock changes together with its subject or not at all. Each change appends a ``ClockEvent``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models, transaction

from .. import clock as wall_clock
from ..calendars.services import calendar_spec
from ..models import BusinessCalendar, ClockEvent, SlaClock, UnreachedBreach
from ..models.sla import BREACH_THRESHOLD, DEFAULT_THRESHOLDS
from . import changes
from .recording import record_due_events


class ClockStateError(Exception):
    """The clock is not in a state that allows this change (e.g. resuming a running clock)."""


def _append_event(clock: SlaClock, kind: str, now: datetime, *, actor=None, note: str = "") -> ClockEvent:
    return ClockEvent.objects.create(
        clock=clock,
        kind=kind,
        occurred_at=now,
        recorded_at=now,
        consumed_seconds=clock.consumed_seconds,
        actor=actor,
        note=note,
    )


def _locked(clock: SlaClock) -> SlaClock:
    """Re-read the clock under a row lock so concurrent changes serialise."""
    return SlaClock.objects.select_for_update().get(pk=clock.pk)


def _validate_thresholds(thresholds: Sequence[int]) -> list[int]:
    values = sorted({int(value) for value in thresholds})
    if any(not 0 < value < BREACH_THRESHOLD for value in values):
        raise ValueError("warning thresholds are percentages between 1 and 99")
    return values


@transaction.atomic
def clock_start(
    *,
    subject: models.Model,
    name: str,
    target: timedelta,
    calendar: BusinessCalendar,
    thresholds: Sequence[int] = DEFAULT_THRESHOLDS,
    now: datetime | None = None,
    actor=None,
) -> SlaClock:
    """Start a new clock (a new cycle when the subject had one of this name before)."""
    now = now or wall_clock.now()
    if target.total_seconds() < 1:
        raise ValueError("an SLA target must be at least one second")
    content_type = ContentType.objects.get_for_model(subject)
    previous = (
        SlaClock.objects.filter(content_type=content_type, object_id=subject.pk, name=name)
        .order_by("-cycle")
        .values_list("cycle", flat=True)
        .first()
    )
    clock = SlaClock(
        content_type=content_type,
        object_id=subject.pk,
        name=name,
        cycle=(previous or 0) + 1,
        calendar=calendar,
        target_seconds=int(target.total_seconds()),
        thresholds=_validate_thresholds(thresholds),
    )
    changes.begin(clock, calendar_spec(calendar.pk), now)
    clock.save()
    _append_event(clock, ClockEvent.Kind.STARTED, now, actor=actor)
    return clock


def _settle(clock: SlaClock, now: datetime, *, warnings: bool) -> None:
    """Record what fell due before a change, so a lagging sweep never loses a breach."""
    record_due_events([clock], {clock.calendar_id: calendar_spec(clock.calendar_id)}, now, warnings=warnings)


@transaction.atomic
def clock_pause(*, clock: SlaClock, now: datetime | None = None, actor=None, note: str = "") -> SlaClock:
    """Stop counting (awaiting customer / parts); the pause and its reason are logged."""
    now = now or wall_clock.now()
    clock = _locked(clock)
    if clock.state not in (SlaClock.State.RUNNING, SlaClock.State.BREACHED):
        raise ClockStateError(f"cannot pause a {clock.state} clock")
    _settle(clock, now, warnings=True)
    changes.pause(clock, calendar_spec(clock.calendar_id), now)
    clock.save()
    _append_event(clock, ClockEvent.Kind.PAUSED, now, actor=actor, note=note)
    return clock


@transaction.atomic
def clock_resume(*, clock: SlaClock, now: datetime | None = None, actor=None, note: str = "") -> SlaClock:
    now = now or wall_clock.now()
    clock = _locked(clock)
    if clock.state != SlaClock.State.PAUSED:
        raise ClockStateError(f"cannot resume a {clock.state} clock")
    changes.resume(clock, calendar_spec(clock.calendar_id), now)
    clock.save()
    _append_event(clock, ClockEvent.Kind.RESUMED, now, actor=actor, note=note)
    return clock


@transaction.atomic
def clock_stop(*, clock: SlaClock, now: datetime | None = None, actor=None, note: str = "") -> SlaClock:
    """The promise was kept (first response given, problem resolved): the clock is met.

    A clock met late keeps its breach; if no sweep has recorded it yet, it is recorded now.
    Warnings that were not sent by then are moot and are not recorded.
    """
    now = now or wall_clock.now()
    clock = _locked(clock)
    if not clock.is_open:
        raise ClockStateError(f"cannot stop a {clock.state} clock")
    if clock.state != SlaClock.State.PAUSED:
        _settle(clock, now, warnings=False)
    changes.stop(clock, calendar_spec(clock.calendar_id), now)
    clock.save()
    _append_event(clock, ClockEvent.Kind.MET, now, actor=actor, note=note)
    return clock


@transaction.atomic
def clock_cancel(*, clock: SlaClock, now: datetime | None = None, actor=None, note: str = "") -> SlaClock:
    """The promise no longer applies (request cancelled); nothing more will be recorded after it.

    A breach that already happened is recorded first, as on stop, so history never depends on when
    the sweep last ran; warnings that were not sent are moot.
    """
    now = now or wall_clock.now()
    clock = _locked(clock)
    if not clock.is_open:
        raise ClockStateError(f"cannot cancel a {clock.state} clock")
    if clock.state != SlaClock.State.PAUSED:
        # A promise broken before the cancellation stays broken, whenever the sweep last ran.
        _settle(clock, now, warnings=False)
    changes.cancel(clock, calendar_spec(clock.calendar_id), now)
    clock.save()
    _append_event(clock, ClockEvent.Kind.CANCELLED, now, actor=actor, note=note)
    return clock


ACKNOWLEDGE_UNREACHED = "core.change_unreachedbreach"


def unreached_breach_acknowledge(*, actor, breach_ids: Sequence[int], now: datetime | None = None) -> int:
    """An administrator has seen to breaches that reached nobody: the alarm ends for them.

    Acknowledging is all it does; the breach and the missing people behind its rungs stay as they
    were (who to add to which role group is the administrator's call). Returns how many ended now.
    """
    if not actor.has_perm(ACKNOWLEDGE_UNREACHED):
        raise PermissionDenied
    now = now or wall_clock.now()
    return UnreachedBreach.objects.filter(pk__in=list(breach_ids), acknowledged_at__isnull=True).update(
        acknowledged_at=now, acknowledged_by=actor
    )
