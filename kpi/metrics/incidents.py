"""Emergency-response metrics from the incidents' response clocks; drills never count."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import CharField, F, FloatField, OuterRef, Subquery
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from aftersales.core.models import ClockEvent
from emergency.models import Incident

from ..periods import Period
from .base import LOWER, MEAN, Filters, Metric, apply_dimensions, hours

DIMENSIONS = {"type": "incident_type", "priority": "level_code", "channel": "channel"}


def response_hours(period: Period, filters: Filters):
    met = ClockEvent.objects.filter(
        clock__content_type__app_label="emergency",
        clock__content_type__model="incident",
        clock__object_id=OuterRef("pk"),
        clock__name="respond",
        clock__cycle=1,
        kind=ClockEvent.Kind.MET,
    )
    incidents = Incident.objects.filter(drill=False, reported_at__gte=period.start, reported_at__lt=period.end)
    return (
        apply_dimensions(incidents.annotate(level_code=Cast("level", CharField())), DIMENSIONS, filters)
        .annotate(business_seconds=Subquery(met.values("consumed_seconds")[:1]))
        .filter(business_seconds__isnull=False)
        .annotate(kpi_at=F("reported_at"), kpi_value=hours(Cast("business_seconds", FloatField())))
    )


METRICS = [
    Metric(
        key="emergency_response_hours",
        label=_("Emergency response time"),
        formula=_("mean over incidents reported in the period of the time used by the response clock when met"),
        start=_("incident reported (response clock started)"),
        stop=_("response clock met"),
        time_basis="business",
        pauses=_("as the policy's calendar counts (7×24 by default)"),
        exclusions=(_("drills"),),
        period_basis="reported",
        unit="hours",
        direction=LOWER,
        default_target=Decimal("2"),
        aggregation=MEAN,
        duration=True,
        records=response_hours,
        family="incidents",
        dimensions=DIMENSIONS,
        record_columns={"number": "number", "reported_at": "reported_at", "level": "level", "type": "incident_type"},
        admin_changelist="emergency_incident",
    ),
]
