"""Synthetic tickets: each one's whole life replayed in memory, written with its events, clocks and survey.

Every transition is a ``TicketEvent`` (from/to status, actor) following the state machine of
``tickets.models.Ticket``: create → acknowledge → [wait_customer → resume] → diagnose →
[wait_parts → parts_arrived] → dispatch → start_work → resolve → [confirm] → close; consultations
acknowledge → resolve → close; a few cancellations. The clocks move as ``tickets.actions`` declares
(acknowledge meets the first response, start work the on-site clock, resolve every work clock and
starts the survey's reply clock, the waits pause them). What is planned after *now* has not happened.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

from aftersales.core.models import ClockEvent, SlaClock
from tickets.choices import Channel, ClockName, FunctionalTest, Priority, Status, TicketType
from tickets.models import Survey, Ticket, TicketEvent

from .bulk import Table, next_id
from .clocks import ClockRows, SimClock
from .context import Run, weighted
from .surveys import ANSWERED_SCORES, SCORE_WEIGHTS, SURVEY_ANSWER_RATE, SurveyRows, SyntheticSurvey, survey_send

CHUNK = 20_000  # tickets per generated chunk (and per COPY batch)
COMPLAINT_EVERY = 50
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
_FINISHED = (Status.CLOSED, Status.CANCELLED, Status.RESOLVED, Status.CONFIRMED)
MINUTE = 60
HOUR = 3600
DAY = 86400
TICKET_COLUMNS = [
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
]


def plan(rng, ticket_type: str, created: datetime, policy) -> list[tuple[str, datetime]]:
    """The whole life of a ticket as (action, when); the caller replays what happened by now."""
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


class TicketWriter:
    """The tickets' tables and ids, and the pickers drawn from the run's random stream."""

    def __init__(self, run: Run) -> None:
        self.run = run
        rng, now = run.rng, run.now
        self.pick_type = weighted(rng, TYPES)
        self.pick_priority = weighted(rng, PRIORITIES)
        self.pick_channel = weighted(rng, CHANNELS)
        self.pick_score = weighted(rng, list(zip(ANSWERED_SCORES, SCORE_WEIGHTS, strict=True)))
        self.next_ticket = next_id(Ticket)
        self.next_event = next_id(TicketEvent)
        self.tickets = Table(Ticket, TICKET_COLUMNS, now)
        self.events = Table(
            TicketEvent,
            ["ticket_id", "action", "from_status", "to_status", "actor_id", "by_customer", "data", "created_at"],
            now,
        )
        self.clocks = ClockRows(
            content_type_id=run.ref.ticket_type_id,
            now=now,
            first_clock=next_id(SlaClock),
            first_event=next_id(ClockEvent),
        )
        self.surveys = SurveyRows(now=now, first_survey=next_id(Survey))

    def event(self, ticket_id, action, before, after, actor, at, *, by_customer=False, data=None) -> None:
        self.events.add(
            self.next_event,
            (ticket_id, action, before, after, actor, by_customer, json.dumps(data) if data else "{}", at),
        )
        self.next_event += 1

    def flush(self) -> None:
        tables = (self.tickets, self.events, self.clocks.clocks, self.clocks.events, self.surveys.table)
        self.run.writer.put(*tables, self.run.links)

    def counts(self) -> dict[str, int]:
        return {
            "tickets": self.tickets.total,
            "ticket_events": self.events.total,
            "clocks": self.clocks.clocks.total,
            "clock_events": self.clocks.events.total,
            "surveys": self.surveys.table.total,
        }


class TicketReplay:
    """One ticket from creation to *now*: its status, fields, clocks and survey as the services leave them."""

    def __init__(self, writer: TicketWriter, created: datetime) -> None:
        run = self.run = writer.run
        rng, ref, people = run.rng, run.ref, run.population
        self.writer = writer
        self.created = created
        self.ticket_id = writer.next_ticket
        writer.next_ticket += 1
        self.ticket_type = writer.pick_type()
        self.priority = writer.pick_priority()
        self.channel = writer.pick_channel()
        if self.ticket_type == TicketType.CONSULTATION:
            self.customer_index, self.unit_id = rng.randrange(people.customer_count), None
        else:
            unit_index = rng.randrange(people.unit_count)
            self.customer_index = unit_index % people.customer_count
            self.unit_id = people.first_unit + unit_index
        self.customer_id = people.first_customer + self.customer_index
        self.policy = ref.policy(self.ticket_type, self.priority, people.customer_tier[self.customer_index])
        self.agent = ref.agents[self.ticket_id % len(ref.agents)].pk
        self.technician = ref.technicians[rng.randrange(len(ref.technicians))]
        self.status = Status.NEW
        self.fields: dict = {
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
        self.escalation = 0
        self.clocks: list[SimClock] = []
        self.survey: SyntheticSurvey | None = None
        self.updated = created

    # the clocks ------------------------------------------------------------------------------
    def start_clocks(self) -> None:
        """The policy's promises, started at creation (``tickets.actions``: the create action)."""
        policy = self.policy
        if policy is None:
            return
        start, spec = self.writer.clocks.start, self.run.ref.specs[policy.calendar_id]
        thresholds, created = policy.thresholds, self.created
        self.clocks.append(
            start(
                ClockName.FIRST_RESPONSE,
                policy.first_response_minutes * MINUTE,
                created,
                policy.calendar_id,
                spec,
                thresholds,
            )
        )
        if policy.on_site_minutes and self.ticket_type in _ON_SITE_TYPES:
            self.clocks.append(
                start(ClockName.ON_SITE, policy.on_site_minutes * MINUTE, created, policy.calendar_id, spec, thresholds)
            )
        self.clocks.append(
            start(
                ClockName.RESOLUTION, policy.resolution_minutes * MINUTE, created, policy.calendar_id, spec, thresholds
            )
        )

    def open_work(self, names=_WORK_CLOCKS) -> list[SimClock]:
        return [clock for clock in self.clocks if clock.name in names and clock.state not in ("met", "cancelled")]

    def stop(self, names, at: datetime) -> None:
        for clock in self.open_work(names):
            self.escalation += clock.stop(at)

    # the actions: each sets the status and fields, moves the clocks, returns (actor, by_customer, data)
    def acknowledge(self, at):
        self.status = Status.ACKNOWLEDGED
        self.fields["acknowledged_at"] = at
        self.stop((ClockName.FIRST_RESPONSE,), at)
        return self.agent, False, None

    def wait(self, at, waiting_status):
        self.fields["resume_status"] = self.status
        self.status = waiting_status
        for clock in self.open_work():
            if clock.state != "paused":
                self.escalation += clock.pause(at)
        return self.agent, False, None

    def resume(self, at):
        self.status = self.fields["resume_status"] or Status.ACKNOWLEDGED
        for clock in self.open_work():
            if clock.state == "paused":
                clock.resume(at)
        return self.agent, False, None

    def diagnose(self, at):
        self.status = Status.DIAGNOSING
        self.fields["fault_cause"], self.fields["diagnosis"] = "component_failure", "Synthetic diagnosis."
        return self.technician.pk, False, {"fault_cause": "component_failure", "entitlement": None}

    def dispatch(self, at):
        self.status = Status.DISPATCHED
        self.fields["assignee_id"] = self.technician.pk
        self.fields["appointment_at"] = at + timedelta(hours=2)
        data = {"technician": self.technician.username, "appointment_at": self.fields["appointment_at"].isoformat()}
        return self.run.ref.supervisors[0].pk, False, data

    def start_work(self, at):
        self.status = Status.IN_PROGRESS
        self.fields["visits"] += 1
        self.stop((ClockName.ON_SITE,), at)
        return self.technician.pk, False, None

    def resolve(self, at):
        consultation = self.ticket_type == TicketType.CONSULTATION
        self.status = Status.RESOLVED
        fields = self.fields
        fields["resolution"] = "Synthetic resolution."
        fields["functional_test"] = FunctionalTest.NOT_APPLICABLE if consultation else FunctionalTest.PASSED
        fields["resolved_at"] = at
        fields["first_visit_fixed"] = fields["visits"] <= 1
        self.stop(_WORK_CLOCKS, at)
        self.survey = survey_send(self.writer.clocks, self.run.ref, at)
        self.clocks.append(self.survey.clock)
        return (
            (self.agent if consultation else self.technician.pk),
            False,
            {"functional_test": fields["functional_test"]},
        )

    def confirm(self, at):
        self.status = Status.CONFIRMED
        return None, True, None

    def close(self, at):
        self.status = Status.CLOSED
        self.fields["closed_at"] = at
        return self.agent, False, None

    def cancel(self, at):
        self.status = Status.CANCELLED
        self.fields["cancelled_at"] = at
        for clock in self.open_work():
            self.escalation += clock.cancel(at)
        return self.agent, False, None

    def rate(self, at) -> None:
        """The customer's survey answer: no status change, a ``rate`` event, the reply clock met."""
        score = self.writer.pick_score()
        self.survey.answer(score, at)  # type: ignore[union-attr]  # rated only after resolve
        self.writer.event(self.ticket_id, "rate", "", "", None, at, by_customer=True, data={"score": score})
        self.updated = at

    ACTIONS = {
        "acknowledge": acknowledge,
        "wait_customer": lambda self, at: self.wait(at, Status.AWAITING_CUSTOMER),
        "wait_parts": lambda self, at: self.wait(at, Status.AWAITING_PARTS),
        "resume": resume,
        "parts_arrived": resume,
        "diagnose": diagnose,
        "dispatch": dispatch,
        "start_work": start_work,
        "resolve": resolve,
        "confirm": confirm,
        "close": close,
        "cancel": cancel,
    }

    # the replay ------------------------------------------------------------------------------
    def replay(self) -> None:
        writer, now = self.writer, self.run.now
        writer.event(
            self.ticket_id,
            "create",
            "",
            Status.NEW,
            None,
            self.created,
            by_customer=True,
            data={"channel": self.channel, "priority": self.priority},
        )
        self.start_clocks()
        for action, at in plan(self.run.rng, self.ticket_type, self.created, self.policy):
            if at > now:
                break
            if action == "rate":
                self.rate(at)
                continue
            before = self.status
            actor, by_customer, data = self.ACTIONS[action](self, at)
            writer.event(self.ticket_id, action, before, self.status, actor, at, by_customer=by_customer, data=data)
            self.updated = at
        if self.survey is not None:
            self.survey.clock.catch_up(now)  # an unanswered survey's clock breaches after 7 days (no escalation)
        for clock in self.clocks:
            if clock.name != ClockName.CSAT_REPLY:
                self.escalation += clock.catch_up(now)

    def write(self) -> None:
        run, writer, fields = self.run, self.writer, self.fields
        run.link(self.ticket_id, Ticket, "t", self.created)
        writer.tickets.add(
            self.ticket_id,
            (
                run.ticket_numbers.next(self.created),
                self.ticket_type,
                self.channel,
                self.priority,
                self.status,
                self.customer_id,
                self.unit_id,
                run.population.customer_region[self.customer_index],
                "Synthetic request.",
                fields["assignee_id"],
                self.policy.pk if self.policy else None,
                self.escalation,
                fields["resume_status"],
                fields["fault_cause"],
                fields["diagnosis"],
                fields["appointment_at"],
                fields["resolution"],
                fields["functional_test"],
                fields["first_visit_fixed"],
                fields["visits"],
                self.created,
                fields["acknowledged_at"],
                fields["resolved_at"],
                fields["closed_at"],
                fields["cancelled_at"],
                self.updated,
            ),
        )
        if self.status not in _FINISHED:
            run.result.open_tickets += 1
        for clock in self.clocks:
            writer.clocks.write(self.ticket_id, clock, run.result)
        if self.survey is not None:
            writer.surveys.write(self.ticket_id, self.survey)

    def maybe_complained_about(self) -> None:
        """1 closed ticket in ``COMPLAINT_EVERY``, closed two weeks before *now* or earlier, gets a complaint."""
        closed_at = self.fields["closed_at"]
        if (
            self.status == Status.CLOSED
            and closed_at < self.run.now - timedelta(days=14)
            and self.run.rng.random() < 1 / COMPLAINT_EVERY
        ):
            draw = self.run.rng.random()
            self.run.pending_complaints.append((closed_at, self.ticket_id, self.customer_id, self.unit_id, draw))


def write_tickets(run: Run) -> None:
    """N tickets created at random moments over the history's span, replayed in creation order."""
    rng, now = run.rng, run.now
    start = now - timedelta(days=run.span_days)
    span = (now - start).total_seconds()
    created = sorted(rng.random() * span for _ in range(run.total))
    writer = TicketWriter(run)
    began = time.perf_counter()
    for index, offset in enumerate(created):
        ticket = TicketReplay(writer, start + timedelta(seconds=offset))
        ticket.replay()
        ticket.write()
        ticket.maybe_complained_about()
        if (index + 1) % CHUNK == 0:
            writer.flush()
            if (index + 1) % (CHUNK * 10) == 0:
                rate = (index + 1) / (time.perf_counter() - began)
                run.log(f"  {index + 1:,} tickets ({rate:,.0f}/s)")
    writer.flush()
    run.result.counts.update(writer.counts())
