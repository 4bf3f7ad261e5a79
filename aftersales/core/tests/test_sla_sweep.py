"""The SLA sweep records every warning and breach exactly once, whatever runs concurrently or dies.

2026-11-23 is a Monday; the business calendar works Mon–Fri 09:00–18:00.
"""

import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections

from aftersales.core.models import ClockEvent, Customer, OutboxMessage, SlaClock
from aftersales.core.sla.registry import register_clock_handler, unregister_clock_handler
from aftersales.core.sla.services import clock_pause, clock_start, clock_stop
from aftersales.core.sla.sweep import sla_sweep
from conftest import shanghai

from .sla_support import make_customer, notify_supervisor

PROJECT_DIR = Path(settings.BASE_DIR)
MONDAY_9 = shanghai(2026, 11, 23, 9)


@pytest.fixture
def handler_calls():
    calls = []
    lock = threading.Lock()

    def handler(events):
        with lock:
            calls.extend((event.clock.pk, event.kind, event.threshold) for event in events)
        notify_supervisor(events)

    register_clock_handler(Customer, handler)
    yield calls
    unregister_clock_handler(Customer)


def start_clocks(count, calendar, *, hours=8, at=MONDAY_9):
    clocks = []
    for number in range(count):
        clocks.append(
            clock_start(
                subject=make_customer(f"customer {number}"),
                name="resolution",
                target=timedelta(hours=hours),
                calendar=calendar,
                now=at,
            )
        )
    return clocks


def recorded(clock):
    return list(
        clock.events.filter(kind__in=["warning", "breached"]).order_by("threshold").values_list("kind", "threshold")
    )


@pytest.mark.django_db
class TestSweep:
    def test_each_threshold_is_recorded_when_its_moment_passes_and_only_then(self, business_calendar, handler_calls):
        (clock,) = start_clocks(1, business_calendar)  # 8 h: 50 % 13:00, 75 % 15:00, 90 % 16:12, due 17:00

        assert sla_sweep(now=shanghai(2026, 11, 23, 12, 59)).warnings == 0
        result = sla_sweep(now=shanghai(2026, 11, 23, 13, 0))
        assert (result.warnings, result.breaches) == (1, 0)
        clock.refresh_from_db()
        assert clock.next_check_at == shanghai(2026, 11, 23, 15)

        sla_sweep(now=shanghai(2026, 11, 23, 16, 30))
        assert recorded(clock) == [("warning", 50), ("warning", 75), ("warning", 90)]

        result = sla_sweep(now=shanghai(2026, 11, 23, 17, 0))
        assert (result.warnings, result.breaches) == (0, 1)
        clock.refresh_from_db()
        assert clock.state == SlaClock.State.BREACHED
        assert clock.breached_at == shanghai(2026, 11, 23, 17)
        assert clock.next_check_at is None
        assert handler_calls == [
            (clock.pk, "warning", 50),
            (clock.pk, "warning", 75),
            (clock.pk, "warning", 90),
            (clock.pk, "breached", 100),
        ]

    def test_a_late_sweep_records_everything_due_with_the_moment_it_happened(self, business_calendar, handler_calls):
        (clock,) = start_clocks(1, business_calendar)

        result = sla_sweep(now=shanghai(2026, 11, 24, 12))
        assert (result.warnings, result.breaches) == (3, 1)
        occurred = dict(clock.events.filter(kind__in=["warning", "breached"]).values_list("threshold", "occurred_at"))
        assert occurred == {
            50: shanghai(2026, 11, 23, 13),
            75: shanghai(2026, 11, 23, 15),
            90: shanghai(2026, 11, 23, 16, 12),
            100: shanghai(2026, 11, 23, 17),
        }

    def test_running_the_sweep_again_records_and_notifies_nothing_new(self, business_calendar, handler_calls):
        start_clocks(5, business_calendar)
        later = shanghai(2026, 11, 24, 12)

        first = sla_sweep(now=later)
        second = sla_sweep(now=later)

        assert (first.warnings, first.breaches) == (15, 5)
        assert (second.warnings, second.breaches, second.clocks_checked) == (0, 0, 0)
        assert len(handler_calls) == 20
        assert OutboxMessage.objects.count() == 20

    def test_even_a_clock_forced_back_into_the_queue_is_not_notified_twice(self, business_calendar, handler_calls):
        (clock,) = start_clocks(1, business_calendar)
        sla_sweep(now=shanghai(2026, 11, 23, 13, 30))
        # Simulate a lost update of next_check_at (e.g. a restored backup): the unique index holds.
        SlaClock.objects.filter(pk=clock.pk).update(next_check_at=shanghai(2026, 11, 23, 9))

        result = sla_sweep(now=shanghai(2026, 11, 23, 13, 30))

        assert result.clocks_checked == 1
        assert result.warnings == 0
        assert handler_calls == [(clock.pk, "warning", 50)]

    def test_paused_met_and_cancelled_clocks_are_not_swept(self, business_calendar, handler_calls):
        paused, met, running = start_clocks(3, business_calendar)
        clock_pause(clock=paused, now=shanghai(2026, 11, 23, 10))
        clock_stop(clock=met, now=shanghai(2026, 11, 23, 10))

        result = sla_sweep(now=shanghai(2026, 11, 30, 12))

        assert result.clocks_checked == 1
        assert {clock_id for clock_id, _, _ in handler_calls} == {running.pk}

    def test_small_batches_cover_every_due_clock(self, business_calendar, handler_calls):
        start_clocks(7, business_calendar)

        result = sla_sweep(now=shanghai(2026, 11, 23, 13, 30), batch_size=2)

        assert result.batches == 4
        assert result.warnings == 7

    def test_a_handler_failure_rolls_back_the_whole_batch_and_a_rerun_records_it_once(self, business_calendar):
        clocks = start_clocks(3, business_calendar)
        failures = {"left": 1}

        def flaky(events):
            if failures["left"]:
                failures["left"] -= 1
                raise RuntimeError("mail server exploded")
            notify_supervisor(events)

        register_clock_handler(Customer, flaky)
        try:
            with pytest.raises(RuntimeError):
                sla_sweep(now=shanghai(2026, 11, 24, 12))
            assert ClockEvent.objects.filter(kind__in=["warning", "breached"]).count() == 0
            assert OutboxMessage.objects.count() == 0

            result = sla_sweep(now=shanghai(2026, 11, 24, 12))
        finally:
            unregister_clock_handler(Customer)
        assert (result.warnings, result.breaches) == (9, 3)
        assert all(
            recorded(clock) == [("warning", 50), ("warning", 75), ("warning", 90), ("breached", 100)]
            for clock in clocks
        )

    def test_clocks_without_a_handler_are_still_recorded(self, business_calendar):
        start_clocks(1, business_calendar)
        result = sla_sweep(now=shanghai(2026, 11, 24, 12))
        assert result.breaches == 1

    def test_the_due_query_can_use_the_partial_index(self, business_calendar):
        start_clocks(3, business_calendar)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = (
            SlaClock.objects.filter(next_check_at__lte=shanghai(2026, 11, 24, 12)).order_by("next_check_at").explain()
        )
        assert "core_slaclock_due_idx" in plan

    def test_management_command_prints_counts_and_second_run_records_nothing(self, business_calendar, capsys):
        import time_machine

        start_clocks(2, business_calendar)
        with time_machine.travel(shanghai(2026, 11, 24, 12), tick=False):
            call_command("sla_sweep")
            first = capsys.readouterr().out
            call_command("sla_sweep")
            second = capsys.readouterr().out
        assert "6 warning(s) and 2 breach(es)" in first
        assert "0 warning(s) and 0 breach(es)" in second


