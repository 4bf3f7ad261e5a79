"""Bulk synthetic history for benchmarks: ``manage.py synth_data --tickets N [--seed S]`` (CONTRACT §1).

The services write one ticket in tens of queries; a million tickets that way would take days. This
module replays the same lifecycle in memory instead and writes the rows with PostgreSQL ``COPY``
(one writer thread, so generating the next chunk overlaps with the database loading this one).

What it writes, for N tickets spread over the last N/1000 days (30 to 730):
- N/3 customers (5 % key accounts) in 4 regions, N/2 registered units of 5 product models;
- staff users in the role groups (agents, supervisors, certified technicians), unusable passwords;
- tickets with every transition as a ``TicketEvent`` (from/to status, actor), following the state
  machine of ``tickets.models.Ticket``: create → acknowledge → [wait_customer → resume] → diagnose
  → [wait_parts → parts_arrived] → dispatch → start_work → resolve → [confirm] → close, consultations
  acknowledge → resolve → close, and a few cancellations;
- the SLA clocks the services would have started (policy from the SLA matrix), each with its
  ``ClockEvent`` rows. The sweep is taken to have run all along: every warning and breach that fell
  due before a transition (or before *now*) is recorded once, a breach raises the ticket's
  ``escalation_level``, and running clocks get ``next_check_at`` = their next checkpoint after now;
  paused clocks have consumed time and no ``next_check_at``. Tickets created in the last days are
  still open, so the backlog (and the sweep's work) is what a desk with that intake would carry;
- a survey per resolution (40 % answered, with a ``rate`` event and the CSAT clock met), and
  1 complaint per 50 tickets about a closed ticket, closed (or withdrawn) with its events;
- ``NumberSequence`` rows bumped to the last number of every day, so ``ticket_create`` and
  ``complaint_create`` continue the sequences.

Not generated: outbox messages, follow-ups, parts, attachments, audit rows, and SLA clocks of
complaints (all synthetic complaints are finished, so they would only add met clocks).

It refuses a database that already has tickets (load into a fresh database: numbers, ids and the
backlog are only consistent on an empty one). Tracking tokens are derived from the seed and the
ticket id (``tracking_token_for``) so benchmarks can open tracking pages; never use synthetic data
next to real customers. Same ``seed`` and ``now`` → the same rows.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import queue
import random
import threading
import time
from base64 import urlsafe_b64encode
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction

from aftersales.core import clock as wall_clock
from aftersales.core.calendars.engine import CalendarSpec, add_business_time, business_time_between
from aftersales.core.calendars.services import DEFAULT_24X7_CODE, calendar_ensure_defaults, calendar_specs
from aftersales.core.models import (
    BusinessCalendar,
    ClockEvent,
    Customer,
    NumberSequence,
    Region,
    SlaClock,
    TrackingLink,
)
from aftersales.core.models.sla import BREACH_THRESHOLD
from aftersales.core.roles import AGENT, SUPERVISOR, TECHNICIAN
from aftersales.core.tracking import tracking_token_hash
from complaints.choices import Category, Cause, ResolutionType, Severity
from complaints.choices import Channel as ComplaintChannel
from complaints.choices import Status as ComplaintStatus
from complaints.models import Complaint, ComplaintEvent, ComplaintSlaPolicy
from warranty.choices import SalesChannel
from warranty.models import ProductCategory, ProductModel, RegisteredUnit

from .choices import Channel, ClockName, FunctionalTest, Priority, Status, TicketType
from .models import SlaPolicy, Survey, Technician, Ticket, TicketEvent
from .sla import CSAT_REPLY_WINDOW

CHUNK = 20_000  # tickets per generated chunk (and per COPY batch)
COMPLAINT_EVERY = 50
SURVEY_ANSWER_RATE = 0.4
ANSWERED_SCORES = (1, 2, 3, 4, 5)
SCORE_WEIGHTS = (3, 4, 10, 33, 50)
TYPES = (
    (TicketType.REPAIR, 55),
    (TicketType.INSTALLATION, 15),
    (TicketType.MAINTENANCE, 10),
    (TicketType.CONSULTATION, 15),
    (TicketType.RETURN_EXCHANGE, 5),
)
PRIORITIES = ((Priority.CRITICAL, 3), (Priority.HIGH, 17), (Priority.NORMAL, 65), (Priority.LOW, 15))
CHANNELS = (
    (Channel.PHONE, 50),
    (Channel.WEB, 20),
    (Channel.APP, 10),
    (Channel.WECHAT, 15),
    (Channel.EMAIL, 3),
    (Channel.WALK_IN, 2),
)
_ON_SITE_TYPES = {TicketType.REPAIR, TicketType.INSTALLATION, TicketType.MAINTENANCE}
_WORK_CLOCKS = (ClockName.FIRST_RESPONSE, ClockName.ON_SITE, ClockName.RESOLUTION)
MINUTE = 60
HOUR = 3600
DAY = 86400


class SynthRefused(Exception):
    """The database already has tickets."""


def tracking_token_for(seed: int, ticket_id: int, prefix: str = "t") -> str:
    """The tracking token of a synthetic ticket (``prefix="c"``: complaint); only its hash is stored."""
    digest = hashlib.sha256(f"synth:{seed}:{prefix}:{ticket_id}".encode()).digest()
    return urlsafe_b64encode(digest[:24]).decode()


# --- COPY ---------------------------------------------------------------------------------------


def _escape(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _json(value) -> str:
    return _escape(json.dumps(value, ensure_ascii=False))


_FORMATS: dict[type, Callable] = {
    str: _escape,
    int: str,
    Decimal: str,
    bool: lambda value: "t" if value else "f",
    datetime: datetime.isoformat,
    date: date.isoformat,
    type(None): lambda value: "\\N",
    dict: _json,
    list: _json,
}


def _value(value) -> str:
    """One value in COPY's text format (choice enums are written as their value)."""
    format_ = _FORMATS.get(type(value))
    return format_(value) if format_ else _escape(str(value))


