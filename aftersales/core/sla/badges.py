"""The SLA badge of staff lists: how urgent the most urgent open promise of a case is.

Shared by every app with clocks (tickets, complaints, incidents); each passes the names of its
clocks. Reading a page's clocks costs one query (``selectors.clocks_attach``) and one for their
calendars (``calendar_specs``); this module only computes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils.html import format_html
from django.utils.translation import gettext as _

from ..calendars.engine import business_time_between
from ..calendars.services import calendar_specs
from ..models import SlaClock
from ..selectors import clocks_attach

AMBER_PERCENT = 75  # the second default warning threshold (REQUIREMENTS §4)


@dataclass(frozen=True)
class Badge:
    level: str  # "ok" | "warning" | "breached" | "paused" | "none"
    text: str
    title: str = ""

    def html(self) -> str:
        """The admin's badge (styled by ``sla-<level>`` in the admin stylesheet)."""
        return format_html('<span class="sla-badge sla-{}" title="{}">{}</span>', self.level, self.title, self.text)


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


def badge_for(reading: ClockReading | None, label: Callable[[str], str]) -> Badge:
    """The badge of the most urgent clock; ``label`` names a clock (each app has its own names)."""
    if reading is None:
        return Badge("none", "—", _("No open SLA clock"))
    name = label(reading.clock.name)
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


OPEN_CLOCK_STATES = (SlaClock.State.RUNNING, SlaClock.State.PAUSED, SlaClock.State.BREACHED)


def attach_badges(subjects: Sequence, now: datetime, *, clock_names: Iterable[str], label: Callable[[str], str]):
    """Give each subject ``sla_badge`` from its open clocks among ``clock_names``.

    One query for the clocks of the whole page (``clocks_attach``) and one for their calendars.
    """
    clocks_attach(subjects)
    names = set(clock_names)
    open_clocks = {
        subject.pk: [clock for clock in subject.sla_clocks if clock.name in names and clock.state in OPEN_CLOCK_STATES]
        for subject in subjects
    }
    specs = calendar_specs({clock.calendar_id for clocks in open_clocks.values() for clock in clocks})
    for subject in subjects:
        subject.sla_badge = badge_for(most_urgent(open_clocks[subject.pk], now, specs), label)
