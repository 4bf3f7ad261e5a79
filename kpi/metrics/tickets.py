"""Service-ticket metrics, read from the SLA clocks (``core.SlaClock``) and their events (``core.ClockEvent``).

A clock's business time is counted on the calendar its policy names (business hours with holidays and
make-up working days, or 7×24), and pauses stop it: the met event's ``consumed_seconds`` is exactly the
time the promise was measured on. A reopened ticket starts a new cycle of its resolution clock; the
ticket counts once, at its final resolution (the latest cycle, met).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db.models import Case, Exists, F, FloatField, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from aftersales.core.models import ClockEvent, SlaClock
from tickets.models import FollowUp, Survey, Ticket, TicketEvent

from ..periods import Period
from .base import HIGHER, LOWER, MEAN, RATE, SUM, EpochSeconds, Filters, Metric, apply_dimensions, hours

CANCELLED = "cancelled"
REPAIR = "repair"
FIRST_RESPONSE, ON_SITE, RESOLUTION = "first_response", "on_site", "resolution"
WORK_CLOCKS = (FIRST_RESPONSE, ON_SITE, RESOLUTION)  # the survey-reply window is the customer's, not ours
REVISIT_WINDOW = timedelta(days=30)

DIMENSIONS = {
    "region": "region__code",
    "model": "unit__product_model__code",
    "technician": "assignee__username",
    "channel": "channel",
    "type": "ticket_type",
    "priority": "priority",
    "tier": "customer__tier",
}
COLUMNS = {"number": "number", "created_at": "created_at", "status": "status", "type": "ticket_type"}
_TICKET = {"content_type__app_label": "tickets", "content_type__model": "ticket"}


def ticket_clocks(name: str, ticket_ref: str = "pk"):
    return SlaClock.objects.filter(**_TICKET, object_id=OuterRef(ticket_ref), name=name)


def _clock_event(name: str, kind: str):
    return ClockEvent.objects.filter(
        clock__content_type__app_label="tickets",
        clock__content_type__model="ticket",
        clock__object_id=OuterRef("pk"),
        clock__name=name,
        kind=kind,
    )


def _tickets(filters: Filters):
    return apply_dimensions(Ticket.objects.exclude(status=CANCELLED), DIMENSIONS, filters)


def _first_responses(period: Period, filters: Filters):
    met = _clock_event(FIRST_RESPONSE, ClockEvent.Kind.MET).filter(clock__cycle=1)
    late = ClockEvent.objects.filter(clock=OuterRef("first_response_clock"), kind=ClockEvent.Kind.BREACHED)
    return (
        _tickets(filters)
        .filter(created_at__gte=period.start, created_at__lt=period.end)
        .annotate(
            first_response_clock=Subquery(met.values("clock_id")[:1]),
            business_seconds=Subquery(met.values("consumed_seconds")[:1]),
            responded_at=Subquery(met.values("occurred_at")[:1]),
        )
        .filter(first_response_clock__isnull=False)
        .annotate(late=Exists(late), kpi_at=F("created_at"))
    )


def first_response_hours(period: Period, filters: Filters):
    return _first_responses(period, filters).annotate(kpi_value=hours(Cast("business_seconds", FloatField())))


def response_on_time(period: Period, filters: Filters):
    return _first_responses(period, filters).annotate(
        kpi_value=Case(When(late=True, then=Value(0)), default=Value(1), output_field=IntegerField())
    )


def _final_resolution():
    """The met time of the ticket's latest resolution cycle (NULL while that cycle is still open)."""
    return Subquery(ticket_clocks(RESOLUTION).order_by("-cycle").values("met_at")[:1])


def _resolved(period: Period, filters: Filters, queryset=None):
    queryset = _tickets(filters) if queryset is None else queryset
    return queryset.annotate(resolved_at_final=_final_resolution(), kpi_at=F("resolved_at_final")).filter(
        resolved_at_final__gte=period.start, resolved_at_final__lt=period.end
    )


