from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpiConfig(AppConfig):
    name = "kpi"
    verbose_name = _("KPIs")

    def ready(self) -> None:
        # Beat names kpi.monthly_statistics and kpi.monthly_report: register them in every process.
        from . import tasks  # noqa: F401

        # Its panel on the staff start page ("My work").
        from .workspace import register_panels

        register_panels()
