"""A kind of case's SLA promises, taken from its policy row, and how its actions move them.

The clock engine is ``core.sla.services`` (start, pause, resume, stop, cancel, each appending a
``ClockEvent``); this module knows which clocks a case has: the work clocks of its SLA policy
(``case.sla_policy``: a calendar, thresholds and one ``<name>_minutes`` field per clock) and the
others it starts itself (a survey's reply window). Every call runs inside the caller's transaction,
which already holds the clocks' locks (``locking.lock_case``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..models import SlaClock
from ..selectors import clocks_for
from ..sla.services import clock_cancel, clock_pause, clock_resume, clock_start, clock_stop


@dataclass(frozen=True)
class PolicyClocks:
    """``targets``: clock name → the policy's minutes field, in the order they start at intake.

    ``applies(case, name)`` leaves a policy clock out for some cases (no on-site visit for a
    consultation); ``others`` are clocks started elsewhere that end with the case (cancelled with it).
    """

    targets: Mapping[str, str]
    others: tuple[str, ...] = ()
    applies: Callable[[Any, str], bool] | None = None
    policy_field: str = "sla_policy"

    @property
    def work(self) -> tuple[str, ...]:
        return tuple(self.targets)

    def policy(self, case):
        return getattr(case, self.policy_field)

    def minutes(self, case, name: str) -> int | None:
        policy = self.policy(case)
        if policy is None or (self.applies is not None and not self.applies(case, name)):
            return None
        return getattr(policy, self.targets[name]) or None

    def open(self, case, names: Iterable[str] | None = None) -> list[SlaClock]:
        wanted = list(self.work if names is None else names)
        return [clock for clock in clocks_for(case).filter(name__in=wanted) if clock.is_open]

    def start(self, case, name: str, now: datetime, actor=None) -> None:
        """A new cycle of one policy clock, if the policy gives it a target for this case."""
        minutes = self.minutes(case, name)
        if minutes is None:
            return
        policy = self.policy(case)
        clock_start(
            subject=case,
            name=name,
            target=timedelta(minutes=minutes),
            calendar=policy.calendar,
            thresholds=policy.thresholds,
            now=now,
            actor=actor,
        )

    def start_all(self, case, now: datetime, actor=None) -> None:
        for name in self.work:
            self.start(case, name, now, actor)

    def stop(self, case, names: Iterable[str], now: datetime, actor=None) -> None:
        for clock in self.open(case, names):
            clock_stop(clock=clock, now=now, actor=actor)

    def pause(self, case, names: Iterable[str] | None, now: datetime, actor=None, note: str = "") -> None:
        for clock in self.open(case, names):
            if clock.state != SlaClock.State.PAUSED:
                clock_pause(clock=clock, now=now, actor=actor, note=note)

    def resume(self, case, names: Iterable[str] | None, now: datetime, actor=None) -> None:
        for clock in self.open(case, names):
            if clock.state == SlaClock.State.PAUSED:
                clock_resume(clock=clock, now=now, actor=actor)

    def cancel(self, case, now: datetime, actor=None, note: str = "", names: Iterable[str] | None = None) -> None:
        """Cancel open clocks (default: the work clocks and the others); a breach stays in the history."""
        for clock in self.open(case, [*self.work, *self.others] if names is None else names):
            clock_cancel(clock=clock, now=now, actor=actor, note=note)

    def restart(self, case, names: Iterable[str], now: datetime, actor=None) -> None:
        """A reopened case: every open promise ends, ``names`` start a new cycle."""
        self.cancel(case, now, actor, note="reopened")
        for name in names:
            self.start(case, name, now, actor)

    def due(self, case, name: str) -> datetime | None:
        clock = next(iter(self.open(case, [name])), None)
        return clock.due_at if clock else None
