"""How a clock's fields change: on start, pause, resume, stop and cancel, and when what fell due is
recorded. Pure functions over the clock's fields and its calendar, no database.

``services.py`` applies them to a locked ``SlaClock`` row and saves it; ``recording.py`` (the sweep and
the settling before a change) applies :func:`settle`. The synthetic history (``devdata.synth``)
applies the same functions to clocks held in memory, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from ..calendars.engine import CalendarSpec, add_business_time, business_time_between
from ..models import SlaClock
from ..models.sla import BREACH_THRESHOLD
from .evaluation import ClockFields, DueEvent, due_events

State = SlaClock.State


def warning_thresholds(thresholds: Sequence[int]) -> list[int]:
    """The warning percentages a clock keeps: distinct, sorted, between 1 and 99."""
    return sorted({int(value) for value in thresholds if 0 < int(value) < BREACH_THRESHOLD})


def schedule(clock: ClockFields, spec: CalendarSpec, now: datetime) -> None:
    """Recompute due_at and next_check_at of a running clock from its segment start.

    Checkpoints at or before ``now`` were recorded when the clock was paused, except on a fresh
    start with a tiny target (1 % of 50 s is 0 s): then the sweep is asked to look right away.
    """
    if clock.breached_at is None:
        left = max(clock.target_seconds - clock.consumed_seconds, 0)
        # A running clock has a segment start (set by begin and resume).
        clock.due_at = add_business_time(clock.segment_started_at, timedelta(seconds=left), spec)  # type: ignore[arg-type]
    already_due, clock.next_check_at = due_events(clock, spec, now)
    if already_due and clock.consumed_seconds == 0 and clock.breached_at is None:
        clock.next_check_at = now


def begin(clock: ClockFields, spec: CalendarSpec, now: datetime) -> None:
    """A new clock starts counting at ``now``."""
    clock.state = State.RUNNING
    clock.started_at = clock.segment_started_at = now
    clock.consumed_seconds = clock.paused_seconds = 0
    schedule(clock, spec, now)


def settle(clock: ClockFields, spec: CalendarSpec, now: datetime, *, warnings: bool = True) -> list[DueEvent]:
    """What is due on the clock by ``now``, taken into its fields (a breach marks it breached).

    Returns every checkpoint due, recorded before or not: the caller records each one once.
    """
    events, clock.next_check_at = due_events(clock, spec, now, warnings=warnings)
    for event in events:
        if event.threshold >= BREACH_THRESHOLD:
            clock.state = State.BREACHED
            clock.breached_at = clock.breached_at or event.occurred_at
    return events


def consume_segment(clock: ClockFields, spec: CalendarSpec, now: datetime) -> None:
    """The running segment ends at ``now``: its working time is added to what the clock consumed."""
    used = business_time_between(clock.segment_started_at, now, spec)  # type: ignore[arg-type]  # running
    clock.consumed_seconds += max(int(used.total_seconds()), 0)
    clock.segment_started_at = None


def _pause_ends(clock: ClockFields, now: datetime) -> None:
    clock.paused_seconds += max(int((now - clock.paused_at).total_seconds()), 0)  # type: ignore[operator]  # paused
    clock.paused_at = None


def pause(clock: ClockFields, spec: CalendarSpec, now: datetime) -> None:
    """Stop counting (after :func:`settle` recorded what fell due)."""
    consume_segment(clock, spec, now)
    clock.state = State.PAUSED
    clock.paused_at = now
    clock.next_check_at = None


def resume(clock: ClockFields, spec: CalendarSpec, now: datetime) -> None:
    _pause_ends(clock, now)
    clock.segment_started_at = now
    clock.state = State.BREACHED if clock.breached_at else State.RUNNING
    schedule(clock, spec, now)


def stop(clock: ClockFields, spec: CalendarSpec, now: datetime) -> None:
    """The promise was kept (after :func:`settle` recorded a breach it missed, if running)."""
    if clock.state != State.PAUSED:
        consume_segment(clock, spec, now)
    else:
        _pause_ends(clock, now)
    clock.state = State.MET
    clock.met_at = now
    clock.next_check_at = None


def cancel(clock: ClockFields, spec: CalendarSpec, now: datetime) -> None:
    """The promise no longer applies (after :func:`settle`, if running); a pause just ends."""
    if clock.state != State.PAUSED:
        consume_segment(clock, spec, now)
    clock.state = State.CANCELLED
    clock.cancelled_at = now
    clock.paused_at = None
    clock.next_check_at = None
