"""Writes of the kpi app (only its own tables): generating a report, freezing it, mailing it."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from aftersales.core import clock as wall_clock
from aftersales.core.outbox.services import Notification, outbox_enqueue_many

from .models import KpiReport
from .periods import Period, month_period


def previous_month(today) -> Period:
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return month_period(year, month)


def _recipients(kind: str) -> list[str]:
    return list(getattr(settings, "KPI_REPORT_RECIPIENTS", {}).get(kind, []))


def kpi_report_generate(*, kind: str, period: Period, now: datetime | None = None) -> tuple[KpiReport, bool]:
    """The report of ``kind`` for ``period``: made once (values and ids frozen), mailed once.

    Running again for the same period returns the stored report and rewrites its files from the
    frozen content, so a lost file can be restored and nothing sent changes. Returns (report, created).
    """
    from .reports import report_content, write_files

    now = now or wall_clock.now()
    with transaction.atomic():
        report = KpiReport.objects.select_for_update().filter(kind=kind, period_first=period.first).first()
        created = report is None
        if report is None:
            report = KpiReport.objects.create(
                kind=kind,
                period_first=period.first,
                period_last=period.last,
                generated_at=now,
                content=report_content(period),
                recipients=_recipients(kind),
            )
        title = f"{KpiReport.Kind(kind).label} {period.first:%Y-%m}"
        report.files = write_files(content=report.content, name=f"{kind}-{period.first:%Y-%m}", title=str(title))
        report.save(update_fields=["files"])
        if created:
            url = settings.SITE_URL.rstrip("/") + reverse("kpi:report", args=[report.pk])
            outbox_enqueue_many(
                [
                    Notification(
                        key=f"kpi-report:{report.pk}:{address}",
                        channel="email",
                        recipient=address,
                        template="kpi_report",
                        context={
                            "title": str(title),
                            "url": url,
                            "from": period.first.isoformat(),
                            "to": period.last.isoformat(),
                        },
                    )
                    for address in report.recipients
                ],
                now=now,
            )
    return report, created
