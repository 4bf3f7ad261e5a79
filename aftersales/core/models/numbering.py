from django.db import models
from django.utils.translation import gettext_lazy as _


class NumberSequence(models.Model):
    """Per-day counters behind human-readable numbers (T2026112400042, C2026112400007)."""

    prefix = models.CharField(_("prefix"), max_length=4)
    day = models.DateField(_("day"))
    last_value = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")
        constraints = [models.UniqueConstraint(fields=["prefix", "day"], name="core_numbersequence_unique_day")]

    def __str__(self) -> str:
        return f"{self.prefix}{self.day:%Y%m%d} → {self.last_value}"
