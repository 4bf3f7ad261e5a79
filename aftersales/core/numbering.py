"""Human-readable numbers, unique under concurrency: prefix + local date + 5-digit daily sequence."""

import re
from datetime import datetime

from django.db import connection
from django.utils import timezone

from .models import NumberSequence


def _next_value(prefix: str, day) -> int:
    """One atomic upsert: concurrent callers each get their own value, with no gaps and no retries."""
    table = connection.ops.quote_name(NumberSequence._meta.db_table)
    # Identifiers come from the model's metadata; values are parameters.
    sql = (
        f"INSERT INTO {table} (prefix, day, last_value) VALUES (%s, %s, 1) "  # noqa: S608
        "ON CONFLICT (prefix, day) DO UPDATE SET last_value = " + table + ".last_value + 1 RETURNING last_value"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [prefix, connection.ops.adapt_datefield_value(day)])
        return cursor.fetchone()[0]


def number_next(*, prefix: str, at: datetime) -> str:
    """E.g. ``number_next(prefix="T", at=now)`` → ``"T2026112400042"`` (the day in local time)."""
    day = timezone.localtime(at).date()
    return f"{prefix}{day:%Y%m%d}{_next_value(prefix, day):05d}"


def is_number_of(value: str, *, prefix: str) -> bool:
    """Whether ``value`` has the shape ``number_next(prefix=...)`` gives (a check of form, not existence)."""
    return re.fullmatch(rf"{re.escape(prefix)}\d{{8}}\d{{5,}}", value or "") is not None
