"""Reads for the staff admin: queue conditions, the SLA badge, dispatch candidates.

Each helper costs a fixed number of queries whatever the number of tickets on a page: the badge
column reads the clocks of a whole page in one query (``attach_sla_badges``, through
``selectors.clocks_attach``). Who sees which tickets, dispatch suggestions and the customer's view
are in ``tickets.selectors``; this module adds only what the admin screens need on top.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Q

from aftersales.core.models import SlaClock
from aftersales.core.sla import badges
from aftersales.core.sla.badges import Badge, ClockReading

from .choices import OPEN_STATUSES, ClockName
from .models import Technician, Ticket

# The promises made to the customer about the work; the return-visit clock waits on the customer
# and does not make a ticket late.
WORK_CLOCKS = (ClockName.FIRST_RESPONSE, ClockName.ON_SITE, ClockName.RESOLUTION)
DUE_SOON = timedelta(hours=4)


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


def badge_for(reading: ClockReading | None) -> Badge:
    return badges.badge_for(reading, lambda name: str(ClockName(name).label))


def attach_sla_badges(tickets: Sequence[Ticket], now: datetime) -> None:
    """Give each ticket ``sla_badge``: one query for the page's clocks, one for their calendars."""
    badges.attach_badges(tickets, now, clock_names=WORK_CLOCKS, label=lambda name: str(ClockName(name).label))


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
