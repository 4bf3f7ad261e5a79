"""Reads for the complaints staff admin: queue conditions and the SLA badge of a page.

The badge column reads the clocks of a whole page in one query (``clocks_attach``) and their
calendars in one more, whatever the number of complaints. The time-left arithmetic is the one the
tickets admin uses (``tickets.admin_queries``): the same clock engine, the same badge.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Value, When

from aftersales.core.models import SlaClock
from aftersales.core.sla import badges
from aftersales.core.sla.badges import Badge, ClockReading

from .choices import OPEN_STATUSES, ClockName, CorrectiveStatus
from .models import Complaint, CorrectiveAction

WORK_CLOCKS = (ClockName.FIRST_RESPONSE, ClockName.ON_SITE, ClockName.RESOLUTION)
DUE_SOON = timedelta(hours=4)


def _complaint_clocks():
    return SlaClock.objects.filter(
        content_type=ContentType.objects.get_for_model(Complaint), object_id=OuterRef("pk"), name__in=WORK_CLOCKS
    )


def open_condition() -> Q:
    return Q(status__in=list(OPEN_STATUSES))


def due_soon_condition(now: datetime, within: timedelta = DUE_SOON) -> Exists:
    """A running promise falls due within ``within`` and is not late yet."""
    return Exists(_complaint_clocks().filter(state=SlaClock.State.RUNNING, due_at__gt=now, due_at__lte=now + within))


def breached_condition(now: datetime) -> Q:
    """A promise is late: recorded by the sweep, or past due before the next sweep notices."""
    late = _complaint_clocks().filter(Q(breached_at__isnull=False) | Q(state=SlaClock.State.RUNNING, due_at__lte=now))
    return Q(Exists(late))


def clock_label(name: str) -> str:
    try:
        return str(ClockName(name).label)
    except ValueError:
        return name


def badge_for(reading: ClockReading | None) -> Badge:
    return badges.badge_for(reading, clock_label)


def attach_sla_badges(complaints: Sequence[Complaint], now: datetime) -> None:
    """Give each complaint ``sla_badge``: one query for the page's clocks, one for their calendars."""
    badges.attach_badges(complaints, now, clock_names=WORK_CLOCKS, label=clock_label)


def corrective_actions_overdue_first(queryset, now: datetime):
    """Open and past due first (longest overdue first), then open by due date, then the finished ones."""
    return queryset.annotate(
        urgency=Case(
            When(status=CorrectiveStatus.OPEN, due_at__lte=now, then=Value(0)),
            When(status=CorrectiveStatus.OPEN, then=Value(1)),
            When(status=CorrectiveStatus.DONE, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        )
    ).order_by("urgency", "due_at", "id")


def corrective_is_overdue(action: CorrectiveAction, now: datetime) -> bool:
    return action.status == CorrectiveStatus.OPEN and action.due_at <= now
