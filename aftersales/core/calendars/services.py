"""Loading calendars into the engine, and filling them with public holidays."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time
from zoneinfo import ZoneInfo

import holidays
from django.db import transaction
from django.utils import timezone

from ..models import BusinessCalendar, CalendarDay, WorkingPeriod
from ..models.calendars import MIDNIGHT, Weekday
from .engine import CalendarSpec, Interval

DEFAULT_BUSINESS_CODE = "business"
DEFAULT_24X7_CODE = "24x7"

# Loaded specs keyed by (calendar id, updated_at): a changed calendar has a new key, so a cached
# spec is never stale, and a sweep does not reload the same calendar for every clock.
_spec_cache: dict[tuple[int, object], CalendarSpec] = {}
_spec_cache_lock = threading.Lock()


def _minutes(moment: time, *, is_end: bool) -> int:
    if is_end and moment == MIDNIGHT:
        return 1440
    return moment.hour * 60 + moment.minute


def _build_spec(
    calendar: BusinessCalendar, periods: Iterable[WorkingPeriod], days: Iterable[CalendarDay]
) -> CalendarSpec:
    weekly: dict[int, list[Interval]] = {}
    for period in periods:
        weekly.setdefault(period.weekday, []).append(
            (_minutes(period.start, is_end=False), _minutes(period.end, is_end=True))
        )
    holiday_dates = set()
    extra_workdays: dict[date, tuple[Interval, ...]] = {}
    for day in days:
        if day.kind == CalendarDay.Kind.HOLIDAY:
            holiday_dates.add(day.date)
        else:
            extra_workdays[day.date] = tuple(weekly.get(day.works_as, ()))
    return CalendarSpec(
        timezone=ZoneInfo(calendar.timezone),
        weekly={weekday: tuple(intervals) for weekday, intervals in weekly.items()},
        holidays=frozenset(holiday_dates),
        extra_workdays=extra_workdays,
        always_open=calendar.always_open,
    )


def calendar_specs(calendar_ids: Iterable[int]) -> dict[int, CalendarSpec]:
    """Specs for several calendars: one query when all are cached, three otherwise."""
    wanted = set(calendar_ids)
    if not wanted:
        return {}
    versions = dict(BusinessCalendar.objects.filter(pk__in=wanted).values_list("pk", "updated_at"))
    specs: dict[int, CalendarSpec] = {}
    missing = []
    for pk, updated_at in versions.items():
        cached = _spec_cache.get((pk, updated_at))
        if cached is None:
            missing.append(pk)
        else:
            specs[pk] = cached
    if missing:
        for calendar in BusinessCalendar.objects.filter(pk__in=missing).prefetch_related("working_periods", "days"):
            spec = _build_spec(calendar, calendar.working_periods.all(), calendar.days.all())
            with _spec_cache_lock:
                _spec_cache[(calendar.pk, calendar.updated_at)] = spec
            specs[calendar.pk] = spec
    return specs


def calendar_spec(calendar: BusinessCalendar | int) -> CalendarSpec:
    pk = calendar if isinstance(calendar, int) else calendar.pk
    return calendar_specs([pk])[pk]


def calendar_touch(*, calendar: BusinessCalendar) -> None:
    """Mark the calendar changed so cached specs of it are rebuilt."""
    BusinessCalendar.objects.filter(pk=calendar.pk).update(updated_at=timezone.now())


@transaction.atomic
def calendar_ensure_defaults() -> tuple[BusinessCalendar, BusinessCalendar]:
    """The two calendars every install needs: office hours (workdays 09:00–18:00, 004 §4.2) and 7×24."""
    business, created = BusinessCalendar.objects.get_or_create(
        code=DEFAULT_BUSINESS_CODE, defaults={"name": "工作日 09:00–18:00 (Business hours)"}
    )
    if created:
        WorkingPeriod.objects.bulk_create(
            WorkingPeriod(calendar=business, weekday=weekday, start=time(9), end=time(18))
            for weekday in (Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY)
        )
    always, _ = BusinessCalendar.objects.get_or_create(
        code=DEFAULT_24X7_CODE, defaults={"name": "7×24", "always_open": True}
    )
    return business, always


@dataclass(frozen=True)
class HolidayFillResult:
    year: int
    holidays: int
    workdays: int
    kept_manual: int


@transaction.atomic
def calendar_fill_public_holidays(*, calendar: BusinessCalendar, year: int, country: str = "CN") -> HolidayFillResult:
    """Fill one year of public holidays and make-up working days (调休) from python-holidays.

    Re-running replaces the previously imported days of that year; days entered by hand win over
    the library, so a company's own exceptions are never overwritten.
    """
    source = holidays.country_holidays(country, years=year, language="zh_CN" if country == "CN" else None)
    workdays = {day for day in getattr(source, "weekend_workdays", ()) if day.year == year}
    manual = set(
        CalendarDay.objects.filter(calendar=calendar, date__year=year, imported=False).values_list("date", flat=True)
    )
    CalendarDay.objects.filter(calendar=calendar, date__year=year, imported=True).delete()
    rows = [
        CalendarDay(calendar=calendar, date=day, kind=CalendarDay.Kind.HOLIDAY, name=str(name)[:100], imported=True)
        for day, name in sorted(source.items())
        if day not in manual
    ]
    rows += [
        CalendarDay(calendar=calendar, date=day, kind=CalendarDay.Kind.WORKDAY, name="调休上班", imported=True)
        for day in sorted(workdays)
        if day not in manual
    ]
    CalendarDay.objects.bulk_create(rows)
    calendar_touch(calendar=calendar)
    kept = len(manual & (set(source) | workdays))
    return HolidayFillResult(
        year=year,
        holidays=sum(row.kind == CalendarDay.Kind.HOLIDAY for row in rows),
        workdays=sum(row.kind == CalendarDay.Kind.WORKDAY for row in rows),
        kept_manual=kept,
    )
