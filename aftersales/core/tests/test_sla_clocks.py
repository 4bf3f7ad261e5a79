"""Clock services: start, pause, resume, stop, cancel — on the business calendar (Mon–Fri 09–18).

2026-11-23 is a Monday. Times are passed explicitly (``now=``), the way services receive them.
"""

from datetime import timedelta

import pytest

from aftersales.core.models import ClockEvent, SlaClock
from aftersales.core.sla.registry import register_clock_handler, unregister_clock_handler
from aftersales.core.sla.services import (
    ClockStateError,
    clock_cancel,
    clock_pause,
    clock_resume,
    clock_start,
    clock_stop,
)
from conftest import shanghai

from .sla_support import make_customer, notify_supervisor

pytestmark = pytest.mark.django_db

MONDAY = (2026, 11, 23)
TUESDAY = (2026, 11, 24)
WEDNESDAY = (2026, 11, 25)


@pytest.fixture
def handled_calls():
    """Registers a handler for Customer clocks and records every call to it."""
    from aftersales.core.models import Customer

    calls = []

    def handler(events):
        calls.append([(event.clock.pk, event.kind, event.threshold) for event in events])
        notify_supervisor(events)

    register_clock_handler(Customer, handler)
    yield calls
    unregister_clock_handler(Customer)


@pytest.fixture
def subject():
    return make_customer()


def kinds(clock):
    return [(event.kind, event.threshold) for event in clock.events.order_by("id")]


def start(subject, calendar, hours, at, **kwargs):
    return clock_start(
        subject=subject, name="resolution", target=timedelta(hours=hours), calendar=calendar, now=at, **kwargs
    )


def test_start_in_hours_sets_due_time_and_first_check_at_the_first_threshold(subject, business_calendar):
    clock = start(subject, business_calendar, 8, shanghai(*MONDAY, 9))

    assert clock.state == SlaClock.State.RUNNING
    assert clock.due_at == shanghai(*MONDAY, 17)
    assert clock.next_check_at == shanghai(*MONDAY, 13)  # 50 % of 8 business hours
    assert kinds(clock) == [("started", None)]
    assert clock.subject == subject


def test_start_near_closing_time_continues_next_working_morning(subject, business_calendar):
    clock = start(subject, business_calendar, 4, shanghai(*MONDAY, 16))

    # 2 h left on Monday (16–18), then 2 h on Tuesday morning.
    assert clock.due_at == shanghai(*TUESDAY, 11)
    # 50 % is used up exactly at Monday's closing time, not the next morning.
    assert clock.next_check_at == shanghai(*MONDAY, 18)


def test_start_on_friday_evening_is_due_after_the_weekend(subject, business_calendar):
    clock = start(subject, business_calendar, 24, shanghai(2026, 11, 27, 19))  # Friday after hours

    # 24 business hours = Mon, Tue full days (18 h) + 6 h on Wednesday.
    assert clock.due_at == shanghai(2026, 12, 2, 15)


def test_seven_by_twenty_four_calendar_counts_wall_time(subject, always_calendar):
    clock = start(subject, always_calendar, 24, shanghai(2026, 11, 28, 22))  # Saturday night
    assert clock.due_at == shanghai(2026, 11, 29, 22)


def test_pause_and_resume_exclude_the_paused_time_and_log_it(subject, business_calendar, make_user):
    agent = make_user("agent")
    clock = start(subject, business_calendar, 8, shanghai(*MONDAY, 9))

    clock = clock_pause(clock=clock, now=shanghai(*MONDAY, 11), actor=agent, note="awaiting customer photos")
    assert clock.state == SlaClock.State.PAUSED
    assert clock.consumed_seconds == 2 * 3600
    assert clock.next_check_at is None  # a paused clock costs the sweep nothing

    clock = clock_resume(clock=clock, now=shanghai(*WEDNESDAY, 10), actor=agent)
    assert clock.state == SlaClock.State.RUNNING
    assert clock.paused_seconds == 47 * 3600  # wall time, reported as paused_seconds
    assert clock.due_at == shanghai(*WEDNESDAY, 16)  # 6 business hours left
    assert clock.next_check_at == shanghai(*WEDNESDAY, 12)  # 50 % = 4 h, 2 h already used

    paused = clock.events.get(kind=ClockEvent.Kind.PAUSED)
    assert (paused.actor, paused.note, paused.consumed_seconds) == (agent, "awaiting customer photos", 7200)
    assert kinds(clock) == [("started", None), ("paused", None), ("resumed", None)]


def test_pause_records_warnings_that_fell_due_before_the_sweep_saw_them(subject, business_calendar, handled_calls):
    clock = start(subject, business_calendar, 8, shanghai(*MONDAY, 9))

    # 13:00 was the 50 % moment; no sweep ran before the pause at 14:00.
    clock = clock_pause(clock=clock, now=shanghai(*MONDAY, 14))

    assert ("warning", 50) in kinds(clock)
    assert handled_calls == [[(clock.pk, "warning", 50)]]


def test_stop_before_due_is_met_without_breach(subject, business_calendar, handled_calls):
    clock = start(subject, business_calendar, 8, shanghai(*MONDAY, 9))
    clock = clock_stop(clock=clock, now=shanghai(*MONDAY, 10))

    assert clock.state == SlaClock.State.MET
    assert clock.met_at == shanghai(*MONDAY, 10)
    assert clock.breached_at is None
    assert clock.consumed_seconds == 3600
    assert handled_calls == []