class Table:
    """Rows for one model's table: the given columns, then every other column at its default."""

    def __init__(self, model: type[models.Model], attnames: Iterable[str], now: datetime) -> None:
        self.model = model
        self.attnames = list(attnames)
        given = set(self.attnames)
        rest = []
        for item in model._meta.concrete_fields:
            if item.attname in given or (item.primary_key and item.attname == "id"):
                continue
            rest.append((item.column, _value(self._default(item, now))))
        self.columns = ["id", *(model._meta.get_field(name).column for name in self.attnames)]
        self.columns += [column for column, _ in rest]
        self.suffix = "".join("\t" + text for _, text in rest) + "\n"
        self.buffer = io.StringIO()
        self.count = 0
        self.total = 0

    @staticmethod
    def _default(item: models.Field, now: datetime):
        if getattr(item, "auto_now", False) or getattr(item, "auto_now_add", False):
            return now
        if item.has_default():
            return item.get_default()
        if item.null:
            return None
        if item.blank and isinstance(item, models.CharField | models.TextField | models.FileField):
            return ""
        raise ValueError(f"synth: no value for {item.model.__name__}.{item.name}")

    def add(self, pk: int, values: tuple) -> None:
        self.buffer.write(f"{pk}\t" + "\t".join([_value(value) for value in values]) + self.suffix)
        self.count += 1
        self.total += 1

    def take(self) -> tuple[str, list[str], io.StringIO] | None:
        if not self.count:
            return None
        buffer, self.buffer, self.count = self.buffer, io.StringIO(), 0
        buffer.seek(0)
        return self.model._meta.db_table, self.columns, buffer


class CopyWriter:
    """COPY batches on a second connection in a thread, so the database loads while Python generates."""

    def __init__(self) -> None:
        import psycopg2

        params = connection.get_connection_params()
        self._connection = psycopg2.connect(**params)
        with self._connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
        self._connection.commit()
        try:
            # Rows are consistent by construction; skipping the per-row foreign-key triggers halves the
            # load time. Needs a superuser (true for the benchmark database); otherwise checks stay on.
            with self._connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = replica")
            self._connection.commit()
        except psycopg2.Error:
            self._connection.rollback()
        self._queue: queue.Queue = queue.Queue(maxsize=3)
        self._error: BaseException | None = None
        self.rows = 0
        self.seconds: dict[str, float] = {}
        self._thread = threading.Thread(target=self._run, name="synth-copy", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error:
                continue
            table, columns, buffer = item
            began = time.perf_counter()
            try:
                with self._connection.cursor() as cursor:
                    quoted = ", ".join(f'"{column}"' for column in columns)
                    cursor.copy_expert(f'COPY "{table}" ({quoted}) FROM STDIN', buffer)
                self._connection.commit()
                self.seconds[table] = self.seconds.get(table, 0.0) + time.perf_counter() - began
            except BaseException as error:  # reported to the generating thread by put()/close()
                self._error = error

    def put(self, *tables: Table) -> None:
        if self._error:
            raise self._error
        for table in tables:
            self.rows += table.count
            if (item := table.take()) is not None:
                self._queue.put(item)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        self._connection.close()
        if self._error:
            raise self._error


def _next_id(model: type[models.Model]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{model._meta.db_table}"')  # noqa: S608
        return cursor.fetchone()[0]


# Tables whose secondary indexes are dropped during the load and rebuilt after it (much faster than
# maintaining them row by row). Unique and primary-key constraints stay.
_REBUILT = (Ticket, TicketEvent, SlaClock, ClockEvent, Survey, Customer, RegisteredUnit)


def _drop_secondary_indexes(models_: Iterable[type[models.Model]]) -> list[str]:
    tables = [model._meta.db_table for model in models_]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ANY(%s) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [tables],
        )
        found = cursor.fetchall()
        for name, _ in found:
            cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in found]


