"""Chaos harness: real Celery workers and beat, a Redis of our own, faults, and an audit afterwards.

Used by ``test_chaos.py``. Everything runs for real: N ``celery worker --pool solo`` processes and
one ``celery beat`` (``chaos_app``: the production schedule in seconds) on the test database, a
``redis-server`` started here on a free port (so restarting it troubles nobody else), and an
aiosmtpd sink that keeps every message it accepts. While a driver thread creates and transitions
tickets and complaints whose clocks fall due during the run, an injector ``kill -9``s workers,
crashes and restarts Redis, and terminates the workers' PostgreSQL connections while refusing new
ones to the chaos database for a moment. Afterwards the
audit recomputes, from each clock's own start/pause/resume/stop events, which warnings and breaches
were due, and compares them, the outbox and the SMTP sink with what the system recorded.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import psycopg2
import redis
from aiosmtpd.controller import Controller
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection
from django.db.models import Count

from aftersales.core import clock as wall_clock
from aftersales.core.models import BusinessCalendar, ClockEvent, DeliveryAttempt, OutboxMessage, SlaClock

from .conftest import SmtpSink, free_port, wait_until

WORKER_APPLICATION_NAME = "chaos-worker"
BOOT_TIMEOUT = 90  # a solo worker boots in ~3 s; a loaded 2-core machine running the suite is slower
TOLERANCE = timedelta(seconds=2)  # around the audit's boundaries (a stop, the final sweep)


@dataclass(frozen=True)
class ChaosPlan:
    tickets: int
    complaints: int
    worker_kills: int
    redis_restarts: int
    pg_terminations: int
    fault_seconds: float  # the faults are spread over this long, while the driver works
    workers: int = 3
    beat_seconds: float = 2.0
    # SLA targets (minutes) for first response / on site / resolution, on the 7×24 calendar, so
    # clocks of tickets back-dated by up to the resolution target fall due before and during the run.
    targets: tuple[int, int, int] = (2, 3, 4)
    settle_timeout: float = 300
    seed: int = 20261124


# ---------------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------------


class ChaosRedis:
    """A redis-server of our own (no persistence: a restart loses every queued task, the worst case)."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        command += ["--dir", str(self.workdir), "--logfile", str(self.workdir / "redis.log")]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self.ping, timeout=30, what=f"redis-server on port {self.port}")

    def ping(self) -> bool:
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def crash(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=30)
            self.process = None

    def restart(self, downtime: float) -> None:
        self.crash()
        time.sleep(downtime)  # the outage itself is the fault being injected
        self.start()


class CeleryProcess:
    """One celery command in its own process group; the log accumulates over restarts."""

    def __init__(self, name: str, arguments: list[str], env: dict, log_path: Path) -> None:
        self.name = name
        self.arguments = arguments
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.log_offset = 0  # where the current incarnation's log begins
        self.starts = 0

    def start(self) -> None:
        self.log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        command = [str(Path(settings.BASE_DIR) / ".venv" / "bin" / "celery"), "-A", "aftersales.core.tests.chaos_app"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command + self.arguments,
                cwd=settings.BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def ready(self) -> bool:
        """The worker logged "ready." since it was last started."""
        with self.log_path.open("rb") as log:
            log.seek(self.log_offset)
            return b" ready." in log.read()

    def kill9(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """Warm shutdown: the current task finishes (so no delivery is cut off at the end)."""
        if not self.alive():
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def exit_reason(self) -> str:
        """The exit code and the last error line of this incarnation's log (e.g. an import error)."""
        with self.log_path.open("rb") as log:
            log.seek(self.log_offset)
            errors = [line for line in log.read().decode(errors="replace").splitlines() if "Error" in line]
        return f"exit {self.process.returncode}, {errors[-1].strip()[:160] if errors else 'no error logged'}"

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]


class ChaosSmtp:
    def __init__(self) -> None:
        self.sink = SmtpSink()
        self.sink.port = free_port()
        self.controller = Controller(self.sink, hostname=self.sink.host, port=self.sink.port)

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self.sink

    def __exit__(self, *exc) -> None:
        self.controller.stop()


def process_env(database: dict, redis_url: str, smtp: SmtpSink, beat_seconds: float) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "aftersales.settings.test",
        # application_name lets the injector terminate exactly the workers' connections. The
        # default CONN_MAX_AGE (60 s, as in production) keeps them open between tasks, so a
        # termination hits idle connections too, which the next task finds broken.
        "DATABASE_URL": (
            f"postgres://{database['USER'] or 'postgres'}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}?application_name={WORKER_APPLICATION_NAME}"
        ),
        "REDIS_URL": redis_url,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": smtp.host,
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_TIMEOUT": "10",
        "CHAOS_BEAT_SECONDS": str(beat_seconds),
        "PYTHONUNBUFFERED": "1",
    }