def resolution_on_time(period: Period, filters: Filters):
    late = ClockEvent.objects.filter(
        clock__content_type__app_label="tickets",
        clock__content_type__model="ticket",
        clock__object_id=OuterRef("pk"),
        clock__name=RESOLUTION,
        kind=ClockEvent.Kind.BREACHED,
    )
    return _resolved(period, filters).annotate(
        kpi_value=Case(When(Exists(late), then=Value(0)), default=Value(1), output_field=IntegerField())
    )


def time_to_resolve_hours(period: Period, filters: Filters):
    # Σ over the resolution cycles of (met − started − paused): wall time the ticket was ours to fix.
    worked = (
        ticket_clocks(RESOLUTION)
        .filter(met_at__isnull=False)
        .order_by()
        .values("object_id")
        .annotate(seconds=Sum(EpochSeconds(F("met_at") - F("started_at")) - F("paused_seconds")))
        .values("seconds")
    )
    return _resolved(period, filters).annotate(kpi_value=hours(Subquery(worked, output_field=FloatField())))


def resolution_rate(period: Period, filters: Filters):
    resolved_in_period = ticket_clocks(RESOLUTION).filter(met_at__gte=period.start, met_at__lt=period.end)
    overdue_at_end = ticket_clocks(RESOLUTION).filter(
        Q(met_at__isnull=True) | Q(met_at__gte=period.end),
        Q(cancelled_at__isnull=True) | Q(cancelled_at__gte=period.end),
        Exists(
            ClockEvent.objects.filter(clock=OuterRef("pk"), kind=ClockEvent.Kind.BREACHED, occurred_at__lt=period.end)
        ),
    )
    return (
        _tickets(filters)
        .annotate(resolved=Exists(resolved_in_period), overdue=Exists(overdue_at_end))
        .filter(Q(resolved=True) | Q(overdue=True))
        .annotate(
            kpi_at=F("created_at"),
            kpi_value=Case(When(resolved=True, then=Value(1)), default=Value(0), output_field=IntegerField()),
        )
    )


def _revisited():
    """Another repair of the same unit opened within 30 days after this one's final resolution."""
    return Exists(
        Ticket.objects.filter(
            unit=OuterRef("unit"),
            ticket_type=REPAIR,
            created_at__gt=OuterRef("resolved_at_final"),
            created_at__lte=OuterRef("resolved_at_final") + REVISIT_WINDOW,
        ).exclude(pk=OuterRef("pk"))
    )


def _reopened():
    return Exists(TicketEvent.objects.filter(ticket=OuterRef("pk"), action="reopen"))


