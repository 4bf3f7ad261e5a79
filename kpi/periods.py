"""Reporting periods: calendar days in the company's time zone, cut at local midnight (not UTC)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

# The longest range one request may ask for, and the most buckets a series may have.
MAX_DAYS = 3 * 366
MAX_BUCKETS = 120


def company_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)  # Asia/Shanghai


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=company_zone())


@dataclass(frozen=True)
class Period:
    """The local days ``first`` … ``last`` (both included) as the half-open instant range [start, end)."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return local_midnight(self.first)

    @property
    def end(self) -> datetime:
        return local_midnight(self.last + timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one (a calendar month → the month before)."""
        if self.first.day == 1 and (self.last + timedelta(days=1)).day == 1:
            last = self.first - timedelta(days=1)
            months = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1
            first_month = (last.year * 12 + last.month - 1) - (months - 1)
            return Period(date(first_month // 12, first_month % 12 + 1, 1), last)
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))


def month_period(year: int, month: int) -> Period:
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return Period(first, following - timedelta(days=1))


def buckets(period: Period, interval: str) -> list[Period]:
    """The period split into days, ISO weeks (Monday first) or calendar months, clipped to the period."""
    result: list[Period] = []
    cursor = period.first
    while cursor <= period.last:
        if interval == "day":
            stop = cursor
        elif interval == "week":
            stop = cursor + timedelta(days=6 - cursor.weekday())
        else:
            stop = month_period(cursor.year, cursor.month).last
        stop = min(stop, period.last)
        result.append(Period(cursor, stop))
        cursor = stop + timedelta(days=1)
    return result