def _admin(database: dict):
    return psycopg2.connect(
        host=database["HOST"] or "127.0.0.1",
        port=database["PORT"] or 5432,
        user=database["USER"] or "postgres",
        dbname="postgres",
    )


def allow_connections(database: dict, allowed: bool) -> None:
    """Refuse (or allow again) new connections to the chaos database only; open ones are untouched.

    Terminating the workers' backends while refusing new ones is a database restart as the workers
    see it, without restarting the PostgreSQL server other engineers share.
    """
    admin = _admin(database)
    try:
        admin.autocommit = True
        with admin.cursor() as cursor:
            flag = "true" if allowed else "false"
            cursor.execute(f'ALTER DATABASE "{database["NAME"]}" WITH ALLOW_CONNECTIONS {flag}')
    finally:
        admin.close()


def terminate_worker_connections(database: dict) -> int:
    """pg_terminate_backend for the workers' backends on this database only; how many were hit."""
    admin = _admin(database)
    try:
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND application_name = %s",
                [database["NAME"], WORKER_APPLICATION_NAME],
            )
            return cursor.fetchone()[0]
    finally:
        admin.close()


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------


@dataclass
class Counts:
    worker_kills: int = 0
    kills_of_busy_workers: int = 0  # killed while the log showed a task received and not finished
    redis_restarts: int = 0
    pg_terminations: int = 0
    pg_backends_terminated: int = 0
    unexpected_exits: int = 0
    exit_reasons: Counter = field(default_factory=Counter)
    tickets: int = 0
    complaints: int = 0
    transitions: int = 0
    transitions_refused: int = 0  # not allowed in that state, or a required field the driver did not give
    transitions_aborted: int = 0  # a database error (deadlock victim, lock timeout): rolled back
    requeued_after_kills: int = 0
    retries_brought_forward: int = 0
    final_sweep_warnings: int = 0
    final_sweep_breaches: int = 0
    final_delivery_sent: int = 0
    seconds: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)


def _busy(worker: CeleryProcess) -> bool:
    with worker.log_path.open("rb") as log:
        log.seek(worker.log_offset)
        text = log.read().decode(errors="replace")
    received = len(re.findall(r"Task \S+\[[0-9a-f-]+\] received", text))
    finished = len(re.findall(r"Task \S+\[[0-9a-f-]+\] (?:succeeded|failed|raised|retry)", text))
    return received > finished


