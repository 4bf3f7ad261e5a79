"""The dashboard's filters form (GET): the same period and filters as the API."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .periods import MAX_DAYS, Period
from .registry import DIMENSIONS, metrics_in_order

DIMENSION_LABELS = {
    "region": _("Region"),
    "model": _("Product model"),
    "technician": _("Technician"),
    "channel": _("Channel"),
    "type": _("Type"),
    "priority": _("Priority / severity"),
    "tier": _("Customer tier"),
}


class KpiFilterForm(forms.Form):
    from_ = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    region = forms.CharField(label=DIMENSION_LABELS["region"], required=False, max_length=64)
    model = forms.CharField(label=DIMENSION_LABELS["model"], required=False, max_length=64)
    technician = forms.CharField(label=DIMENSION_LABELS["technician"], required=False, max_length=150)
    channel = forms.CharField(label=DIMENSION_LABELS["channel"], required=False, max_length=30)
    type = forms.CharField(label=DIMENSION_LABELS["type"], required=False, max_length=40)
    priority = forms.CharField(label=DIMENSION_LABELS["priority"], required=False, max_length=20)
    tier = forms.CharField(label=DIMENSION_LABELS["tier"], required=False, max_length=20)
    group_by = forms.ChoiceField(
        label=_("Break down by"), required=False, choices=[(d, DIMENSION_LABELS[d]) for d in DIMENSIONS]
    )
    trend = forms.ChoiceField(label=_("Trend of"), required=False, choices=())

    def __init__(self, data=None, **kwargs):
        data = data.copy() if data is not None else None
        if data is not None and "from" in data:
            data["from_"] = data.get("from")
        super().__init__(data, **kwargs)
        self.fields["trend"].choices = [(m.key, m.label) for m in metrics_in_order()]

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        first = cleaned.get("from_") or today.replace(day=1)
        last = cleaned.get("to") or max(today, first)
        if last < first:
            raise forms.ValidationError(_("The last day is before the first."))
        if (last - first).days + 1 > MAX_DAYS:
            raise forms.ValidationError(_("Ask for at most %(days)d days at a time.") % {"days": MAX_DAYS})
        cleaned["period"] = Period(first, last)
        cleaned["filters"] = {name: cleaned[name] for name in DIMENSIONS if cleaned.get(name)}
        cleaned["group_by"] = cleaned.get("group_by") or "region"
        cleaned["trend"] = cleaned.get("trend") or "avg_first_response_hours"
        return cleaned
