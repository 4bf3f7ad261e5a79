"""Reads for the staff admin: queue conditions, the SLA badge, dispatch candidates.

Each helper costs a fixed number of queries whatever the number of tickets on a page: the badge
column reads the clocks of a whole page in one query (``attach_sla_badges``, through
``selectors.clocks_attach``). Who sees which tickets, dispatch suggestions and the customer's view
are in ``tickets.selectors``; this module adds only what the admin screens need on top.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext as _

from aftersales.core.calendars.engine import business_time_between
from aftersales.core.calendars.services import calendar_specs
from aftersales.core.models import SlaClock
from aftersales.core.selectors import clocks_attach

from .choices import OPEN_STATUSES, ClockName
from .models import Technician, Ticket

# The promises made to the customer about the work; the return-visit clock waits on the customer
# and does not make a ticket late.
WORK_CLOCKS = (ClockName.FIRST_RESPONSE, ClockName.ON_SITE, ClockName.RESOLUTION)
OPEN_CLOCK_STATES = (SlaClock.State.RUNNING, SlaClock.State.PAUSED, SlaClock.State.BREACHED)
DUE_SOON = timedelta(hours=4)
AMBER_PERCENT = 75  # the second default warning threshold (REQUIREMENTS §4)


def _ticket_clocks():
    return SlaClock.objects.filter(
        content_type=ContentType.objects.get_for_model(Ticket), object_id=OuterRef("pk"), name__in=WORK_CLOCKS
    )


# --- queues ---------------------------------------------------------------------------------


def due_soon_condition(now: datetime, within: timedelta = DUE_SOON) -> Exists:
    """An open, running work clock falls due within ``within`` (and is not late yet)."""
    return Exists(_ticket_clocks().filter(state=SlaClock.State.RUNNING, due_at__gt=now, due_at__lte=now + within))


def breached_condition(now: datetime) -> Q:
    """Escalated, or a work clock is past due (also before the next sweep has recorded it)."""
    late = _ticket_clocks().filter(Q(breached_at__isnull=False) | Q(state=SlaClock.State.RUNNING, due_at__lte=now))
    return Q(escalation_level__gt=0) | Q(Exists(late))


# --- the SLA badge --------------------------------------------------------------------------


@dataclass(frozen=True)
class Badge:
    level: str  # "ok" | "warning" | "breached" | "paused" | "none"
    text: str
    title: str = ""


def format_duration(delta: timedelta) -> str:
    """ "2 d 4 h", "2 h 15 m", "45 m" — short enough for a list column."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d m") % {"hours": hours, "minutes": minutes}
    if minutes:
        return _("%(minutes)d m") % {"minutes": minutes}
    return _("< 1 m")


@dataclass
class ClockReading:
    """A clock as it stands at ``now``: how much of its allowed time is used and what is left."""

    clock: SlaClock
    late: bool
    paused: bool
    percent_used: float
    wall_left: timedelta  # until due_at (negative when late)
    business_left: timedelta  # of the allowed working time (for paused clocks)
    sort_key: tuple = field(default=())


def read_clock(clock: SlaClock, now: datetime, specs: dict) -> ClockReading:
    consumed = clock.consumed_seconds
    if clock.state != SlaClock.State.PAUSED and clock.segment_started_at is not None:
        spec = specs.get(clock.calendar_id)
        if spec is not None:
            consumed += max(int(business_time_between(clock.segment_started_at, now, spec).total_seconds()), 0)
    percent = 100.0 * consumed / clock.target_seconds if clock.target_seconds else 100.0
    paused = clock.state == SlaClock.State.PAUSED
    wall_left = (clock.due_at - now) if clock.due_at else timedelta(0)
    late = (
        clock.state == SlaClock.State.BREACHED
        or clock.breached_at is not None
        or (not paused and wall_left <= timedelta(0))
    )
    business_left = timedelta(seconds=max(clock.target_seconds - consumed, 0))
    # Late first (longest overdue first), then running by due time, then paused by time left.
    if late:
        sort_key = (0, wall_left)
    elif not paused:
        sort_key = (1, wall_left)
    else:
        sort_key = (2, business_left)
    return ClockReading(clock, late, paused, percent, wall_left, business_left, sort_key)


def most_urgent(clocks: Iterable[SlaClock], now: datetime, specs: dict) -> ClockReading | None:
    readings = [read_clock(clock, now, specs) for clock in clocks]
    return min(readings, key=lambda reading: reading.sort_key, default=None)


def badge_for(reading: ClockReading | None) -> Badge:
    if reading is None:
        return Badge("none", "—", _("No open SLA clock"))
    name = str(ClockName(reading.clock.name).label)
    due = reading.clock.due_at
    title = _("%(clock)s due %(due)s") % {"clock": name, "due": due.isoformat(timespec="minutes")} if due else name
    if reading.late:
        text = _("%(clock)s: %(time)s overdue") % {"clock": name, "time": format_duration(-reading.wall_left)}
        return Badge("breached", text, title)
    if reading.paused:
        text = _("%(clock)s: paused, %(time)s left") % {"clock": name, "time": format_duration(reading.business_left)}
        return Badge("paused", text, title)
    text = _("%(clock)s: %(time)s left") % {"clock": name, "time": format_duration(reading.wall_left)}
    return Badge("warning" if reading.percent_used >= AMBER_PERCENT else "ok", text, title)


def open_work_clocks(ticket: Ticket) -> list[SlaClock]:
    """The open work clocks among those ``selectors.clocks_attach`` put on the ticket (latest cycles)."""
    return [clock for clock in ticket.sla_clocks if clock.name in WORK_CLOCKS and clock.state in OPEN_CLOCK_STATES]


def attach_sla_badges(tickets: Sequence[Ticket], now: datetime) -> None:
    """Give each ticket ``sla_badge``: one query for the page's clocks, one for their calendars."""
    clocks_attach(tickets)
    open_clocks = {ticket.pk: open_work_clocks(ticket) for ticket in tickets}
    specs = calendar_specs({clock.calendar_id for clocks in open_clocks.values() for clock in clocks})
    for ticket in tickets:
        ticket.sla_badge = badge_for(most_urgent(open_clocks[ticket.pk], now, specs))


# --- dispatch -------------------------------------------------------------------------------


def certified_technicians():
    """Active technicians who passed all three training lines (001 三(二)1; pass lines 004 §5.3), least loaded first."""
    return (
        Technician.objects.filter(
            is_active=True,
            user__is_active=True,
            certified_on__isnull=False,
            knowledge_score__gte=Technician.PASS_KNOWLEDGE,
            skill_score__gte=Technician.PASS_SKILL,
            behaviour_score__gte=Technician.PASS_BEHAVIOUR,
        )
        .select_related("user", "region")
        .annotate(
            open_tickets=Count(
                "user__assigned_tickets", filter=Q(user__assigned_tickets__status__in=list(OPEN_STATUSES))
            )
        )
        .order_by("open_tickets", "user__username")
    )
