"""Chaos: deadlines and messages survive killed workers, a crashing broker and cut database links.

Real processes only (``chaos.py``): N ``celery worker --pool solo`` and one ``celery beat`` on the
test database, a ``redis-server`` of this test's own on a free port, an aiosmtpd sink. While a
driver creates and transitions back-dated tickets and complaints (their minute-long clocks fall due
before and during the run), workers are ``kill -9``ed, Redis is crashed and restarted, and the
workers' PostgreSQL backends are terminated while the database refuses new connections for a moment
(a restart as the workers see it; the shared server itself is never restarted). Then the system
settles under beat, the fleet stops, stuck messages are re-queued (what ``core.outbox_requeue_stuck``
does after its time limit), one last sweep and delivery run here, and the audit checks:

* every warning and breach due — recomputed from each clock's own start/pause/resume/stop
  events — is recorded exactly once, and nothing that was not due;
* every outbox message is ``sent``, every email reached the SMTP server, and a Message-ID came
  twice only where a worker was killed between the SMTP hand-over and the row update (the design's
  documented window: the receiver drops the repeat by Message-ID);
* no ticket or complaint is in an impossible state (status vs last event, clocks vs status,
  escalation level and breach reports vs breaches).

``make chaos`` runs the full version (≥ 20 kills, ≥ 5 Redis restarts, ≥ 5 terminations); the
short one runs in ``make test``. The fault order is shuffled with a fixed seed; the timing is real.
"""

from __future__ import annotations

import importlib
import threading
import time
import uuid
from datetime import timedelta

import pytest
import redis
from django.apps import apps
from django.db import connection

from aftersales.core import clock as wall_clock
from aftersales.core.calendars.services import calendar_ensure_defaults
from aftersales.core.models import OutboxMessage, SlaClock
from aftersales.core.outbox.services import outbox_deliver, outbox_requeue_stuck
from aftersales.core.sla.sweep import sla_sweep

from .chaos import (
    BOOT_TIMEOUT,
    Audit,
    CeleryProcess,
    ChaosPlan,
    ChaosRedis,
    ChaosSmtp,
    Counts,
    Driver,
    Injector,
    audit_clocks,
    audit_logs,
    audit_outbox,
    audit_subjects,
    make_staff,
    process_env,
    report,
    short_targets,
)
from .conftest import _point_app_at, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

SHORT = ChaosPlan(
    tickets=60,
    complaints=8,
    worker_kills=3,
    redis_restarts=1,
    pg_terminations=1,
    fault_seconds=40,
    workers=2,
    targets=(1, 2, 3),
)
FULL = ChaosPlan(
    tickets=300,
    complaints=30,
    worker_kills=24,
    redis_restarts=6,
    pg_terminations=6,
    fault_seconds=200,
    workers=3,
)


def _seed_policies() -> None:
    """Calendars and SLA policies as the data migrations made them (a transactional test flushes them)."""
    calendar_ensure_defaults()
    importlib.import_module("tickets.migrations.0002_default_sla_matrix").create_matrix(apps, None)
    importlib.import_module("complaints.migrations.0002_default_sla_policies").create_policies(apps, None)


def _settled(injector: Injector, faults_ended_at) -> bool:
    """Beat and the workers have caught up: nothing due by the end of the faults, no message waiting."""
    injector.keep_up()
    return not (
        SlaClock.objects.filter(next_check_at__lte=faults_ended_at).exists()
        or OutboxMessage.objects.filter(
            status=OutboxMessage.Status.PENDING, next_attempt_at__lte=wall_clock.now()
        ).exists()
    )


