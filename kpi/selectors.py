"""Reads of the kpi app: the summary, the records behind a figure, time series (all computed in PostgreSQL).

Each metric costs one aggregate query (two for a ratio), whatever the number of rows; the targets of
a period are read in one more. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Avg, Count, F, Q, QuerySet, Sum

from .metrics.base import RATE, RATIO, SUM, Filters, Metric, Percentile
from .models import KpiTarget
from .periods import Period, buckets
from .registry import metrics_in_order

DECIMALS = 4


@dataclass(frozen=True)
class Figure:
    value: float | None
    count: int
    median: float | None = None
    p90: float | None = None


def _round(value) -> float | None:
    return None if value is None else round(float(value), DECIMALS)


def _duration_extras(metric: Metric) -> dict:
    if not metric.duration:
        return {}
    return {"median": Percentile("kpi_value", 0.5), "p90": Percentile("kpi_value", 0.9)}


def _aggregates(metric: Metric) -> dict:
    if metric.aggregation == SUM:
        return {"total": Sum("kpi_value"), "observed": Count("pk")}
    return {"mean": Avg("kpi_value"), "n": Count("pk"), **_duration_extras(metric)}


def _figure(metric: Metric, row: Mapping) -> Figure:
    if metric.aggregation == SUM:
        observed = row.get("observed") or 0
        total = int(row.get("total") or 0)
        return Figure(value=float(total) if observed else None, count=total)
    count = row.get("n") or 0
    if not count:
        return Figure(value=None, count=0)
    scale = 100 if metric.aggregation == RATE else 1
    return Figure(
        value=_round(float(row["mean"]) * scale),
        count=count,
        median=_round(row.get("median")),
        p90=_round(row.get("p90")),
    )


def metric_records(metric: Metric, period: Period, filters: Filters) -> QuerySet:
    """The records behind ``metric``'s figure (for a count, only the records that count)."""
    records = metric.records(period, filters)
    if metric.aggregation == SUM:
        records = records.filter(kpi_value__gt=0)
    return records


def _ratio(metric: Metric, period: Period, filters: Filters, group_by: str | None):
    numerator = metric.records(period, filters)
    denominator = metric.denominator(period, filters)  # type: ignore[misc]  # a RATIO metric has one
    if group_by is None:
        count, base = numerator.count(), denominator.count()
        return Figure(value=_round(count * metric.scale / base) if base else None, count=count), None
    top = _grouped_counts(numerator, metric.dimensions[group_by])
    bottom = _grouped_counts(denominator, metric.denominator_dimensions[group_by])
    groups = []
    for key in sorted(set(top) | set(bottom), key=lambda k: (k is None, str(k))):
        count, base = top.get(key, 0), bottom.get(key, 0)
        groups.append((key, Figure(value=_round(count * metric.scale / base) if base else None, count=count)))
    count, base = sum(top.values()), sum(bottom.values())
    return Figure(value=_round(count * metric.scale / base) if base else None, count=count), groups


def _grouped_counts(queryset: QuerySet, path: str) -> dict:
    return dict(queryset.order_by().values_list(path).annotate(n=Count("pk")).values_list(path, "n"))


def metric_figure(metric: Metric, period: Period, filters: Filters, group_by: str | None = None):
    """(the figure, [(group value, figure), …] or None) — one query, or one per side of a ratio."""
    if not metric.applicable(filters):
        return Figure(value=None, count=0), ([] if group_by else None)
    groupable = group_by is not None and metric.applicable({group_by: ""})
    if metric.aggregation == RATIO:
        figure, groups = _ratio(metric, period, filters, group_by if groupable else None)
        return figure, ((groups or []) if group_by else None)
    records = metric.records(period, filters)
    aggregates = _aggregates(metric)
    if not groupable or group_by is None:
        return _figure(metric, records.aggregate(**aggregates)), ([] if group_by else None)
    rows = list(
        records.order_by()
        .values(group=F(metric.dimensions[group_by]))
        .annotate(**aggregates)
        .order_by(F("group").asc(nulls_last=True))
    )
    groups = [(row["group"], _figure(metric, row)) for row in rows]
    overall = _figure(metric, records.aggregate(**aggregates))
    return overall, groups


def targets_for(period: Period, region: str | None) -> dict[str, Decimal]:
    """The managers' targets in force on the period's first day (a region's own wins), one query."""
    rows = KpiTarget.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=period.first), valid_from__lte=period.first
    ).filter(Q(region__isnull=True) | Q(region__code=region or ""))
    chosen: dict[str, tuple[tuple[bool, date], Decimal]] = {}
    for metric, region_id, valid_from, value in rows.values_list("metric", "region_id", "valid_from", "value"):
        rank = (region_id is not None, valid_from)
        if metric not in chosen or rank > chosen[metric][0]:
            chosen[metric] = (rank, value)
    return {metric: value for metric, (_, value) in chosen.items()}


def _target(metric: Metric, targets: Mapping[str, Decimal]) -> Decimal | None:
    return targets.get(metric.key, metric.default_target)


def metric_entry(metric: Metric, figure: Figure, target: Decimal | None) -> dict:
    entry = {
        "key": metric.key,
        "label": str(metric.label),
        "value": figure.value,
        "unit": metric.unit,
        "target": None if target is None else float(target),
        "met": metric.met(figure.value, target),
        "count": figure.count,
        "direction": metric.direction,
    }
    if metric.duration:
        entry.update(median=figure.median, p90=figure.p90)
    return entry


def kpi_summary(
    *, period: Period, filters: Filters, group_by: str | None = None, metrics: Iterable[Metric] | None = None
) -> list[dict]:
    targets = targets_for(period, filters.get("region"))
    result = []
    for metric in metrics if metrics is not None else metrics_in_order():
        figure, groups = metric_figure(metric, period, filters, group_by)
        entry = metric_entry(metric, figure, _target(metric, targets))
        entry["applicable"] = metric.applicable(filters)
        if group_by:
            entry["groups"] = [
                {"group": None if key is None else str(key), **_group_entry(metric, fig, _target(metric, targets))}
                for key, fig in groups or []
            ]
        result.append(entry)
    return result


def _group_entry(metric: Metric, figure: Figure, target: Decimal | None) -> dict:
    entry = {"value": figure.value, "count": figure.count, "met": metric.met(figure.value, target)}
    if metric.duration:
        entry.update(median=figure.median, p90=figure.p90)
    return entry


def kpi_series(*, metric: Metric, period: Period, filters: Filters, interval: str) -> list[dict]:
    """The figure per day, week or month of the period: one aggregate per bucket, as the summary computes it."""
    targets = targets_for(period, filters.get("region"))
    points = []
    for bucket in buckets(period, interval):
        figure, _ = metric_figure(metric, bucket, filters)
        target = targets.get(metric.key, metric.default_target)
        points.append(
            {
                "from": bucket.first.isoformat(),
                "to": bucket.last.isoformat(),
                "value": figure.value,
                "count": figure.count,
                "target": None if target is None else float(target),
                "met": metric.met(figure.value, target),
            }
        )
    return points


def record_rows(metric: Metric, records: QuerySet) -> QuerySet:
    """Plain rows of the records list: id, the metric's columns, the moment and the value."""
    columns = {name: F(path) for name, path in metric.record_columns.items() if name != path}
    plain = [path for name, path in metric.record_columns.items() if name == path]
    return records.values("pk", *plain, record_at=F("kpi_at"), record_value=F("kpi_value"), **columns).order_by(
        F("kpi_at").asc(nulls_last=True), "pk"
    )