def test_stop_after_due_records_the_missed_breach_once_but_not_stale_warnings(
    subject, business_calendar, handled_calls
):
    clock = start(subject, business_calendar, 8, shanghai(*MONDAY, 9))
    clock = clock_stop(clock=clock, now=shanghai(*TUESDAY, 10))

    assert clock.state == SlaClock.State.MET
    assert clock.breached_at == shanghai(*MONDAY, 17)  # when it went late, not when it was noticed
    assert kinds(clock) == [("started", None), ("breached", 100), ("met", None)]
    assert handled_calls == [[(clock.pk, "breached", 100)]]


def test_a_paused_clock_can_be_stopped_and_its_pause_counted(subject, business_calendar):
    clock = start(subject, business_calendar, 8, shanghai(*MONDAY, 9))
    clock = clock_pause(clock=clock, now=shanghai(*MONDAY, 10))
    clock = clock_stop(clock=clock, now=shanghai(*MONDAY, 12))

    assert clock.state == SlaClock.State.MET
    assert clock.paused_seconds == 2 * 3600
    assert clock.consumed_seconds == 3600


def test_cancel_stops_all_further_checks(subject, business_calendar):
    clock = start(subject, business_calendar, 8, shanghai(*MONDAY, 9))
    clock = clock_cancel(clock=clock, now=shanghai(*MONDAY, 10), note="request withdrawn")

    assert clock.state == SlaClock.State.CANCELLED
    assert clock.next_check_at is None
    assert kinds(clock)[-1] == ("cancelled", None)


def test_resuming_a_breached_clock_keeps_it_breached_and_its_due_time(subject, business_calendar):
    clock = start(subject, business_calendar, 2, shanghai(*MONDAY, 9))
    clock = clock_pause(clock=clock, now=shanghai(*MONDAY, 12))  # breached at 11:00, recorded now
    assert clock.breached_at == shanghai(*MONDAY, 11)

    clock = clock_resume(clock=clock, now=shanghai(*MONDAY, 14))
    assert clock.state == SlaClock.State.BREACHED
    assert clock.due_at == shanghai(*MONDAY, 11)
    assert clock.next_check_at is None  # nothing left to warn about


@pytest.mark.parametrize(
    ("change", "state_maker"),
    [
        (clock_resume, lambda clock: clock),  # resume a running clock
        (clock_pause, lambda clock: clock_pause(clock=clock, now=shanghai(*MONDAY, 10))),  # pause twice
        (clock_stop, lambda clock: clock_stop(clock=clock, now=shanghai(*MONDAY, 10))),  # stop twice
        (clock_cancel, lambda clock: clock_cancel(clock=clock, now=shanghai(*MONDAY, 10))),
    ],
)
def test_changes_that_do_not_fit_the_state_are_refused(subject, business_calendar, change, state_maker):
    clock = state_maker(start(subject, business_calendar, 8, shanghai(*MONDAY, 9)))
    events_before = clock.events.count()

    with pytest.raises(ClockStateError):
        change(clock=clock, now=shanghai(*MONDAY, 11))
    assert clock.events.count() == events_before


def test_restarting_a_clock_starts_a_new_cycle(subject, business_calendar):
    first = start(subject, business_calendar, 8, shanghai(*MONDAY, 9))
    clock_stop(clock=first, now=shanghai(*MONDAY, 10))
    second = start(subject, business_calendar, 8, shanghai(*TUESDAY, 9))

    assert (first.cycle, second.cycle) == (1, 2)


@pytest.mark.parametrize("thresholds", [[0, 50], [50, 100], [120]])
def test_thresholds_must_be_between_1_and_99_percent(subject, business_calendar, thresholds):
    with pytest.raises(ValueError, match="thresholds"):
        start(subject, business_calendar, 8, shanghai(*MONDAY, 9), thresholds=thresholds)


def test_custom_thresholds_are_sorted_and_deduplicated(subject, business_calendar):
    clock = start(subject, business_calendar, 8, shanghai(*MONDAY, 9), thresholds=[80, 25, 80])
    assert clock.thresholds == [25, 80]
    assert clock.next_check_at == shanghai(*MONDAY, 11)


def test_target_below_one_second_is_refused(subject, business_calendar):
    with pytest.raises(ValueError):
        clock_start(
            subject=subject, name="x", target=timedelta(0), calendar=business_calendar, now=shanghai(*MONDAY, 9)
        )


def test_holidays_of_the_calendar_move_the_due_time(subject, business_calendar):
    from aftersales.core.calendars.services import calendar_fill_public_holidays

    calendar_fill_public_holidays(calendar=business_calendar, year=2026)
    # Wednesday 30 Sept 17:00 + 2 business hours: 1 h that day, then the National Day holidays
    # (1–7 Oct) pass and the second hour is on Thursday 8 Oct.
    clock = start(subject, business_calendar, 2, shanghai(2026, 9, 30, 17))
    assert clock.due_at == shanghai(2026, 10, 8, 10)
    # Friday 9 Oct 17:00 + 2 h: Saturday 10 Oct is a make-up working day (调休).
    clock = start(subject, business_calendar, 2, shanghai(2026, 10, 9, 17))
    assert clock.due_at == shanghai(2026, 10, 10, 10)