def run_chaos(plan: ChaosPlan, workdir, settings) -> tuple[Counts, Audit]:
    from aftersales.celery import app

    _seed_policies()
    short_targets(plan)
    staff = make_staff()
    counts = Counts()
    began = time.monotonic()
    chaos_redis = ChaosRedis(workdir)
    chaos_redis.start()
    previous_broker = app.conf.broker_url
    # The driver's on-commit delivery kicks go to our Redis too (and fail quietly while it is down).
    _point_app_at(app, chaos_redis.url)
    try:
        with ChaosSmtp() as sink:
            env = process_env(connection.settings_dict, chaos_redis.url, sink, plan.beat_seconds)
            run = uuid.uuid4().hex[:6]
            workers = [
                CeleryProcess(
                    f"worker-{number}",
                    [
                        *("worker", "--pool", "solo", "--loglevel", "INFO", "--hostname", f"chaos-{run}-{number}@%h"),
                        *("--without-gossip", "--without-mingle", "--without-heartbeat"),
                    ],
                    env,
                    workdir / f"worker-{number}.log",
                )
                for number in range(plan.workers)
            ]
            beat = CeleryProcess(
                "beat",
                ["beat", "--loglevel", "INFO", "--schedule", str(workdir / "beat-schedule")],
                env,
                workdir / "beat.log",
            )
            injector = Injector(plan, workers, beat, chaos_redis, connection.settings_dict, counts)
            try:
                for process in [*workers, beat]:
                    process.start()
                wait_until(
                    lambda: all(worker.ready() for worker in workers), timeout=BOOT_TIMEOUT, what="the workers to boot"
                )
                stop = threading.Event()
                driver = Driver(plan, staff, counts, stop)
                faults_began = time.monotonic()
                driver.start()
                injector.start()
                injector.join(timeout=plan.fault_seconds + 600)
                stop.set()
                driver.join(timeout=600)
                assert not injector.is_alive() and not driver.is_alive(), "the injector or driver hung"
                assert injector.failure is None and driver.failure is None, "\n".join(counts.errors)
                counts.seconds["faults"] = time.monotonic() - faults_began

                settle_began = time.monotonic()
                faults_ended_at = wall_clock.now()
                try:
                    wait_until(
                        lambda: _settled(injector, faults_ended_at),
                        timeout=plan.settle_timeout,
                        what="the system to settle",
                        interval=1,
                    )
                except AssertionError as error:
                    logs = "\n".join(f"--- {p.name}\n{p.log_tail()}" for p in [*workers, beat])
                    raise AssertionError(f"{error}\n{logs}") from None
                counts.seconds["settle"] = time.monotonic() - settle_began
            finally:
                beat.stop()
                for worker in workers:
                    worker.stop()

            # Nobody is delivering any more: what a killed worker left "sending" goes back to the
            # queue, as core.outbox_requeue_stuck does once the task time limit has passed. (Not
            # timedelta(0): the service reads a falsy ``older_than`` as "the default".)
            counts.requeued_after_kills = outbox_requeue_stuck(older_than=timedelta(microseconds=1))
            final_now = wall_clock.now()
            counts.retries_brought_forward = OutboxMessage.objects.filter(
                status=OutboxMessage.Status.PENDING, next_attempt_at__gt=final_now
            ).update(next_attempt_at=final_now)
            final = sla_sweep(now=final_now)
            counts.final_sweep_warnings, counts.final_sweep_breaches = final.warnings, final.breaches
            settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
            settings.EMAIL_HOST, settings.EMAIL_PORT = sink.host, sink.port
            settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
            settings.EMAIL_USE_TLS = False
            while sent := outbox_deliver().sent:
                counts.final_delivery_sent += sent

            audit = Audit()
            audit_logs(audit, workers, beat)
            audit_clocks(audit, final_now)
            audit_outbox(audit, sink.received)
            audit_subjects(audit)
            counts.seconds["total"] = time.monotonic() - began
            return counts, audit
    finally:
        _point_app_at(app, previous_broker)
        chaos_redis.crash()


def _check(plan: ChaosPlan, counts: Counts, audit: Audit, capsys) -> None:
    with capsys.disabled():
        print(report(plan, counts, audit))
    assert counts.worker_kills >= plan.worker_kills
    assert counts.redis_restarts >= plan.redis_restarts
    assert counts.pg_terminations >= plan.pg_terminations
    assert audit.duplicate_events == 0
    assert audit.expected_breaches > 0 and audit.expected_warnings > 0, "the workload let nothing fall due"
    assert audit.problems == []


@pytest.mark.integration
def test_a_short_chaos_run_records_every_deadline_once_and_delivers_every_message(tmp_path, settings, capsys):
    counts, audit = run_chaos(SHORT, tmp_path, settings)
    _check(SHORT, counts, audit, capsys)


@pytest.mark.chaos
def test_chaos_run_records_every_deadline_once_and_delivers_every_message(tmp_path, settings, capsys):
    counts, audit = run_chaos(FULL, tmp_path, settings)
    _check(FULL, counts, audit, capsys)


def test_the_redis_of_the_chaos_run_is_our_own(tmp_path):
    """The faults restart a redis-server started here, never the shared one."""
    chaos_redis = ChaosRedis(tmp_path)
    chaos_redis.start()
    try:
        assert chaos_redis.port != 6379
        assert redis.Redis(port=chaos_redis.port).ping()
    finally:
        chaos_redis.crash()
    assert not chaos_redis.ping()
