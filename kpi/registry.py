"""The one registry of KPIs (REQUIREMENTS §7): every figure the dashboards, the API and the reports show.

``docs/kpis.md`` is generated from it (``manage.py kpi_docs``; a test checks it is up to date).
"""

from __future__ import annotations

from .metrics import complaints, customers, incidents, tickets
from .metrics.base import Metric

METRICS: dict[str, Metric] = {
    metric.key: metric for family in (tickets, customers, complaints, incidents) for metric in family.METRICS
}
# The summary's order: the CONTRACT's keys first, then the rest.
ORDER = [
    "avg_first_response_hours",
    "response_on_time_rate",
    "resolution_rate",
    "resolution_on_time_rate",
    "mean_time_to_resolve_hours",
    "first_time_fix_rate",
    "repeat_repair_rate",
    "csat_avg",
    "csi_percent",
    "return_visit_rate",
    "complaint_rate",
    "complaint_closure_hours",
    "failures_per_100_units",
    "emergency_response_hours",
    "sla_breaches",
]
assert sorted(ORDER) == sorted(METRICS), "every metric has its place in the summary"

DIMENSIONS = ("region", "model", "technician", "channel", "type", "priority", "tier")


def metric_get(key: str) -> Metric | None:
    return METRICS.get(key)


def metrics_in_order() -> list[Metric]:
    return [METRICS[key] for key in ORDER]
