"""Random lives of SLA clocks (Hypothesis stateful testing) against an independent model.

Each run starts one clock and then advances time, pauses, resumes, sweeps and stops it in random
order. After every step the database must agree with a model the test keeps itself: business time
used, wall time paused, which warnings and breach were recorded (each once) and notified (each once).
"""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from aftersales.core.calendars.engine import business_time_between
from aftersales.core.calendars.services import calendar_spec
from aftersales.core.models import Customer, OutboxMessage, SlaClock
from aftersales.core.sla.registry import register_clock_handler, unregister_clock_handler
from aftersales.core.sla.services import clock_cancel, clock_pause, clock_resume, clock_start, clock_stop
from aftersales.core.sla.sweep import sla_sweep
from conftest import shanghai

from .sla_support import make_customer, notify_supervisor

START = shanghai(2026, 11, 23, 8, 30)  # a Monday, just before opening


class ClockLife(RuleBasedStateMachine):
    calendars: tuple = ()

    @initialize(
        use_business_hours=st.booleans(),
        target_minutes=st.integers(min_value=30, max_value=16 * 60),
        thresholds=st.sets(st.integers(min_value=1, max_value=99), max_size=3),
    )
    def start(self, use_business_hours, target_minutes, thresholds):
        self.calendar = self.calendars[0] if use_business_hours else self.calendars[1]
        self.spec = calendar_spec(self.calendar)
        self.now = START
        self.clock = clock_start(
            subject=make_customer(),
            name="resolution",
            target=timedelta(minutes=target_minutes),
            calendar=self.calendar,
            thresholds=sorted(thresholds),
            now=self.now,
        )
        self.target = target_minutes * 60
        self.checkpoints = {p: self.target * p // 100 for p in [*sorted(thresholds), 100]}
        self.running_since = self.now
        self.consumed = 0
        self.paused_since = None
        self.paused_seconds = 0
        self.expected = set()  # thresholds that must be recorded by now
        self.finished = False

    # --- the model -----------------------------------------------------------------------------
    def used_now(self) -> int:
        running = 0
        if self.running_since is not None:
            running = int(business_time_between(self.running_since, self.now, self.spec).total_seconds())
        return self.consumed + running

    def settle(self, *, warnings=True):
        used = self.used_now()
        self.expected |= {p for p, needed in self.checkpoints.items() if needed <= used and (warnings or p == 100)}

    def close_segment(self):
        self.consumed = self.used_now()
        self.running_since = None

    # --- rules ---------------------------------------------------------------------------------
    @rule(minutes=st.integers(min_value=1, max_value=20 * 60))
    def advance(self, minutes):
        self.now += timedelta(minutes=minutes)

    @precondition(lambda self: not self.finished)
    @rule()
    def sweep(self):
        sla_sweep(now=self.now)
        if self.running_since is not None:
            self.settle()

    @precondition(lambda self: not self.finished and self.running_since is not None)
    @rule()
    def pause(self):
        self.clock = clock_pause(clock=self.clock, now=self.now, note="awaiting parts")
        self.settle()
        self.close_segment()
        self.paused_since = self.now

    @precondition(lambda self: not self.finished and self.paused_since is not None)
    @rule()
    def resume(self):
        self.clock = clock_resume(clock=self.clock, now=self.now)
        self.paused_seconds += int((self.now - self.paused_since).total_seconds())
        self.paused_since = None
        self.running_since = self.now

    @precondition(lambda self: not self.finished)
    @rule()
    def stop(self):
        self.clock = clock_stop(clock=self.clock, now=self.now)
        if self.running_since is not None:
            self.settle(warnings=False)  # a late stop records the breach, not stale warnings
            self.close_segment()
        else:
            self.paused_seconds += int((self.now - self.paused_since).total_seconds())
            self.paused_since = None
        self.finished = True

    # --- invariants ----------------------------------------------------------------------------
    @invariant()
    def database_agrees_with_the_model(self):
        clock = SlaClock.objects.get(pk=self.clock.pk)
        recorded = list(clock.events.filter(kind__in=["warning", "breached"]).values_list("threshold", flat=True))
        assert sorted(recorded) == sorted(self.expected), "each due checkpoint recorded, once"
        assert len(recorded) == len(set(recorded))
        notified = OutboxMessage.objects.filter(key__startswith=f"clock:{clock.pk}:").count()
        assert notified == len(recorded), "each recorded event notified exactly once"
        assert (clock.breached_at is not None) == (100 in self.expected)
        assert clock.paused_seconds == self.paused_seconds
        if self.finished:
            assert clock.state == SlaClock.State.MET
            assert clock.consumed_seconds == self.consumed
        elif self.paused_since is not None:
            assert clock.state == SlaClock.State.PAUSED
            assert clock.consumed_seconds == self.consumed
            assert clock.next_check_at is None
        else:
            assert clock.state == (SlaClock.State.BREACHED if 100 in self.expected else SlaClock.State.RUNNING)
        if clock.next_check_at is not None:
            assert clock.state in (SlaClock.State.RUNNING, SlaClock.State.BREACHED)

    def teardown(self):
        # Leave nothing running for the next run's sweeps (runs share the test's transaction).
        if not self.finished and hasattr(self, "clock"):
            clock_cancel(clock=self.clock, now=self.now)


@pytest.mark.django_db
def test_random_clock_lives_match_the_model(calendars):
    register_clock_handler(Customer, notify_supervisor)
    ClockLife.calendars = calendars
    try:
        run_state_machine_as_test(
            ClockLife,
            settings=settings(
                max_examples=60,
                stateful_step_count=25,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
            ),
        )
    finally:
        unregister_clock_handler(Customer)
