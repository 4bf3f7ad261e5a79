"""Complaint metrics, read from the complaints' append-only events (``complaints.ComplaintEvent``)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import F, OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from complaints.models import Complaint, ComplaintEvent

from ..periods import Period
from .base import LOWER, MEAN, EpochSeconds, Filters, Metric, apply_dimensions, hours

DIMENSIONS = {
    "region": "customer__region__code",
    "model": "unit__product_model__code",
    "channel": "channel",
    "type": "category",
    "priority": "severity",
    "tier": "customer__tier",
}


def counted_complaints():
    """Complaints that count: not a linked duplicate of another (nobody works it twice), not withdrawn."""
    return Complaint.objects.filter(duplicate_of__isnull=True).exclude(Q(status="linked") | Q(status="withdrawn"))


def closure_hours(period: Period, filters: Filters):
    last_event = ComplaintEvent.objects.filter(complaint=OuterRef("pk"), action__in=["close", "reopen"]).order_by(
        "-created_at", "-id"
    )
    return (
        apply_dimensions(counted_complaints(), DIMENSIONS, filters)
        .annotate(
            last_action=Subquery(last_event.values("action")[:1]),
            closed_event_at=Subquery(last_event.values("created_at")[:1]),
        )
        .filter(last_action="close", closed_event_at__gte=period.start, closed_event_at__lt=period.end)
        .annotate(kpi_at=F("closed_event_at"), kpi_value=hours(EpochSeconds(F("closed_event_at") - F("created_at"))))
    )


METRICS = [
    Metric(
        key="complaint_closure_hours",
        label=_("Complaint closure cycle"),
        formula=_(
            "mean over complaints closed in the period of (the last close event − received), wall time; a "
            "complaint reopened after its close counts when it is closed again"
        ),
        start=_("complaint received"),
        stop=_("close event (the latest, when no reopening followed it)"),
        time_basis="wall",
        pauses=_("not subtracted: the customer waits through them"),
        reopening=_("the time runs from receipt to the final close"),
        exclusions=(_("complaints linked as duplicates"), _("withdrawn complaints")),
        period_basis="closed",
        unit="hours",
        direction=LOWER,
        default_target=Decimal("72"),  # 3 working days; 24 h is the stretch goal (REQUIREMENTS §7)
        aggregation=MEAN,
        duration=True,
        records=closure_hours,
        family="complaints",
        dimensions=DIMENSIONS,
        record_columns={"number": "number", "created_at": "created_at", "category": "category"},
        admin_changelist="complaints_complaint",
    ),
]