class Injector(threading.Thread):
    """Spreads the planned faults over the fault phase, in a shuffled order, and keeps the fleet up."""

    def __init__(self, plan: ChaosPlan, workers, beat, chaos_redis, database, counts: Counts) -> None:
        super().__init__(name="chaos-injector", daemon=True)
        self.plan, self.workers, self.beat, self.redis = plan, workers, beat, chaos_redis
        self.database, self.counts = database, counts
        self.random = random.Random(plan.seed)
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            faults = (
                ["kill"] * self.plan.worker_kills
                + ["redis"] * self.plan.redis_restarts
                + ["pg"] * self.plan.pg_terminations
            )
            self.random.shuffle(faults)
            gap = self.plan.fault_seconds / (len(faults) + 1)
            started = time.monotonic()
            for number, fault in enumerate(faults, start=1):
                while time.monotonic() < started + gap * number:
                    self.keep_up()
                    time.sleep(0.2)
                getattr(self, f"fault_{fault}")()
            while time.monotonic() < started + self.plan.fault_seconds:
                self.keep_up()
                time.sleep(0.2)
        except BaseException as error:  # reported by the test, with the traceback
            self.failure = error
            self.counts.errors.append(traceback.format_exc())

    def keep_up(self) -> None:
        """A process that exited by itself (not killed here) is restarted and counted."""
        for process in [*self.workers, self.beat]:
            if not process.alive():
                self.counts.unexpected_exits += 1
                self.counts.exit_reasons[f"{process.name}: {process.exit_reason()}"] += 1
                process.start()

    def fault_kill(self) -> None:
        # Prefer a worker in the middle of a task (a sweep batch, a delivery): wait a little for one.
        deadline = time.monotonic() + 3
        while True:
            ready = [worker for worker in self.workers if worker.alive() and worker.ready()]
            busy = [worker for worker in ready if _busy(worker)]
            if busy or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        victim = self.random.choice(busy or ready or self.workers)
        self.counts.kills_of_busy_workers += victim in busy
        victim.kill9()
        self.counts.worker_kills += 1
        victim.start()

    def fault_redis(self) -> None:
        self.redis.restart(downtime=self.random.uniform(0.5, 2.0))
        self.counts.redis_restarts += 1

    def fault_pg(self) -> None:
        # With nothing connected at that instant, try again for a moment: a termination that hits
        # no backend tests nothing.
        deadline = time.monotonic() + 5
        while not self.sees_worker_connections() and time.monotonic() < deadline:
            time.sleep(0.1)
        # Then the database is away for a moment, as during a restart: new connections are refused.
        allow_connections(self.database, False)
        try:
            self.counts.pg_backends_terminated += terminate_worker_connections(self.database)
            time.sleep(self.random.uniform(0.5, 2.0))
        finally:
            allow_connections(self.database, True)
        self.counts.pg_terminations += 1

    def sees_worker_connections(self) -> bool:
        admin = _admin(self.database)
        try:
            with admin.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
                    [self.database["NAME"], WORKER_APPLICATION_NAME],
                )
                return cursor.fetchone()[0] > 0
        finally:
            admin.close()


