"""Case numbers (``T``/``C`` + local date + daily sequence) and the ``NumberSequence`` rows after the load."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from aftersales.core.models import NumberSequence


class Numbers:
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
