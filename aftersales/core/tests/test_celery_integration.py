"""A real Celery worker runs the core tasks against the test database, a Redis broker and SMTP.

The worker is a subprocess (``celery -A aftersales worker --pool solo``) started once for this
module. It reads the test database, a Redis database claimed for this run only (so it never takes
work from, or gives work to, anything else on the machine) and the aiosmtpd server of the
conftest. The tests commit for real (``transaction=True``) because the worker is another process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from aftersales.core import clock as wall_clock
from aftersales.core.models import ClockEvent, Customer, OutboxMessage, SlaClock
from aftersales.core.outbox.services import Notification, message_id_for, outbox_enqueue
from aftersales.core.sla.services import clock_start

from .conftest import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Covers the worker's start (about 3 s) with room for a slow CI machine.
WORKER_TIMEOUT = 30


@dataclass
class Worker:
    process: subprocess.Popen
    log_path: Path

    def wait_until(self, predicate, *, what: str) -> object:
        def done_or_dead():
            # A worker that died at start (bad settings, import error) fails the test at once.
            return predicate() or self.process.poll() is not None

        try:
            value = wait_until(done_or_dead, timeout=WORKER_TIMEOUT, what=what)
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited before {what}")
            return value
        except AssertionError as error:
            log = self.log_path.read_text(errors="replace")[-4000:]
            raise AssertionError(f"{error}; worker exit code {self.process.poll()}, log tail:\n{log}") from None


@pytest.fixture(scope="module")
def worker_process(django_db_setup, smtp_server, isolated_redis_url, tmp_path_factory):
    database = connection.settings_dict
    log_path = tmp_path_factory.mktemp("celery-worker") / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "aftersales.settings.test",
        "DATABASE_URL": (
            f"postgres://{database['USER'] or 'postgres'}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        ),
        # No idle connections left behind when pytest drops the test database.
        "DATABASE_CONN_MAX_AGE": "0",
        "REDIS_URL": isolated_redis_url,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": smtp_server.host,
        "EMAIL_PORT": str(smtp_server.port),
    }
    command = [
        str(Path(settings.BASE_DIR) / ".venv" / "bin" / "celery"),
        "-A",
        "aftersales",
        "worker",
        "--pool",
        "solo",
        "--concurrency",
        "1",
        "--loglevel",
        "INFO",
        "--hostname",
        f"outbox-tests-{uuid.uuid4().hex[:8]}@%h",
        # Nothing to synchronise with: start fast and stay out of other workers' business.
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so the finalizer reaches every child
        )
    try:
        yield Worker(process, log_path)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def breach_email(key: str, *, language: str = "zh-hans") -> Notification:
    return Notification(
        key=key,
        channel=OutboxMessage.Channel.EMAIL,
        recipient="supervisor@example.com",
        template="sla_breach",
        context={
            "subject_label": "SR-2026-0042",
            "clock_label": "first response",
            "due_at": "2026-11-24 17:30",
            "escalation_level": 1,
        },
        language=language,
    )


def test_a_committed_enqueue_kicks_the_worker_which_delivers_over_smtp(worker_process, celery_broker, smtp):
    keys = ["clock:1:breach:supervisor", "clock:2:breach:supervisor", "clock:3:breach:supervisor"]
    # No beat runs: the only thing that can make the worker deliver is the on-commit kick.
    with transaction.atomic():
        outbox_enqueue(
            notifications=[breach_email(key, language=("zh-hans", "en")[n % 2]) for n, key in enumerate(keys)]
        )

    worker_process.wait_until(lambda: len(smtp.received) >= len(keys), what="the worker's emails")
    worker_process.wait_until(
        lambda: set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxMessage.Status.SENT},
        what="the worker to mark the messages sent",
    )
    assert sorted(smtp.message_ids()) == sorted(message_id_for(key) for key in keys)
    subjects = {item.message_id: item.subject for item in smtp.received}
    assert subjects[message_id_for(keys[0])] == "【已超时】SR-2026-0042 的「first response」已超过时限"
    assert subjects[message_id_for(keys[1])] == '[SLA breached] "first response" on SR-2026-0042 is late'


def test_sla_sweep_sent_by_name_records_a_breach_once_in_the_worker(
    worker_process, celery_broker, smtp, always_calendar
):
    from aftersales.celery import app

    started = wall_clock.now() - timedelta(hours=2)
    clock = clock_start(
        subject=Customer.objects.create(name="测试客户", phone="13800138000"),
        name="resolution",
        target=timedelta(hours=1),
        calendar=always_calendar,
        now=started,
    )
    assert not ClockEvent.objects.filter(clock=clock, kind=ClockEvent.Kind.BREACHED).exists()

    # Twice, as when beat fires again before the first run is done: the breach is recorded once.
    app.send_task("core.sla_sweep")
    app.send_task("core.sla_sweep")
    # Then a marker: the solo worker takes tasks one at a time in queue order, so when the marker's
    # email (its on-commit kick is queued third) arrives, both sweeps have finished.
    with transaction.atomic():
        outbox_enqueue(notifications=[breach_email("marker")])
    worker_process.wait_until(lambda: message_id_for("marker") in smtp.message_ids(), what="the marker email")

    events = list(ClockEvent.objects.filter(clock=clock).values_list("kind", "threshold"))
    assert sorted(events, key=str) == sorted(
        [
            (ClockEvent.Kind.STARTED, None),
            (ClockEvent.Kind.WARNING, 50),
            (ClockEvent.Kind.WARNING, 75),
            (ClockEvent.Kind.WARNING, 90),
            (ClockEvent.Kind.BREACHED, 100),
        ],
        key=str,
    )
    clock.refresh_from_db()
    assert clock.state == SlaClock.State.BREACHED
    # On 7×24 time the breach happened at the due moment, an hour after the start.
    assert clock.breached_at == clock.due_at == started + timedelta(hours=1)


def test_every_beat_task_can_be_queued_and_a_stuck_message_is_requeued_and_delivered(
    worker_process, celery_broker, smtp
):
    """Beat queues its entries with ``apply_async``; a task whose soft limit (the 240 s default) was
    above its hard limit could not be queued at all, so stuck messages stayed ``sending`` for ever."""
    from aftersales.celery import app

    # As a worker killed between the claim and the SMTP hand-over leaves it, an hour ago (written
    # directly: an enqueue would kick a delivery that races with the test).
    notice = breach_email("stuck")
    OutboxMessage.objects.create(
        key=notice.key,
        channel=notice.channel,
        recipient=notice.recipient,
        template=notice.template,
        context=notice.context,
        language=notice.language,
        status=OutboxMessage.Status.SENDING,
        attempts=1,
        next_attempt_at=wall_clock.now() - timedelta(hours=1),
        claimed_at=wall_clock.now() - timedelta(hours=1),
    )
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        app.tasks[entry["task"]].apply_async()  # what beat does with each entry
    # The solo worker takes them in order: the requeue, then the delivery (queued after it).
    app.tasks["core.outbox_deliver"].apply_async()

    worker_process.wait_until(lambda: message_id_for("stuck") in smtp.message_ids(), what="the stuck message")
    # The worker marks the row sent after the SMTP hand-over, so the row may lag the mailbox by a moment.
    worker_process.wait_until(
        lambda: OutboxMessage.objects.get(key="stuck").status == OutboxMessage.Status.SENT, what="the row marked sent"
    )
    assert OutboxMessage.objects.get(key="stuck").attempts == 2  # requeued once, delivered once