def _sweep_in_thread(now, barrier, results, errors):
    try:
        barrier.wait()
        results.append(sla_sweep(now=now, batch_size=25))
    except Exception as error:  # surfaced by the test
        errors.append(error)
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_record_and_notify_each_event_exactly_once(business_calendar, handler_calls):
    clocks = start_clocks(120, business_calendar)
    now = shanghai(2026, 11, 24, 12)
    barrier = threading.Barrier(2)
    results, errors = [], []
    threads = [threading.Thread(target=_sweep_in_thread, args=(now, barrier, results, errors)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert sum(result.warnings for result in results) == 360
    assert sum(result.breaches for result in results) == 120
    assert ClockEvent.objects.filter(kind__in=["warning", "breached"]).count() == 480
    assert len(handler_calls) == len(set(handler_calls)) == 480
    assert OutboxMessage.objects.count() == 480
    assert SlaClock.objects.filter(pk__in=[c.pk for c in clocks], state=SlaClock.State.BREACHED).count() == 120


def _subprocess_env():
    database = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "aftersales.settings.test",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
    }


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_loses_nothing_and_duplicates_nothing(business_calendar, handler_calls):
    start_clocks(10, business_calendar)
    env = _subprocess_env()

    # The subprocess sweeps at the real current time, by which every clock above is long overdue.
    crashed = subprocess.run(
        [sys.executable, "-m", "aftersales.core.tests.crashing_sweep"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert "dying" in crashed.stdout
    # The killed transaction left nothing behind: no events, no messages, no half-updated clocks.
    assert ClockEvent.objects.filter(kind__in=["warning", "breached"]).count() == 0
    assert OutboxMessage.objects.count() == 0
    assert SlaClock.objects.filter(state=SlaClock.State.BREACHED).count() == 0

    result = sla_sweep()
    assert (result.warnings, result.breaches) == (30, 10)
    assert len(handler_calls) == 40
    assert OutboxMessage.objects.count() == 40


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_two_sweep_processes_at_once_record_each_event_once(business_calendar):
    start_clocks(300, business_calendar)
    env = _subprocess_env()
    command = [sys.executable, "manage.py", "sla_sweep"]
    processes = [
        subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]

    assert [process.returncode for process in processes] == [0, 0], outputs
    assert ClockEvent.objects.filter(kind="breached").count() == 300
    assert ClockEvent.objects.filter(kind="warning").count() == 900
    printed = sum(int(out.split(" warning(s) and ")[1].split(" ")[0]) for out, _ in outputs)
    assert printed == 300  # the two processes' breach counts add up: none counted twice
