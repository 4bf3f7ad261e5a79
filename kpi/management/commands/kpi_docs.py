"""``manage.py kpi_docs``: rewrite docs/kpis.md from the registry."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from kpi.docs import kpis_markdown


class Command(BaseCommand):
    help = "Write docs/kpis.md from the KPI registry."

    def handle(self, *args, **options):
        path = Path(settings.BASE_DIR) / "docs" / "kpis.md"
        path.write_text(kpis_markdown(), encoding="utf-8")
        self.stdout.write(str(path))
