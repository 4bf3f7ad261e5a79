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
