"""``docs/kpis.md``, written from the registry (``manage.py kpi_docs``; a test checks it is current)."""

from __future__ import annotations

from django.utils import translation

from .metrics.base import MEAN, RATE, RATIO, SUM
from .registry import metrics_in_order

AGGREGATIONS = {
    MEAN: "mean of the records' values (durations also give the median and p90, `percentile_cont`)",
    RATE: "percent of the records whose value is 1",
    SUM: "count of the events; no data when nothing was observed",
    RATIO: "numerator records / denominator records × 100",
}


def kpis_markdown() -> str:
    with translation.override("en"):
        lines = [
            "# KPIs",
            "",
            "Generated from `kpi/registry.py` by `python manage.py kpi_docs` — do not edit by hand",
            "(`kpi/tests/test_docs.py` fails when this file and the registry differ).",
            "",
            "Every figure is computed in PostgreSQL from the append-only records: the SLA clocks and their",
            "events (`core.SlaClock`, `core.ClockEvent`), the cases' event tables (`TicketEvent`,",
            "`ComplaintEvent`), surveys and follow-ups — never by a loop over rows in Python. Periods are",
            "local days in Asia/Shanghai, cut at local midnight: `from`/`to` are both included, and the",
            "instant range is [from 00:00, to + 1 day 00:00) +08:00. A period with no record is **no data**",
            "(`value: null`, `count: 0`), never 0. Business time is counted on the calendar the SLA policy names",
            "(working hours, public holidays and make-up working days); a clock's met event stores the business",
            "time it used, pauses excluded. Each figure opens onto its records:",
            "`GET /api/v1/kpi/metrics/<key>/records/` and `/kpi/metrics/<key>/`.",
            "",
            "Targets: the registry's default, unless a manager set one in the admin (`KpiTarget`: per metric,",
            "from a date, for every region or one region; a region's own target wins). `met` is",
            "value ≥ target for *higher is better*, value ≤ target for *lower is better*, `null` without a value.",
            "",
            "| Key | Metric | Unit | Better | Default target |",
            "|---|---|---|---|---|",
        ]
        for metric in metrics_in_order():
            target = "—" if metric.default_target is None else f"{metric.default_target}"
            lines.append(f"| `{metric.key}` | {metric.label} | {metric.unit} | {metric.direction} | {target} |")
        for metric in metrics_in_order():
            lines += ["", f"## `{metric.key}` — {metric.label}", "", f"**Formula:** {metric.formula}.", ""]
            facts = [
                ("Aggregation", AGGREGATIONS[metric.aggregation]),
                ("Records", metric.family),
                ("Counts in the period of", metric.period_basis),
                ("Starts at", metric.start),
                ("Stops at", metric.stop),
                ("Time", metric.time_basis),
                ("Pauses", metric.pauses),
                ("Reopening", metric.reopening),
                ("Excluded", "; ".join(str(item) for item in metric.exclusions)),
                ("Filters and breakdowns", ", ".join(metric.dimensions) if metric.applicable({}) else ""),
            ]
            if metric.denominator is not None:
                facts[-1] = (
                    "Filters and breakdowns",
                    ", ".join(name for name in metric.dimensions if name in metric.denominator_dimensions),
                )
            lines += [f"- {name}: {value}" for name, value in facts if str(value)]
        lines.append("")
    return "\n".join(lines)
