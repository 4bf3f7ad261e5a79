"""Tables of the kpi app: managers' targets and the frozen monthly reports (kpi writes only these)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class KpiTarget(models.Model):
    """A manager's target for one metric from a date on, for every region or one region.

    The target of a period is the one in force on its first day; a region's own target wins over the
    one for every region. Without any row the registry's default applies.
    """

    metric = models.CharField(_("metric"), max_length=60)
    region = models.ForeignKey(
        "core.Region", verbose_name=_("region"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    value = models.DecimalField(_("target"), max_digits=12, decimal_places=4)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["metric", "-valid_from"]
        verbose_name = _("KPI target")
        verbose_name_plural = _("KPI targets")
        constraints = [
            models.UniqueConstraint(fields=["metric", "region", "valid_from"], name="kpi_target_unique_start"),
            models.UniqueConstraint(
                fields=["metric", "valid_from"], condition=Q(region__isnull=True), name="kpi_target_unique_global"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="kpi_target_range",
            ),
        ]
        permissions = [("view_kpi_dashboard", _("Can view the KPI dashboards and API"))]

    def __str__(self) -> str:
        return f"{self.metric} ≥/≤ {self.value} ({self.valid_from})"

    def clean(self):
        from .registry import METRICS

        if self.metric not in METRICS:
            raise ValidationError({"metric": _("Unknown metric.")})


class KpiReport(models.Model):
    """A report as it was sent: the figures, the ids behind them and the files, frozen at generation.

    Read next year, it shows what was sent then, whatever happened to the records since.
    """

    class Kind(models.TextChoices):
        STATISTICS = "statistics", _("Monthly statistics (before the 4th)")
        MONTHLY = "monthly", _("Monthly report (before the 5th)")
        WEEKLY = "weekly", _("Weekly progress report")
        QUARTERLY = "quarterly", _("Quarterly execution report")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    period_first = models.DateField(_("first day"))
    period_last = models.DateField(_("last day"))
    generated_at = models.DateTimeField(_("generated at"))
    # {"metrics": [...], "previous": [...], "records": {key: [ids]}, "complaint_causes": [...], ...}
    content = models.JSONField(_("content"), default=dict)
    files = models.JSONField(_("files"), default=dict)  # {"xlsx": name, "html": name, "pdf": name}
    recipients = models.JSONField(_("recipients"), default=list)

    class Meta:
        ordering = ["-period_first", "kind"]
        verbose_name = _("KPI report")
        verbose_name_plural = _("KPI reports")
        constraints = [models.UniqueConstraint(fields=["kind", "period_first"], name="kpi_report_once_per_period")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period_first:%Y-%m}"