def first_time_fix(period: Period, filters: Filters):
    visits = (
        TicketEvent.objects.filter(ticket=OuterRef("pk"), action="start_work")
        .order_by()
        .values("ticket")
        .annotate(n=Sum(Value(1)))
        .values("n")
    )
    repairs = _resolved(period, filters, _tickets(filters).filter(ticket_type=REPAIR))
    return repairs.annotate(
        visit_count=Subquery(visits, output_field=IntegerField()), revisit=_revisited(), reopened=_reopened()
    ).annotate(
        kpi_value=Case(
            When(Q(visit_count__lte=1) & Q(revisit=False) & Q(reopened=False), then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    )


def repeat_repair(period: Period, filters: Filters):
    repairs = _resolved(period, filters, _tickets(filters).filter(ticket_type=REPAIR, unit__isnull=False))
    return repairs.annotate(revisit=_revisited(), reopened=_reopened()).annotate(
        kpi_value=Case(
            When(Q(revisit=True) | Q(reopened=True), then=Value(1)), default=Value(0), output_field=IntegerField()
        )
    )


def return_visit(period: Period, filters: Filters):
    answered = Survey.objects.filter(ticket=OuterRef("pk"), answered_at__isnull=False)
    called = FollowUp.objects.filter(ticket=OuterRef("pk"), kind="return_visit", done_at__isnull=False)
    return _resolved(period, filters).annotate(
        kpi_value=Case(
            When(Exists(answered) | Exists(called), then=Value(1)), default=Value(0), output_field=IntegerField()
        )
    )


def sla_breaches(period: Period, filters: Filters):
    """The ticket clocks running at some moment of the period; kpi_value 1 for those breached in it."""
    tickets = apply_dimensions(Ticket.objects.all(), DIMENSIONS, filters).values("pk")
    breached = ClockEvent.objects.filter(
        clock=OuterRef("pk"), kind=ClockEvent.Kind.BREACHED, occurred_at__gte=period.start, occurred_at__lt=period.end
    )
    ticket = Ticket.objects.filter(pk=OuterRef("object_id"))
    return (
        SlaClock.objects.filter(**_TICKET, name__in=WORK_CLOCKS, started_at__lt=period.end, object_id__in=tickets)
        .exclude(met_at__lt=period.start)
        .exclude(cancelled_at__lt=period.start)
        .annotate(
            kpi_value=Case(When(Exists(breached), then=Value(1)), default=Value(0), output_field=IntegerField()),
            kpi_at=Subquery(breached.values("occurred_at")[:1]),
            number=Subquery(ticket.values("number")[:1]),
            **{f"dim_{name}": Subquery(ticket.values(path)[:1]) for name, path in DIMENSIONS.items()},
        )
    )


_HOURS = {"time_basis": "business", "duration": True, "unit": "hours", "aggregation": MEAN}
_TICKET_COMMON = {
    "family": "tickets",
    "dimensions": DIMENSIONS,
    "record_columns": COLUMNS,
    "admin_changelist": "tickets_ticket",
}
_NO_CANCELLED = (_("cancelled tickets"),)

METRICS = [
    Metric(
        key="avg_first_response_hours",
        label=_("Average first-response time"),
        formula=_(
            "mean over tickets created in the period of the business time used by the first-response clock "
            "(cycle 1) when it was met"
        ),
        start=_("first-response clock started (ticket registered)"),
        stop=_("first-response clock met (acknowledge)"),
        pauses=_("awaiting states stop the clock; the time is measured on the policy's calendar"),
        reopening=_("not affected: only the first cycle counts"),
        exclusions=_NO_CANCELLED,
        period_basis="created",
        direction=LOWER,
        default_target=Decimal("2"),
        records=first_response_hours,
        **_HOURS,
        **_TICKET_COMMON,
    ),
    Metric(
        key="response_on_time_rate",
        label=_("Response on-time rate"),
        formula=_("tickets whose first-response clock was met with no breach event / tickets responded × 100"),
        start=_("first-response clock started"),
        stop=_("first-response clock met"),
        pauses=_("as the clock: awaiting states do not count against the promise"),
        reopening=_("not affected"),
        exclusions=_NO_CANCELLED,
        period_basis="created",
        unit="percent",
        direction=HIGHER,
        default_target=Decimal("95"),
        aggregation=RATE,
        records=response_on_time,
        **_TICKET_COMMON,
    ),
    Metric(
        key="resolution_rate",
        label=_("Resolution rate"),
        formula=_(
            "tickets resolved in the period / (tickets resolved in the period + tickets whose resolution "
            "clock was breached before the period's end and still open then) × 100"
        ),
        start=_("resolution clock started"),
        stop=_("resolution clock met (resolve)"),
        pauses=_("a paused clock is still open"),
        reopening=_("a reopened ticket has a new open cycle and can be overdue again"),
        exclusions=_NO_CANCELLED,
        period_basis="resolved",
        unit="percent",
        direction=HIGHER,
        default_target=Decimal("95"),
        aggregation=RATE,
        records=resolution_rate,
        **_TICKET_COMMON,
    ),
    Metric(
        key="resolution_on_time_rate",
        label=_("Resolution on-time rate"),
        formula=_(
            "tickets finally resolved in the period none of whose resolution cycles was breached / tickets "
            "finally resolved in the period × 100"
        ),
        start=_("resolution clock started"),
        stop=_("resolution clock met (resolve), latest cycle"),
        pauses=_("awaiting states stop the clock"),
        reopening=_("a breach in any cycle makes the ticket late; it counts when its latest cycle is met"),
        exclusions=_NO_CANCELLED,
        period_basis="resolved",
        unit="percent",
        direction=HIGHER,
        default_target=Decimal("95"),
        aggregation=RATE,
        records=resolution_on_time,
        **_TICKET_COMMON,
    ),
    Metric(
        key="mean_time_to_resolve_hours",
        label=_("Mean time to resolve"),
        formula=_(
            "mean over tickets finally resolved in the period of Σ over resolution cycles of "
            "(met − started − paused), wall time"
        ),
        start=_("resolution clock started (registration, or the reopening for a later cycle)"),
        stop=_("resolution clock met"),
        pauses=_("paused wall time is subtracted"),
        reopening=_("every cycle's time is added; the time between a resolution and its reopening is not"),
        exclusions=_NO_CANCELLED,
        period_basis="resolved",
        direction=LOWER,
        default_target=Decimal("72"),
        records=time_to_resolve_hours,
        duration=True,
        unit="hours",
        aggregation=MEAN,
        time_basis="wall",
        **_TICKET_COMMON,
    ),
    Metric(
        key="first_time_fix_rate",
        label=_("First-time fix rate"),
        formula=_(
            "repairs finally resolved in the period with at most one start-work event, never reopened and "
            "with no new repair of the same unit within 30 days after the resolution / those repairs × 100"
        ),
        start=_("ticket registered"),
        stop=_("resolution clock met, latest cycle"),
        reopening=_("a reopened repair is not a first-time fix"),
        exclusions=(*_NO_CANCELLED, _("tickets of other types")),
        period_basis="resolved",
        unit="percent",
        direction=HIGHER,
        default_target=Decimal("90"),
        aggregation=RATE,
        records=first_time_fix,
        **_TICKET_COMMON,
    ),
    Metric(
        key="repeat_repair_rate",
        label=_("Repeat repair rate"),
        formula=_(
            "repairs of a unit finally resolved in the period that were reopened or followed by a new repair "
            "of the same unit within 30 days / those repairs × 100"
        ),
        start=_("ticket registered"),
        stop=_("resolution clock met, latest cycle"),
        reopening=_("a reopening is a repeat repair"),
        exclusions=(*_NO_CANCELLED, _("tickets without a unit"), _("tickets of other types")),
        period_basis="resolved",
        unit="percent",
        direction=LOWER,
        default_target=Decimal("2"),
        aggregation=RATE,
        records=repeat_repair,
        **_TICKET_COMMON,
    ),
    Metric(
        key="return_visit_rate",
        label=_("Return-visit rate"),
        formula=_(
            "tickets finally resolved in the period with an answered survey or a completed return-visit "
            "follow-up / tickets finally resolved in the period × 100"
        ),
        start=_("resolution clock met"),
        stop=_("survey answered or return visit done"),
        exclusions=_NO_CANCELLED,
        period_basis="resolved",
        unit="percent",
        direction=HIGHER,
        default_target=Decimal("95"),
        aggregation=RATE,
        records=return_visit,
        **_TICKET_COMMON,
    ),
    Metric(
        key="sla_breaches",
        label=_("SLA breaches"),
        formula=_(
            "breach events in the period of the tickets' first-response, on-site and resolution clocks "
            "(no data when no such clock ran in the period)"
        ),
        start=_("clock started"),
        stop=_("breach event (at the due time)"),
        pauses=_("a paused clock cannot breach"),
        reopening=_("each cycle can breach once"),
        exclusions=(_("the survey-reply window (the customer's, not ours)"),),
        period_basis="breached",
        unit="count",
        direction=LOWER,
        default_target=Decimal("0"),
        aggregation=SUM,
        records=sla_breaches,
        family="clocks",
        dimensions={name: f"dim_{name}" for name in DIMENSIONS},
        record_columns={"number": "number", "clock": "name", "cycle": "cycle", "due_at": "due_at"},
        admin_changelist="core_slaclock",
    ),
]
