"""Warranty periods in calendar months."""

import calendar
from datetime import date


def last_covered_day(start: date, months: int) -> date:
    """The last day of a period of ``months`` months beginning on ``start``.

    China's Civil Code (arts. 201–202): the start day is not counted; the period ends on the
    corresponding day of the final month, or on that month's last day when it has no such day.
    So 12 months from 31 Jan 2026 end on 31 Jan 2027, 1 month from 31 Jan 2026 ends on 28 Feb 2026,
    and 12 months from 29 Feb 2024 end on 28 Feb 2025.
    """
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
