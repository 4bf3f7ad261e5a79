"""docs/kpis.md is the registry written out: regenerate it with ``manage.py kpi_docs``."""

from pathlib import Path

from django.conf import settings
from django.utils import translation

from kpi.docs import kpis_markdown
from kpi.registry import METRICS


def test_docs_kpis_md_is_up_to_date():
    path = Path(settings.BASE_DIR) / "docs" / "kpis.md"
    assert path.read_text(encoding="utf-8") == kpis_markdown(), "run: python manage.py kpi_docs"


def test_every_metric_is_documented_with_its_formula():
    text = kpis_markdown()
    for metric in METRICS.values():
        with translation.override("en"):
            assert f"## `{metric.key}`" in text and str(metric.formula) in text
