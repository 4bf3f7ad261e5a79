"""Business-time arithmetic: the engine under every SLA deadline.

Pure Python over an immutable :class:`CalendarSpec`, so it can be tested exhaustively without a
database and loaded once per sweep batch. A calendar is a timezone, a weekly pattern of working
intervals (several a day allowed), holidays that remove a day's work, and make-up working days
(Chinese 调休) that add a day's work on a weekend. A 7×24 calendar counts every second.

All arithmetic is done in UTC: wall-clock intervals are converted to absolute instants first, so a
timezone with daylight-saving changes still measures real elapsed time. The default zone,
Asia/Shanghai, has no DST.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ZERO = timedelta(0)
# A calendar with no working time at all would make add_business_time loop for ever; no real
# calendar goes this long without a working minute.
MAX_SEARCH_DAYS = 366 * 5

# A working interval as minutes after local midnight, end exclusive; end 1440 means midnight.
Interval = tuple[int, int]


@dataclass(frozen=True)
class CalendarSpec:
    timezone: ZoneInfo
    weekly: Mapping[int, tuple[Interval, ...]] = field(default_factory=dict)  # 0 = Monday
    holidays: frozenset[date] = frozenset()
    # Make-up working days and their intervals (usually the hours of an ordinary workday).
    extra_workdays: Mapping[date, tuple[Interval, ...]] = field(default_factory=dict)
    always_open: bool = False

    @classmethod
    def twenty_four_seven(cls, timezone: str = "Asia/Shanghai") -> CalendarSpec:
        return cls(timezone=ZoneInfo(timezone), always_open=True)

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        """The working intervals of one local day, sorted and merged."""
        if self.always_open:
            return ((0, 1440),)
        if day in self.extra_workdays:
            raw = self.extra_workdays[day]
        elif day in self.holidays:
            return ()
        else:
            raw = self.weekly.get(day.weekday(), ())
        return _merge(raw)

    def is_working_day(self, day: date) -> bool:
        return bool(self.intervals_on(day))


def _merge(intervals: tuple[Interval, ...] | list[Interval]) -> tuple[Interval, ...]:
    merged: list[list[int]] = []
    for start, end in sorted(intervals):
        start, end = max(start, 0), min(end, 1440)  # an interval belongs to one day
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((start, end) for start, end in merged)


def _instant(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock minute of ``day`` (1440 = the next midnight).

    A wall time that does not exist (skipped when clocks spring forward) is taken as the moment of
    the jump, so an interval starting or ending in the gap never yields a span running backwards;
    a repeated wall time (clocks fall back) is taken at its first occurrence.
    """
    day, minute = day + timedelta(days=minute // 1440), minute % 1440
    wall = datetime.combine(day, time(minute // 60, minute % 60))
    instant = wall.replace(tzinfo=tz).astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == wall:
        return instant
    return _moment_of_jump(wall, tz)


def _moment_of_jump(skipped_wall: datetime, tz: ZoneInfo) -> datetime:
    """The instant the clocks jumped over ``skipped_wall``, to the second (zoneinfo hides transitions)."""
    # PEP 495: in a gap, fold=1 reads the wall time with the offset after the jump (an instant before
    # it) and fold=0 with the offset before (an instant after it).
    before = skipped_wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    after = skipped_wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    offset_after = after.astimezone(tz).utcoffset()
    while after - before > timedelta(seconds=1):
        middle = before + timedelta(seconds=(after - before).total_seconds() // 2)
        if middle.astimezone(tz).utcoffset() == offset_after:
            after = middle
        else:
            before = middle
    return after


def _working_spans(spec: CalendarSpec, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Working spans (UTC instants) from the local day containing ``start`` onwards, in order."""
    day = start.astimezone(spec.timezone).date()
    for offset in range(MAX_SEARCH_DAYS):
        current = day + timedelta(days=offset)
        for begin, end in spec.intervals_on(current):
            span = _instant(current, begin, spec.timezone), _instant(current, end, spec.timezone)
            if span[1] > span[0]:  # an interval wholly inside a DST gap has no working time
                yield span
    raise ValueError("no working time left within five years: empty calendar or a duration beyond five years")


def _require_aware(*moments: datetime) -> None:
    for moment in moments:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("business-time arithmetic needs timezone-aware datetimes")


def add_business_time(start: datetime, duration: timedelta, spec: CalendarSpec) -> datetime:
    """The instant when ``duration`` of working time has passed after ``start``.

    A zero duration returns ``start`` unchanged. When the duration is used up exactly at the end
    of an interval, the end of that interval is returned (18:00, not the next morning's 09:00).
    The result is in UTC.
    """
    _require_aware(start)
    if duration < ZERO:
        raise ValueError("duration must not be negative")
    start = start.astimezone(UTC)
    if duration == ZERO:
        return start
    if spec.always_open:
        return start + duration
    remaining = duration
    for span_start, span_end in _working_spans(spec, start):
        if span_end <= start:
            continue
        begin = max(span_start, start)
        available = span_end - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise AssertionError("unreachable: _working_spans raises when exhausted")


def business_time_between(start: datetime, end: datetime, spec: CalendarSpec) -> timedelta:
    """Working time inside [start, end); negative when ``end`` is before ``start``."""
    _require_aware(start, end)
    if end < start:
        return -business_time_between(end, start, spec)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if spec.always_open:
        return end - start
    total = ZERO
    day = start.astimezone(spec.timezone).date()
    last_day = end.astimezone(spec.timezone).date()
    while day <= last_day:
        for begin, finish in spec.intervals_on(day):
            span_start = max(_instant(day, begin, spec.timezone), start)
            span_end = min(_instant(day, finish, spec.timezone), end)
            if span_end > span_start:
                total += span_end - span_start
        day += timedelta(days=1)
    return total


def next_working_moment(moment: datetime, spec: CalendarSpec) -> datetime:
    """``moment`` itself if it lies in working time, else the start of the next working interval."""
    _require_aware(moment)
    moment = moment.astimezone(UTC)
    if spec.always_open:
        return moment
    for span_start, span_end in _working_spans(spec, moment):
        if span_end > moment:
            return max(span_start, moment)
    raise AssertionError("unreachable")
