"""SLA clocks replayed in memory, as the sweep and the clock services would have moved them."""

from __future__ import annotations

from datetime import datetime, timedelta

from aftersales.core.models import ClockEvent, SlaClock
from aftersales.core.models.sla import BREACH_THRESHOLD
from aftersales.core.sla import changes

from .bulk import Table


class SimClock:
    """An ``SlaClock`` held in memory, moved by the engine's own functions (``core.sla.changes``).

    Its attributes are the model's fields, so ``changes`` reads and writes them as it does a row's.
    ``catch_up`` is the sweep that ran all along: every checkpoint at or before a moment is recorded
    once (the unique index of ``ClockEvent``), with ``recorded_at`` up to 30 s later (beat's lag).
    Each change is what ``core.sla.services`` does after that sweep: settle, change, append the event.
    """

    __slots__ = (
        "breached_at",
        "calendar_id",
        "cancelled_at",
        "consumed_seconds",
        "cycle",
        "due_at",
        "events",
        "met_at",
        "name",
        "next_check_at",
        "paused_at",
        "paused_seconds",
        "pk",
        "recorded",
        "segment_started_at",
        "spec",
        "started_at",
        "state",
        "target_seconds",
        "thresholds",
    )

    def __init__(self, pk, name, target, thresholds, calendar_id, spec, at, cycle=1) -> None:
        self.pk, self.name, self.cycle, self.target_seconds = pk, name, cycle, target
        self.thresholds = changes.warning_thresholds(thresholds)
        self.calendar_id, self.spec = calendar_id, spec
        self.paused_at = self.met_at = self.breached_at = self.cancelled_at = None
        changes.begin(self, spec, at)
        self.recorded: set[int] = set()
        self.events = [(ClockEvent.Kind.STARTED, None, at, at, 0)]

    def counting(self) -> bool:
        return self.state in (SlaClock.State.RUNNING, SlaClock.State.BREACHED)

    def _record(self, events, at: datetime) -> int:
        """Record each due event not recorded before; returns the number of breaches recorded."""
        breaches = 0
        for event in events:
            if event.threshold in self.recorded:
                continue
            self.recorded.add(event.threshold)
            recorded_at = min(event.occurred_at + timedelta(seconds=30), at)
            self.events.append((event.kind, event.threshold, event.occurred_at, recorded_at, event.consumed_seconds))
            breaches += event.threshold >= BREACH_THRESHOLD
        return breaches

    def catch_up(self, at: datetime) -> int:
        """The sweep at ``at``: record what fell due; returns the number of breaches recorded."""
        if not self.counting():
            return 0
        return self._record(changes.settle(self, self.spec, at), at)

    def _change(self, kind: str, at: datetime) -> None:
        self.events.append((kind, None, at, at, self.consumed_seconds))

    def pause(self, at: datetime) -> int:
        breaches = self.catch_up(at)
        changes.pause(self, self.spec, at)
        self._change(ClockEvent.Kind.PAUSED, at)
        return breaches

    def resume(self, at: datetime) -> None:
        changes.resume(self, self.spec, at)
        self._change(ClockEvent.Kind.RESUMED, at)

    def stop(self, at: datetime) -> int:
        breaches = self.catch_up(at)
        changes.stop(self, self.spec, at)
        self._change(ClockEvent.Kind.MET, at)
        return breaches

    def cancel(self, at: datetime) -> int:
        breaches = self.catch_up(at)
        changes.cancel(self, self.spec, at)
        self._change(ClockEvent.Kind.CANCELLED, at)
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
        next_check = clock.next_check_at  # the sweep ran at *now* (catch_up) or the clock is not counting
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
                clock.target_seconds,
                clock.thresholds,
                clock.state,
                clock.started_at,
                clock.segment_started_at,
                clock.consumed_seconds,
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
