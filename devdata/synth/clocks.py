"""SLA clocks replayed in memory, as the sweep and the clock services would have moved them."""

from __future__ import annotations

from datetime import datetime, timedelta

from aftersales.core.calendars.engine import add_business_time, business_time_between
from aftersales.core.models import ClockEvent, SlaClock
from aftersales.core.models.sla import BREACH_THRESHOLD

from .bulk import Table


class SimClock:
    """An ``SlaClock`` replayed in memory with the rules of aftersales/core/sla (services, evaluation).

    ``catch_up`` is the sweep that ran all along: every checkpoint at or before a moment is recorded
    once, with ``recorded_at`` up to a minute later (the beat interval).
    """

    __slots__ = (
        "breached_at",
        "calendar_id",
        "cancelled_at",
        "consumed",
        "cycle",
        "due_at",
        "events",
        "met_at",
        "name",
        "paused_at",
        "paused_seconds",
        "pk",
        "recorded",
        "segment_started_at",
        "spec",
        "started_at",
        "state",
        "target",
        "thresholds",
    )

    def __init__(self, pk, name, target, thresholds, calendar_id, spec, at, cycle=1) -> None:
        self.pk, self.name, self.cycle, self.target = pk, name, cycle, target
        self.thresholds = sorted({int(p) for p in thresholds if 0 < int(p) < BREACH_THRESHOLD})
        self.calendar_id, self.spec = calendar_id, spec
        self.state = SlaClock.State.RUNNING
        self.started_at = self.segment_started_at = at
        self.consumed = self.paused_seconds = 0
        self.paused_at = self.met_at = self.breached_at = self.cancelled_at = None
        self.due_at = self._add(at, target)
        self.recorded: set[int] = set()
        self.events = [(ClockEvent.Kind.STARTED, None, at, at, 0)]

    def _add(self, start: datetime, seconds: int) -> datetime:
        if self.spec.always_open:
            return start + timedelta(seconds=seconds)
        return add_business_time(start, timedelta(seconds=seconds), self.spec)

    def _between(self, start: datetime, end: datetime) -> int:
        if self.spec.always_open:
            return max(int((end - start).total_seconds()), 0)
        return max(int(business_time_between(start, end, self.spec).total_seconds()), 0)

    def checkpoints(self):
        for percent in (*self.thresholds, BREACH_THRESHOLD):
            left = max(self.target * percent // 100 - self.consumed, 0)
            yield percent, self._add(self.segment_started_at, left)

    def counting(self) -> bool:
        return self.state in (SlaClock.State.RUNNING, SlaClock.State.BREACHED)

    def catch_up(self, at: datetime) -> int:
        """Record what fell due by ``at``; returns the number of breaches recorded."""
        if not self.counting():
            return 0
        breaches = 0
        for percent, moment in self.checkpoints():
            if moment > at:
                break
            if percent in self.recorded:
                continue
            self.recorded.add(percent)
            recorded_at = min(moment + timedelta(seconds=30), at)
            if percent >= BREACH_THRESHOLD:
                self.events.append((ClockEvent.Kind.BREACHED, percent, moment, recorded_at, self.target))
                self.state = SlaClock.State.BREACHED
                self.breached_at = self.breached_at or moment
                breaches += 1
            else:
                consumed = self.target * percent // 100
                self.events.append((ClockEvent.Kind.WARNING, percent, moment, recorded_at, consumed))
        return breaches

    def next_check_at(self, now: datetime) -> datetime | None:
        if not self.counting():
            return None
        for percent, moment in self.checkpoints():
            if moment > now and percent not in self.recorded:
                return moment
        return None

    def _consume(self, at: datetime) -> None:
        self.consumed += self._between(self.segment_started_at, at)
        self.segment_started_at = None

    def pause(self, at: datetime) -> int:
        breaches = self.catch_up(at)
        self._consume(at)
        self.state, self.paused_at = SlaClock.State.PAUSED, at
        self.events.append((ClockEvent.Kind.PAUSED, None, at, at, self.consumed))
        return breaches

    def resume(self, at: datetime) -> None:
        self.paused_seconds += max(int((at - self.paused_at).total_seconds()), 0)
        self.paused_at, self.segment_started_at = None, at
        self.state = SlaClock.State.BREACHED if self.breached_at else SlaClock.State.RUNNING
        if self.breached_at is None:
            self.due_at = self._add(at, max(self.target - self.consumed, 0))
        self.events.append((ClockEvent.Kind.RESUMED, None, at, at, self.consumed))

    def _finish(self, at: datetime, state: str) -> int:
        breaches = 0
        if self.state == SlaClock.State.PAUSED:
            self.paused_seconds += max(int((at - self.paused_at).total_seconds()), 0)
            self.paused_at = None
        else:
            breaches = self.catch_up(at)
            self._consume(at)
        self.state = state
        return breaches

    def stop(self, at: datetime) -> int:
        breaches = self._finish(at, SlaClock.State.MET)
        self.met_at = at
        self.events.append((ClockEvent.Kind.MET, None, at, at, self.consumed))
        return breaches

    def cancel(self, at: datetime) -> int:
        breaches = self._finish(at, SlaClock.State.CANCELLED)
        self.cancelled_at = at
        self.events.append((ClockEvent.Kind.CANCELLED, None, at, at, self.consumed))
        return breaches


class ClockRows:
    """The ``SlaClock`` and ``ClockEvent`` rows of the replayed clocks, with their ids handed out in order."""

    def __init__(self, *, content_type_id: int, now: datetime, first_clock: int, first_event: int) -> None:
        self.content_type_id = content_type_id
        self.now = now
        self.next_clock = first_clock
        self.next_event = first_event
        self.clocks = Table(
            SlaClock,
            [
                "content_type_id",
                "object_id",
                "name",
                "cycle",
                "calendar_id",
                "target_seconds",
                "thresholds",
                "state",
                "started_at",
                "segment_started_at",
                "consumed_seconds",
                "paused_at",
                "paused_seconds",
                "due_at",
                "met_at",
                "breached_at",
                "cancelled_at",
                "next_check_at",
                "created_at",
            ],
            now,
        )
        self.events = Table(
            ClockEvent,
            ["clock_id", "kind", "threshold", "occurred_at", "recorded_at", "consumed_seconds", "actor_id"],
            now,
        )

    def start(self, name: str, seconds: int, at: datetime, calendar_id: int, spec, thresholds) -> SimClock:
        clock = SimClock(self.next_clock, name, seconds, thresholds, calendar_id, spec, at)
        self.next_clock += 1
        return clock

    def write(self, object_id: int, clock: SimClock, result) -> None:
        """The clock as it stands at *now* (its next checkpoint for the sweep) and its events."""
        next_check = clock.next_check_at(self.now)
        if clock.state in ("running", "paused", "breached"):
            result.open_clocks += 1
        if next_check is not None:
            result.counting_clocks += 1
        self.clocks.add(
            clock.pk,
            (
                self.content_type_id,
                object_id,
                clock.name,
                clock.cycle,
                clock.calendar_id,
                clock.target,
                clock.thresholds,
                clock.state,
                clock.started_at,
                clock.segment_started_at,
                clock.consumed,
                clock.paused_at,
                clock.paused_seconds,
                clock.due_at,
                clock.met_at,
                clock.breached_at,
                clock.cancelled_at,
                next_check,
                clock.started_at,
            ),
        )
        for kind, threshold, occurred, recorded, consumed in clock.events:
            self.events.add(self.next_event, (clock.pk, kind, threshold, occurred, recorded, consumed, None))
            self.next_event += 1
