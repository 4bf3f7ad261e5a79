"""The KPI panel of the staff start page (``aftersales.core.workspace``): the reports, and the way to the dashboards."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aftersales.core.workspace import Panel, PanelRow, panel_content, panel_register

from .models import KpiReport
from .permissions import may_view_kpis


def _reports(user, now):
    if not may_view_kpis(user):
        return None
    reports = KpiReport.objects.order_by("-period_first", "-generated_at", "-pk")

    def row(report) -> PanelRow:
        period = f"{report.period_first:%Y-%m-%d} – {report.period_last:%Y-%m-%d}"
        url = reverse("kpi:report", args=[report.pk])
        return PanelRow(title=str(report.get_kind_display()), url=url, detail=period)

    return panel_content(reports, row, reverse("kpi:dashboard"))


def register_panels() -> None:
    panel_register(
        Panel(
            key="kpi.reports",
            title=_("KPI dashboards and reports"),
            roles=frozenset({"manager", "supervisor"}),
            read=_reports,
            order=60,
            empty=_("No report yet: open the dashboards."),
        )
    )
