"""The synthetic SLA clocks are the engine's: random lives of a clock, replayed in memory by
``devdata.synth.clocks.SimClock`` and driven for real through ``core.sla.services`` and the sweep,
end with the same fields and the same clock events."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from aftersales.core.calendars.services import calendar_fill_public_holidays, calendar_spec
from aftersales.core.models import ClockEvent, SlaClock
from aftersales.core.services import customer_create
from aftersales.core.sla import services as clocks
from aftersales.core.sla.sweep import sla_sweep
from devdata.synth.clocks import SimClock

pytestmark = pytest.mark.django_db

CASES = 40
FIELDS = (
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
)
TARGETS = (600, 1800, 4 * 3600, 9 * 3600, 24 * 3600, 72 * 3600)
THRESHOLDS = ((), (50,), (75, 90), (50, 75, 90), (1, 99))


def _life(rng: random.Random, start: datetime) -> tuple[list[tuple[str, datetime]], datetime]:
    """Pauses and resumes at random gaps, then stop, cancel or nothing; and the moment to look at it."""
    steps, at, paused = [], start, False
    for _ in range(rng.randint(0, 4)):
        at += timedelta(seconds=rng.randint(60, 3 * 86400))
        steps.append(("resume" if paused else "pause", at))
        paused = not paused
    ending = rng.choice(("stop", "cancel", None))
    if ending:
        at += timedelta(seconds=rng.randint(60, 2 * 86400))
        steps.append((ending, at))
    return steps, at + timedelta(seconds=rng.randint(1, 4 * 86400))


def _engine(step: str, clock: SlaClock, at: datetime) -> SlaClock:
    """What the product does at ``at``: the sweep had run (beat), then the service changes the clock."""
    sla_sweep(now=at)
    change = {
        "pause": clocks.clock_pause,
        "resume": clocks.clock_resume,
        "stop": clocks.clock_stop,
        "cancel": clocks.clock_cancel,
    }[step]
    return change(clock=clock, now=at)


def _simulated(step: str, clock: SimClock, at: datetime) -> None:
    getattr(clock, step)(at)


def test_synthetic_clocks_equal_what_the_engine_computes(calendars):
    business, always = calendars
    for year in (2026, 2027):
        calendar_fill_public_holidays(calendar=business, year=year)  # holidays and make-up working days
    subject = customer_create(name="Clock subject", phone="13700000000")
    rng = random.Random(20261202)
    base = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
    states, breaches, warnings = Counter(), 0, 0
    for case in range(CASES):
        calendar = rng.choice((business, always))
        target = rng.choice(TARGETS)
        thresholds = rng.choice(THRESHOLDS)
        # Each case in its own two months, so the sweeps of one never see another's clock still due.
        start = base + timedelta(days=60 * case, seconds=rng.randint(0, 14 * 86400))
        steps, now = _life(rng, start)

        real = clocks.clock_start(
            subject=subject,
            name=f"case-{case}",
            target=timedelta(seconds=target),
            calendar=calendar,
            thresholds=thresholds,
            now=start,
        )
        simulated = SimClock(0, f"case-{case}", target, thresholds, calendar.pk, calendar_spec(calendar.pk), start)
        for step, at in steps:
            real = _engine(step, real, at)
            _simulated(step, simulated, at)
        sla_sweep(now=now)
        simulated.catch_up(now)

        real.refresh_from_db()
        context = f"case {case}: {calendar.code}, target {target}, thresholds {thresholds}, {steps}, now {now}"
        for name in FIELDS:
            assert getattr(simulated, name) == getattr(real, name), f"{name} differs in {context}"
        assert simulated.thresholds == real.thresholds, context
        assert [
            (kind, threshold, occurred, consumed) for kind, threshold, occurred, _, consumed in simulated.events
        ] == [
            (event.kind, event.threshold, event.occurred_at, event.consumed_seconds)
            for event in ClockEvent.objects.filter(clock=real).order_by("pk")
        ], context
        states[real.state] += 1
        warnings += ClockEvent.objects.filter(clock=real, kind=ClockEvent.Kind.WARNING).count()
        breaches += real.breached_at is not None
        SlaClock.objects.filter(pk=real.pk).update(next_check_at=None)  # out of the next cases' sweeps

    # The random cases cover what there is to compare: pauses, both endings, breaches and warnings.
    assert states[SlaClock.State.PAUSED] and states[SlaClock.State.MET] and states[SlaClock.State.CANCELLED], states
    assert states[SlaClock.State.RUNNING] + states[SlaClock.State.BREACHED] > 0, states
    assert breaches and warnings, (breaches, warnings)
