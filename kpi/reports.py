"""What a report says (read once, then frozen) and the files it is written to: XLSX, printable HTML, PDF."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

from django.conf import settings
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Sum
from django.template.loader import render_to_string
from django.utils import translation
from openpyxl import Workbook

from complaints.models import BreachReport
from emergency.models import Incident
from tickets.models import FollowUp, PartUsage, Ticket, TicketEvent

from .metrics.complaints import counted_complaints
from .periods import Period
from .registry import metrics_in_order
from .selectors import kpi_summary, metric_records

logger = logging.getLogger(__name__)
TOP_CAUSES = 10
PDF_TIMEOUT_SECONDS = 90


def _local(moment) -> str | None:
    from django.utils import timezone

    return None if moment is None else timezone.localtime(moment).isoformat()


def _late_items(period: Period) -> list[dict]:
    """Every late promise of the period with its explanation and remedy (000 P1§5)."""
    tickets = FollowUp.objects.filter(
        kind="breach_report", created_at__gte=period.start, created_at__lt=period.end
    ).values_list("ticket__number", "created_at", "explanation", "remedy", "done_at")
    complaints = BreachReport.objects.filter(created_at__gte=period.start, created_at__lt=period.end).values_list(
        "complaint__number", "created_at", "explanation", "remedy", "done_at"
    )
    rows = [*tickets.order_by("created_at", "id"), *complaints.order_by("created_at", "id")]
    return [
        {"number": n, "at": _local(at), "explanation": e, "remedy": r, "done_at": _local(d)} for n, at, e, r, d in rows
    ]


def _costs(period: Period) -> dict:
    """Person-times (visits started), labour, travel and parts of the tickets resolved in the period."""
    resolved = Ticket.objects.filter(resolved_at__gte=period.start, resolved_at__lt=period.end)
    totals = resolved.aggregate(labour_hours=Sum("labour_hours"), travel_km=Sum("travel_km"), tickets=Count("pk"))
    line = ExpressionWrapper(F("quantity") * F("unit_cost"), output_field=DecimalField(max_digits=14, decimal_places=2))
    parts = PartUsage.objects.filter(recorded_at__gte=period.start, recorded_at__lt=period.end).aggregate(
        total=Sum(line)
    )
    visits = TicketEvent.objects.filter(
        action="start_work", created_at__gte=period.start, created_at__lt=period.end
    ).count()
    return {
        "visits": visits,
        "tickets_resolved": totals["tickets"],
        "labour_hours": float(totals["labour_hours"] or 0),
        "travel_km": int(totals["travel_km"] or 0),
        "parts_cost": float(parts["total"] or 0),
    }


def report_content(period: Period) -> dict:
    """Everything a report shows, as plain JSON, with the ids of the records behind each figure."""
    current = kpi_summary(period=period, filters={})
    previous = {entry["key"]: entry for entry in kpi_summary(period=period.previous(), filters={})}
    for entry in current:
        before = previous[entry["key"]]["value"]
        entry["previous"] = before
        entry["change"] = None if entry["value"] is None or before is None else round(entry["value"] - before, 4)
    causes = (
        counted_complaints()
        .filter(created_at__gte=period.start, created_at__lt=period.end)
        .values("category")
        .annotate(n=Count("pk"))
        .order_by("-n", "category")[:TOP_CAUSES]
    )
    incidents = Incident.objects.filter(drill=False, reported_at__gte=period.start, reported_at__lt=period.end)
    return {
        "from": period.first.isoformat(),
        "to": period.last.isoformat(),
        "metrics": current,
        "records": {
            metric.key: list(metric_records(metric, period, {}).order_by("pk").values_list("pk", flat=True))
            for metric in metrics_in_order()
        },
        "complaint_causes": [{"category": row["category"], "count": row["n"]} for row in causes],
        "incidents": [
            {"number": n, "type": t, "level": lv, "reported_at": _local(at), "status": st}
            for n, t, lv, at, st in incidents.order_by("reported_at").values_list(
                "number", "incident_type", "level", "reported_at", "status"
            )
        ],
        "late_items": _late_items(period),
        "costs": _costs(period),
    }


def _workbook(content: dict, path: Path) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("KPIs")
    sheet.append([f"{content['from']} – {content['to']}"])
    sheet.append(["key", "label", "value", "unit", "target", "met", "count", "median", "p90", "previous", "change"])
    for m in content["metrics"]:
        sheet.append(
            [
                m["key"],
                m["label"],
                m["value"],
                m["unit"],
                m["target"],
                m["met"],
                m["count"],
                m.get("median"),
                m.get("p90"),
                m["previous"],
                m["change"],
            ]
        )
    for title, rows, columns in (
        ("Complaint causes", content["complaint_causes"], ["category", "count"]),
        ("Incidents", content["incidents"], ["number", "type", "level", "reported_at", "status"]),
        ("Late items", content["late_items"], ["number", "at", "explanation", "remedy", "done_at"]),
    ):
        sheet = book.create_sheet(title)
        sheet.append(columns)
        for row in rows:
            sheet.append([row[column] for column in columns])
    sheet = book.create_sheet("Costs")
    for key, value in content["costs"].items():
        sheet.append([key, value])
    book.save(path)


def _pdf(html_path: Path, pdf_path: Path) -> bool:
    if not settings.KPI_CHROMIUM or not Path(settings.KPI_CHROMIUM).is_file():
        return False
    chromium = Path(settings.KPI_CHROMIUM)
    command = [
        str(chromium),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-pdf-header-footer",
        f"--print-to-pdf={pdf_path}",
        html_path.resolve().as_uri(),
    ]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=PDF_TIMEOUT_SECONDS)  # noqa: S603
    except (OSError, subprocess.SubprocessError):
        logger.warning("printing the report to PDF failed", exc_info=True)
        return False
    return pdf_path.exists() and pdf_path.stat().st_size > 0


def write_files(*, content: dict, name: str, title: str, language: str = "zh-hans") -> dict:
    """Write ``<name>.xlsx``, ``<name>.html`` and (with Chromium) ``<name>.pdf``; returns the file names."""
    directory = Path(settings.KPI_REPORTS_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    files = {"xlsx": f"{name}.xlsx", "html": f"{name}.html"}
    _workbook(content, directory / files["xlsx"])
    with translation.override(language):
        html = render_to_string("kpi/report.html", {"content": content, "title": title})
    (directory / files["html"]).write_text(html, encoding="utf-8")
    if _pdf(directory / files["html"], directory / f"{name}.pdf"):
        files["pdf"] = f"{name}.pdf"
    return files