def _create_indexes(definitions: Iterable[str]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '256MB'")
        for definition in definitions:
            cursor.execute(definition)


def _reset_sequence(model: type[models.Model]) -> None:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE((SELECT MAX(id) FROM \"{table}\"), 1))",  # noqa: S608
            [table],
        )


# --- SLA clocks, replayed -----------------------------------------------------------------------


class SimClock:
    """An ``SlaClock`` replayed in memory with the rules of aftersales/core/sla (services, evaluation).

    ``catch_up`` is the sweep that ran all along: every checkpoint at or before a moment is recorded
    once, with ``recorded_at`` up to a minute later (the beat interval).
    """

    __slots__ = (
        "breached_at",
        "calendar_id",
        "cancelled_at",
        "consumed",
        "cycle",
        "due_at",
        "events",
        "met_at",
        "name",
        "paused_at",
        "paused_seconds",
        "pk",
        "recorded",
        "segment_started_at",
        "spec",
        "started_at",
        "state",
        "target",
        "thresholds",
    )

    def __init__(self, pk, name, target, thresholds, calendar_id, spec, at, cycle=1) -> None:
        self.pk, self.name, self.cycle, self.target = pk, name, cycle, target
        self.thresholds = sorted({int(p) for p in thresholds if 0 < int(p) < BREACH_THRESHOLD})
        self.calendar_id, self.spec = calendar_id, spec
        self.state = SlaClock.State.RUNNING
        self.started_at = self.segment_started_at = at
        self.consumed = self.paused_seconds = 0
        self.paused_at = self.met_at = self.breached_at = self.cancelled_at = None
        self.due_at = self._add(at, target)
        self.recorded: set[int] = set()
        self.events = [(ClockEvent.Kind.STARTED, None, at, at, 0)]

    def _add(self, start: datetime, seconds: int) -> datetime:
        if self.spec.always_open:
            return start + timedelta(seconds=seconds)
        return add_business_time(start, timedelta(seconds=seconds), self.spec)

    def _between(self, start: datetime, end: datetime) -> int:
        if self.spec.always_open:
            return max(int((end - start).total_seconds()), 0)
        return max(int(business_time_between(start, end, self.spec).total_seconds()), 0)

    def checkpoints(self):
        for percent in (*self.thresholds, BREACH_THRESHOLD):
            left = max(self.target * percent // 100 - self.consumed, 0)
            yield percent, self._add(self.segment_started_at, left)

    def counting(self) -> bool:
        return self.state in (SlaClock.State.RUNNING, SlaClock.State.BREACHED)

    def catch_up(self, at: datetime) -> int:
        """Record what fell due by ``at``; returns the number of breaches recorded."""
        if not self.counting():
            return 0
        breaches = 0
        for percent, moment in self.checkpoints():
            if moment > at:
                break
            if percent in self.recorded:
                continue
            self.recorded.add(percent)
            recorded_at = min(moment + timedelta(seconds=30), at)
            if percent >= BREACH_THRESHOLD:
                self.events.append((ClockEvent.Kind.BREACHED, percent, moment, recorded_at, self.target))
                self.state = SlaClock.State.BREACHED
                self.breached_at = self.breached_at or moment
                breaches += 1
            else:
                consumed = self.target * percent // 100
                self.events.append((ClockEvent.Kind.WARNING, percent, moment, recorded_at, consumed))
        return breaches

    def next_check_at(self, now: datetime) -> datetime | None:
        if not self.counting():
            return None
        for percent, moment in self.checkpoints():
            if moment > now and percent not in self.recorded:
                return moment
        return None

    def _consume(self, at: datetime) -> None:
        self.consumed += self._between(self.segment_started_at, at)
        self.segment_started_at = None

    def pause(self, at: datetime) -> int:
        breaches = self.catch_up(at)
        self._consume(at)
        self.state, self.paused_at = SlaClock.State.PAUSED, at
        self.events.append((ClockEvent.Kind.PAUSED, None, at, at, self.consumed))
        return breaches

    def resume(self, at: datetime) -> None:
        self.paused_seconds += max(int((at - self.paused_at).total_seconds()), 0)
        self.paused_at, self.segment_started_at = None, at
        self.state = SlaClock.State.BREACHED if self.breached_at else SlaClock.State.RUNNING
        if self.breached_at is None:
            self.due_at = self._add(at, max(self.target - self.consumed, 0))
        self.events.append((ClockEvent.Kind.RESUMED, None, at, at, self.consumed))

    def _finish(self, at: datetime, state: str) -> int:
        breaches = 0
        if self.state == SlaClock.State.PAUSED:
            self.paused_seconds += max(int((at - self.paused_at).total_seconds()), 0)
            self.paused_at = None
        else:
            breaches = self.catch_up(at)
            self._consume(at)
        self.state = state
        return breaches

    def stop(self, at: datetime) -> int:
        breaches = self._finish(at, SlaClock.State.MET)
        self.met_at = at
        self.events.append((ClockEvent.Kind.MET, None, at, at, self.consumed))
        return breaches

    def cancel(self, at: datetime) -> int:
        breaches = self._finish(at, SlaClock.State.CANCELLED)
        self.cancelled_at = at
        self.events.append((ClockEvent.Kind.CANCELLED, None, at, at, self.consumed))
        return breaches


# --- the generator ------------------------------------------------------------------------------


@dataclass
class SynthResult:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    open_tickets: int = 0
    open_clocks: int = 0  # running, paused or breached (unanswered CSAT clocks stay breached)
    counting_clocks: int = 0  # with a next_check_at: what the sweep will look at


def _weighted(rng: random.Random, pairs) -> Callable[[], str]:
    values = [value for value, _ in pairs]
    cumulative = []
    total = 0
    for _, weight in pairs:
        total += weight
        cumulative.append(total)

    def pick() -> str:
        return values[bisect_left(cumulative, rng.random() * total)]

    return pick


def _staff(count: int, role: str, prefix: str) -> list:
    """Synthetic staff in a role group (unusable passwords: benchmarks set one where they log in)."""
    user_model = get_user_model()
    group = Group.objects.get(name=role)
    users = []
    for index in range(1, count + 1):
        user, created = user_model.objects.get_or_create(
            username=f"synth_{prefix}{index:03d}", defaults={"is_staff": True, "first_name": f"{prefix} {index}"}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            user.groups.add(group)
        users.append(user)
    return users


@dataclass
class _Reference:
    regions: list
    product_models: list
    agents: list
    supervisors: list
    technicians: list
    policies: dict
    specs: dict[int, CalendarSpec]
    always_calendar_id: int
    complaint_policies: dict
    ticket_type_id: int


def _reference(tickets: int, today: date) -> _Reference:
    calendar_ensure_defaults()
    regions = [
        Region.objects.get_or_create(code=f"synth-{code}", defaults={"name": f"Synthetic {code}"})[0]
        for code in ("east", "north", "south", "west")
    ]
    category, _ = ProductCategory.objects.get_or_create(code="synth-ac", defaults={"name": "Synthetic AC"})
    product_models = [
        ProductModel.objects.get_or_create(
            code=f"SYN-{index}", defaults={"name": f"SYN-{index}", "category": category}
        )[0]
        for index in range(1, 6)
    ]
    technicians = _staff(max(10, min(200, tickets // 5000)), TECHNICIAN, "tech")
    for index, user in enumerate(technicians):
        profile, created = Technician.objects.get_or_create(
            user=user,
            defaults={
                "region": regions[index % len(regions)],
                "knowledge_score": 90,
                "skill_score": 90,
                "behaviour_score": 90,
                "certified_on": today - timedelta(days=800),
            },
        )
        if created:
            profile.skills.add(category)
    policies = {}
    for policy in SlaPolicy.objects.all():
        policies[(policy.ticket_type, policy.priority, policy.customer_tier)] = policy
    calendar_ids = {policy.calendar_id for policy in policies.values()}
    always = BusinessCalendar.objects.get(code=DEFAULT_24X7_CODE)
    return _Reference(
        regions=regions,
        product_models=product_models,
        agents=_staff(8, AGENT, "agent"),
        supervisors=_staff(2, SUPERVISOR, "supervisor"),
        technicians=technicians,
        policies=policies,
        specs=calendar_specs(calendar_ids | {always.pk}),
        always_calendar_id=always.pk,
        complaint_policies={policy.severity: policy for policy in ComplaintSlaPolicy.objects.all()},
        ticket_type_id=ContentType.objects.get_for_model(Ticket).pk,
    )


def _policy(reference: _Reference, ticket_type: str, priority: str, tier: str) -> SlaPolicy | None:
    policies = reference.policies
    return policies.get((ticket_type, priority, tier)) or policies.get((ticket_type, priority, ""))


class _Numbers:
    """``T``/``C`` + local date + daily sequence, as ``number_next`` would hand them out in time order."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.last: dict[date, int] = {}
        self.zone = ZoneInfo(settings.TIME_ZONE)

    def next(self, at: datetime) -> str:
        day = at.astimezone(self.zone).date()
        value = self.last.get(day, 0) + 1
        self.last[day] = value
        return f"{self.prefix}{day:%Y%m%d}{value:05d}"

    def save(self) -> None:
        # Never lower a counter: an existing higher value (none on a fresh database) wins.
        rows = [NumberSequence(prefix=self.prefix, day=day, last_value=value) for day, value in self.last.items()]
        for start in range(0, len(rows), 5000):
            batch = rows[start : start + 5000]
            existing = {
                row.day: row
                for row in NumberSequence.objects.filter(prefix=self.prefix, day__in=[item.day for item in batch])
            }
            new = [row for row in batch if row.day not in existing]
            NumberSequence.objects.bulk_create(new)
            for row in batch:
                if row.day in existing and existing[row.day].last_value < row.last_value:
                    NumberSequence.objects.filter(pk=existing[row.day].pk).update(last_value=row.last_value)


class _Generator:
    def __init__(self, *, tickets: int, seed: int, now: datetime, reference: _Reference, log) -> None:
        self.total = tickets
        self.seed = seed
        self.now = now
        self.ref = reference
        self.log = log
        self.rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
        self.span_days = min(730, max(30, math.ceil(tickets / 1000)))
        self.writer = CopyWriter()
        self.result = SynthResult()
        self.ticket_numbers = _Numbers("T")
        self.complaint_numbers = _Numbers("C")
        self.pending_complaints: list[tuple] = []
        self.links = Table(TrackingLink, ["token_hash", "content_type_id", "object_id", "purpose", "created_at"], now)
        self.next_link = _next_id(TrackingLink)

    def link(self, pk: int, model: type[models.Model], prefix: str, created: datetime) -> None:
        """The case's intake link; its token is ``tracking_token_for`` (benchmarks open tracking pages)."""
        token_hash = tracking_token_hash(tracking_token_for(self.seed, pk, prefix))
        content_type = ContentType.objects.get_for_model(model).pk
        self.links.add(self.next_link, (token_hash, content_type, pk, TrackingLink.Purpose.INTAKE, created))
        self.next_link += 1

    # customers and units ---------------------------------------------------------------------
    def customers_and_units(self) -> None:
        rng = self.rng
        now = self.now
        customers = Table(Customer, ["name", "phone", "email", "address", "region_id", "tier", "created_at"], now)
        self.customer_count = max(10, self.total // 3)
        self.first_customer = _next_id(Customer)
        self.customer_region, self.customer_tier = [], []
        earliest = now - timedelta(days=self.span_days + 400)
        for index in range(self.customer_count):
            region = self.ref.regions[index % len(self.ref.regions)]
            tier = Customer.Tier.KEY_ACCOUNT if rng.random() < 0.05 else Customer.Tier.STANDARD
            self.customer_region.append(region.pk)
            self.customer_tier.append(tier)
            customers.add(
                self.first_customer + index,
                (
                    f"客户{index}",
                    f"139{index:08d}",
                    f"c{index}@example.com" if index % 4 == 0 else "",
                    f"上海市浦东新区世纪大道 {index} 号",
                    region.pk,
                    tier,
                    earliest,
                ),
            )
            if customers.count >= 50_000:
                self.writer.put(customers)
        self.writer.put(customers)
        units = Table(
            RegisteredUnit,
            ["serial", "product_model_id", "customer_id", "purchase_date", "sales_channel", "install_date"],
            now,
        )
        self.unit_count = max(10, self.total // 2)
        self.first_unit = _next_id(RegisteredUnit)
        first_day = (now - timedelta(days=self.span_days + 365)).date()
        channels = list(SalesChannel.values)
        for index in range(self.unit_count):
            purchased = first_day + timedelta(days=rng.randrange(365))
            units.add(
                self.first_unit + index,
                (
                    f"SYN{self.seed:04d}{index:09d}",
                    self.ref.product_models[index % len(self.ref.product_models)].pk,
                    self.first_customer + index % self.customer_count,
                    purchased,
                    channels[index % len(channels)],
                    purchased + timedelta(days=rng.randrange(10)) if index % 3 else None,
                ),
            )
            if units.count >= 50_000:
                self.writer.put(units)
        self.writer.put(units)
        self.result.counts["customers"] = self.customer_count
        self.result.counts["units"] = self.unit_count

    # tickets ---------------------------------------------------------------------------------
    def tickets(self) -> None:
        rng = self.rng
        now = self.now
        start = now - timedelta(days=self.span_days)
        span = (now - start).total_seconds()
        created = sorted(rng.random() * span for _ in range(self.total))
        self.pick_type = _weighted(rng, TYPES)
        self.pick_priority = _weighted(rng, PRIORITIES)
        self.pick_channel = _weighted(rng, CHANNELS)
        self.pick_score = _weighted(rng, list(zip(ANSWERED_SCORES, SCORE_WEIGHTS, strict=True)))
        self.next_ticket = _next_id(Ticket)
        self.next_event = _next_id(TicketEvent)
        self.next_clock = _next_id(SlaClock)
        self.next_clock_event = _next_id(ClockEvent)
        self.next_survey = _next_id(Survey)
        self.tables = {
            "ticket": Table(
                Ticket,
                [
                    "number",
                    "ticket_type",
                    "channel",
                    "priority",
                    "status",
                    "customer_id",
                    "unit_id",
                    "region_id",
                    "description",
                    "assignee_id",
                    "sla_policy_id",
                    "escalation_level",
                    "resume_status",
                    "fault_cause",
                    "diagnosis",
                    "appointment_at",
                    "resolution",
                    "functional_test",
                    "first_visit_fixed",
                    "visits",
                    "created_at",
                    "acknowledged_at",
                    "resolved_at",
                    "closed_at",
                    "cancelled_at",
                    "updated_at",
                ],
                now,
            ),
            "event": Table(
                TicketEvent,
                ["ticket_id", "action", "from_status", "to_status", "actor_id", "by_customer", "data", "created_at"],
                now,
            ),
            "clock": Table(
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
            ),
            "clock_event": Table(
                ClockEvent,
                ["clock_id", "kind", "threshold", "occurred_at", "recorded_at", "consumed_seconds", "actor_id"],
                now,
            ),
            "survey": Table(Survey, ["ticket_id", "cycle", "sent_at", "score", "answered_at"], now),
            # Each case's tracking link (core.TrackingLink: the hash only), as its intake would issue it.
            "link": self.links,
        }
        began = time.perf_counter()
        for index, offset in enumerate(created):
            self.ticket(start + timedelta(seconds=offset))
            if (index + 1) % CHUNK == 0:
                self.flush()
                if (index + 1) % (CHUNK * 10) == 0:
                    rate = (index + 1) / (time.perf_counter() - began)
                    self.log(f"  {index + 1:,} tickets ({rate:,.0f}/s)")
        self.flush()
        for name, key in (
            ("ticket", "tickets"),
            ("event", "ticket_events"),
            ("clock", "clocks"),
            ("clock_event", "clock_events"),
            ("survey", "surveys"),
        ):
            self.result.counts[key] = self.tables[name].total

    def flush(self) -> None:
        tables = self.tables
        self.writer.put(
            tables["ticket"], tables["event"], tables["clock"], tables["clock_event"], tables["survey"], tables["link"]
        )

    def _event(self, ticket_id, action, before, after, actor, at, *, by_customer=False, data=None) -> None:
        self.tables["event"].add(
            self.next_event,
            (ticket_id, action, before, after, actor, by_customer, json.dumps(data) if data else "{}", at),
        )
        self.next_event += 1

    def _plan(self, ticket_type: str, created: datetime, policy) -> list[tuple[str, datetime]]:
        """The whole life of a ticket as (action, when); the caller replays what happened by now."""
        rng = self.rng
        first_response = (policy.first_response_minutes if policy else 24 * 60) * MINUTE
        resolution = (policy.resolution_minutes if policy else 72 * 60) * MINUTE
        on_site = (policy.on_site_minutes or 0) * MINUTE if policy else 0

        def spread(scale: float, cap: float = 3.0) -> float:
            return min(rng.expovariate(1 / scale), cap)

        if rng.random() < 0.02:  # withdrawn before anyone answered
            return [("cancel", created + timedelta(seconds=max(60, first_response * spread(0.2))))]
        at = created + timedelta(seconds=max(60, first_response * spread(0.3)))
        steps = [("acknowledge", at)]
        if rng.random() < 0.10:
            at += timedelta(seconds=rng.randrange(5 * MINUTE, 2 * HOUR))
            steps.append(("wait_customer", at))
            at += timedelta(seconds=rng.randrange(2 * HOUR, 3 * DAY))
            steps.append(("resume", at))
        if ticket_type == TicketType.CONSULTATION:
            at = max(at + timedelta(minutes=10), created + timedelta(seconds=resolution * spread(0.25)))
            steps.append(("resolve", at))
        else:
            at += timedelta(seconds=rng.randrange(10 * MINUTE, 4 * HOUR))
            steps.append(("diagnose", at))
            if rng.random() < 0.03:
                at += timedelta(seconds=rng.randrange(HOUR, DAY))
                steps.append(("cancel", at))
                return steps
            if rng.random() < 0.08:
                at += timedelta(seconds=rng.randrange(10 * MINUTE, 2 * HOUR))
                steps.append(("wait_parts", at))
                at += timedelta(seconds=rng.randrange(DAY, 5 * DAY))
                steps.append(("parts_arrived", at))
            at += timedelta(seconds=rng.randrange(10 * MINUTE, 3 * HOUR))
            steps.append(("dispatch", at))
            target = on_site or resolution // 2
            at = max(at + timedelta(minutes=30), created + timedelta(seconds=target * spread(0.35)))
            steps.append(("start_work", at))
            at += timedelta(seconds=rng.randrange(30 * MINUTE, 5 * HOUR))
            steps.append(("resolve", at))
        resolved = at
        after = []
        if rng.random() < 0.6:
            at += timedelta(seconds=rng.randrange(HOUR, 2 * DAY))
            after.append(("confirm", at))
        at += timedelta(seconds=rng.randrange(HOUR, 3 * DAY))
        after.append(("close", at))
        if rng.random() < SURVEY_ANSWER_RATE:
            after.append(("rate", resolved + timedelta(seconds=rng.randrange(HOUR, 5 * DAY))))
        after.sort(key=lambda step: step[1])
        return steps + after

    def ticket(self, created: datetime) -> None:
        rng = self.rng
        ref = self.ref
        ticket_id = self.next_ticket
        self.next_ticket += 1
        ticket_type = self.pick_type()
        priority = self.pick_priority()
        channel = self.pick_channel()
        if ticket_type == TicketType.CONSULTATION:
            customer_index, unit_id = rng.randrange(self.customer_count), None
        else:
            unit_index = rng.randrange(self.unit_count)
            customer_index, unit_id = unit_index % self.customer_count, self.first_unit + unit_index
        customer_id = self.first_customer + customer_index
        policy = _policy(ref, ticket_type, priority, self.customer_tier[customer_index])
        agent = ref.agents[ticket_id % len(ref.agents)].pk
        technician = ref.technicians[rng.randrange(len(ref.technicians))]
        status = Status.NEW
        fields = {
            "assignee_id": None,
            "resume_status": "",
            "fault_cause": "",
            "diagnosis": "",
            "appointment_at": None,
            "resolution": "",
            "functional_test": "",
            "first_visit_fixed": None,
            "visits": 0,
            "acknowledged_at": None,
            "resolved_at": None,
            "closed_at": None,
            "cancelled_at": None,
        }
        escalation = 0
        clocks: list[SimClock] = []
        csat: SimClock | None = None
        survey = None
        updated = created
        self._event(
            ticket_id,
            "create",
            "",
            Status.NEW,
            None,
            created,
            by_customer=True,
            data={"channel": channel, "priority": priority},
        )

        def start(name: str, seconds: int, at: datetime, calendar_id: int, thresholds) -> SimClock:
            clock = SimClock(self.next_clock, name, seconds, thresholds, calendar_id, ref.specs[calendar_id], at)
            self.next_clock += 1
            return clock

        if policy is not None:
            thresholds = policy.thresholds
            clocks.append(
                start(
                    ClockName.FIRST_RESPONSE,
                    policy.first_response_minutes * MINUTE,
                    created,
                    policy.calendar_id,
                    thresholds,
                )
            )
            if policy.on_site_minutes and ticket_type in _ON_SITE_TYPES:
                clocks.append(
                    start(ClockName.ON_SITE, policy.on_site_minutes * MINUTE, created, policy.calendar_id, thresholds)
                )
            clocks.append(
                start(ClockName.RESOLUTION, policy.resolution_minutes * MINUTE, created, policy.calendar_id, thresholds)
            )

        def open_work(names=_WORK_CLOCKS) -> list[SimClock]:
            return [clock for clock in clocks if clock.name in names and clock.state not in ("met", "cancelled")]

        for action, at in self._plan(ticket_type, created, policy):
            if at > self.now:
                break
            before = status
            actor, by_customer, data = agent, False, None
            if action == "acknowledge":
                status = Status.ACKNOWLEDGED
                fields["acknowledged_at"] = at
                for clock in open_work((ClockName.FIRST_RESPONSE,)):
                    escalation += clock.stop(at)
            elif action in ("wait_customer", "wait_parts"):
                fields["resume_status"] = status
                status = Status.AWAITING_CUSTOMER if action == "wait_customer" else Status.AWAITING_PARTS
                for clock in open_work():
                    if clock.state != "paused":
                        escalation += clock.pause(at)
            elif action in ("resume", "parts_arrived"):
                status = fields["resume_status"] or Status.ACKNOWLEDGED
                for clock in open_work():
                    if clock.state == "paused":
                        clock.resume(at)
            elif action == "diagnose":
                status, actor = Status.DIAGNOSING, technician.pk
                fields["fault_cause"], fields["diagnosis"] = "component_failure", "Synthetic diagnosis."
                data = {"fault_cause": "component_failure", "entitlement": None}
            elif action == "dispatch":
                status, actor = Status.DISPATCHED, ref.supervisors[0].pk
                fields["assignee_id"] = technician.pk
                fields["appointment_at"] = at + timedelta(hours=2)
                data = {"technician": technician.username, "appointment_at": fields["appointment_at"].isoformat()}
            elif action == "start_work":
                status, actor = Status.IN_PROGRESS, technician.pk
                fields["visits"] += 1
                for clock in open_work((ClockName.ON_SITE,)):
                    escalation += clock.stop(at)
            elif action == "resolve":
                status = Status.RESOLVED
                actor = technician.pk if ticket_type != TicketType.CONSULTATION else agent
                fields["resolution"], fields["functional_test"] = "Synthetic resolution.", FunctionalTest.PASSED
                if ticket_type == TicketType.CONSULTATION:
                    fields["functional_test"] = FunctionalTest.NOT_APPLICABLE
                fields["resolved_at"] = at
                fields["first_visit_fixed"] = fields["visits"] <= 1
                data = {"functional_test": fields["functional_test"]}
                for clock in open_work():
                    escalation += clock.stop(at)
                csat = SimClock(
                    self.next_clock,
                    ClockName.CSAT_REPLY,
                    int(CSAT_REPLY_WINDOW.total_seconds()),
                    [50, 75, 90],
                    ref.always_calendar_id,
                    ref.specs[ref.always_calendar_id],
                    at,
                )
                self.next_clock += 1
                clocks.append(csat)
                survey = [at, None, None]
            elif action == "confirm":
                status, actor, by_customer = Status.CONFIRMED, None, True
            elif action == "close":
                status = Status.CLOSED
                fields["closed_at"] = at
            elif action == "cancel":
                status = Status.CANCELLED
                fields["cancelled_at"] = at
                for clock in open_work():
                    escalation += clock.cancel(at)
            elif action == "rate":
                score = self.pick_score()
                survey[1], survey[2] = score, at
                csat.stop(at)
                self._event(ticket_id, "rate", "", "", None, at, by_customer=True, data={"score": score})
                updated = at
                continue
            self._event(ticket_id, action, before, status, actor, at, by_customer=by_customer, data=data)
            updated = at
        if csat is not None:
            csat.catch_up(self.now)  # an unanswered survey's clock breaches after 7 days (no escalation)
        for clock in clocks:
            if clock.name != ClockName.CSAT_REPLY:
                escalation += clock.catch_up(self.now)
        tables = self.tables
        self.link(ticket_id, Ticket, "t", created)
        tables["ticket"].add(
            ticket_id,
            (
                self.ticket_numbers.next(created),
                ticket_type,
                channel,
                priority,
                status,
                customer_id,
                unit_id,
                self.customer_region[customer_index],
                "Synthetic request.",
                fields["assignee_id"],
                policy.pk if policy else None,
                escalation,
                fields["resume_status"],
                fields["fault_cause"],
                fields["diagnosis"],
                fields["appointment_at"],
                fields["resolution"],
                fields["functional_test"],
                fields["first_visit_fixed"],
                fields["visits"],
                created,
                fields["acknowledged_at"],
                fields["resolved_at"],
                fields["closed_at"],
                fields["cancelled_at"],
                updated,
            ),
        )
        if status not in (Status.CLOSED, Status.CANCELLED, Status.RESOLVED, Status.CONFIRMED):
            self.result.open_tickets += 1
        for clock in clocks:
            self._write_clock(ticket_id, clock)
        if survey is not None:
            tables["survey"].add(self.next_survey, (ticket_id, 1, survey[0], survey[1], survey[2]))
            self.next_survey += 1
        if (
            status == Status.CLOSED
            and fields["closed_at"] < self.now - timedelta(days=14)
            and rng.random() < 1 / COMPLAINT_EVERY
        ):
            self.pending_complaints.append((fields["closed_at"], ticket_id, customer_id, unit_id, rng.random()))

    def _write_clock(self, ticket_id: int, clock: SimClock) -> None:
        next_check = clock.next_check_at(self.now)
        if clock.state in ("running", "paused", "breached"):
            self.result.open_clocks += 1
        if next_check is not None:
            self.result.counting_clocks += 1
        self.tables["clock"].add(
            clock.pk,
            (
                self.ref.ticket_type_id,
                ticket_id,
                clock.name,
                clock.cycle,
                clock.calendar_id,
                clock.target,
                clock.thresholds,
                clock.state,
                clock.started_at,
                clock.segment_started_at,
                clock.consumed,
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
        table = self.tables["clock_event"]
        for kind, threshold, occurred, recorded, consumed in clock.events:
            table.add(self.next_clock_event, (clock.pk, kind, threshold, occurred, recorded, consumed, None))
            self.next_clock_event += 1

    # complaints ------------------------------------------------------------------------------
    def complaints(self) -> None:
        rng = self.rng
        now = self.now
        complaints = Table(
            Complaint,
            [
                "number",
                "channel",
                "category",
                "severity",
                "status",
                "customer_id",
                "unit_id",
                "description",
                "owner_id",
                "sla_policy_id",
                "promised_by",
                "cause",
                "findings",
                "resolution_type",
                "resolution",
                "proposed_by_id",
                "approved_by_id",
                "approved_at",
                "created_at",
                "acknowledged_at",
                "proposed_at",
                "confirmed_at",
                "closed_at",
                "withdrawn_at",
                "updated_at",
            ],
            now,
        )
        events = Table(
            ComplaintEvent,
            ["complaint_id", "action", "from_status", "to_status", "actor_id", "by_customer", "data", "created_at"],
            now,
        )
        links = Table(Complaint.tickets.through, ["complaint_id", "ticket_id"], now)
        next_complaint = _next_id(Complaint)
        next_event = _next_id(ComplaintEvent)
        next_link = _next_id(Complaint.tickets.through)
        categories = list(Category.values)
        channels = list(ComplaintChannel.values)
        owner = self.ref.supervisors[-1].pk
        self.pending_complaints.sort()
        for closed_at, ticket_id, customer_id, unit_id, draw in self.pending_complaints:
            pk = next_complaint
            next_complaint += 1
            severity = Severity.GENERAL if draw < 0.85 else Severity.MAJOR if draw < 0.98 else Severity.CRITICAL
            policy = self.ref.complaint_policies.get(severity)
            created = closed_at + timedelta(seconds=rng.randrange(HOUR, 7 * DAY))
            category = categories[rng.randrange(len(categories))]
            steps = [("create", "", ComplaintStatus.RECEIVED, None, True, created)]
            at = created + timedelta(seconds=rng.randrange(10 * MINUTE, 8 * HOUR))
            values = {"acknowledged_at": None, "proposed_at": None, "confirmed_at": None, "closed_at": None}
            values["withdrawn_at"] = None
            if draw > 0.95:  # 5 %: the customer withdrew it
                steps.append(("withdraw", ComplaintStatus.RECEIVED, ComplaintStatus.WITHDRAWN, None, True, at))
                status, values["withdrawn_at"] = ComplaintStatus.WITHDRAWN, at
                cause = resolution_type = ""
            else:
                values["acknowledged_at"] = at
                steps.append(("acknowledge", ComplaintStatus.RECEIVED, ComplaintStatus.ACKNOWLEDGED, owner, False, at))
                at += timedelta(seconds=rng.randrange(HOUR, DAY))
                steps.append(
                    ("investigate", ComplaintStatus.ACKNOWLEDGED, ComplaintStatus.INVESTIGATING, owner, False, at)
                )
                at += timedelta(seconds=rng.randrange(HOUR, 3 * DAY))
                values["proposed_at"] = at
                steps.append(
                    ("propose_resolution", ComplaintStatus.INVESTIGATING, ComplaintStatus.PROPOSED, owner, False, at)
                )
                at += timedelta(seconds=rng.randrange(HOUR, 2 * DAY))
                values["confirmed_at"] = at
                steps.append(("confirm", ComplaintStatus.PROPOSED, ComplaintStatus.CONFIRMED, None, True, at))
                at += timedelta(seconds=rng.randrange(HOUR, DAY))
                values["closed_at"] = at
                steps.append(("close", ComplaintStatus.CONFIRMED, ComplaintStatus.CLOSED, owner, False, at))
                status, cause, resolution_type = ComplaintStatus.CLOSED, Cause.SERVICE, ResolutionType.EXPLANATION
            proposed = status == ComplaintStatus.CLOSED
            complaints.add(
                pk,
                (
                    self.complaint_numbers.next(created),
                    channels[rng.randrange(len(channels))],
                    category,
                    severity,
                    status,
                    customer_id,
                    unit_id,
                    "Synthetic complaint.",
                    owner if proposed else None,
                    policy.pk if policy else None,
                    values["acknowledged_at"] + timedelta(days=3) if proposed else None,
                    cause,
                    "Synthetic findings." if proposed else "",
                    resolution_type,
                    "Synthetic resolution." if proposed else "",
                    owner if proposed else None,
                    owner if proposed else None,
                    values["proposed_at"],
                    created,
                    values["acknowledged_at"],
                    values["proposed_at"],
                    values["confirmed_at"],
                    values["closed_at"],
                    values["withdrawn_at"],
                    at,
                ),
            )
            for action, before, after, actor, by_customer, when in steps:
                data = {"channel": "phone", "severity": severity, "category": category} if action == "create" else {}
                events.add(next_event, (pk, action, before, after, actor, by_customer, data, when))
                next_event += 1
            links.add(next_link, (pk, ticket_id))
            next_link += 1
            self.link(pk, Complaint, "c", created)
        self.result.counts["complaints"] = complaints.total
        self.result.counts["complaint_events"] = events.total
        self.writer.put(complaints, events, links, self.links)


def synth_history(*, tickets: int, seed: int = 1, now: datetime | None = None, log=print) -> SynthResult:
    """Write ``tickets`` synthetic tickets and everything around them (see the module docstring)."""
    if tickets < 1:
        raise ValueError("tickets must be at least 1")
    if connection.vendor != "postgresql":
        raise SynthRefused("synth_data writes with PostgreSQL COPY; point DATABASE_URL at PostgreSQL.")
    if Ticket.objects.exists():
        raise SynthRefused("This database already has tickets; synth_data loads into a fresh database only.")
    began = time.perf_counter()
    now = (now or wall_clock.now()).astimezone(UTC).replace(microsecond=0)
    with transaction.atomic():
        reference = _reference(tickets, now.date())
    dropped = _drop_secondary_indexes(_REBUILT)
    generator = None
    try:
        generator = _Generator(tickets=tickets, seed=seed, now=now, reference=reference, log=log)
        log(f"customers and units … ({generator.span_days} days of history)")
        generator.customers_and_units()
        log("tickets, events, SLA clocks, surveys …")
        generator.tickets()
        log("complaints …")
        generator.complaints()
    finally:
        if generator is not None:
            generator.writer.close()
        began_indexes = time.perf_counter()
        _create_indexes(dropped)
    copy_times = ", ".join(f"{table} {sec:.1f} s" for table, sec in generator.writer.seconds.items())
    log(f"COPY time per table: {copy_times}")
    log(f"{len(dropped)} indexes rebuilt in {time.perf_counter() - began_indexes:.1f} s")
    with transaction.atomic():
        for model in (
            Customer,
            RegisteredUnit,
            Ticket,
            TicketEvent,
            SlaClock,
            ClockEvent,
            Survey,
            Complaint,
            ComplaintEvent,
            Complaint.tickets.through,
            TrackingLink,
        ):
            _reset_sequence(model)
        generator.ticket_numbers.save()
        generator.complaint_numbers.save()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    result = generator.result
    result.seconds = time.perf_counter() - began
    return result