class Driver(threading.Thread):
    """Creates the workload and transitions it while the faults happen, like staff at their desks."""

    TICKET_DATA = {
        "diagnose": {"diagnosis": "compressor relay stuck", "fault_cause": "quality_defect"},
        "resolve": {"resolution": "relay replaced", "functional_test": "passed"},
        "wait_customer": {"note": "waiting for the customer to be home"},
        "cancel": {"note": "customer withdrew the request", "reason": "customer withdrew the request"},
    }
    SKIPPED = {"request_quote", "reopen"}  # need a quote / a finished ticket within the window

    def __init__(self, plan: ChaosPlan, staff: dict, counts: Counts, stop: threading.Event) -> None:
        super().__init__(name="chaos-driver", daemon=True)
        self.plan, self.staff, self.counts, self.stop_event = plan, staff, counts, stop
        self.random = random.Random(plan.seed + 1)
        self.ticket_ids: list[int] = []
        self.complaint_ids: list[int] = []
        self.failure: BaseException | None = None
        # About four transitions per ticket over the fault phase: most clocks see a pause or stop
        # during the run instead of all of them at its start.
        self.pause = plan.fault_seconds / (plan.tickets * 6)

    def back_dated(self) -> datetime:
        # Back-dated by up to the resolution target: some clocks are overdue at once, the rest fall
        # due while the faults happen.
        return wall_clock.now() - timedelta(seconds=self.random.uniform(0, self.plan.targets[2] * 60))

    def create_ticket(self) -> None:
        from tickets.services import ticket_create
        from tickets.tests import factories

        number = len(self.ticket_ids)
        created = ticket_create(
            customer=factories.customer(phone=f"139{number:08d}", name=f"客户{number}"),
            ticket_type="repair",
            priority=self.random.choice(["normal", "normal", "high", "critical"]),
            description="不制冷",
            actor=self.staff["agent"],
            now=self.back_dated(),
        )
        self.ticket_ids.append(created.ticket.pk)
        self.counts.tickets += 1

    def create_complaint(self) -> None:
        from complaints.services import complaint_create
        from tickets.tests import factories

        number = len(self.complaint_ids)
        created = complaint_create(
            customer=factories.customer(phone=f"137{number:08d}", name=f"投诉人{number}"),
            category="service.attitude",
            severity=self.random.choice(["general", "general", "major"]),
            description="服务态度差",
            actor=self.staff["agent"],
            now=self.back_dated(),
        )
        self.complaint_ids.append(created.complaint.pk)
        self.counts.complaints += 1

    def transition_ticket(self) -> None:
        from tickets.models import Ticket
        from tickets.services import actions_for, ticket_transition

        # Every third ticket is left alone, so its clocks run into every warning and the breach.
        handled = [pk for number, pk in enumerate(self.ticket_ids) if number % 3]
        if not handled:
            return
        ticket = Ticket.objects.get(pk=self.random.choice(handled))
        operator = self.staff["operator"]
        actions = [name for name in actions_for(ticket, operator) if name not in self.SKIPPED]
        if not actions:
            return
        action = self.random.choice(actions)
        data = dict(self.TICKET_DATA.get(action, {}))
        if action == "dispatch":
            data["technician"] = self.staff["technician"].username
        ticket_transition(ticket=ticket, action=action, actor=operator, data=data)

    def transition_complaint(self) -> None:
        from complaints.models import Complaint
        from complaints.services import complaint_transition

        complaint = Complaint.objects.get(pk=self.random.choice(self.complaint_ids))
        action = self.random.choice(["acknowledge", "assign", "withdraw"])
        data = {"owner": self.staff["agent"].username} if action == "assign" else {"note": "chaos driver"}
        complaint_transition(complaint=complaint, action=action, actor=self.staff["operator"], data=data)

    def step(self) -> None:
        plan = self.plan
        if len(self.ticket_ids) < plan.tickets and (not self.ticket_ids or self.random.random() < 0.5):
            return self.create_ticket()
        if len(self.complaint_ids) < plan.complaints and (not self.complaint_ids or self.random.random() < 0.2):
            return self.create_complaint()
        from complaints.actions import ActionNotAllowed as ComplaintNotAllowed
        from tickets.actions import ActionNotAllowed

        try:
            if self.complaint_ids and self.random.random() < 0.15:
                self.transition_complaint()
            else:
                self.transition_ticket()
            self.counts.transitions += 1
        except (ActionNotAllowed, ComplaintNotAllowed, ValidationError, PermissionDenied):
            self.counts.transitions_refused += 1
        except DatabaseError:
            self.counts.transitions_aborted += 1

    def run(self) -> None:
        try:
            while not self.stop_event.is_set():
                self.step()
                time.sleep(self.pause)
            # The whole workload exists even if the fault phase was short.
            while len(self.ticket_ids) < self.plan.tickets:
                self.create_ticket()
            while len(self.complaint_ids) < self.plan.complaints:
                self.create_complaint()
        except BaseException as error:
            self.failure = error
            self.counts.errors.append(traceback.format_exc())
        finally:
            connection.close()


def make_staff() -> dict:
    """One person per role with an email address (so warnings and breaches produce emails)."""
    from tickets.models import Technician
    from tickets.tests import factories

    users = get_user_model().objects

    def member(role: str, username: str):
        user = users.create_user(username=username, password="x", is_staff=True, email=f"{username}@example.com")
        user.groups.add(Group.objects.get(name=role))
        return user

    staff = {role: member(role, f"chaos-{role}") for role in ("agent", "supervisor", "manager", "coordinator")}
    staff["technician"] = member("technician", "chaos-technician")
    profile = Technician.objects.create(
        user=staff["technician"], region=factories.region(), knowledge_score=90, skill_score=90, behaviour_score=90
    )
    profile.skills.add(factories.air_conditioner().category)
    # Transitions are done by a superuser: the point is concurrency with the sweep, not roles.
    staff["operator"] = users.create_superuser(username="chaos-operator", password="x", email="")
    return staff


