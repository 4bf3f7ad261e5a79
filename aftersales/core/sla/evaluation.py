"""What is due on a clock at a given moment: pure calculation, no database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from ..calendars.engine import CalendarSpec, add_business_time
from ..models import SlaClock
from ..models.sla import BREACH_THRESHOLD


class ClockFields(Protocol):
    """The fields of ``core.SlaClock`` the pure clock functions read and write: a row, or a clock held in
    memory by the synthetic history (``devdata.synth.clocks.SimClock``)."""

    pk: Any
    target_seconds: int
    thresholds: Any
    state: str
    started_at: datetime
    segment_started_at: datetime | None
    consumed_seconds: int
    paused_at: datetime | None
    paused_seconds: int
    due_at: datetime | None
    met_at: datetime | None
    breached_at: datetime | None
    cancelled_at: datetime | None
    next_check_at: datetime | None


@dataclass(frozen=True)
class DueEvent:
    clock_id: int
    threshold: int  # percent; 100 is the breach
    occurred_at: datetime
    consumed_seconds: int

    @property
    def kind(self) -> str:
        return "breached" if self.threshold >= BREACH_THRESHOLD else "warning"


def _checkpoints(clock: ClockFields) -> list[int]:
    warnings = sorted({int(p) for p in clock.thresholds if 0 < int(p) < BREACH_THRESHOLD})
    return [*warnings, BREACH_THRESHOLD]


def checkpoint_moments(clock: ClockFields, spec: CalendarSpec) -> list[tuple[int, datetime]]:
    """When each threshold (and the due time, 100 %) is reached if the clock keeps running.

    Thresholds already used up before the current running segment are placed at its start.
    """
    assert clock.segment_started_at is not None, "only running clocks have moments"
    moments = []
    for percent in _checkpoints(clock):
        needed = clock.target_seconds * percent // 100
        left = max(needed - clock.consumed_seconds, 0)
        moments.append((percent, add_business_time(clock.segment_started_at, timedelta(seconds=left), spec)))
    return moments


def due_events(
    clock: ClockFields, spec: CalendarSpec, now: datetime, *, warnings: bool = True
) -> tuple[list[DueEvent], datetime | None]:
    """Events due by ``now`` and the next moment worth checking (None when nothing is left)."""
    if clock.state not in (SlaClock.State.RUNNING, SlaClock.State.BREACHED):
        return [], None
    events = []
    next_check = None
    for percent, moment in checkpoint_moments(clock, spec):
        if moment <= now:
            if warnings or percent >= BREACH_THRESHOLD:
                events.append(DueEvent(clock.pk, percent, moment, clock.target_seconds * percent // 100))
        elif next_check is None:
            next_check = moment
    return events, next_check
