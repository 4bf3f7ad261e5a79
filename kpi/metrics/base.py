"""What a metric is: its definition (for people and for docs/kpis.md) and its query (for PostgreSQL).

Each metric turns a period and filters into one queryset of the *records behind the number*, every
row annotated with ``kpi_value`` (hours, a score, or 1/0 for a rate) and ``kpi_at`` (the moment the
record counts at). The number itself is an aggregate over that queryset, computed by PostgreSQL —
so the records list and the figure can never disagree, and no Python loop walks the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Aggregate, F, FloatField, Func, QuerySet
from django.utils.functional import Promise

from ..periods import Period

# Aggregations
MEAN = "mean"  # mean of kpi_value; durations add median and p90
RATE = "rate"  # percent of records whose kpi_value is 1
SUM = "sum"  # total of kpi_value over the records observed (a count of events)
RATIO = "ratio"  # numerator records / denominator records × scale

HIGHER, LOWER = "higher", "lower"

Filters = Mapping[str, str]


class EpochSeconds(Func):
    """Seconds of a PostgreSQL interval (``EXTRACT(EPOCH FROM a - b)``)."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)"
    output_field = FloatField()


class Percentile(Aggregate):
    """``percentile_cont(p) WITHIN GROUP (ORDER BY x)``: the interpolated median / p90 of PostgreSQL."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def hours(seconds_expression):
    return seconds_expression / 3600.0


def hours_between(later: str, earlier: str):
    return hours(EpochSeconds(F(later) - F(earlier)))


@dataclass(frozen=True)
class Metric:
    key: str
    label: Promise
    family: str  # tickets, complaints, incidents, surveys, customers, clocks
    formula: Promise
    unit: str  # hours, percent, score, count, per_100_units
    direction: str
    default_target: Decimal | None
    aggregation: str
    period_basis: str  # created, responded, resolved, closed, answered, reported, breached
    records: Callable[[Period, Filters], QuerySet]
    start: str = ""
    stop: str = ""
    time_basis: str = ""  # business (the policy's calendar), wall, or "" for non-durations
    pauses: str = ""
    reopening: str = ""
    exclusions: tuple[str, ...] = ()
    # filter / group_by name → lookup path on the records' model; a filter a metric cannot honour
    # makes its value "not applicable" (null) rather than silently ignoring it.
    dimensions: Mapping[str, str] = field(default_factory=dict)
    duration: bool = False
    # RATIO metrics: the denominator queryset and its own dimension paths; × scale.
    denominator: Callable[[Period, Filters], QuerySet] | None = None
    denominator_dimensions: Mapping[str, str] = field(default_factory=dict)
    scale: int = 100
    # What a row of the records list shows: column name → lookup path (or annotation).
    record_columns: Mapping[str, str] = field(default_factory=dict)
    admin_changelist: str = ""  # "app_label_model" of the admin list of the records, if any

    def applicable(self, filters: Filters) -> bool:
        known = set(self.dimensions)
        if self.denominator is not None:
            known &= set(self.denominator_dimensions)
        return all(name in known for name in filters)

    def met(self, value: float | None, target: Decimal | None) -> bool | None:
        if value is None or target is None:
            return None
        return value >= float(target) if self.direction == HIGHER else value <= float(target)


def apply_dimensions(queryset: QuerySet, dimensions: Mapping[str, str], filters: Filters) -> QuerySet:
    return queryset.filter(**{dimensions[name]: value for name, value in filters.items()})