def short_targets(plan: ChaosPlan) -> None:
    """Every ticket and complaint policy: minute targets on the 7×24 calendar."""
    from complaints.models import ComplaintSlaPolicy
    from tickets.models import SlaPolicy

    always = BusinessCalendar.objects.get(code="24x7")
    first, on_site, resolution = plan.targets
    for model in (SlaPolicy, ComplaintSlaPolicy):
        model.objects.update(first_response_minutes=first, resolution_minutes=resolution, calendar=always)
        model.objects.filter(on_site_minutes__isnull=False).update(on_site_minutes=on_site)


# ---------------------------------------------------------------------------------------------
# The audit
# ---------------------------------------------------------------------------------------------


@dataclass
class Audit:
    clocks: int = 0
    warnings: int = 0
    breaches: int = 0
    expected_warnings: int = 0
    expected_breaches: int = 0
    optional_warnings: int = 0  # due before a stop that no sweep saw running: allowed either way
    ambiguous: int = 0  # within TOLERANCE of a boundary: not judged
    duplicate_events: int = 0
    messages: Counter = field(default_factory=Counter)  # status → count
    email_messages: int = 0
    smtp_received: int = 0
    smtp_distinct: int = 0
    smtp_repeats: int = 0  # same Message-ID again: only after an attempt cut off by a kill
    smtp_repeats_unexplained: int = 0
    smtp_missing: int = 0
    smtp_unknown: int = 0
    beat_sends_lost_to_outages: int = 0
    tasks_succeeded: int = 0
    tasks_failed: int = 0  # raised: a terminated connection, the broker gone mid-task
    tickets_checked: int = 0
    complaints_checked: int = 0
    problems: list = field(default_factory=list)


def _segments(events: list[ClockEvent], end: datetime) -> tuple[list[tuple[datetime, datetime]], datetime | None]:
    """Running intervals of a clock from its own history; and when it was stopped (met/cancelled)."""
    segments, running_since, stopped_at = [], None, None
    for event in events:
        if event.kind in (ClockEvent.Kind.STARTED, ClockEvent.Kind.RESUMED):
            running_since = event.occurred_at
        elif event.kind in (ClockEvent.Kind.PAUSED, ClockEvent.Kind.MET, ClockEvent.Kind.CANCELLED):
            if running_since is not None:
                segments.append((running_since, event.occurred_at))
                running_since = None
            if event.kind != ClockEvent.Kind.PAUSED:
                stopped_at = event.occurred_at
    if running_since is not None:
        segments.append((running_since, end))
    return segments, stopped_at


def _moment(segments, seconds: int) -> datetime | None:
    """When the clock had run ``seconds`` (7×24: business time is wall time)."""
    used = 0.0
    for start, stop in segments:
        length = (stop - start).total_seconds()
        if used + length >= seconds:
            return start + timedelta(seconds=seconds - used)
        used += length
    return None


