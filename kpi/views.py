"""``/kpi/``: the managers' dashboards, the records behind every figure, exports, the report archive.

Server-rendered: headline cards and breakdown tables work without JavaScript; the trend chart is
drawn by ECharts from data passed with ``json_script`` (no inline script, so the CSP stays strict).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from .exports import csv_response, xlsx_response
from .forms import DIMENSION_LABELS, KpiFilterForm
from .metrics.base import RATIO
from .models import KpiReport
from .periods import Period
from .permissions import may_view_kpis
from .registry import metric_get, metrics_in_order
from .selectors import kpi_series, kpi_summary, metric_records, record_rows

TREND_MONTHS = 6
RECORDS_PER_PAGE = 50
EXPORT_FORMATS = ("csv", "xlsx")


def kpi_view(view):
    """Signed in, and manager or above (supervisors read too); everyone else gets a 403."""

    @login_required(login_url="admin:login")
    def wrapped(request, *args, **kwargs):
        if not may_view_kpis(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _query_string(period: Period, filters: dict, **extra) -> str:
    return urlencode({"from": period.first.isoformat(), "to": period.last.isoformat(), **filters, **extra})


def _trend_period(period: Period) -> Period:
    """The last months up to the period's end, for the trend chart."""
    first = period.last.replace(day=1)
    for _step in range(TREND_MONTHS - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return Period(min(first, period.first), period.last)


def _cards(current: list[dict], previous: list[dict], period: Period, filters: dict) -> list[dict]:
    before = {entry["key"]: entry for entry in previous}
    query = _query_string(period, filters)
    cards = []
    for entry in current:
        old = before[entry["key"]]["value"]
        change = None if entry["value"] is None or old is None else round(entry["value"] - old, 2)
        cards.append(
            {
                **entry,
                "previous": old,
                "change": change,
                "records_url": f"{reverse('kpi:records', args=[entry['key']])}?{query}",
            }
        )
    return cards


@kpi_view
def dashboard(request):
    form = KpiFilterForm(request.GET)
    if not form.is_valid():
        return render(request, "kpi/dashboard.html", {"form": form, "cards": []}, status=400)
    data = form.cleaned_data
    period, filters, group_by = data["period"], data["filters"], data["group_by"]
    current = kpi_summary(period=period, filters=filters, group_by=group_by)
    previous = kpi_summary(period=period.previous(), filters=filters)
    trend_metric = metric_get(data["trend"]) or metrics_in_order()[0]
    trend = kpi_series(metric=trend_metric, period=_trend_period(period), filters=filters, interval="month")
    groups = sorted({g["group"] or "" for entry in current for g in entry.get("groups", [])})
    table = [
        {
            **entry,
            "cells": [
                next((g for g in entry.get("groups", []) if (g["group"] or "") == name), None) for name in groups
            ],
        }
        for entry in current
    ]
    query = _query_string(period, filters)
    context = {
        "form": form,
        "period": period,
        "previous": period.previous(),
        "cards": _cards(current, previous, period, filters),
        "group_by_label": DIMENSION_LABELS[group_by],
        "groups": groups,
        "table": table,
        "trend": {
            "key": trend_metric.key,
            "label": str(trend_metric.label),
            "unit": trend_metric.unit,
            "points": trend,
            "labels": {"value": _("Value"), "target": _("Target")},
        },
        "export_csv": f"{reverse('kpi:export', args=['csv'])}?{query}&{urlencode({'group_by': group_by})}",
        "export_xlsx": f"{reverse('kpi:export', args=['xlsx'])}?{query}&{urlencode({'group_by': group_by})}",
        "reports_url": reverse("kpi:reports"),
    }
    return render(request, "kpi/dashboard.html", context)


def _dashboard_rows(current: list[dict]):
    for entry in current:
        yield [
            entry["key"],
            entry["label"],
            "",
            entry["value"],
            entry["unit"],
            entry["target"],
            entry["met"],
            entry["count"],
        ]
        for group in entry.get("groups", []):
            yield [
                entry["key"],
                entry["label"],
                group["group"],
                group["value"],
                entry["unit"],
                entry["target"],
                group["met"],
                group["count"],
            ]


@kpi_view
def dashboard_export(request, fmt: str):
    form = KpiFilterForm(request.GET)
    if fmt not in EXPORT_FORMATS or not form.is_valid():
        raise Http404
    data = form.cleaned_data
    period, filters = data["period"], data["filters"]
    current = kpi_summary(period=period, filters=filters, group_by=data["group_by"])
    header = [
        [_("KPIs"), f"{period.first} – {period.last}"],
        [_("Filters"), urlencode(filters) or "—"],
        [_("Break down by"), data["group_by"]],
        *[[m.key, str(m.formula)] for m in metrics_in_order()],
    ]
    columns = ["key", "label", "group", "value", "unit", "target", "met", "count"]
    respond = csv_response if fmt == "csv" else xlsx_response
    return respond(
        filename=f"kpi-{period.first}-{period.last}", header=header, columns=columns, rows=_dashboard_rows(current)
    )


def _metric_or_404(key: str):
    metric = metric_get(key)
    if metric is None:
        raise Http404
    return metric


def _records_query(request, metric):
    form = KpiFilterForm(request.GET)
    if not form.is_valid():
        return form, None, None, None
    data = form.cleaned_data
    rows = record_rows(metric, metric_records(metric, data["period"], data["filters"]))
    if not metric.applicable(data["filters"]):
        rows = rows.none()
    return form, data["period"], data["filters"], rows


@kpi_view
def records(request, key: str):
    """The records behind one figure, page by page, with the same period and filters."""
    metric = _metric_or_404(key)
    form, period, filters, rows = _records_query(request, metric)
    if rows is None:
        return render(request, "kpi/records.html", {"metric": metric, "form": form, "page": None}, status=400)
    page = Paginator(rows, RECORDS_PER_PAGE).get_page(request.GET.get("page"))
    columns = list(metric.record_columns)
    query = _query_string(period, filters)
    admin_url = ""
    if metric.admin_changelist:
        admin_url = reverse(f"admin:{metric.admin_changelist}_changelist")
    context = {
        "metric": metric,
        "form": form,
        "period": period,
        "columns": columns,
        "page": page,
        "rows": [[row.get(c) for c in columns] + [row["record_at"], row["record_value"], row["pk"]] for row in page],
        "query": query,
        "admin_url": admin_url,
        "export_csv": f"{reverse('kpi:records-export', args=[key, 'csv'])}?{query}",
        "export_xlsx": f"{reverse('kpi:records-export', args=[key, 'xlsx'])}?{query}",
        "is_ratio": metric.aggregation == RATIO,
    }
    return render(request, "kpi/records.html", context)


@kpi_view
def records_export(request, key: str, fmt: str):
    metric = _metric_or_404(key)
    _form, period, filters, rows = _records_query(request, metric)
    if rows is None or fmt not in EXPORT_FORMATS:
        raise Http404
    columns = [*metric.record_columns, "record_at", "record_value", "pk"]
    header = [
        [str(metric.label), metric.key],
        [_("Formula"), str(metric.formula)],
        [_("Period"), f"{period.first} – {period.last}"],
        [_("Filters"), urlencode(filters) or "—"],
    ]
    values = rows.values_list(*columns).iterator(chunk_size=2000)
    respond = csv_response if fmt == "csv" else xlsx_response
    return respond(filename=f"{metric.key}-{period.first}-{period.last}", header=header, columns=columns, rows=values)


@kpi_view
def reports(request):
    """The archive of past reports, as they were sent."""
    return render(request, "kpi/reports.html", {"reports": KpiReport.objects.all()[:200]})


@kpi_view
def report(request, pk: int):
    item = get_object_or_404(KpiReport, pk=pk)
    return render(request, "kpi/report_detail.html", {"report": item, "content": item.content})


@kpi_view
def report_file(request, pk: int, fmt: str):
    item = get_object_or_404(KpiReport, pk=pk)
    name = item.files.get(fmt)
    if not name:
        raise Http404
    path = Path(settings.KPI_REPORTS_DIR) / Path(name).name
    if not path.exists():
        raise Http404
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name)
