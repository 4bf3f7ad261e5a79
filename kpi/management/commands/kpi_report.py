"""``manage.py kpi_report --month YYYY-MM``: write that month's report and print where it is."""

import re
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kpi.models import KpiReport
from kpi.periods import month_period
from kpi.services import kpi_report_generate


class Command(BaseCommand):
    help = "Write the monthly KPI report (XLSX, HTML and, with Chromium, PDF) and print its path."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--kind", default=KpiReport.Kind.MONTHLY, choices=list(KpiReport.Kind.values))

    def handle(self, *args, month: str, kind: str, **options):
        match = re.fullmatch(r"(\d{4})-(\d{2})", month or "")
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise CommandError("--month must be YYYY-MM, e.g. 2026-10")
        report, created = kpi_report_generate(kind=kind, period=month_period(int(match.group(1)), int(match.group(2))))
        directory = Path(settings.KPI_REPORTS_DIR)
        if not created:
            self.stderr.write(f"The {kind} report of {month} was already made; its files were written again.")
        for name in report.files.values():
            self.stdout.write(str(directory / name))
