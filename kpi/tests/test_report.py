"""``manage.py kpi_report``: three files, a frozen report, one email per recipient, idempotent."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from aftersales.core.models import OutboxMessage
from kpi.models import KpiReport
from tickets.models import Ticket

from .dataset import october

pytestmark = pytest.mark.django_db


@pytest.fixture
def reports_dir(settings, tmp_path):
    settings.KPI_REPORTS_DIR = str(tmp_path)
    settings.KPI_CHROMIUM = "/usr/bin/chromium"
    settings.KPI_REPORT_RECIPIENTS = {"monthly": ["quality@example.com", "ceo@example.com"]}
    return tmp_path


def run(*args) -> list[str]:
    out = io.StringIO()
    call_command("kpi_report", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue().split()


def test_kpi_report_writes_xlsx_html_pdf_freezes_values_and_mails(make_user, business_calendar, reports_dir):
    data = october(make_user, business_calendar)

    paths = run("--month", "2026-10")

    assert {Path(p).suffix for p in paths} >= {".xlsx", ".html"}
    if Path("/usr/bin/chromium").exists():
        assert any(p.endswith(".pdf") for p in paths)
        pdf = next(Path(p) for p in paths if p.endswith(".pdf"))
        assert pdf.read_bytes().startswith(b"%PDF")
    for path in paths:
        assert Path(path).exists() and Path(path).parent == reports_dir
    report = KpiReport.objects.get(kind="monthly", period_first="2026-10-01")
    metrics = {m["key"]: m for m in report.content["metrics"]}
    assert metrics["mean_time_to_resolve_hours"]["value"] == 6
    assert metrics["sla_breaches"]["value"] == 3
    assert sorted(report.content["records"]["avg_first_response_hours"]) == sorted(data.tickets[n].pk for n in "ABCD")
    workbook = load_workbook(next(p for p in paths if p.endswith(".xlsx")), read_only=True)
    rows = {row[0]: row for row in workbook["KPIs"].iter_rows(values_only=True)}
    assert rows["sla_breaches"][2] == 3
    html = Path(next(p for p in paths if p.endswith(".html"))).read_text()
    assert "sla_breaches" not in html  # people read labels, not keys
    # Every late item is listed: A's resolution, B's first response and resolution.
    assert html.count(data.tickets["A"].number) == 1 and html.count(data.tickets["B"].number) == 2
    mails = OutboxMessage.objects.filter(template="kpi_report")
    assert sorted(mails.values_list("recipient", flat=True)) == ["ceo@example.com", "quality@example.com"]
    assert all(f"/kpi/reports/{report.pk}/" in mail.context["url"] for mail in mails)

    # Frozen: a later change to the records does not change what was sent; a rerun mails nobody again.
    Ticket.objects.filter(pk=data.tickets["C"].pk).update(labour_hours=99)
    run("--month", "2026-10")
    report.refresh_from_db()
    assert {m["key"]: m for m in report.content["metrics"]}["mean_time_to_resolve_hours"]["value"] == 6
    assert mails.count() == 2
    assert KpiReport.objects.count() == 1


@pytest.mark.parametrize("month", ["2026-13", "October", "2026-1"])
def test_a_bad_month_is_refused(month, reports_dir):
    with pytest.raises(CommandError):
        run("--month", month)


def test_beat_runs_statistics_on_the_3rd_and_the_report_on_the_4th(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["kpi-monthly-statistics"]["task"] == "kpi.monthly_statistics"
    assert schedule["kpi-monthly-statistics"]["schedule"].day_of_month == {3}
    assert schedule["kpi-monthly-report"]["task"] == "kpi.monthly_report"
    assert schedule["kpi-monthly-report"]["schedule"].day_of_month == {4}