def audit_clocks(audit: Audit, final_now: datetime) -> None:
    audit.duplicate_events = (
        ClockEvent.objects.filter(kind__in=[ClockEvent.Kind.WARNING, ClockEvent.Kind.BREACHED])
        .values("clock", "kind", "threshold")
        .order_by()
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    history: dict[int, list[ClockEvent]] = {}
    for event in ClockEvent.objects.order_by("occurred_at", "id"):
        history.setdefault(event.clock_id, []).append(event)
    for clock in SlaClock.objects.all():
        audit.clocks += 1
        events = history.get(clock.pk, [])
        recorded = Counter(
            (event.kind, event.threshold)
            for event in events
            if event.kind in (ClockEvent.Kind.WARNING, ClockEvent.Kind.BREACHED)
        )
        audit.warnings += sum(n for (kind, _), n in recorded.items() if kind == ClockEvent.Kind.WARNING)
        audit.breaches += recorded[(ClockEvent.Kind.BREACHED, 100)]
        segments, stopped_at = _segments(events, final_now)
        boundary = stopped_at or final_now
        for percent in [*clock.thresholds, 100]:
            kind = ClockEvent.Kind.BREACHED if percent == 100 else ClockEvent.Kind.WARNING
            moment = _moment(segments, clock.target_seconds * percent // 100)
            due_long_before = moment is not None and moment < boundary - TOLERANCE
            # Not due: never reached, or reached only after the boundary (rounding aside).
            if moment is None and _moment(segments, clock.target_seconds * percent // 100 - 2) is None:
                due, judged = False, True
            elif due_long_before:
                due, judged = True, True
            else:
                due, judged = None, False
            if not judged:
                audit.ambiguous += 1
                continue
            count = recorded[(kind, percent)]
            what = f"clock {clock.pk} ({clock.name}, {clock.state}) {kind} {percent}%"
            if not due:
                if count:
                    audit.problems.append(f"{what}: recorded but never due")
                continue
            if kind == ClockEvent.Kind.BREACHED:
                audit.expected_breaches += 1
                if count != 1:
                    audit.problems.append(f"{what}: due at {moment:%H:%M:%S}, recorded {count} time(s)")
                else:
                    occurred = next(e.occurred_at for e in events if e.kind == kind and e.threshold == percent)
                    if abs(occurred - moment) > TOLERANCE:
                        audit.problems.append(f"{what}: occurred_at {occurred} but due {moment}")
            elif stopped_at is None:
                # Open at the end: the final sweep (or the pause that settled it) saw it due.
                audit.expected_warnings += 1
                if count != 1:
                    audit.problems.append(f"{what}: due at {moment:%H:%M:%S}, recorded {count} time(s)")
            else:
                audit.optional_warnings += 1
                if count > 1:
                    audit.problems.append(f"{what}: recorded {count} times")
        # The clock's row agrees with its events.
        breached = recorded[(ClockEvent.Kind.BREACHED, 100)] == 1
        if clock.state == SlaClock.State.BREACHED and not breached:
            audit.problems.append(f"clock {clock.pk} is breached without a breach event")
        if clock.state == SlaClock.State.RUNNING and breached:
            audit.problems.append(f"clock {clock.pk} is running after its breach was recorded")
        if clock.state in (SlaClock.State.RUNNING, SlaClock.State.BREACHED) and (
            clock.next_check_at is not None and clock.next_check_at <= final_now
        ):
            audit.problems.append(f"clock {clock.pk} still due at the end ({clock.next_check_at})")


_NOTICE_KEY = re.compile(r"^(ticket|complaint):(\d+):clock:(\d+):(warning|breached):(\d+):")


def audit_outbox(audit: Audit, received: list) -> None:
    from ..outbox.services import message_id_for

    audit.messages = Counter(OutboxMessage.objects.values_list("status", flat=True))
    for status, count in audit.messages.items():
        if status != OutboxMessage.Status.SENT:
            audit.problems.append(f"{count} outbox message(s) left {status}")
    finished = Counter(DeliveryAttempt.objects.values_list("message_id", flat=True))
    emails = {
        message_id_for(key): (pk, attempts)
        for pk, key, attempts in OutboxMessage.objects.filter(channel=OutboxMessage.Channel.EMAIL).values_list(
            "pk", "key", "attempts"
        )
    }
    audit.email_messages = len(emails)
    counts = Counter(item.message_id for item in received)
    audit.smtp_received = sum(counts.values())
    audit.smtp_distinct = len(counts)
    audit.smtp_unknown = len(set(counts) - set(emails))
    audit.smtp_missing = len(set(emails) - set(counts))
    if audit.smtp_unknown or audit.smtp_missing:
        audit.problems.append(f"SMTP: {audit.smtp_missing} email(s) missing, {audit.smtp_unknown} not in the outbox")
    for message_id, count in counts.items():
        if count > 1 and message_id in emails:
            pk, attempts = emails[message_id]
            audit.smtp_repeats += count - 1
            # A repeat is the documented cost of a kill between the SMTP hand-over and the row
            # update: then the message was claimed more often than attempts were recorded.
            if attempts <= finished[pk]:
                audit.smtp_repeats_unexplained += count - 1
                audit.problems.append(f"message {pk} delivered {count} times without an interrupted attempt")
    # Every warning and breach of a ticket's work clock told someone (the agent at least).
    notified = set()
    for key in OutboxMessage.objects.filter(key__contains=":clock:").values_list("key", flat=True):
        match = _NOTICE_KEY.match(key)
        if match:
            notified.add((int(match[3]), match[4], int(match[5])))
    ticket_type = ContentType.objects.get(app_label="tickets", model="ticket")
    for clock_id, kind, threshold in ClockEvent.objects.filter(
        clock__content_type=ticket_type,
        kind__in=[ClockEvent.Kind.WARNING, ClockEvent.Kind.BREACHED],
        clock__name__in=["first_response", "on_site", "resolution"],
    ).values_list("clock", "kind", "threshold"):
        if (clock_id, kind, threshold) not in notified:
            audit.problems.append(f"clock {clock_id} {kind} {threshold}% recorded but nobody was notified")


def audit_subjects(audit: Audit) -> None:
    from complaints.choices import Status as ComplaintStatus
    from complaints.models import Complaint, ComplaintEvent
    from tickets.choices import PAUSED_STATUSES, FollowUpKind
    from tickets.choices import Status as TicketStatus
    from tickets.models import FollowUp, Ticket, TicketEvent, default_ladder

    ticket_type = ContentType.objects.get_for_model(Ticket)
    last_status = {}
    for ticket_id, to_status in (
        TicketEvent.objects.exclude(to_status="").order_by("id").values_list("ticket", "to_status")
    ):
        last_status[ticket_id] = to_status
    clocks: dict[int, list[SlaClock]] = {}
    for clock in SlaClock.objects.filter(content_type=ticket_type):
        clocks.setdefault(clock.object_id, []).append(clock)
    breaches = Counter(
        ClockEvent.objects.filter(
            clock__content_type=ticket_type,
            kind=ClockEvent.Kind.BREACHED,
            clock__name__in=["first_response", "on_site", "resolution"],
        ).values_list("clock__object_id", flat=True)
    )
    reports = Counter(FollowUp.objects.filter(kind=FollowUpKind.BREACH_REPORT).values_list("ticket", flat=True))
    done = {TicketStatus.RESOLVED, TicketStatus.CONFIRMED, TicketStatus.CLOSED, TicketStatus.CANCELLED}
    for ticket in Ticket.objects.select_related("sla_policy"):
        audit.tickets_checked += 1
        where = f"ticket {ticket.pk} ({ticket.status})"
        if ticket.status not in TicketStatus.values:
            audit.problems.append(f"{where}: unknown status")
        if last_status.get(ticket.pk) != ticket.status:
            audit.problems.append(f"{where}: last event says {last_status.get(ticket.pk)}")
        # One rung per breach, up to the top of the ladder.
        top = len(ticket.sla_policy.escalation_ladder if ticket.sla_policy else default_ladder()) - 1
        if ticket.escalation_level != min(breaches[ticket.pk], top):
            audit.problems.append(
                f"{where}: escalation level {ticket.escalation_level}, {breaches[ticket.pk]} breach(es)"
            )
        if reports[ticket.pk] != breaches[ticket.pk]:
            audit.problems.append(f"{where}: {reports[ticket.pk]} breach report(s), {breaches[ticket.pk]} breach(es)")
        work = [clock for clock in clocks.get(ticket.pk, []) if clock.name != "csat_reply" and clock.is_open]
        if ticket.status in done and work:
            audit.problems.append(f"{where}: work clocks still open {[c.pk for c in work]}")
        paused = [clock.state == SlaClock.State.PAUSED for clock in work]
        if ticket.status in PAUSED_STATUSES and not all(paused):
            audit.problems.append(f"{where}: a work clock runs while the ticket waits")
        if ticket.status not in PAUSED_STATUSES and any(paused):
            audit.problems.append(f"{where}: a work clock is paused while the ticket is active")
    complaint_status = {}
    for complaint_id, to_status in (
        ComplaintEvent.objects.exclude(to_status="").order_by("id").values_list("complaint", "to_status")
    ):
        complaint_status[complaint_id] = to_status
    for complaint in Complaint.objects.all():
        audit.complaints_checked += 1
        if complaint.status not in ComplaintStatus.values or complaint_status.get(complaint.pk) != complaint.status:
            audit.problems.append(
                f"complaint {complaint.pk} ({complaint.status}): last event says {complaint_status.get(complaint.pk)}"
            )


_BEAT_REFUSED = re.compile(r"Couldn't apply scheduled task (\S+): (.*)")
_BROKER_DOWN = re.compile(r"connect|refused|reset|closed|timeout|broken pipe", re.IGNORECASE)


def audit_logs(audit: Audit, workers: list[CeleryProcess], beat: CeleryProcess) -> None:
    """Beat may fail to queue while Redis is down; for any other reason it is a bug (it was once)."""
    for name, reason in _BEAT_REFUSED.findall(beat.log_path.read_text(errors="replace")):
        if _BROKER_DOWN.search(reason):
            audit.beat_sends_lost_to_outages += 1
        else:
            audit.problems.append(f"beat could not queue {name}: {reason}")
    for worker in workers:
        log = worker.log_path.read_text(errors="replace")
        audit.tasks_failed += len(re.findall(r"Task \S+\[[0-9a-f-]+\] raised", log))
        audit.tasks_succeeded += len(re.findall(r"Task \S+\[[0-9a-f-]+\] succeeded", log))


def report(plan: ChaosPlan, counts: Counts, audit: Audit) -> str:
    final_sweep = f"{counts.final_sweep_warnings} / {counts.final_sweep_breaches}"
    final_delivery = f"{counts.requeued_after_kills} / {counts.final_delivery_sent}"
    durations = " / ".join(f"{counts.seconds.get(key, 0):.0f} s" for key in ("faults", "settle", "total"))
    rows = [
        ("workers (solo processes) / beat", f"{plan.workers} / 1 (every {plan.beat_seconds:g} s)"),
        ("kill -9 of a worker", f"{counts.worker_kills} ({counts.kills_of_busy_workers} mid-task)"),
        ("Redis crashes + restarts", counts.redis_restarts),
        (
            "PostgreSQL terminations + refusals",
            f"{counts.pg_terminations} ({counts.pg_backends_terminated} backends)",
        ),
        ("processes that exited by themselves", counts.unexpected_exits),
        ("worker tasks succeeded / raised", f"{audit.tasks_succeeded} / {audit.tasks_failed}"),
        ("beat sends lost while Redis was down", audit.beat_sends_lost_to_outages),
        ("tickets / complaints", f"{counts.tickets} / {counts.complaints}"),
        (
            "transitions done / refused / aborted",
            f"{counts.transitions} / {counts.transitions_refused} / {counts.transitions_aborted}",
        ),
        ("SLA clocks", audit.clocks),
        ("warnings recorded (due, checked)", f"{audit.warnings} ({audit.expected_warnings} required)"),
        ("breaches recorded (due, checked)", f"{audit.breaches} ({audit.expected_breaches} required)"),
        ("warnings due only before a stop (optional)", audit.optional_warnings),
        ("checkpoints within 2 s of a boundary (not judged)", audit.ambiguous),
        ("duplicate (clock, kind, threshold)", audit.duplicate_events),
        ("left to the final sweep: warnings / breaches", final_sweep),
        ("outbox messages", ", ".join(f"{k} {v}" for k, v in sorted(audit.messages.items())) or "0"),
        ("re-queued after kills / final delivery sent", final_delivery),
        ("emails in outbox / Message-IDs received", f"{audit.email_messages} / {audit.smtp_distinct}"),
        ("emails missing / unknown", f"{audit.smtp_missing} / {audit.smtp_unknown}"),
        ("repeat deliveries (after a kill mid-send)", f"{audit.smtp_repeats} ({audit.smtp_repeats_unexplained} other)"),
        ("tickets / complaints in an impossible state", "0" if not audit.problems else "see problems"),
        ("duration: faults / settle / total", durations),
        ("problems", len(audit.problems)),
    ]
    width = max(len(name) for name, _ in rows)
    lines = ["", "chaos run " + "-" * (width + 12)]
    lines += [f"  {name:<{width}}  {value}" for name, value in rows]
    lines += [f"  exited by itself ({count}x): {reason}" for reason, count in counts.exit_reasons.items()]
    lines += [f"  ! {problem}" for problem in audit.problems[:30]]
    return "\n".join(lines)
