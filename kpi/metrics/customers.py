"""Satisfaction (return-visit surveys, 1–5) and the ratio metrics over units sold and tickets."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Avg, Case, F, FloatField, IntegerField, OuterRef, Subquery, Value, When
from django.utils.translation import gettext_lazy as _

from aftersales.core.models import Customer
from tickets.models import Survey, Ticket
from warranty.models import RegisteredUnit

from ..periods import Period
from .base import HIGHER, LOWER, MEAN, RATE, RATIO, Filters, Metric, apply_dimensions
from .complaints import counted_complaints

SATISFIED_SCORE = 4  # "satisfied" is a score of 4 or 5 (ours; REQUIREMENTS §7)

SURVEY_DIMENSIONS = {
    "region": "ticket__region__code",
    "model": "ticket__unit__product_model__code",
    "technician": "ticket__assignee__username",
    "channel": "ticket__channel",
    "type": "ticket__ticket_type",
    "priority": "ticket__priority",
    "tier": "ticket__customer__tier",
}
CUSTOMER_DIMENSIONS = {"region": "region__code", "tier": "tier"}


def _answered(period: Period):
    return Survey.objects.filter(score__isnull=False, answered_at__gte=period.start, answered_at__lt=period.end)


def csat(period: Period, filters: Filters):
    return apply_dimensions(_answered(period), SURVEY_DIMENSIONS, filters).annotate(
        kpi_value=F("score"), kpi_at=F("answered_at"), number=F("ticket__number")
    )


def csi(period: Period, filters: Filters):
    """Customers who answered a survey in the period; 1 when their mean score then is 4 or more."""
    mean_score = (
        _answered(period)
        .filter(ticket__customer=OuterRef("pk"))
        .order_by()
        .values("ticket__customer")
        .annotate(mean=Avg("score"))
        .values("mean")
    )
    return (
        apply_dimensions(Customer.objects.all(), CUSTOMER_DIMENSIONS, filters)
        .annotate(mean_score=Subquery(mean_score, output_field=FloatField()))
        .filter(mean_score__isnull=False)
        .annotate(
            kpi_at=Value(period.start),
            kpi_value=Case(
                When(mean_score__gte=SATISFIED_SCORE, then=Value(1)), default=Value(0), output_field=IntegerField()
            ),
        )
    )


COMPLAINT_RATE_DIMENSIONS = {"region": "customer__region__code", "model": "unit__product_model__code"}
TICKET_RATE_DIMENSIONS = {"region": "customer__region__code", "model": "unit__product_model__code"}


def complaints_received(period: Period, filters: Filters):
    return apply_dimensions(
        counted_complaints().filter(created_at__gte=period.start, created_at__lt=period.end),
        COMPLAINT_RATE_DIMENSIONS,
        filters,
    ).annotate(kpi_at=F("created_at"), kpi_value=Value(1))


def tickets_received(period: Period, filters: Filters):
    return apply_dimensions(
        Ticket.objects.filter(created_at__gte=period.start, created_at__lt=period.end),
        TICKET_RATE_DIMENSIONS,
        filters,
    )


def repairs_received(period: Period, filters: Filters):
    return apply_dimensions(
        Ticket.objects.filter(ticket_type="repair", created_at__gte=period.start, created_at__lt=period.end),
        {"model": "unit__product_model__code"},
        filters,
    ).annotate(kpi_at=F("created_at"), kpi_value=Value(1))


def units_sold(period: Period, filters: Filters):
    # The installed base at the end of the period: every unit sold by its last day.
    return apply_dimensions(
        RegisteredUnit.objects.filter(purchase_date__lte=period.last), {"model": "product_model__code"}, filters
    )


METRICS = [
    Metric(
        key="csat_avg",
        label=_("Customer satisfaction (CSAT)"),
        formula=_("mean score (1–5) of the return-visit surveys answered in the period"),
        start=_("survey sent at resolution"),
        stop=_("survey answered"),
        reopening=_("each resolution cycle has its own survey"),
        exclusions=(_("unanswered surveys"),),
        period_basis="answered",
        unit="score",
        direction=HIGHER,
        default_target=Decimal("4.5"),
        aggregation=MEAN,
        records=csat,
        family="surveys",
        dimensions=SURVEY_DIMENSIONS,
        record_columns={"number": "ticket__number", "cycle": "cycle", "score": "score", "answered_at": "answered_at"},
        admin_changelist="tickets_survey",
    ),
    Metric(
        key="csi_percent",
        label=_("Customer satisfaction index (CSI)"),
        formula=_(
            "customers whose mean survey score in the period is 4 or more / customers who answered a survey in "
            "the period × 100"
        ),
        start=_("survey sent"),
        stop=_("survey answered"),
        exclusions=(_("customers with no answered survey in the period"),),
        period_basis="answered",
        unit="percent",
        direction=HIGHER,
        default_target=Decimal("90"),
        aggregation=RATE,
        records=csi,
        family="customers",
        dimensions=CUSTOMER_DIMENSIONS,
        record_columns={"name": "name", "tier": "tier", "mean_score": "mean_score"},
        admin_changelist="core_customer",
    ),
    Metric(
        key="complaint_rate",
        label=_("Complaint rate"),
        formula=_("complaints received in the period / tickets registered in the period × 100"),
        exclusions=(_("complaints linked as duplicates"),),
        period_basis="created",
        unit="percent",
        direction=LOWER,
        default_target=Decimal("1.2"),
        aggregation=RATIO,
        records=complaints_received,
        denominator=tickets_received,
        family="complaints",
        dimensions=COMPLAINT_RATE_DIMENSIONS,
        denominator_dimensions=TICKET_RATE_DIMENSIONS,
        record_columns={"number": "number", "created_at": "created_at", "category": "category"},
        admin_changelist="complaints_complaint",
    ),
    Metric(
        key="failures_per_100_units",
        label=_("Failures per 100 units"),
        formula=_("repair tickets registered in the period / units sold by the period's last day × 100"),
        exclusions=(_("tickets of other types"),),
        period_basis="created",
        unit="per_100_units",
        direction=LOWER,
        default_target=None,
        aggregation=RATIO,
        records=repairs_received,
        denominator=units_sold,
        family="tickets",
        dimensions={"model": "unit__product_model__code"},
        denominator_dimensions={"model": "product_model__code"},
        record_columns={"number": "number", "created_at": "created_at", "model": "unit__product_model__code"},
        admin_changelist="tickets_ticket",
    ),
]
